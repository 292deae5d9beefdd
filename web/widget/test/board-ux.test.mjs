// The board as a person meets it (issue 16), in both host dialects: the
// MCP Apps host built on the official ext-apps AppBridge (test/host/
// host.ts) and a ChatGPT-style host that offers only window.openai
// (test/host/openai.ts). Tool calls reach the real MCP server over
// PostgreSQL; the user has 35 live tasks (more than one page, the only done
// one on page 2) and one in the trash (browsertest/ux_test.go). axe-core
// runs on every state in light and dark at 375 and 1280 px; screenshots
// land in test-results/.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, guard, must } from "./chromium.mjs";
import { axeViolations } from "./axe.mjs";

const HOST_URL = must("HOST_URL");
const SANDBOX_URL = must("SANDBOX_URL");
const STATE_URL = must("STATE_URL");
const OUT_DIR = must("OUT_DIR");

const RAW_401 = 'tools/call: HTTP 401 {"error":"invalid_token","error_description":"The access token expired"}';

let browser;
before(async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
});
after(async () => browser?.close());

async function serverCounts() {
  const res = await fetch(`${STATE_URL}/counts`);
  assert.equal(res.status, 200);
  return res.json();
}

async function stored(title) {
  const res = await fetch(`${STATE_URL}/task?title=${encodeURIComponent(title)}`);
  assert.equal(res.status, 200, `state of ${title}`);
  const { present, status, in_trash: inTrash } = await res.json();
  return present ? { status, inTrash } : null;
}

const DIALECTS = {
  mcp: "MCP Apps host (ext-apps AppBridge, View on the sandbox origin)",
  proxy: "MCP Apps host (ext-apps AppBridge, double-iframe sandbox proxy as in basic-host)",
  openai: "window.openai-only host",
};

for (const [dialect, title] of Object.entries(DIALECTS)) {
  if (process.env.UX_DIALECT && process.env.UX_DIALECT !== dialect) continue;
  describe(title, () => {
    let context, page;
    let outside = [];
    const violations = [];
    const hostPage = dialect === "openai" ? "openai.html" : dialect === "proxy" ? "index.html?proxy=1" : "index.html";
    // The View: the host's frame, or the proxy's inner frame.
    const board = () => (dialect === "proxy" ? page.frameLocator("#view").frameLocator("iframe") : page.frameLocator("#view"));
    const frame = () =>
      dialect === "proxy"
        ? page.frames().find((f) => f.parentFrame()?.url().startsWith(`${SANDBOX_URL}/proxy`))
        : page.frames().find((f) => f.url().startsWith(`${SANDBOX_URL}/sandbox`));
    const status = () => board().getByRole("status");
    const mine = (s) => `${s} (${dialect})`;

    async function open(query = "") {
      const sep = hostPage.includes("?") ? "&" : "?";
      await page.goto(`${HOST_URL}/${hostPage}${sep}sandbox=${encodeURIComponent(SANDBOX_URL)}&theme=light${query}`);
      const err = await page.evaluate(() =>
        Promise.race([window.__host.ready.then(() => ""), new Promise((r) => setTimeout(() => r(`host not ready: ${window.__host.log.join("; ")}`), 120_000))]),
      );
      assert.equal(err, "");
      await board().locator("li.task").first().waitFor();
    }

    async function setTheme(theme) {
      await page.evaluate((t) => window.__host.setTheme(t), theme);
      await frame().waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    }

    // a11y checks the current state in both themes at 375 and 1280 px:
    // axe finds nothing, every visible label starts the accessible name
    // (voice control), every target is at least 24x24 px, and nothing
    // scrolls sideways. It leaves the board light at 640 px.
    async function a11y(state) {
      for (const theme of ["light", "dark"]) {
        await setTheme(theme);
        for (const width of [375, 1280]) {
          await page.evaluate((w) => window.__host.setWidth(w), width);
          await frame().waitForFunction((w) => Math.abs(window.innerWidth - w) < 4, width);
          const where = `${dialect} ${state} ${theme} ${width}px`;
          assert.deepEqual(await axeViolations(frame()), [], `axe: ${where}`);
          const bad = await frame().evaluate(() => {
            const out = [];
            for (const el of document.querySelectorAll("button, input, summary")) {
              const r = el.getBoundingClientRect();
              if (r.width === 0) continue;
              if (r.width < 24 || r.height < 24) out.push(`target ${el.textContent || el.getAttribute("aria-label")} ${r.width}x${r.height}`);
              const visible = (el.textContent ?? "").trim();
              const name = el.getAttribute("aria-label");
              if (visible && name && !name.startsWith(visible)) out.push(`label "${visible}" is not the start of the name "${name}"`);
            }
            if (document.documentElement.scrollWidth > window.innerWidth) out.push(`scrolls sideways: ${document.documentElement.scrollWidth}px`);
            return out;
          });
          assert.deepEqual(bad, [], where);
          await page.screenshot({ path: join(OUT_DIR, `ux-${dialect}-${state}-${theme}-${width}.png`), fullPage: true });
        }
      }
      await setTheme("light");
      await page.evaluate(() => window.__host.setWidth(640));
    }

    // The reported height is the content's, and the frame shows all of it
    // (up to the host's cap).
    async function frameFitsContent() {
      await page.waitForFunction(() => {
        const f = document.getElementById("view");
        return window.__host.sizes.length > 0 && Math.abs(f.getBoundingClientRect().height - 2 - Math.min(window.__host.sizes.at(-1), document.body.classList.contains("fullscreen") ? window.innerHeight - 32 : 520)) < 2;
      });
      const content = await frame().evaluate(() => Math.ceil(document.getElementById("app").getBoundingClientRect().height));
      const reported = await page.evaluate(() => window.__host.sizes.at(-1));
      assert.equal(reported, content, "the reported height is the content's height");
      return reported;
    }

    before(async () => {
      // Reduced motion: axe must see settled colours, not a theme change mid-transition.
      context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: "en-US", timezoneId: "UTC", reducedMotion: "reduce" });
      outside = await guard(context, violations);
      page = await context.newPage();
      if (process.env.UX_DEBUG) {
        page.on("console", (m) => console.error(`console ${m.type()}: ${m.text()}`));
        page.on("pageerror", (e) => console.error(`pageerror: ${e.message}`));
      }
    });
    after(async () => context?.close());

    test("2. the counts are the server's and Show more loads every page", async () => {
      await open();
      const c = await serverCounts();
      assert.ok(c.open + c.done > 25, `fixture spans two pages: ${JSON.stringify(c)}`);
      await board().locator(".count").first().filter({ hasText: `${c.open} open · ${c.done} done` }).waitFor();
      // Inline is a compact card: a few rows and Show more, no tabs.
      assert.equal(await board().getByRole("button", { name: "Trash", exact: true }).count(), 0, "no view tabs inline");
      await board().getByText(`Showing 5 of ${c.open + c.done}`).waitFor();
      await a11y("inline");
      const more = board().getByRole("button", { name: "Show more" });
      for (let i = 0; i < 10 && (await more.count()) > 0; i++) {
        await more.click();
        await frame().waitForFunction(() => document.querySelector("main")?.getAttribute("aria-busy") === "false");
      }
      assert.equal(await more.count(), 0, "Show more is gone once everything is shown");
      assert.equal(await board().locator("li.task").count(), c.open + c.done);
      await board().locator("li.task.done .title", { hasText: "Done long ago" }).waitFor();
    });

    test("1, 6. the frame follows the content both ways, and Expand opens fullscreen", async () => {
      if (!(await board().locator("li.task").count())) await open();
      const tall = await frameFitsContent();
      assert.ok(tall > 520, `all rows shown: ${tall}px`);
      await board().getByRole("button", { name: "Expand" }).click();
      await page.waitForFunction(() => window.__host.displayModes.includes("fullscreen"));
      await board().getByRole("button", { name: "Trash", exact: true }).click();
      await board().getByRole("heading", { name: "Trash" }).waitFor();
      await board().getByRole("button", { name: "Restore “Thrown out”" }).waitFor();
      await page.waitForFunction(() => window.__host.sizes.at(-1) < 300);
      const small = await frameFitsContent();
      assert.ok(small < 300, `the card shrank to the trash with one item: ${small}px`);
      await a11y("fullscreen-trash");
      await board().getByRole("button", { name: "Delete forever “Thrown out”" }).click();
      await board().getByRole("group", { name: "Confirm permanent deletion" }).waitFor();
      await a11y("fullscreen-trash-confirm");
      await board().getByRole("button", { name: "Cancel" }).click();
      await board().getByRole("button", { name: "Tasks", exact: true }).click();
      await board().getByRole("heading", { name: "Tasks" }).waitFor();
      await a11y("fullscreen-tasks");
    });

    test("3, 7. typed text survives host updates; a failed add keeps it and offers a friendly retry", async () => {
      await open();
      const add = board().getByRole("textbox", { name: "New task title" });
      await add.fill("Half typed");
      await page.evaluate(() => window.__host.setContext({ theme: "dark", maxHeight: 480, containerDimensions: { maxHeight: 480 } }));
      await frame().waitForFunction(() => document.documentElement.dataset.theme === "dark");
      assert.equal(await add.inputValue(), "Half typed", "the add field kept its text");
      assert.equal(await frame().evaluate(() => document.activeElement?.dataset.key), "add", "focus stayed in the add field");
      await board().getByRole("button", { name: "Edit “Task 34”" }).click();
      const edit = board().getByRole("textbox", { name: "Task title", exact: true });
      await edit.fill("Task 34 renamed halfway");
      await a11y("inline-editing");
      assert.equal(await edit.inputValue(), "Task 34 renamed halfway", "the open edit kept its text");
      await edit.press("Escape");
      await board().getByRole("button", { name: "Edit “Task 34”" }).waitFor();

      const title = mine("Keep me");
      await add.fill(title);
      await page.evaluate((m) => window.__host.failNext(m), RAW_401);
      await add.press("Enter");
      const alert = board().getByRole("alert");
      await alert.waitFor();
      const text = await alert.textContent();
      assert.match(text, /sign in again/);
      assert.doesNotMatch(text, /HTTP|\{|401/, "no raw transport error");
      assert.equal(await add.inputValue(), title, "the failed add kept the text");
      const box = await frame().evaluate(() => {
        const r = document.querySelector("[role=alert]").getBoundingClientRect();
        return { bottom: r.bottom, height: window.innerHeight };
      });
      assert.ok(box.bottom <= box.height, `the error is not clipped: ${JSON.stringify(box)}`);
      await a11y("inline-error");
      await board().getByRole("button", { name: "Try again" }).click();
      await status().filter({ hasText: `Added “${title}”.` }).waitFor();
      assert.deepEqual(await stored(title), { status: "open", inTrash: false });
      assert.equal(await add.inputValue(), "", "cleared once the server has it");
      assert.equal(await board().getByRole("alert").count(), 0);
    });

    test("4. a write tool's board shows the changed task as such, then the whole list around it", async () => {
      const title = mine("Buy stamps");
      await open(`&tool=create_task&args=${encodeURIComponent(JSON.stringify({ title }))}`);
      await board().locator(".count").first().filter({ hasText: "1 changed task" }).waitFor();
      await board().getByText("The task this request changed. Your other tasks are not shown.").waitFor();
      assert.doesNotMatch(await board().locator("header").textContent(), /open ·/, "no list counts for one task");
      await a11y("changed");
      await board().getByRole("button", { name: "Show all tasks" }).click();
      const c = await serverCounts();
      await board().locator(".count").first().filter({ hasText: `${c.open} open · ${c.done} done` }).waitFor();
      const row = board().locator("li.task.changed");
      assert.equal(await row.locator(".title").textContent(), title);
      await row.getByText("Just changed").waitFor();
      await a11y("changed-in-list");
    });

    test("no CSP violation and no request left localhost", () => {
      assert.deepEqual(violations, []);
      assert.deepEqual(outside, []);
    });
  });
}
