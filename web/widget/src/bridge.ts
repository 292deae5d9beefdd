// The View side of the MCP Apps bridge (SEP-1865, protocol 2026-01-26):
// JSON-RPC 2.0 over window.postMessage with the host that embeds us.
//
// Why not the @modelcontextprotocol/ext-apps App class: it works offline,
// but it brings the full MCP protocol stack, zod and a JSON Schema
// validator (about 80 KB gzipped before any UI code, over the 60 KB budget),
// and that validator carries outside URLs (schema ids) into the bundle,
// which defeats the "no outside URL in the output" check. A View needs only
// a handful of messages, so they are implemented here; the browser tests run
// this bridge against the ext-apps AppBridge (host side) to prove it speaks
// the standard protocol.

export const PROTOCOL_VERSION = "2026-01-26";

export type JSONValue = unknown;

export interface HostContext {
  theme?: string;
  styles?: { variables?: Record<string, unknown> };
  displayMode?: string;
  availableDisplayModes?: string[];
  containerDimensions?: { height?: number; maxHeight?: number; width?: number; maxWidth?: number };
  locale?: string;
  timeZone?: string;
  [key: string]: unknown;
}

export interface ToolResult {
  content?: unknown[];
  structuredContent?: unknown;
  _meta?: Record<string, unknown>;
  isError?: boolean;
}

export interface BridgeHandlers {
  toolResult(result: ToolResult): void;
  hostContextChanged(ctx: HostContext): void;
  toolCancelled(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

// RPCError is a JSON-RPC error answer from the host.
export class RPCError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export class Bridge {
  private nextID = 1;
  private readonly pending = new Map<number, Pending>();
  private initialized = false;
  hostContext: HostContext = {};
  hostCapabilities: Record<string, unknown> = {};

  constructor(
    private readonly parent: Window,
    private readonly handlers: BridgeHandlers,
  ) {
    window.addEventListener("message", (ev) => this.onMessage(ev));
  }

  get ready(): boolean {
    return this.initialized;
  }

  // connect performs ui/initialize and then ui/notifications/initialized;
  // the host sends nothing else before that notification.
  async connect(appInfo: { name: string; version: string }, displayModes: string[]): Promise<void> {
    const res = await this.request("ui/initialize", {
      appInfo,
      appCapabilities: { availableDisplayModes: displayModes },
      protocolVersion: PROTOCOL_VERSION,
    });
    if (isObject(res)) {
      if (isObject(res.hostContext)) this.hostContext = res.hostContext as HostContext;
      if (isObject(res.hostCapabilities)) this.hostCapabilities = res.hostCapabilities;
    }
    this.initialized = true;
    this.notify("ui/notifications/initialized", {});
  }

  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    return this.request("tools/call", { name, arguments: args }) as Promise<ToolResult>;
  }

  requestDisplayMode(mode: string): Promise<unknown> {
    return this.request("ui/request-display-mode", { mode });
  }

  sizeChanged(height: number): void {
    if (this.initialized) this.notify("ui/notifications/size-changed", { height });
  }

  request(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ jsonrpc: "2.0", id, method, params });
    });
  }

  notify(method: string, params: Record<string, unknown>): void {
    this.post({ jsonrpc: "2.0", method, params });
  }

  // The sandboxed View cannot know the host's origin (it may be opaque),
  // so it posts with "*", as the ext-apps transport does. Nothing secret
  // is ever sent (W3): only tool names, task ids and user-typed edits.
  private post(msg: Record<string, unknown>): void {
    this.parent.postMessage(msg, "*");
  }

  private onMessage(ev: MessageEvent): void {
    // Only the embedding host speaks to us; ignore every other window.
    if (ev.source !== this.parent) return;
    const msg: unknown = ev.data;
    if (!isObject(msg) || msg.jsonrpc !== "2.0") return;
    if ("method" in msg && typeof msg.method === "string") {
      const params = isObject(msg.params) ? msg.params : {};
      if ("id" in msg && (typeof msg.id === "number" || typeof msg.id === "string")) {
        this.onRequest(msg.id, msg.method, params);
      } else {
        this.onNotification(msg.method, params);
      }
      return;
    }
    if (typeof msg.id !== "number") return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (isObject(msg.error)) {
      const code = typeof msg.error.code === "number" ? msg.error.code : -32603;
      const text = typeof msg.error.message === "string" ? msg.error.message : "host error";
      p.reject(new RPCError(code, text));
    } else {
      p.resolve(msg.result);
    }
  }

  private onRequest(id: number | string, method: string, _params: Record<string, unknown>): void {
    switch (method) {
      case "ping":
      case "ui/resource-teardown":
        this.post({ jsonrpc: "2.0", id, result: {} });
        return;
      default:
        this.post({ jsonrpc: "2.0", id, error: { code: -32601, message: "method not found" } });
    }
  }

  private onNotification(method: string, params: Record<string, unknown>): void {
    switch (method) {
      case "ui/notifications/tool-result":
        this.handlers.toolResult(params as ToolResult);
        return;
      case "ui/notifications/host-context-changed":
        this.hostContext = { ...this.hostContext, ...(params as HostContext) };
        this.handlers.hostContextChanged(this.hostContext);
        return;
      case "ui/notifications/tool-cancelled":
        this.handlers.toolCancelled();
        return;
      default:
        // tool-input and tool-input-partial carry the model's arguments;
        // the board renders results only, so they are ignored.
        return;
    }
  }
}
