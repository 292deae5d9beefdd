// A minimal MCP Apps host for the browser tests. It does what ChatGPT, Claude
// or the ext-apps basic-host do: connect an MCP client to the server, find
// the tool's ui:// template, load it in a sandboxed iframe on another origin
// (served with the CSP derived from the resource's ui.csp, see the Go test
// server), bridge postMessage JSON-RPC with the official AppBridge, forward
// the View's tools/call to the server (only for tools visible to apps), and
// push the tool result and host context to the View.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { AppBridge, PostMessageTransport, type McpUiHostContext } from "@modelcontextprotocol/ext-apps/app-bridge";

interface HostAPI {
  ready: Promise<void>;
  setTheme(theme: "light" | "dark"): Promise<void>;
  setContext(ctx: Partial<McpUiHostContext>): Promise<void>;
  setWidth(px: number): void;
  failNext(message: string): void;
  log: string[];
  calls: string[];
  refused: string[];
  sizes: number[];
  displayModes: string[];
}

const params = new URLSearchParams(location.search);
const sandboxOrigin = params.get("sandbox") ?? "";
const theme = params.get("theme") === "dark" ? "dark" : "light";
const log: string[] = [];
const calls: string[] = [];
const refused: string[] = [];
const sizes: number[] = [];
const displayModes: string[] = [];
let failures: string[] = [];
// The frame follows the View's reported height up to a cap, as a chat
// host does: a phone-sized cap inline, the window in fullscreen.
const INLINE_CAP = 520;
let cap = INLINE_CAP;

async function main(): Promise<void> {
  const client = new Client({ name: "taskbridge-test-host", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", location.origin)));

  const { tools } = await client.listTools();
  const board = tools.find((t) => t.name === "show_task_board");
  const ui = (board?._meta as { ui?: { resourceUri?: string } } | undefined)?.ui;
  if (!board || !ui?.resourceUri) throw new Error("show_task_board has no ui.resourceUri");
  const visibility = new Map<string, string[]>();
  for (const t of tools) {
    const v = (t._meta as { ui?: { visibility?: string[] } } | undefined)?.ui?.visibility;
    visibility.set(t.name, v ?? ["model", "app"]);
  }

  const hostContext: McpUiHostContext = {
    theme,
    displayMode: "inline",
    availableDisplayModes: ["inline", "fullscreen"],
    containerDimensions: { maxHeight: 520, maxWidth: 640 },
    locale: params.get("locale") ?? "en-US",
    timeZone: "UTC",
    platform: "web",
  };
  const iframe = document.getElementById("view") as HTMLIFrameElement;
  const bridge = new AppBridge(client, { name: "taskbridge-test-host", version: "1.0.0" }, { serverTools: {}, openLinks: {} }, { hostContext });
  bridge.onrequestdisplaymode = async (p) => {
    displayModes.push(p.mode);
    const mode = p.mode === "fullscreen" ? "fullscreen" : "inline";
    cap = mode === "fullscreen" ? window.innerHeight - 32 : INLINE_CAP;
    document.body.classList.toggle("fullscreen", mode === "fullscreen");
    queueMicrotask(() => void bridge.sendHostContextChange({ displayMode: mode }));
    return { mode };
  };
  bridge.onsizechange = (p) => {
    log.push(`size ${p.width}x${p.height}`);
    // Like a chat host: the frame follows the View's height up to the cap.
    if (p.height) {
      sizes.push(p.height);
      iframe.style.height = `${Math.min(p.height, cap)}px`;
    }
  };
  bridge.onloggingmessage = (p) => log.push(`log ${JSON.stringify(p)}`);

  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  if (params.get("proxy") === "1") {
    // The double-iframe sandbox of MCP Apps web hosts (ext-apps
    // basic-host): the host reads the resource itself and hands its HTML to
    // the sandbox proxy (sandbox-proxy.js) once that says it is ready.
    const { contents } = await client.readResource({ uri: ui.resourceUri });
    const html = (contents[0] as { text?: string } | undefined)?.text ?? "";
    bridge.onsandboxready = () => void bridge.sendSandboxResourceReady({ html });
    await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
    // The proxy runs on its own (sandbox) origin so it can write its inner frame.
    iframe.setAttribute("sandbox", "allow-scripts allow-same-origin");
    iframe.src = `${sandboxOrigin}/proxy?uri=${encodeURIComponent(ui.resourceUri)}`;
  } else {
    // Listen before the View loads: it sends ui/initialize as soon as its
    // script runs, which can be before the frame's load event, and a
    // message sent before the bridge listens is lost. The frame's window
    // stays the same object across the navigation.
    await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
    iframe.src = `${sandboxOrigin}/sandbox?uri=${encodeURIComponent(ui.resourceUri)}`;
  }
  // After connect: with a client, AppBridge.connect installs a forwarding
  // tools/call handler, which this one replaces.
  // Spec: the host MUST reject a View's tools/call for a tool not visible to apps.
  bridge.oncalltool = async (p, extra) => {
    const v = visibility.get(p.name);
    if (!v || !v.includes("app")) {
      refused.push(p.name);
      throw new Error(`tool ${p.name} is not available to apps`);
    }
    calls.push(p.name);
    const failure = failures.shift();
    if (failure) throw new Error(failure);
    return client.callTool(p, { signal: extra.mcpReq?.signal });
  };
  await initialized;

  // What happens when the model calls the tool: the host runs it and
  // hands input and result to the View.
  // ?tool= and ?args= mount the board from another tool (a write tool).
  const tool = params.get("tool") ?? "show_task_board";
  const args = JSON.parse(params.get("args") ?? "{}") as Record<string, unknown>;
  await bridge.sendToolInput({ arguments: args });
  const result = await client.callTool({ name: tool, arguments: args });
  await bridge.sendToolResult(result as Parameters<typeof bridge.sendToolResult>[0]);

  api.setTheme = async (t) => {
    document.body.classList.toggle("dark", t === "dark");
    await bridge.sendHostContextChange({ theme: t });
  };
  api.setContext = async (ctx) => bridge.sendHostContextChange(ctx);
}

const api: HostAPI = {
  ready: Promise.resolve(),
  setTheme: async () => undefined,
  setContext: async () => undefined,
  setWidth: (px) => {
    (document.getElementById("view") as HTMLIFrameElement).style.width = `${px}px`;
  },
  failNext: (message) => {
    failures = [message];
  },
  log,
  calls,
  refused,
  sizes,
  displayModes,
};
api.ready = main();
api.ready.catch((e: unknown) => log.push(`host error: ${String(e)}`));
(window as unknown as { __host: HostAPI }).__host = api;
document.body.classList.toggle("dark", theme === "dark");
