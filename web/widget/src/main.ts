// Wiring: connect the standard MCP Apps bridge, follow the host context,
// render tool results, and fall back to ChatGPT's window.openai only where
// it exists (feature detection, never assumed).

import { Bridge, type HostContext, type ToolResult } from "./bridge";
import { TaskBoard } from "./board";
import { applyHostContext, loadPrefs, openai, savePrefs } from "./host";

const APP_INFO = { name: "taskbridge-board", version: "1.0.0" };

function start(): void {
  const root = document.getElementById("app");
  if (!root) return;

  let board: TaskBoard | null = null;
  const onContext = (ctx: HostContext): void => {
    const locale = applyHostContext(ctx);
    board?.setLocale(locale);
    board?.setCanFullscreen(Array.isArray(ctx.availableDisplayModes) && ctx.availableDisplayModes.includes("fullscreen") && ctx.displayMode !== "fullscreen");
  };

  const bridge = new Bridge(window.parent, {
    toolResult: (r) => board?.showResult(r),
    hostContextChanged: onContext,
    toolCancelled: () => board?.cancelled(),
  });

  // Tools go through the host: the standard tools/call once the bridge is
  // up; window.openai.callTool only when a ChatGPT runtime without the
  // bridge is all we have.
  const callTool = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => {
    if (bridge.ready) return bridge.callTool(name, args);
    const o = openai();
    if (typeof o?.callTool === "function") return (await o.callTool(name, args)) as ToolResult;
    throw new Error("no host bridge");
  };

  const fullscreen = (): void => {
    if (bridge.ready) void bridge.requestDisplayMode("fullscreen").catch(() => undefined);
    else void openai()?.requestDisplayMode?.({ mode: "fullscreen" })?.catch(() => undefined);
  };

  board = new TaskBoard(root, callTool, loadPrefs(), savePrefs, fullscreen);
  onContext({});

  // ChatGPT may have the result before we connect: render it at once.
  const o = openai();
  if (o && (o.toolOutput !== undefined || o.toolResponseMetadata !== undefined)) {
    board.showResult({ structuredContent: o.toolOutput, _meta: metaFromOpenAI(o.toolResponseMetadata) });
  }
  window.addEventListener("openai:set_globals", (ev) => {
    const g = (ev as CustomEvent<{ globals?: Record<string, unknown> }>).detail?.globals;
    if (!g) return;
    if (!bridge.ready) onContext({ theme: g.theme as string | undefined, locale: g.locale as string | undefined, displayMode: g.displayMode as string | undefined });
    if ("toolOutput" in g || "toolResponseMetadata" in g) {
      const cur = openai();
      board?.showResult({ structuredContent: cur?.toolOutput, _meta: metaFromOpenAI(cur?.toolResponseMetadata) });
    }
  });

  void bridge
    .connect(APP_INFO, ["inline", "fullscreen"])
    .then(() => onContext(bridge.hostContext))
    .catch(() => undefined);

  // Tell the host how tall we are (autoResize, as the ext-apps App does).
  let lastW = 0;
  let lastH = 0;
  new ResizeObserver(() => {
    const w = Math.ceil(document.documentElement.scrollWidth);
    const h = Math.ceil(document.documentElement.scrollHeight);
    if (w === lastW && h === lastH) return;
    lastW = w;
    lastH = h;
    bridge.sizeChanged(w, h);
  }).observe(document.documentElement);
}

// ChatGPT's toolResponseMetadata is either the result _meta itself or an
// envelope around the call result; accept both shapes.
function metaFromOpenAI(m: unknown): Record<string, unknown> | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  const rec = m as Record<string, unknown>;
  for (const k of ["call_tool_result", "mcp_tool_result"]) {
    const inner = rec[k];
    if (typeof inner === "object" && inner !== null && "_meta" in inner) {
      return (inner as { _meta?: Record<string, unknown> })._meta;
    }
  }
  return rec;
}

start();
