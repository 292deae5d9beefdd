// The official TypeScript MCP clients link taskbridge and use it end to end
// against the real server (started by dev/e2e
// TestBrowserTypeScriptClientsLinkAndUseEveryTool): the SDK v2 client
// (@modelcontextprotocol/client) pinned to protocol 2026-07-28 and the v1
// client (@modelcontextprotocol/sdk) at 2025-11-25. Each does its own
// discovery from the 401, dynamic registration, PKCE and token exchange; a
// new visitor in headless chromium signs up and consents on the way; then
// every tool, refresh rotation, and reuse of an old refresh token, which
// revokes the whole family: the client gets invalid_grant and its access
// token stops working. Nothing of the clients is mocked: App only stores
// what the SDK hands over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import * as v2 from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import * as v1auth from "@modelcontextprotocol/sdk/client/auth.js";
import { must } from "./chromium.mjs";
import { App, recordingFetch, startCallback } from "./app.mjs";
import { linkInChromium, newPerson } from "./person.mjs";

const MCP_URL = must("MCP_URL");
const OUT_DIR = must("OUT_DIR");
const ISSUER = new URL(MCP_URL).origin;

const READ_TOOLS = ["list_tasks", "get_task", "show_task_board", "search", "fetch", "get_account_profile"];
const WRITE_TOOLS = ["create_task", "create_tasks", "update_task", "complete_task", "complete_tasks", "reopen_task",
  "delete_task", "restore_task", "purge_task", "request_account_deletion"];

const clients = [
  {
    tag: "tsv2", era: "2026-07-28", title: "TypeScript SDK v2 client (@modelcontextprotocol/client) pinned to 2026-07-28",
    newClient: () => new v2.Client({ name: "taskbridge-e2e-tsv2", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } }),
    newTransport: (opts) => new v2.StreamableHTTPClientTransport(new URL(MCP_URL), opts),
    finishAuth: (transport, callback) => transport.finishAuth(callback),
    negotiated: (client) => client.getNegotiatedProtocolVersion(),
    auth: v2.auth, refreshAuthorization: v2.refreshAuthorization, Unauthorized: v2.UnauthorizedError,
    narrowsOnRefresh: true,
  },
  {
    tag: "tsv1", era: "2025-11-25", title: "TypeScript SDK v1 client (@modelcontextprotocol/sdk) at 2025-11-25",
    newClient: () => new V1Client({ name: "taskbridge-e2e-tsv1", version: "1.0.0" }),
    newTransport: (opts) => new V1Transport(new URL(MCP_URL), opts),
    finishAuth: (transport, callback) => transport.finishAuth(callback.get("code")),
    negotiated: (_client, transport) => transport.protocolVersion,
    auth: v1auth.auth, refreshAuthorization: v1auth.refreshAuthorization, Unauthorized: v1auth.UnauthorizedError,
    narrowsOnRefresh: false, // v1 sends no scope on refresh
  },
];

for (const c of clients) {
  test(`${c.title}: discovery, registration, PKCE, sign-up and consent in chromium, every tool, refresh rotation and reuse`, async (t) => {
    mkdirSync(OUT_DIR, { recursive: true });
    const callback = await startCallback();
    t.after(() => callback.close());
    const app = new App(`Journey ${c.tag}`, callback.url);
    const wire = recordingFetch();
    const transport = () => c.newTransport({ authProvider: app, fetch: wire.fetchFn });

    // Connecting without a token: 401, then the client discovers the
    // server's metadata, registers, and sends the person to authorize.
    const first = transport();
    await assert.rejects(c.newClient().connect(first), (err) => err instanceof c.Unauthorized);
    const paths = wire.log.map((e) => `${e.method} ${e.path} ${e.status}`);
    for (const want of ["GET /.well-known/oauth-protected-resource", "GET /.well-known/oauth-authorization-server", "POST /register 201"]) {
      assert.ok(paths.some((p) => p.startsWith(want)), `the client never did ${want}: ${paths.join(", ")}`);
    }
    assert.equal(app.authorizationURLs.length, 1, "the client produced no authorization URL");
    const authURL = app.authorizationURLs[0];
    const q = authURL.searchParams;
    assert.equal(authURL.origin + authURL.pathname, `${ISSUER}/authorize`);
    assert.equal(q.get("client_id"), app.saved.client.client_id, "the authorization URL names the client it registered");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.match(q.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.equal(q.get("redirect_uri"), callback.url);
    assert.equal(q.get("resource"), MCP_URL);
    assert.ok((q.get("scope") ?? "").split(" ").includes("tasks.write"), `scope ${q.get("scope")}`);

    // A new visitor signs up on the way and allows read and write access.
    const back = await linkInChromium({ authorizationURL: authURL.href, callbackURL: callback.url, person: newPerson(c.tag),
      allowWrite: true, outDir: OUT_DIR, shot: `consent-${c.tag}` });
    assert.equal(callback.received.length, 1, "the app's redirect URI was not reached exactly once");
    assert.equal(back.get("state"), app.lastState);
    assert.equal(back.get("iss"), ISSUER);
    await c.finishAuth(first, back);
    assert.equal(app.tokens()?.token_type?.toLowerCase(), "bearer");
    const granted = app.tokens().scope.split(" ");
    assert.ok(granted.includes("tasks.read") && granted.includes("tasks.write"), `granted ${app.tokens().scope}`);

    const client = c.newClient();
    const live = transport();
    await client.connect(live);
    t.after(() => client.close());
    assert.equal(c.negotiated(client, live), c.era);
    checkEra(c, wire.log);

    const { tools } = await client.listTools();
    const listed = tools.map((tool) => tool.name).sort();
    assert.deepEqual(listed, [...READ_TOOLS, ...WRITE_TOOLS].sort(), "tools/list of a read and write link");
    const called = await useEveryTool(client);
    assert.deepEqual([...called].sort(), listed, "a listed tool was not called");

    // Refresh rotation: each refresh (the SDK's own, from auth()) returns a
    // new refresh token and an access token the client then uses.
    const issued = [app.tokens()];
    for (let i = 0; i < 2; i++) {
      assert.equal(await c.auth(app, { serverUrl: MCP_URL, fetchFn: wire.fetchFn }), "AUTHORIZED");
      const now = app.tokens();
      for (const before of issued) {
        assert.notEqual(now.refresh_token, before.refresh_token, "the refresh token did not rotate");
        assert.notEqual(now.access_token, before.access_token, "the refresh returned an old access token");
      }
      issued.push(now);
      await callOK(client, new Set(), "list_tasks", {});
    }

    if (c.narrowsOnRefresh) {
      await t.test("a read-only connection calling a write tool gets the tool error with the scope challenge", async () => {
        app.refreshScope = "tasks.read";
        try {
          assert.equal(await c.auth(app, { serverUrl: MCP_URL, fetchFn: wire.fetchFn }), "AUTHORIZED");
        } finally {
          app.refreshScope = undefined;
        }
        assert.equal(app.tokens().scope, "tasks.read");
        const readOnly = (await client.listTools()).tools.map((tool) => tool.name);
        assert.deepEqual(readOnly.filter((n) => WRITE_TOOLS.includes(n)), [], "a read-only token lists write tools");
        const refused = await client.callTool({ name: "create_task", arguments: { title: "not allowed" } });
        assert.equal(refused.isError, true, `a read-only create_task was not refused: ${JSON.stringify(refused)}`);
        assert.match(textOf(refused), /create_task needs the tasks\.write permission/);
        assert.match(String(refused._meta?.["mcp/www_authenticate"]), /error="insufficient_scope", scope="tasks\.write"/);
      });
    }

    // Reuse: an old refresh token (two rotations back, outside the grace
    // for the immediately previous one) is replayed, as a thief who copied
    // it would. The server answers invalid_grant and revokes the family.
    const current = app.tokens();
    const { authorizationServerMetadata: metadata } = app.discoveryState();
    await assert.rejects(
      c.refreshAuthorization(new URL(metadata.issuer), { metadata, clientInformation: app.clientInformation(),
        refreshToken: issued[0].refresh_token, resource: new URL(MCP_URL), fetchFn: wire.fetchFn }),
      (err) => (err.code ?? err.errorCode) === "invalid_grant", "replaying an old refresh token was not invalid_grant");
    const probe = await fetch(MCP_URL, { method: "POST", headers: { authorization: `Bearer ${current.access_token}`,
      "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    assert.equal(probe.status, 401, "the family's access token still works after the reuse");
    assert.match(probe.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
    // The client's next call: 401, its refresh with its current token is
    // invalid_grant too (the family is gone), it drops its tokens and asks
    // the person to link again.
    const refreshesBefore = tokenAnswers(wire.log).length;
    await assert.rejects(client.callTool({ name: "list_tasks", arguments: {} }), (err) => err instanceof c.Unauthorized,
      "a call with the revoked family did not end in UnauthorizedError");
    const answers = tokenAnswers(wire.log).slice(refreshesBefore);
    assert.deepEqual(answers.map((a) => [a.status, a.body.error]), [[400, "invalid_grant"]],
      "the client's own refresh after the reuse was not answered invalid_grant");
    assert.ok(app.invalidated.includes("tokens"), "the client kept the revoked tokens");
    assert.equal(app.tokens(), undefined);
    assert.equal(app.authorizationURLs.length, 2, "the client did not ask the person to link again");
  });
}

// checkEra: the v2 client never sent initialize and named the method and
// 2026-07-28 on every request; the v1 client initialized at 2025-11-25 and
// sent that version on every later request.
function checkEra(c, log) {
  const mcp = log.filter((e) => e.method === "POST" && e.path === "/mcp" && e.rpc);
  const methods = mcp.map((e) => e.rpc.method);
  if (c.era === "2026-07-28") {
    assert.ok(!methods.includes("initialize"), `the v2 client sent initialize: ${methods}`);
    assert.ok(methods.includes("server/discover"), `the v2 client never sent server/discover: ${methods}`);
    for (const e of mcp) {
      assert.equal(e.protocolVersion, c.era, `${e.rpc.method} without MCP-Protocol-Version ${c.era}`);
      assert.equal(e.mcpMethod, e.rpc.method, `${e.rpc.method} with Mcp-Method ${e.mcpMethod}`);
    }
    return;
  }
  const init = mcp.find((e) => e.rpc.method === "initialize");
  assert.equal(init?.rpc.params.protocolVersion, c.era, "the v1 client did not initialize at its version");
  for (const e of mcp.filter((e) => e.rpc.method !== "initialize" && e.status === 200)) {
    assert.equal(e.protocolVersion, c.era, `${e.rpc.method} without MCP-Protocol-Version ${c.era}`);
  }
}

// useEveryTool calls each tool the way a host does and checks what it
// returns; purge_task with the confirmation only the board receives.
async function useEveryTool(client) {
  const called = new Set();
  const made = (await callOK(client, called, "create_task", { title: "Water the ferns", priority: "high", tags: ["home"] }))
    .structuredContent.task;
  assert.equal(made.title, "Water the ferns");
  const batch = (await callOK(client, called, "create_tasks", { items: [{ title: "Buy soil" }, { title: "Repot the fig" }] }))
    .structuredContent;
  assert.equal(batch.succeeded, 2);
  const [soil, fig] = batch.results.map((r) => r.id);
  assert.equal((await callOK(client, called, "get_task", { id: made.id })).structuredContent.task.id, made.id);
  const profile = (await callOK(client, called, "get_account_profile", {})).structuredContent;
  assert.ok(profile.id && profile.name.includes("…@"), `the profile names the account shortened: ${JSON.stringify(profile)}`);
  const hits = (await callOK(client, called, "search", { query: "ferns" })).structuredContent.results;
  assert.deepEqual(hits.map((h) => h.id), [made.id]);
  assert.equal((await callOK(client, called, "fetch", { id: made.id })).structuredContent.title, "Water the ferns");
  assert.equal((await callOK(client, called, "update_task", { id: made.id, title: "Water the ferns twice" }))
    .structuredContent.task.title, "Water the ferns twice");
  await callOK(client, called, "complete_task", { id: made.id });
  await callOK(client, called, "reopen_task", { id: made.id });
  assert.equal((await callOK(client, called, "complete_tasks", { ids: [soil] })).structuredContent.succeeded, 1);
  const listed = (await callOK(client, called, "list_tasks", {})).structuredContent;
  assert.deepEqual(listed.tasks.map((x) => x.id).sort(), [made.id, soil, fig].sort());
  const board = await callOK(client, called, "show_task_board", { tag: "home" });
  assert.deepEqual(board.structuredContent.tasks.map((x) => x.id), [made.id]);
  await callOK(client, called, "delete_task", { id: fig });
  await callOK(client, called, "restore_task", { id: fig });
  await callOK(client, called, "delete_task", { id: fig });
  const trash = await callOK(client, called, "list_tasks", { view: "trash" });
  const confirmation = trash._meta?.["taskbridge/board"]?.purge_confirmations?.[fig];
  assert.ok(confirmation, `no purge confirmation for the trashed task: ${JSON.stringify(trash._meta)}`);
  assert.equal((await callOK(client, called, "purge_task", { id: fig, confirmation })).structuredContent.purged, true);
  const gone = await client.callTool({ name: "get_task", arguments: { id: fig } });
  assert.equal(gone.isError, true, "a purged task is still readable");
  const deletion = (await callOK(client, called, "request_account_deletion", {})).structuredContent;
  assert.equal(deletion.status, "pending_confirmation");
  assert.match(deletion.confirm_url, new RegExp(`^${ISSUER}/`));
  return called;
}

async function callOK(client, called, name, args) {
  const res = await client.callTool({ name, arguments: args });
  assert.notEqual(res.isError, true, `${name}: ${textOf(res)}`);
  called.add(name);
  return res;
}

function textOf(res) {
  return (res.content ?? []).filter((p) => p.type === "text").map((p) => p.text).join(" ");
}

function tokenAnswers(log) {
  return log.filter((e) => e.path === "/token" && e.answer).map((e) => e.answer);
}
