// Every server page as a person sees it, in headless chromium: sign-up,
// login, their error states, the account page, your data, the privacy
// policy, the consent page (for an app with a long unbroken name) and the
// 404 page, signed out and signed in. In light and dark and at 375 and
// 1280 px: axe-core finds nothing and nothing scrolls sideways.
// Screenshots land in test-results/. Started by dev/e2e
// (TestBrowserPagesPassAxe), which runs the real server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, guard, must } from "./chromium.mjs";
import { axeViolations } from "./axe.mjs";

const BASE_URL = must("BASE_URL");
const AUTH_URL = must("AUTH_URL");
const EMAIL = must("EMAIL");
const PASSWORD = must("PASSWORD");
const OUT_DIR = must("OUT_DIR");

let browser;
before(async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
});
after(async () => browser?.close());

async function check(page, name, where) {
  assert.deepEqual(await axeViolations(page.mainFrame()), [], `axe: ${name} ${where}`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${name} ${where} scrolls sideways by ${wide}px`);
  assert.ok((await page.title()).length > 0, `${name} has a title`);
  await page.screenshot({ path: join(OUT_DIR, `page-${name}-${where}.png`), fullPage: true });
}

for (const scheme of ["light", "dark"]) {
  for (const width of [375, 1280]) {
    const where = `${scheme}-${width}`;
    test(`every page passes axe and fits, ${where}`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme, locale: "en-US", reducedMotion: "reduce" });
      let outside = [];
      const violations = [];
      outside = await guard(context, violations);
      const page = await context.newPage();
      try {
        for (const path of ["/signup", "/login", "/privacy", "/no-such-page"]) {
          await page.goto(BASE_URL + path, { waitUntil: "load" });
          await check(page, `anon${path.replaceAll("/", "-")}`, where);
        }
        // A sign-up error keeps the policy tick; the error page passes too.
        await page.goto(`${BASE_URL}/signup`);
        await page.getByLabel("Email").fill("mismatch@example.test");
        await page.getByLabel("Password", { exact: true }).fill("one long password here");
        await page.getByLabel("Repeat the password").fill("another long password");
        await page.getByRole("checkbox").check();
        await Promise.all([page.waitForURL(`${BASE_URL}/signup`), page.getByRole("button", { name: "Create account" }).click()]);
        await page.getByRole("alert").waitFor();
        assert.equal(await page.getByRole("checkbox").isChecked(), true, "the policy tick survived the error");
        await check(page, "signup-error", where);

        // A wrong password, and an app the server does not know.
        await page.goto(`${BASE_URL}/login`);
        await page.getByLabel("Email").fill(EMAIL);
        await page.getByLabel("Password").fill("not the password at all");
        await Promise.all([page.waitForURL(`${BASE_URL}/login`), page.getByRole("button", { name: "Sign in" }).click()]);
        await page.getByRole("alert").waitFor();
        await check(page, "login-error", where);
        await page.goto(`${BASE_URL}/authorize?client_id=no-such-app&response_type=code`);
        await page.getByRole("alert").waitFor();
        await check(page, "oauth-error", where);

        await page.goto(`${BASE_URL}/login`);
        await page.getByLabel("Email").fill(EMAIL);
        await page.getByLabel("Password").fill(PASSWORD);
        await Promise.all([page.waitForURL(`${BASE_URL}/account`), page.getByRole("button", { name: "Sign in" }).click()]);
        for (const path of ["/account", "/account/data", "/privacy", "/account/privacy-consent", "/no-such-page"]) {
          await page.goto(BASE_URL + path);
          await page.getByRole("button", { name: "Sign out" }).waitFor();
          await check(page, `signed-in${path.replaceAll("/", "-")}`, where);
        }
        // The delete confirmation looks like the other fields.
        await page.goto(`${BASE_URL}/account/data`);
        const look = (sel) => page.locator(sel).evaluate((el) => {
          const s = getComputedStyle(el);
          return { border: s.borderTopColor, radius: s.borderTopLeftRadius, height: el.getBoundingClientRect().height };
        });
        assert.deepEqual(await look("#confirmation"), await look("#password"), "the confirmation input is styled like the password input");

        await page.goto(AUTH_URL);
        await page.getByRole("button", { name: "Allow" }).waitFor();
        await check(page, "consent", where);
        assert.deepEqual(violations, [], "CSP violations");
        assert.deepEqual(outside, [], "requests left loopback");
      } finally {
        await context.close();
      }
    });
  }
}
