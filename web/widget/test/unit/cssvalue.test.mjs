// Unit test of the host style value allow-list (src/cssvalue.ts, W1, P3),
// run by `npm run test:unit` and make widget-check. The module is loaded
// from its TypeScript source with types stripped by the pinned vite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { transformWithOxc } from "vite";

const path = new URL("../../src/cssvalue.ts", import.meta.url);
const { code } = await transformWithOxc(readFileSync(path, "utf8"), path.pathname, { lang: "ts" });
const { isSafeStyleValue } = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);

test("values a host theme uses are copied", () => {
  for (const v of [
    "#fff", "#0d0d0d", "#ffffff80", "rgb(13 13 13 / 0.5)", "rgba(0, 0, 0, 0.1)", "hsl(210 40% 98%)",
    "oklch(0.7 0.1 240)", "light-dark(#fff, #000)", "color-mix(in srgb, #fff 50%, transparent)", "transparent",
    "currentColor", "var(--color-text-primary)", "12px", "0.875rem", "1.5", "600", "bold", "calc(1rem + 2px)",
    "clamp(12px, 1vw, 16px)", "0 1px 2px rgba(0, 0, 0, 0.05), 0 0 0 1px #eee", "inset 0 0 0 1px var(--x)",
    '"Söhne", ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif', "ui-monospace, 'SF Mono', monospace",
  ]) {
    assert.equal(isSafeStyleValue(v), true, v);
  }
});

test("values that can load something, or hide what they are, are refused", () => {
  for (const v of [
    'image-set("//evil.example/x.png" 1x)', "-webkit-image-set('//evil.example/x.png' 1x)", "image-set(x 1x)",
    "url(//evil.example/x.png)", "URL(x)", "url ( x )", "url/**/(x)", "calc((1px))", 'image("//evil.example/x.png")', "cross-fade(a, b)",
    "element(#x)", "paint(worklet)", "src(x)", "attr(data-x)", "env(x)", "expression(alert(1))",
    '"//evil.example/x.png"', '"a.png"', "\\75rl(x)", "u\\72l(x)", "red; background: blue", "red !important",
    "@import x", "x} body{background:red", "<svg>", "", "a".repeat(201),
  ]) {
    assert.equal(isSafeStyleValue(v), false, v);
  }
});
