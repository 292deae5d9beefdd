// axe-core in any frame of a playwright page: evaluates axe's source
// through the DevTools protocol (no script element, so the page's own CSP,
// which allows no inline script on the server pages, stays as it is) and returns
// the violations, each as "rule: target (summary)". The rule set is WCAG
// 2.2 A/AA plus best practices, with label-in-name and target size on.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function axeViolations(frame) {
  if (!(await frame.evaluate(() => typeof window.axe === "object"))) {
    await frame.evaluate(`${AXE};0`);
  }
  const result = await frame.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      rules: { "label-content-name-mismatch": { enabled: true }, "target-size": { enabled: true } },
      resultTypes: ["violations"],
    }),
  );
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")} (${n.failureSummary?.split("\n").slice(1, 2).join(" ").trim()})`));
}
