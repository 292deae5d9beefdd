// Unit test of what the board reads from a tool result and how it words a
// failure (src/model.ts, issue 16 items 2, 4, 7), run by `npm run
// test:unit`. The module is loaded from its TypeScript source with types
// stripped by the pinned vite, like cssvalue.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { transformWithOxc } from "vite";

const path = new URL("../../src/model.ts", import.meta.url);
const { code } = await transformWithOxc(readFileSync(path, "utf8"), path.pathname, { lang: "ts" });
const { boardFromResult, friendlyError } = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);

const task = { id: "t1", title: "Buy stamps", status: "open", tags: [] };

test("a list carries the server's totals; a write tool's result is marked as the changed tasks", () => {
  const list = boardFromResult({ tasks: [task], has_more: true }, { "taskbridge/board": { tasks: [task], view: "live", next_cursor: "c", counts: { open: 34, done: 1, trash: 1 } } });
  assert.deepEqual(list.counts, { open: 34, done: 1, trash: 1 });
  assert.equal(list.changed, false);
  assert.equal(list.nextCursor, "c");
  const written = boardFromResult({ task }, { "taskbridge/board": { tasks: [task], view: "live" } });
  assert.equal(written.changed, true);
  assert.equal(written.counts, null, "no totals for one task");
});

test("counts that are not whole non-negative numbers are dropped, never shown", () => {
  for (const counts of [{ open: -1, done: 0, trash: 0 }, { open: "3", done: 0, trash: 0 }, { open: 1.5, done: 0, trash: 0 }, { open: 1, done: 0 }, []]) {
    const b = boardFromResult({ tasks: [] }, { "taskbridge/board": { tasks: [], counts } });
    assert.equal(b.counts, null, JSON.stringify(counts));
  }
});

test("errors are sentences for a person, never a raw transport error", () => {
  const raw = new Error('tools/call: HTTP 401 {"error":"invalid_token","error_description":"The access token expired"}');
  assert.match(friendlyError(raw), /^taskbridge needs you to sign in again\./);
  assert.match(friendlyError(new Error("HTTP 429 Too Many Requests")), /^Too many requests/);
  assert.match(friendlyError(new Error("HTTP 503")), /^Could not reach taskbridge/);
  assert.equal(friendlyError(new Error("something odd")), "That did not work. Try again in a moment.");
  // The server's own refusal is written to be read: kept, as a sentence.
  assert.equal(friendlyError(null, "the task is in the trash; restore it first"), "The task is in the trash; restore it first.");
  assert.doesNotMatch(friendlyError(null, '{"error":"x"} HTTP 500'), /HTTP|\{/);
});
