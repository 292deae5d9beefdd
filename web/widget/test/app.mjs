// What an MCP host keeps for one connection, written against the
// OAuthClientProvider interface both TypeScript SDKs (v1
// @modelcontextprotocol/sdk and v2 @modelcontextprotocol/client) call: the
// registration, the tokens, the PKCE verifier and the discovery results, in
// memory. The SDK does the OAuth work; this only stores what it hands over
// and remembers what happened, so a test can check it. Also the app's
// redirect URI (a loopback HTTP server) and a recorder of what the client
// sent over the wire.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

export class App {
  constructor(name, callbackURL) {
    this.name = name;
    this.callbackURL = callbackURL;
    this.saved = {};
    this.authorizationURLs = []; // every URL the client sent the person to
    this.invalidated = []; // what the client threw away, and when
    this.refreshScope = undefined; // the scope the next refresh asks for (v2 only)
    this.lastState = undefined;
  }

  get redirectUrl() { return this.callbackURL; }
  get clientMetadata() {
    return {
      client_name: this.name, redirect_uris: [this.callbackURL], grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"], token_endpoint_auth_method: "none",
    };
  }
  state() { return (this.lastState = randomBytes(16).toString("hex")); }
  clientInformation() { return this.saved.client; }
  saveClientInformation(info) { this.saved.client = info; }
  tokens() { return this.saved.tokens; }
  saveTokens(tokens) { this.saved.tokens = tokens; }
  redirectToAuthorization(url) { this.authorizationURLs.push(new URL(url)); }
  saveCodeVerifier(v) { this.saved.verifier = v; }
  codeVerifier() { return this.saved.verifier; }
  discoveryState() { return this.saved.discovery; }
  saveDiscoveryState(s) { this.saved.discovery = s; }
  scopeForRefresh() { return this.refreshScope; }
  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === "all" || scope === "client") delete this.saved.client;
    if (scope === "all" || scope === "tokens") delete this.saved.tokens;
    if (scope === "all" || scope === "verifier") delete this.saved.verifier;
    if (scope === "all" || scope === "discovery") delete this.saved.discovery;
  }
}

// startCallback serves the app's redirect URI on loopback.
export async function startCallback() {
  const received = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url, "http://127.0.0.1");
    if (u.pathname !== "/callback") { // the browser's own asks, e.g. /favicon.ico
      res.writeHead(404).end();
      return;
    }
    received.push(u.searchParams);
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end("Linked. You can close this window.");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/callback`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

// recordingFetch is fetch that remembers each request's path, MCP headers
// and JSON-RPC method, and the token endpoint's answers.
export function recordingFetch() {
  const log = [];
  const fetchFn = async (input, init = {}) => {
    const req = new Request(input, init);
    const body = req.method === "POST" ? await req.clone().text() : "";
    let rpc;
    if (req.headers.get("content-type")?.startsWith("application/json")) {
      try { rpc = JSON.parse(body); } catch { rpc = undefined; }
    }
    const entry = {
      method: req.method, path: new URL(req.url).pathname, rpc,
      protocolVersion: req.headers.get("mcp-protocol-version"), mcpMethod: req.headers.get("mcp-method"),
    };
    log.push(entry);
    const res = await fetch(req);
    if (entry.path === "/token") entry.answer = { status: res.status, body: await res.clone().json().catch(() => ({})) };
    entry.status = res.status;
    return res;
  };
  return { log, fetchFn };
}
