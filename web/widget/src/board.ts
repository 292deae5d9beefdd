// The task board: state, rendering and the actions a user can take. Every
// action is a tools/call through the host; the board never talks to the
// network itself (its CSP allows no connection at all).

import { h } from "./dom";
import type { ToolResult } from "./bridge";
import { boardFromResult, errorText, type Board, type Task, type View } from "./model";
import type { ViewPrefs } from "./host";

export type CallTool = (name: string, args: Record<string, unknown>) => Promise<ToolResult>;

interface State {
  board: Board | null;
  prefs: ViewPrefs;
  editingID: string;
  confirmingPurgeID: string;
  busy: boolean;
  status: string;
  statusIsError: boolean;
  canFullscreen: boolean;
  locale: string;
}

const MAX_TITLE = 200;

export class TaskBoard {
  private readonly state: State;
  private readonly live: HTMLElement;
  private focusKey = "";

  constructor(
    private readonly root: HTMLElement,
    private readonly call: CallTool,
    prefs: ViewPrefs,
    private readonly onPrefs: (p: ViewPrefs) => void,
    private readonly onFullscreen: () => void,
  ) {
    this.state = {
      board: null,
      prefs,
      editingID: "",
      confirmingPurgeID: "",
      busy: false,
      status: "",
      statusIsError: false,
      canFullscreen: false,
      locale: "en",
    };
    // The live region exists once and only its text changes, so screen
    // readers announce each status.
    this.live = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.render();
  }

  setLocale(locale: string): void {
    this.state.locale = locale;
    this.render();
  }

  setCanFullscreen(v: boolean): void {
    this.state.canFullscreen = v;
    this.render();
  }

  // showResult renders the tasks of a tool result the host pushed to us.
  showResult(result: ToolResult): void {
    if (result.isError) {
      this.setStatus(errorText(result.content) || "The last request failed.", true);
      return;
    }
    const b = boardFromResult(result.structuredContent, result._meta);
    if (!b) return;
    this.state.board = b;
    this.state.prefs = { ...this.state.prefs, view: b.view };
    this.state.editingID = "";
    this.state.confirmingPurgeID = "";
    this.render();
  }

  cancelled(): void {
    this.setStatus("The request was cancelled.", false);
  }

  private setStatus(msg: string, isError: boolean): void {
    this.state.status = msg;
    this.state.statusIsError = isError;
    this.live.textContent = msg;
    this.live.classList.toggle("error", isError);
  }

  // run performs one write through the host and then reloads the current
  // view, so the board always shows what the server holds.
  private async run(tool: string, args: Record<string, unknown>, done: string, focusKey = ""): Promise<void> {
    if (this.state.busy) return;
    this.state.busy = true;
    this.render();
    let ok = false;
    try {
      const res = await this.call(tool, args);
      if (res.isError) this.setStatus(errorText(res.content) || "That did not work.", true);
      else ok = true;
    } catch (e) {
      this.setStatus(e instanceof Error && e.message ? `The host refused: ${e.message.slice(0, 200)}` : "The host refused the request.", true);
    }
    // Announce success only once the board shows it, so the live region and
    // the list never disagree.
    if ((await this.reload(ok)) && ok) this.setStatus(done, false);
    this.state.busy = false;
    if (focusKey) this.focusKey = focusKey;
    this.render();
  }

  // reload fetches the current view again; it reports whether that worked.
  private async reload(keepStatus: boolean): Promise<boolean> {
    const view = this.state.prefs.view;
    let ok = false;
    try {
      const res = await this.call("list_tasks", view === "trash" ? { view: "trash" } : {});
      if (res.isError) {
        if (!keepStatus) return false;
        this.setStatus(errorText(res.content) || "Could not reload the tasks.", true);
        return false;
      }
      const b = boardFromResult(res.structuredContent, res._meta);
      if (b) this.state.board = { ...b, view };
      ok = true;
    } catch {
      if (keepStatus) this.setStatus("Could not reload the tasks.", true);
    }
    this.state.editingID = "";
    this.state.confirmingPurgeID = "";
    return ok;
  }

  private switchView(view: View): void {
    if (view === this.state.prefs.view || this.state.busy) return;
    this.state.prefs = { ...this.state.prefs, view };
    this.onPrefs(this.state.prefs);
    this.state.busy = true;
    this.render();
    void this.reload(true).then(() => {
      this.state.busy = false;
      this.setStatus(view === "trash" ? "Showing the trash." : "Showing tasks.", false);
      this.focusKey = `view:${view}`;
      this.render();
    });
  }

  private render(): void {
    const s = this.state;
    const active = document.activeElement;
    if (!this.focusKey && active instanceof HTMLElement && active.dataset.key) this.focusKey = active.dataset.key;

    const view = s.prefs.view;
    const all = s.board?.tasks ?? [];
    const tasks = view === "live" && !s.prefs.showDone ? all.filter((t) => t.status !== "done") : all;
    const open = all.filter((t) => t.status === "open").length;

    const header = h(
      "header",
      { class: "bar" },
      h("h1", {}, view === "trash" ? "Trash" : "Tasks"),
      h("span", { class: "count" }, view === "trash" ? this.countText(all.length, "item") : `${open} open · ${all.length - open} done`),
      h(
        "div",
        { class: "seg", role: "group", "aria-label": "Board view" },
        this.button("Tasks", { "aria-pressed": String(view === "live"), "data-key": "view:live" }, () => this.switchView("live")),
        this.button("Trash", { "aria-pressed": String(view === "trash"), "data-key": "view:trash" }, () => this.switchView("trash")),
      ),
      s.canFullscreen ? this.button("Expand", { class: "ghost", "data-key": "fullscreen", "aria-label": "Open the board full screen" }, this.onFullscreen) : null,
    );

    const children: Node[] = [header];
    if (view === "live") children.push(this.addForm(), this.showDoneToggle());
    else children.push(h("p", { class: "hint" }, "Tasks in the trash can be restored, or deleted permanently after a confirmation."));

    const list = h("ul", { class: "tasks", "aria-label": view === "trash" ? "Tasks in the trash" : "Tasks" });
    for (const t of tasks) list.append(view === "trash" ? this.trashRow(t) : this.taskRow(t));
    children.push(
      h("div", { class: "scroll" }, tasks.length ? list : h("p", { class: "empty" }, s.board ? (view === "trash" ? "The trash is empty." : "No tasks here yet.") : "Waiting for tasks…")),
      this.live,
    );

    this.root.replaceChildren(...children);
    this.root.setAttribute("aria-busy", String(s.busy));
    this.restoreFocus();
  }

  private restoreFocus(): void {
    const key = this.focusKey;
    this.focusKey = "";
    if (!key) return;
    const el = this.root.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
    if (el && !(el as HTMLButtonElement).disabled) el.focus();
    else if (el) this.focusKey = key; // try again once it is enabled
  }

  private countText(n: number, noun: string): string {
    return `${n} ${noun}${n === 1 ? "" : "s"}`;
  }

  private button(label: string, attrs: Record<string, string | boolean | undefined>, onClick: () => void): HTMLButtonElement {
    const b = h("button", { type: "button", disabled: this.state.busy, ...attrs }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  // No <form>: hosts sandbox the View, and without allow-forms a form's
  // submit event never fires. Enter and the button call the same action.
  private addForm(): HTMLElement {
    const input = h("input", {
      type: "text",
      name: "title",
      maxlength: String(MAX_TITLE),
      autocomplete: "off",
      placeholder: "Add a task",
      "data-key": "add",
    });
    const submit = (): void => {
      const title = input.value.trim();
      if (!title) return;
      void this.run("create_task", { title }, `Added “${title}”.`, "add");
    };
    onEnter(input, submit);
    return h(
      "div",
      { class: "add", role: "group", "aria-label": "Add a task" },
      h("label", { class: "sr-only-wrap" }, h("span", { class: "sr-only" }, "New task title"), input),
      this.button("Add", { class: "primary" }, submit),
    );
  }

  private showDoneToggle(): HTMLElement {
    const box = h("input", { type: "checkbox", "data-key": "showdone", checked: this.state.prefs.showDone });
    box.addEventListener("change", () => {
      this.state.prefs = { ...this.state.prefs, showDone: box.checked };
      this.onPrefs(this.state.prefs);
      this.focusKey = "showdone";
      this.render();
    });
    return h("label", { class: "toggle" }, box, "Show done tasks");
  }

  private meta(t: Task): HTMLElement {
    const parts = h("div", { class: "meta" });
    if (t.priority && t.priority !== "normal") parts.append(h("span", { class: `badge prio-${t.priority === "high" ? "high" : "low"}` }, t.priority === "high" ? "High" : "Low"));
    if (t.dueDate) {
      const due = formatDate(t.dueDate, this.state.locale);
      const overdue = t.status === "open" && !t.inTrash && t.dueDate < todayISO();
      parts.append(h("span", { class: overdue ? "due overdue" : "due" }, overdue ? `Overdue · ${due}` : `Due ${due}`));
    }
    for (const tag of t.tags) parts.append(h("span", { class: "tag" }, `#${tag}`));
    return parts;
  }

  private notes(t: Task): HTMLElement | null {
    if (!t.notes) return null;
    return h("details", { class: "notes" }, h("summary", {}, "Notes"), h("p", {}, t.notes));
  }

  private taskRow(t: Task): HTMLLIElement {
    const s = this.state;
    const done = t.status === "done";
    if (s.editingID === t.id) return this.editRow(t);
    const check = this.button(
      done ? "✓" : "",
      {
        class: "check",
        "aria-pressed": String(done),
        "aria-label": done ? `Reopen “${t.title}”` : `Complete “${t.title}”`,
        "data-key": `check:${t.id}`,
      },
      () =>
        void this.run(done ? "reopen_task" : "complete_task", { id: t.id }, done ? `Reopened “${t.title}”.` : `Completed “${t.title}”.`, `check:${t.id}`),
    );
    return h(
      "li",
      { class: done ? "task done" : "task", "data-task": t.id },
      check,
      h("div", { class: "body" }, h("span", { class: "title" }, t.title), this.meta(t), this.notes(t)),
      h(
        "div",
        { class: "actions" },
        this.button("Edit", { class: "ghost", "aria-label": `Edit title of “${t.title}”`, "data-key": `edit:${t.id}` }, () => {
          this.state.editingID = t.id;
          this.focusKey = `editinput:${t.id}`;
          this.render();
        }),
        this.button("Delete", { class: "ghost", "aria-label": `Move “${t.title}” to the trash`, "data-key": `trash:${t.id}` }, () =>
          void this.run("delete_task", { id: t.id }, `Moved “${t.title}” to the trash.`, "add"),
        ),
      ),
    );
  }

  private editRow(t: Task): HTMLLIElement {
    const input = h("input", { type: "text", maxlength: String(MAX_TITLE), autocomplete: "off", "data-key": `editinput:${t.id}` });
    input.value = t.title;
    const cancel = (): void => {
      this.state.editingID = "";
      this.focusKey = `edit:${t.id}`;
      this.render();
    };
    const save = (): void => {
      const title = input.value.trim();
      if (!title || title === t.title) return cancel();
      void this.run("update_task", { id: t.id, title }, `Renamed to “${title}”.`, `edit:${t.id}`);
    };
    onEnter(input, save);
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        cancel();
      }
    });
    return h(
      "li",
      { class: "task editing", "data-task": t.id },
      h(
        "div",
        { class: "edit", role: "group", "aria-label": "Edit task title" },
        h("label", { class: "sr-only-wrap" }, h("span", { class: "sr-only" }, "Task title"), input),
        this.button("Save", { class: "primary" }, save),
        this.button("Cancel", { class: "ghost" }, cancel),
      ),
    );
  }

  private trashRow(t: Task): HTMLLIElement {
    const s = this.state;
    const token = s.board?.purgeConfirmations.get(t.id) ?? "";
    const body = h("div", { class: "body" }, h("span", { class: "title" }, t.title), this.meta(t), this.notes(t));
    if (s.confirmingPurgeID === t.id) {
      // The explicit human step of P6: a second, separate button press, in
      // the widget, carrying a token the model never sees.
      const cancel = this.button("Cancel", { class: "ghost", "data-key": `purgecancel:${t.id}` }, () => {
        this.state.confirmingPurgeID = "";
        this.focusKey = `purge:${t.id}`;
        this.render();
      });
      return h(
        "li",
        { class: "task confirming", "data-task": t.id },
        body,
        h(
          "div",
          { class: "confirm", role: "group", "aria-label": "Confirm permanent deletion" },
          h("p", {}, "Delete permanently? This cannot be undone."),
          this.button("Delete permanently", { class: "danger", "data-key": `purgeconfirm:${t.id}` }, () =>
            void this.run("purge_task", { id: t.id, confirmation: token }, `Deleted “${t.title}” permanently.`, "view:trash"),
          ),
          cancel,
        ),
      );
    }
    return h(
      "li",
      { class: "task", "data-task": t.id },
      body,
      h(
        "div",
        { class: "actions" },
        this.button("Restore", { class: "ghost", "aria-label": `Restore “${t.title}”`, "data-key": `restore:${t.id}` }, () =>
          void this.run("restore_task", { id: t.id }, `Restored “${t.title}”.`, "view:trash"),
        ),
        this.button(
          "Delete forever…",
          {
            class: "ghost danger-text",
            "aria-label": token ? `Delete “${t.title}” permanently` : `Permanent deletion of “${t.title}” is not available now; reload the trash`,
            "data-key": `purge:${t.id}`,
            disabled: s.busy || !token,
          },
          () => {
            this.state.confirmingPurgeID = t.id;
            this.focusKey = `purgecancel:${t.id}`;
            this.render();
          },
        ),
      ),
    );
  }
}

function onEnter(input: HTMLInputElement, action: () => void): void {
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      action();
    }
  });
}

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
