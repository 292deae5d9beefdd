// Loading the list from the server, page by page, through the host.

import type { ToolResult } from "./bridge";
import { boardFromResult, errorText, friendlyError, type Board, type Task, type View } from "./model";

export type CallTool = (name: string, args: Record<string, unknown>) => Promise<ToolResult>;

// A board never loads more than this many pages at once (500 tasks).
const MAX_PAGES = 20;

// fetchPages loads list_tasks pages of a view from cursor on ("" for the
// first) until it holds at least want tasks or the list ends. It returns
// the board, or a message for the person when a call fails.
export async function fetchPages(call: CallTool, view: View, cursor: string, want: number): Promise<Board | string> {
  const tasks: Task[] = [];
  const confirmations = new Map<string, string>();
  let counts: Board["counts"] = null;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const args: Record<string, unknown> = view === "trash" ? { view: "trash" } : {};
      if (cursor) args.cursor = cursor;
      const res = await call("list_tasks", args);
      if (res.isError) return friendlyError(null, errorText(res.content) || "Could not load the tasks.");
      const b = boardFromResult(res.structuredContent, res._meta);
      if (!b) break;
      tasks.push(...b.tasks);
      for (const [id, tok] of b.purgeConfirmations) confirmations.set(id, tok);
      counts = b.counts;
      cursor = b.nextCursor;
      if (!cursor || tasks.length >= want) break;
    }
  } catch (e) {
    return friendlyError(e);
  }
  return { tasks, view, purgeConfirmations: confirmations, nextCursor: cursor, counts, changed: false };
}
