// A person new to taskbridge, in headless Debian chromium with a fresh
// profile, following the authorization URL an MCP client produced: the
// server sends them to sign in, they create an account on the way, land on
// the consent page of the app's request, and allow it. Returns the
// query the app's redirect URI received (code, state, iss).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { FLAGS, keepOnLoopback } from "./chromium.mjs";

export function newPerson(tag) {
  const id = randomBytes(6).toString("hex");
  return { email: `${tag}.${id}@example.test`, password: `lantern orchard ${id} quietly` };
}

// linkInChromium: person signs up while linking; allowWrite ticks the write
// box, which starts unticked (P5). shot names the consent screenshot.
export async function linkInChromium({ authorizationURL, callbackURL, person, allowWrite, outDir, shot }) {
  const profile = mkdtempSync(join(tmpdir(), "taskbridge-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: FLAGS, locale: "en-US",
  });
  try {
    const outside = await keepOnLoopback(context);
    const page = context.pages()[0] ?? (await context.newPage());
    const cspErrors = [];
    page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

    await page.goto(authorizationURL);
    assert.equal(new URL(page.url()).pathname, "/login", "a new visitor following the app's link is asked to sign in");
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/signup"),
      page.getByRole("link", { name: "Create an account" }).click(),
    ]);
    await page.getByLabel("Email").fill(person.email);
    await page.getByLabel("Password", { exact: true }).fill(person.password);
    await page.getByLabel("Repeat the password").fill(person.password);
    await page.getByLabel(/I have read and accept the/).check();
    // Sign-up carries the pending authorization along: it ends on the
    // consent page of the app's own request.
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/authorize"),
      page.getByRole("button", { name: "Create account" }).click(),
    ]);
    await page.getByRole("button", { name: "Allow" }).waitFor();
    const write = page.getByRole("checkbox", { name: /Create, change, complete and delete your tasks/ });
    assert.equal(await write.isChecked(), false, "the write access box is ticked before the person ticks it");
    if (allowWrite) await write.check();
    await page.screenshot({ path: join(outDir, `${shot}.png`), fullPage: true });
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(callbackURL), { timeout: 10_000 }),
      page.getByRole("button", { name: "Allow" }).click(),
    ]);
    assert.deepEqual(cspErrors, [], "a page's CSP blocked something on the way");
    assert.deepEqual(outside, [], "a request left loopback");
    return new URL(page.url()).searchParams;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
