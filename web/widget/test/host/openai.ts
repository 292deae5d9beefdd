// A ChatGPT-style test host that offers the View only window.openai (see
// openai-shim.js): tool calls, display mode and height go through it, and
// the View's MCP Apps ui/initialize is never answered. Same test API as
// host.ts, so one browser test drives both dialects.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

type Globals = Record<string, unknown>;

const params = new URLSearchParams(location.search);
const sandboxOrigin = params.get("sandbox") ?? "";
const theme = params.get("theme") === "dark" ? "dark" : "light";
const log: string[] = [];
const calls: string[] = [];
const sizes: number[] = [];
const displayModes: string[] = [];
let failures: string[] = [];
const INLINE_CAP = 520;
let cap = INLINE_CAP;

const iframe = document.getElementById("view") as HTMLIFrameElement;
const post = (m: Record<string, unknown>): void => iframe.contentWindow?.postMessage({ openaiShim: m }, "*");
const setGlobals = (globals: Globals): void => post({ op: "globals", globals });

async function main(): Promise<void> {
  const client = new Client({ name: "taskbridge-openai-test-host", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", location.origin)));
  const { tools } = await client.listTools();
  const board = tools.find((t) => t.name === "show_task_board");
  const uri = (board?._meta as Record<string, unknown> | undefined)?.["openai/outputTemplate"];
  if (typeof uri !== "string") throw new Error("show_task_board has no openai/outputTemplate");

  window.addEventListener("message", (ev) => {
    if (ev.source !== iframe.contentWindow) return;
    const m = (ev.data as { openaiShim?: { op: string; id?: number; args?: unknown } } | null)?.openaiShim;
    if (!m) return;
    void handle(client, m);
  });
  iframe.src = `${sandboxOrigin}/sandbox?uri=${encodeURIComponent(uri)}&dialect=openai`;
  await new Promise<void>((resolve) => iframe.addEventListener("load", () => resolve(), { once: true }));

  const tool = params.get("tool") ?? "show_task_board";
  const args = JSON.parse(params.get("args") ?? "{}") as Record<string, unknown>;
  const result = await client.callTool({ name: tool, arguments: args });
  setGlobals({ theme, locale: "en-US", displayMode: "inline", maxHeight: INLINE_CAP, toolInput: args, toolOutput: result.structuredContent, toolResponseMetadata: result._meta ?? {} });
}

async function handle(client: Client, m: { op: string; id?: number; args?: unknown }): Promise<void> {
  switch (m.op) {
    case "callTool": {
      const { name, args } = m.args as { name: string; args: Record<string, unknown> };
      calls.push(name);
      const failure = failures.shift();
      if (failure) return post({ op: "reply", id: m.id, error: failure });
      try {
        post({ op: "reply", id: m.id, result: await client.callTool({ name, arguments: args }) });
      } catch (e) {
        post({ op: "reply", id: m.id, error: String(e) });
      }
      return;
    }
    case "requestDisplayMode": {
      const mode = (m.args as { mode?: string } | undefined)?.mode === "fullscreen" ? "fullscreen" : "inline";
      displayModes.push(mode);
      cap = mode === "fullscreen" ? window.innerHeight - 32 : INLINE_CAP;
      document.body.classList.toggle("fullscreen", mode === "fullscreen");
      post({ op: "reply", id: m.id, result: { mode } });
      setGlobals({ displayMode: mode });
      return;
    }
    case "height": {
      const h = Number(m.args);
      sizes.push(h);
      iframe.style.height = `${Math.min(h, cap)}px`;
      return;
    }
    default:
      log.push(`shim ${m.op}`);
  }
}

const api = {
  ready: main(),
  setTheme: async (t: "light" | "dark"): Promise<void> => {
    document.body.classList.toggle("dark", t === "dark");
    setGlobals({ theme: t });
  },
  setContext: async (ctx: Globals): Promise<void> => setGlobals(ctx),
  setWidth: (px: number): void => {
    iframe.style.width = `${px}px`;
  },
  failNext: (message: string): void => {
    failures = [message];
  },
  log,
  calls,
  refused: [] as string[],
  sizes,
  displayModes,
};
api.ready.catch((e: unknown) => log.push(`host error: ${String(e)}`));
(window as unknown as { __host: typeof api }).__host = api;
document.body.classList.toggle("dark", theme === "dark");
