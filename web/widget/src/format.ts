// Small presentational helpers of the board: dates, counts, and the row
// details (priority, due date, tags, notes) that every view shows alike.

import { h } from "./dom";
import type { Task } from "./model";

// formatDate shows an ISO calendar date (YYYY-MM-DD) in the user's locale.
// The date has no time zone, so it is formatted as UTC to avoid shifting it.
export function formatDate(iso: string, locale: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(d);
  } catch {
    return iso;
  }
}

function todayISO(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function countText(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export function taskMeta(t: Task, locale: string, changed: boolean): HTMLElement {
  const parts = h("div", { class: "meta" });
  if (changed) parts.append(h("span", { class: "badge changed" }, "Just changed"));
  if (t.priority && t.priority !== "normal") parts.append(h("span", { class: `badge prio-${t.priority === "high" ? "high" : "low"}` }, t.priority === "high" ? "High" : "Low"));
  if (t.dueDate) {
    const due = formatDate(t.dueDate, locale);
    const overdue = t.status === "open" && !t.inTrash && t.dueDate < todayISO();
    parts.append(h("span", { class: overdue ? "due overdue" : "due" }, overdue ? `Overdue · ${due}` : `Due ${due}`));
  }
  for (const tag of t.tags) parts.append(h("span", { class: "tag" }, `#${tag}`));
  return parts;
}

export function taskNotes(t: Task): HTMLElement | null {
  if (!t.notes) return null;
  return h("details", { class: "notes" }, h("summary", {}, "Notes"), h("p", {}, t.notes));
}

export function onEnter(input: HTMLInputElement, action: () => void): void {
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      action();
    }
  });
}
