// A newcomer links an app in headless Debian chromium through the server's
// real pages, in a fresh browser profile: the host's authorization URL, the
// login form, "Create an account", the sign-up form with the privacy
// policy, back to the consent page of the same request, and the redirect
// to the app with the code. Started by dev/e2e
// (TestBrowserLinksAnAppThroughTheRealPages), which runs the real server,
// registers the app and afterwards redeems the code; the person has no
// account until this script signs up.
// A browser enforces what Go's HTTP client does not: the pages' CSP applies
// form-action to the consent form's redirect to the app (Chromium stops a
// form whose redirect leaves the allowed origins).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, keepOnLoopback, must } from "./chromium.mjs";

const AUTH_URL = must("AUTH_URL");
const CALLBACK_URL = must("CALLBACK_URL");
const EMAIL = must("EMAIL");
const PASSWORD = must("PASSWORD");
const OUT_DIR = must("OUT_DIR");

test("a newcomer signs up in the middle of linking an app and ends on consent", async () => {
  mkdirSync(OUT_DIR, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS });
  try {
    const context = await browser.newContext({ locale: "en-US" }); // a fresh profile: no cookies
    const outside = await keepOnLoopback(context);
    const page = await context.newPage();
    const cspErrors = [];
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

    await page.goto(AUTH_URL);
    assert.equal(new URL(page.url()).pathname, "/login", "not signed in: the authorization URL leads to the login form");
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/signup"),
      page.getByRole("link", { name: "Create an account" }).click(),
    ]);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("checkbox", { name: /accept the privacy policy/ }).check();
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/authorize"),
      page.getByRole("button", { name: "Create account" }).click(),
    ]);
    await page.getByRole("button", { name: "Allow" }).waitFor();
    await page.screenshot({ path: join(OUT_DIR, "oauth-consent.png"), fullPage: true });
    // The app asks for write access too; consenting to writes is an
    // explicit act, so the box starts unticked and the person leaves it.
    const write = page.getByRole("checkbox", { name: /Create, change, complete and delete your tasks/ });
    assert.equal(await write.isChecked(), false, "the write access box is ticked before the person ticks it");

    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(CALLBACK_URL), { timeout: 10_000 }),
      page.getByRole("button", { name: "Allow" }).click(),
    ]);
    const back = new URL(page.url());
    assert.ok(back.searchParams.get("code"), `the app got no code: ${back.href}`);
    assert.deepEqual(cspErrors, [], "a page's CSP blocked something on the way");
    assert.deepEqual(outside, [], "a request left loopback");
  } finally {
    await browser.close();
  }
});
