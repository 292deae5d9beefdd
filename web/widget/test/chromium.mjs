// What every browser test here shares: how headless Debian chromium is
// started on this closed network, which hosts count as local, and reading
// the settings the Go harness passes in the environment.

export const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

// Flags from the machine doc: no sandbox as root, and no background
// networking (this machine's network is closed; nothing may leave it).
export const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter"];

export function must(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through make test-browser)`);
  return v;
}

// keepOnLoopback aborts every request of the browser context that would
// leave loopback and returns the list of those it aborted, for the test to
// check is empty.
export async function keepOnLoopback(context) {
  const outside = [];
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (!LOOPBACK.has(u.hostname)) {
      outside.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  return outside;
}

// guard keeps the browser context on loopback (keepOnLoopback) and records
// every CSP violation in any frame, the View included, in violations. It
// returns the list of aborted outside requests.
export async function guard(context, violations) {
  const outside = await keepOnLoopback(context);
  await context.exposeBinding("__cspViolation", (_src, v) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, doc: e.documentURI.slice(0, 80) });
    });
  });
  return outside;
}
