// Browser tests of the task board in headless Debian chromium, driven by
// playwright-core. Started by web/widget/browsertest (Go), which serves the
// real MCP endpoint (internal/mcpapi over PostgreSQL) and the test host on
// HOST_URL, the sandboxed View on SANDBOX_URL (another origin, CSP derived
// from the resource's ui.csp), and on STATE_URL the stored row of a task, so
// each action is checked in the database, not only on screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { FLAGS, guard, must } from "./chromium.mjs";

const HOST_URL = must("HOST_URL");
const SANDBOX_URL = must("SANDBOX_URL");
const STATE_URL = must("STATE_URL");
const OUT_DIR = must("OUT_DIR");
const FIXTURE = JSON.parse(must("BOARD_FIXTURE"));
const XSS = FIXTURE.filter((t) => /[<{]/.test(t.title));

let browser, context, page;
let outside = [];
const violations = [];
const dialogs = [];
const consoleErrors = [];

// stored is what PostgreSQL holds for the task with this title (asked from
// this node process, never from the browser).
async function stored(title) {
  const res = await fetch(`${STATE_URL}/task?title=${encodeURIComponent(title)}`);
  assert.equal(res.status, 200, `state of ${title}`);
  const { present, status, in_trash: inTrash } = await res.json();
  return present ? { status, inTrash } : null;
}

const board = () => page.frameLocator("#view");
const viewFrame = () => page.frames().find((f) => f.url().startsWith(`${SANDBOX_URL}/sandbox`));
const status = () => board().getByRole("status");

before(async () => {
  const html = readFileSync(new URL("../dist/board.html", import.meta.url));
  console.log(`widget bundle dist/board.html: ${html.length} bytes, ${gzipSync(html, { level: 9 }).length} bytes gzipped`);
  mkdirSync(OUT_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
  context = await browser.newContext({ viewport: { width: 700, height: 580 }, locale: "en-US", timezoneId: "UTC" });
  // No request may leave loopback, and no CSP violation may occur.
  outside = await guard(context, violations);
  page = await context.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  await page.goto(`${HOST_URL}/index.html?sandbox=${encodeURIComponent(SANDBOX_URL)}&theme=light`);
  await page.evaluate(() => window.__host.ready);
});

after(async () => {
  await browser?.close();
});

test("the board renders the real tool output", async () => {
  const live = FIXTURE.filter((t) => !t.in_trash);
  // Inline is a compact card: the first rows, then Show more.
  await board().getByRole("button", { name: "Show more" }).click();
  await board().locator("li.task").nth(live.length - 1).waitFor();
  const titles = await board().locator("li.task .title").allTextContents();
  assert.deepEqual(titles.sort(), live.map((t) => t.title).sort());
  assert.equal(await board().locator("li.task.done .title").textContent(), "Water the plants");
  // Locale-aware date from the host context (en-US).
  await board().getByText("Due Dec 24, 2026").waitFor();
  const theme = await viewFrame().evaluate(() => document.documentElement.dataset.theme);
  assert.equal(theme, "light");
});

test("an XSS corpus in titles and notes renders as text", async () => {
  const frame = viewFrame();
  const dom = await frame.evaluate(() => ({
    xss: window.__xss,
    injected: document.querySelectorAll("img, svg, iframe, object, embed, a, math, details[ontoggle], [onerror], [onload], body style, body script").length,
    scripts: document.querySelectorAll("script").length,
    titles: [...document.querySelectorAll("li.task .title")].map((e) => e.textContent),
    notes: [...document.querySelectorAll("li.task .notes p")].map((e) => e.textContent),
  }));
  assert.equal(dom.xss, undefined, "injected script ran");
  assert.equal(dom.injected, 0, "an element was injected from data");
  assert.equal(dom.scripts, 1, "only the bundle's own script");
  for (const t of XSS) {
    assert.ok(dom.titles.includes(t.title), `title shown verbatim: ${t.title}`);
    if (t.notes) assert.ok(dom.notes.includes(t.notes), `notes shown verbatim: ${t.notes}`);
  }
  assert.deepEqual(dialogs, []);
});

test("screenshots in light and dark themes", async () => {
  await page.screenshot({ path: join(OUT_DIR, "board-light.png") });
  await page.evaluate(() => window.__host.setTheme("dark"));
  await viewFrame().waitForFunction(() => document.documentElement.dataset.theme === "dark");
  const bg = await viewFrame().evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bg, "rgb(255, 255, 255)", "dark theme applied");
  await page.screenshot({ path: join(OUT_DIR, "board-dark.png") });
  await page.evaluate(() => window.__host.setTheme("light"));
});

test("completing a task round-trips through the host to the server", async () => {
  await board().getByRole("button", { name: "Complete “Buy milk”" }).click();
  await status().filter({ hasText: "Completed “Buy milk”." }).waitFor();
  // The list was reloaded from the server and shows the stored state.
  await board().getByRole("button", { name: "Reopen “Buy milk”" }).waitFor();
  assert.deepEqual(await stored("Buy milk"), { status: "done", inTrash: false });
  const calls = await page.evaluate(() => window.__host.calls);
  assert.ok(calls.includes("complete_task"), `host forwarded complete_task: ${calls}`);
});

test("reopening a done task round-trips to the server", async () => {
  await board().getByRole("button", { name: "Reopen “Water the plants”" }).click();
  await status().filter({ hasText: "Reopened “Water the plants”." }).waitFor();
  await board().getByRole("button", { name: "Complete “Water the plants”" }).waitFor();
  assert.deepEqual(await stored("Water the plants"), { status: "open", inTrash: false });
});

test("add a task with the keyboard", async () => {
  const input = board().getByRole("textbox", { name: "New task title" });
  await input.fill("Written in the browser");
  await input.press("Enter");
  await status().filter({ hasText: "Added “Written in the browser”." }).waitFor();
  await board().locator("li.task .title", { hasText: "Written in the browser" }).waitFor();
  assert.deepEqual(await stored("Written in the browser"), { status: "open", inTrash: false });
});

test("edit a title inline", async () => {
  await board().getByRole("button", { name: "Edit “Call the plumber”" }).click();
  const input = board().getByRole("textbox", { name: "Task title", exact: true });
  assert.equal(await input.inputValue(), "Call the plumber");
  await input.fill("Call the electrician");
  await input.press("Enter");
  await status().filter({ hasText: "Renamed to “Call the electrician”." }).waitFor();
  // Focus returns to the row's Edit button (keyboard users keep their place).
  await board().getByRole("button", { name: "Edit “Call the electrician”" }).waitFor();
  assert.equal(await stored("Call the plumber"), null, "the old title is gone");
  assert.deepEqual(await stored("Call the electrician"), { status: "open", inTrash: false });
});

test("delete to trash, view the trash, restore", async () => {
  await board().getByRole("button", { name: "Delete “Old idea”" }).click();
  await status().filter({ hasText: "Moved “Old idea” to the trash." }).waitFor();
  assert.deepEqual(await stored("Old idea"), { status: "open", inTrash: true });
  // The trash is another view: fullscreen work, behind Expand.
  await board().getByRole("button", { name: "Expand" }).click();
  await board().getByRole("button", { name: "Trash", exact: true }).click();
  await board().getByRole("heading", { name: "Trash" }).waitFor();
  await board().getByRole("button", { name: "Restore “Old idea”" }).click();
  await status().filter({ hasText: "Restored “Old idea”." }).waitFor();
  assert.deepEqual(await stored("Old idea"), { status: "open", inTrash: false });
  assert.equal(await board().getByRole("button", { name: "Restore “Old idea”" }).count(), 0);
});

test("permanent purge needs the explicit confirm step and the server's token", async () => {
  assert.deepEqual(await stored("Throw away"), { status: "open", inTrash: true });
  await board().getByRole("button", { name: "Delete forever “Throw away”" }).click();
  // Nothing is purged yet: a second, explicit step is shown, focus on Cancel.
  const confirm = board().getByRole("group", { name: "Confirm permanent deletion" });
  await confirm.waitFor();
  assert.equal(await viewFrame().evaluate(() => document.activeElement?.textContent), "Cancel");
  assert.ok(!(await page.evaluate(() => window.__host.calls)).includes("purge_task"));
  assert.deepEqual(await stored("Throw away"), { status: "open", inTrash: true }, "still stored before the second press");
  await confirm.getByRole("button", { name: "Delete permanently" }).click();
  await status().filter({ hasText: "Deleted “Throw away” permanently." }).waitFor();
  await board().getByText("The trash is empty.").waitFor();
  assert.equal(await stored("Throw away"), null, "purged from the database");
  assert.deepEqual(await page.evaluate(() => window.__host.refused), []);
});

test("keyboard: every control is a real button or input with a visible focus ring", async () => {
  await board().getByRole("button", { name: "Tasks", exact: true }).focus();
  await page.keyboard.press("Enter");
  await board().getByRole("heading", { name: "Tasks" }).waitFor();
  const frame = viewFrame();
  const info = await frame.evaluate(() => {
    const clickable = [...document.querySelectorAll("[onclick], [role=button]:not(button), div[tabindex], span[tabindex]")].length;
    const unlabeled = [...document.querySelectorAll("button, input")].filter((el) => {
      const name = el.getAttribute("aria-label") || el.textContent || el.closest("label")?.textContent || "";
      return name.trim() === "";
    }).length;
    return { clickable, unlabeled, live: document.querySelector("[role=status]")?.getAttribute("aria-live") };
  });
  assert.deepEqual(info, { clickable: 0, unlabeled: 0, live: "polite" });
  await page.keyboard.press("Tab");
  const ring = await frame.evaluate(() => {
    const el = document.activeElement;
    return el ? { tag: el.tagName, outline: getComputedStyle(el).outlineStyle } : null;
  });
  assert.ok(ring && ring.outline !== "none", `focused element shows a focus ring: ${JSON.stringify(ring)}`);
});

test("no CSP violation and no request left localhost", async () => {
  assert.deepEqual(violations, [], "CSP violations during the run");
  assert.deepEqual(outside, [], "requests to outside hosts");
  assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy/i.test(e)), []);
  // Positive control: the declared CSP is really applied to the View (a
  // connection attempt from it is blocked and raises a violation event).
  const directive = await viewFrame().evaluate(
    (u) =>
      new Promise((resolve) => {
        document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), { once: true });
        fetch(`${u}/csp-probe`).catch(() => undefined);
      }),
    SANDBOX_URL,
  );
  assert.equal(directive, "connect-src");
});
