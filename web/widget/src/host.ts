// Follows what the host tells us about presentation: theme, style tokens,
// locale and display mode (the card sizes itself to its content, so a
// height limit needs no handling here). Standard MCP Apps host context
// first; ChatGPT's window.openai globals only behind feature detection.

import type { HostContext } from "./bridge";
import { isSafeStyleValue } from "./cssvalue";

// The ChatGPT-only extras we read. Everything is optional: feature-detect.
export interface OpenAIGlobals {
  theme?: string;
  locale?: string;
  maxHeight?: number;
  displayMode?: string;
  toolOutput?: unknown;
  toolResponseMetadata?: unknown;
  widgetState?: unknown;
  setWidgetState?: (state: unknown) => unknown;
  callTool?: (name: string, args: Record<string, unknown>) => Promise<unknown>;
  requestDisplayMode?: (args: { mode: string }) => Promise<unknown>;
  notifyIntrinsicHeight?: (height: number) => void;
}

export function openai(): OpenAIGlobals | undefined {
  const w = window as unknown as { openai?: unknown };
  return typeof w.openai === "object" && w.openai !== null ? (w.openai as OpenAIGlobals) : undefined;
}

// Standard MCP Apps style variables the host may set. Only these names are
// copied, and only values made of tokens that cannot load anything
// (cssvalue.ts), so a host theme can never make the widget fetch from an
// outside origin (W1, P3).
const STYLE_VAR = /^--(color-(background|text|border|ring)-[a-z]+|font-(sans|mono|weight-[a-z]+|(text|heading)-[0-9a-z]+-(size|line-height))|border-radius-[a-z]+|border-width-regular|shadow-[a-z]+)$/;

export function applyStyleVariables(vars: Record<string, unknown> | undefined): void {
  if (!vars) return;
  const root = document.documentElement.style;
  for (const [name, value] of Object.entries(vars)) {
    if (!STYLE_VAR.test(name) || typeof value !== "string" || !isSafeStyleValue(value)) continue;
    root.setProperty(name, value);
  }
}

export function applyTheme(theme: string | undefined): void {
  const t = theme === "dark" || theme === "light" ? theme : matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  document.documentElement.dataset.theme = t;
  document.documentElement.style.colorScheme = t;
}

export function resolveLocale(ctx: HostContext): string {
  const candidates = [ctx.locale, openai()?.locale, navigator.language, "en"];
  for (const c of candidates) {
    if (typeof c !== "string" || c === "") continue;
    try {
      return Intl.getCanonicalLocales(c)[0] ?? "en";
    } catch {
      // not a BCP 47 tag: try the next source
    }
  }
  return "en";
}

// applyHostContext applies everything presentational and returns the locale.
export function applyHostContext(ctx: HostContext): string {
  applyTheme(typeof ctx.theme === "string" ? ctx.theme : openai()?.theme);
  applyStyleVariables(ctx.styles?.variables);
  const locale = resolveLocale(ctx);
  document.documentElement.lang = locale;
  document.documentElement.dataset.displayMode = typeof ctx.displayMode === "string" ? ctx.displayMode : openai()?.displayMode ?? "inline";
  return locale;
}

// View preferences are the only widget state we keep (W3): never a token,
// never task content.
export interface ViewPrefs {
  view: "live" | "trash";
  showDone: boolean;
}

export function loadPrefs(): ViewPrefs {
  const s = openai()?.widgetState as Partial<ViewPrefs> | undefined;
  return {
    view: s?.view === "trash" ? "trash" : "live",
    showDone: s?.showDone !== false,
  };
}

export function savePrefs(p: ViewPrefs): void {
  const o = openai();
  if (typeof o?.setWidgetState === "function") {
    o.setWidgetState({ view: p.view, showDone: p.showDone });
  }
}
