// What the board shows, read defensively from a tool result. Every field is
// checked for its type: a result is data from the network, and anything
// unexpected is dropped rather than trusted.

export type View = "live" | "trash";

export interface Task {
  id: string;
  title: string;
  status: "open" | "done";
  priority: string;
  dueDate: string;
  tags: string[];
  notes: string;
  inTrash: boolean;
  updatedAt: string;
}

export interface Board {
  tasks: Task[];
  view: View;
  // Server-issued, short-lived purge confirmations, only for trashed tasks
  // (P6). Kept in memory for the life of this board; never persisted.
  purgeConfirmations: Map<string, string>;
  nextCursor: string;
  // The user's totals from the server (lists only); null when the result
  // did not carry them, and then the board never claims a total.
  counts: Counts | null;
  // True when a write tool mounted the board: it holds only the tasks that
  // call changed, not the list.
  changed: boolean;
}

export interface Counts {
  open: number;
  done: number;
  trash: number;
}

export const BOARD_META_KEY = "taskbridge/board";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const str = (v: unknown, max = 20000): string => (typeof v === "string" ? v.slice(0, max) : "");

function parseTask(v: unknown): Task | null {
  if (!isObject(v)) return null;
  const id = str(v.id, 64);
  if (!id) return null;
  const tags = Array.isArray(v.tags) ? v.tags.filter((t): t is string => typeof t === "string").slice(0, 20) : [];
  return {
    id,
    title: str(v.title, 500),
    status: v.status === "done" ? "done" : "open",
    priority: str(v.priority, 16),
    dueDate: str(v.due_date, 10),
    tags,
    notes: str(v.notes) || str(v.notes_excerpt),
    inTrash: v.in_trash === true,
    updatedAt: str(v.updated_at, 40),
  };
}

function parseTasks(v: unknown): Task[] {
  if (!Array.isArray(v)) return [];
  const out: Task[] = [];
  for (const item of v.slice(0, 500)) {
    const t = parseTask(item);
    if (t) out.push(t);
  }
  return out;
}

// boardFromResult prefers the widget-only _meta board (full notes, purge
// confirmations) and falls back to the model-visible structuredContent
// (internal/mcpapi results.go: {tasks, view, ...} for lists, {task} for a
// single task, which both paths show as a board of that one task). It
// returns null when the result carries no task at all (purge_task), so the
// caller keeps its current board.
export function boardFromResult(structured: unknown, meta: unknown): Board | null {
  const board = isObject(meta) ? meta[BOARD_META_KEY] : undefined;
  // Lists (list_tasks, show_task_board) name their tasks "tasks"; a write
  // tool's result holds one task or a batch's results.
  const changed = !(isObject(structured) && Array.isArray(structured.tasks));
  if (isObject(board) && Array.isArray(board.tasks)) {
    const confirmations = new Map<string, string>();
    if (isObject(board.purge_confirmations)) {
      for (const [id, token] of Object.entries(board.purge_confirmations)) {
        if (typeof token === "string" && token.length <= 512) confirmations.set(id, token);
      }
    }
    const tasks = parseTasks(board.tasks);
    const view: View = board.view === "trash" || tasks.some((t) => t.inTrash) ? "trash" : "live";
    return { tasks, view, purgeConfirmations: confirmations, nextCursor: str(board.next_cursor, 2048), counts: parseCounts(board.counts), changed };
  }
  if (!isObject(structured)) return null;
  const listed = Array.isArray(structured.tasks) ? structured.tasks : isObject(structured.task) ? [structured.task] : null;
  if (!listed) return null;
  const tasks = parseTasks(listed);
  // An empty trash is still the trash: the server names the view.
  const view: View = structured.view === "trash" || (tasks.length > 0 && tasks.every((t) => t.inTrash)) ? "trash" : "live";
  return { tasks, view, purgeConfirmations: new Map(), nextCursor: str(structured.next_cursor, 2048), counts: null, changed };
}

function parseCounts(v: unknown): Counts | null {
  if (!isObject(v)) return null;
  const n = (x: unknown): number => (typeof x === "number" && Number.isInteger(x) && x >= 0 ? x : -1);
  const c = { open: n(v.open), done: n(v.done), trash: n(v.trash) };
  return c.open < 0 || c.done < 0 || c.trash < 0 ? null : c;
}

// errorText returns the message of a tool error result, for the status line.
export function errorText(content: unknown): string {
  if (!Array.isArray(content)) return "";
  for (const c of content) {
    if (isObject(c) && c.type === "text" && typeof c.text === "string") return c.text.slice(0, 300);
  }
  return "";
}

// friendlyError turns what went wrong into a sentence for a person: the
// server's own message for a refused tool call (written to be read), and
// for a failure of the host or the connection a plain description of what
// to do, never a raw transport error with status codes and JSON.
export function friendlyError(err: unknown, toolMessage = ""): string {
  const raw = toolMessage || (err instanceof Error ? err.message : typeof err === "string" ? err : "");
  if (toolMessage && !/[{}<>]|HTTP \d{3}/.test(toolMessage)) return sentence(toolMessage);
  if (/\b401\b|unauthori[sz]ed|invalid_token|expired token|sign in/i.test(raw))
    return "taskbridge needs you to sign in again. Reconnect the app in your settings, then try again.";
  if (/\b403\b|forbidden|insufficient_scope|not available to apps/i.test(raw))
    return "This app is not allowed to do that. Check its access on your taskbridge account page.";
  if (/\b429\b|rate|too many/i.test(raw)) return "Too many requests just now. Wait a moment, then try again.";
  if (/\b5\d\d\b|network|fetch|timed? ?out|unavailable/i.test(raw))
    return "Could not reach taskbridge just now. Check your connection, then try again.";
  return "That did not work. Try again in a moment.";
}

function sentence(s: string): string {
  const t = s.trim().slice(0, 300);
  if (!t) return "That did not work. Try again in a moment.";
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
