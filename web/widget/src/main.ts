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
    const mode = document.documentElement.dataset.displayMode;
    // Expand needs a host that can go fullscreen: MCP Apps hosts say so in
    // availableDisplayModes; a window.openai-only host offers
    // requestDisplayMode (feature detection, not a host name).
    const canFullscreen = bridge.ready
      ? Array.isArray(ctx.availableDisplayModes) && ctx.availableDisplayModes.includes("fullscreen")
      : typeof openai()?.requestDisplayMode === "function";
    board?.setHost({ locale, canFullscreen, fullscreen: mode === "fullscreen" });
  };

  const bridge: Bridge = new Bridge(window.parent, {
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
    if (!bridge.ready) onContext({});
    if ("toolOutput" in g || "toolResponseMetadata" in g) {
      const cur = openai();
      board?.showResult({ structuredContent: cur?.toolOutput, _meta: metaFromOpenAI(cur?.toolResponseMetadata) });
    }
  });

  // Tell the host how tall the content is, both ways. The content's own
  // box, not documentElement.scrollHeight: that is never smaller than the
  // frame, so a card could grow but never shrink. Only the height: the
  // width is the host's to give.
  let lastH = 0;
  new ResizeObserver(() => {
    const h = Math.ceil(root.getBoundingClientRect().height);
    if (h === lastH || h === 0) return;
    lastH = h;
    if (bridge.ready) bridge.sizeChanged(h);
    else openai()?.notifyIntrinsicHeight?.(h);
  }).observe(root);

  void bridge
    .connect(APP_INFO, ["inline", "fullscreen"])
    .then(() => {
      onContext(bridge.hostContext);
      // A size measured before the handshake was not sent: send it now.
      if (lastH) bridge.sizeChanged(lastH);
    })
    .catch(() => undefined);
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
