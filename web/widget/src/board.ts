// The task board: state, rendering and the actions a user can take. Every
// action is a tools/call through the host; the board never talks to the
// network itself (its CSP allows no connection at all).
//
// Layout follows the ChatGPT UI guidelines: inline it is a compact card
// (one view, a few rows, "Show more", Expand); the trash and the whole
// list belong in fullscreen. Everything a person is doing (typed text, an
// open edit, the view, loaded pages, focus) lives in State, so a
// re-render for a host update never loses it.

import { h } from "./dom";
import type { ToolResult } from "./bridge";
import { boardFromResult, errorText, friendlyError, type Board, type Task, type View } from "./model";
import { fetchPages, type CallTool } from "./list";
import type { ViewPrefs } from "./host";
import { countText, onEnter, taskMeta, taskNotes } from "./format";

// HostView is what the host decides about presentation.
export interface HostView {
  locale: string;
  canFullscreen: boolean;
  fullscreen: boolean;
}

interface State {
  board: Board | null;
  prefs: ViewPrefs;
  host: HostView;
  draft: string;
  editingID: string;
  editDraft: string;
  confirmingPurgeID: string;
  busy: boolean;
  error: string;
  retry: (() => void) | null;
  inlineRows: number;
  highlight: Set<string>;
}

const MAX_TITLE = 200;
const INLINE_ROWS = 5;
const INLINE_STEP = 10;

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
      host: { locale: "en", canFullscreen: false, fullscreen: false },
      draft: "",
      editingID: "",
      editDraft: "",
      confirmingPurgeID: "",
      busy: false,
      error: "",
      retry: null,
      inlineRows: INLINE_ROWS,
      highlight: new Set(),
    };
    // The live region exists once and only its text changes, so screen
    // readers announce each status.
    this.live = h("p", { class: "status", role: "status", "aria-live": "polite" });
    this.render();
  }

  // setHost applies a host update; it re-renders only when something shown
  // changes, and a re-render keeps everything in State.
  setHost(v: HostView): void {
    const cur = this.state.host;
    if (cur.locale === v.locale && cur.canFullscreen === v.canFullscreen && cur.fullscreen === v.fullscreen) return;
    this.state.host = v;
    this.render();
  }

  // showResult renders the tasks of a tool result the host pushed to us.
  showResult(result: ToolResult): void {
    if (result.isError) {
      this.fail(friendlyError(null, errorText(result.content)), null);
      this.render();
      return;
    }
    const b = boardFromResult(result.structuredContent, result._meta);
    if (!b) return;
    this.state.board = b;
    this.state.prefs = { ...this.state.prefs, view: b.view };
    this.state.highlight = b.changed ? new Set(b.tasks.map((t) => t.id)) : new Set();
    this.state.editingID = "";
    this.state.confirmingPurgeID = "";
    this.state.inlineRows = INLINE_ROWS;
    this.render();
  }

  cancelled(): void {
    this.setStatus("The request was cancelled.");
  }

  private setStatus(msg: string): void {
    this.live.textContent = msg;
  }

  private fail(msg: string, retry: (() => void) | null): void {
    this.state.error = msg;
    this.state.retry = retry;
    this.setStatus(msg);
  }

  // run performs one write through the host and then reloads the current
  // view, so the board always shows what the server holds. On failure the
  // user's input stays and the error offers to try again.
  private async run(tool: string, args: Record<string, unknown>, done: string, focusKey: string, onSuccess?: () => void): Promise<void> {
    if (this.state.busy) return;
    this.state.busy = true;
    this.state.error = "";
    this.render();
    let msg = "";
    try {
      const res = await this.call(tool, args);
      if (res.isError) msg = friendlyError(null, errorText(res.content) || "That did not work.");
    } catch (e) {
      msg = friendlyError(e);
    }
    if (!msg) {
      onSuccess?.();
      this.state.editingID = "";
      this.state.confirmingPurgeID = "";
      // Announce success only once the board shows it, so the live region
      // and the list never disagree.
      const reloadErr = await this.reload();
      if (reloadErr) this.fail(reloadErr, () => void this.retryReload());
      else this.setStatus(done);
    } else {
      this.fail(msg, () => void this.run(tool, args, done, focusKey, onSuccess));
    }
    this.state.busy = false;
    this.focusKey = msg ? "retry" : focusKey;
    this.render();
  }

  private async retryReload(): Promise<void> {
    if (this.state.busy) return;
    this.state.busy = true;
    this.state.error = "";
    this.render();
    const err = await this.reload();
    this.state.busy = false;
    if (err) this.fail(err, () => void this.retryReload());
    else this.setStatus("Tasks reloaded.");
    this.focusKey = err ? "retry" : "add";
    this.render();
  }

  // reload fetches the current view again, as many pages as were loaded,
  // so "Show more" is not undone by an edit. It returns an error message,
  // or "" when the board now shows what the server holds.
  private async reload(): Promise<string> {
    const view = this.state.prefs.view;
    const cur = this.state.board;
    const want = cur && !cur.changed && cur.view === view ? cur.tasks.length : 0;
    const got = await fetchPages(this.call, view, "", want);
    if (typeof got === "string") return got;
    this.state.board = got;
    return "";
  }

  // showMore shows more of the loaded rows inline, and loads the next page
  // from the server once every loaded row is shown.
  private async showMore(): Promise<void> {
    const s = this.state;
    const b = s.board;
    if (!b || s.busy) return;
    this.focusKey = "more";
    if (!s.host.fullscreen && this.visibleTasks().length > s.inlineRows) {
      s.inlineRows += INLINE_STEP;
      this.render();
      return;
    }
    if (!b.nextCursor) return;
    s.busy = true;
    s.error = "";
    this.render();
    const next = await fetchPages(this.call, b.view, b.nextCursor, 1);
    if (typeof next === "string") this.fail(next, () => void this.showMore());
    else {
      const known = new Set(b.tasks.map((t) => t.id));
      const added = next.tasks.filter((t) => !known.has(t.id));
      for (const [id, tok] of next.purgeConfirmations) b.purgeConfirmations.set(id, tok);
      s.board = { ...b, tasks: [...b.tasks, ...added], nextCursor: next.nextCursor, counts: next.counts ?? b.counts };
      if (!s.host.fullscreen) s.inlineRows += INLINE_STEP;
      this.setStatus(`Loaded ${countText(added.length, "more task")}.`);
    }
    s.busy = false;
    this.render();
  }

  private showAll(): void {
    if (this.state.busy) return;
    this.state.prefs = { ...this.state.prefs, view: "live" };
    void this.retryReloadAs("Showing all your tasks.", "view:live");
  }

  private switchView(view: View): void {
    if (view === this.state.prefs.view || this.state.busy) return;
    this.state.prefs = { ...this.state.prefs, view };
    this.onPrefs(this.state.prefs);
    void this.retryReloadAs(view === "trash" ? "Showing the trash." : "Showing tasks.", `view:${view}`);
  }

  private async retryReloadAs(done: string, focusKey: string): Promise<void> {
    this.state.busy = true;
    this.state.error = "";
    this.state.inlineRows = INLINE_ROWS;
    this.render();
    const err = await this.reload();
    this.state.busy = false;
    if (err) this.fail(err, () => void this.retryReloadAs(done, focusKey));
    else this.setStatus(done);
    this.focusKey = err ? "retry" : focusKey;
    this.render();
  }

  private visibleTasks(): Task[] {
    const s = this.state;
    const all = s.board?.tasks ?? [];
    return s.prefs.view === "live" && !s.prefs.showDone && !s.board?.changed ? all.filter((t) => t.status !== "done") : all;
  }

  private render(): void {
    const s = this.state;
    // Keep the user's place: the focused control and the caret in a field.
    const active = document.activeElement;
    let caret: [number, number] | null = null;
    if (active instanceof HTMLElement && active.dataset.key && this.root.contains(active)) {
      if (!this.focusKey) this.focusKey = active.dataset.key;
      if (active instanceof HTMLInputElement && active.type === "text" && active.selectionStart !== null) {
        caret = [active.selectionStart, active.selectionEnd ?? active.selectionStart];
      }
    }

    const b = s.board;
    const view = s.prefs.view;
    const full = s.host.fullscreen;
    const tasks = this.visibleTasks();
    const shown = full ? tasks : tasks.slice(0, s.inlineRows);

    const children: Node[] = [this.header(tasks.length)];
    if (s.error) children.push(this.errorBox());
    if (b?.changed) {
      children.push(h("p", { class: "hint" }, b.tasks.length === 1 ? "The task this request changed. Your other tasks are not shown." : "The tasks this request changed. Your other tasks are not shown."));
    } else if (view === "live") {
      children.push(this.addForm(), this.showDoneToggle());
    } else {
      children.push(h("p", { class: "hint" }, "Tasks in the trash can be restored, or deleted forever after a confirmation."));
    }

    const list = h("ul", { class: "tasks", "aria-label": view === "trash" ? "Tasks in the trash" : "Tasks" });
    for (const t of shown) list.append(view === "trash" ? this.trashRow(t) : this.taskRow(t));
    children.push(shown.length ? list : h("p", { class: "empty" }, b ? (view === "trash" ? "The trash is empty." : "No tasks here yet.") : "Waiting for tasks…"));

    const more = this.moreRow(tasks.length, shown.length);
    if (more) children.push(more);
    if (b?.changed) {
      children.push(h("div", { class: "footer" }, this.button("Show all tasks", { class: "primary", "data-key": "showall" }, () => this.showAll())));
    }
    children.push(this.live);

    this.root.replaceChildren(...children);
    this.root.setAttribute("aria-busy", String(s.busy));
    this.root.dataset.mode = full ? "fullscreen" : "inline";
    this.restoreFocus(caret);
  }

  private header(visible: number): HTMLElement {
    const s = this.state;
    const b = s.board;
    const view = s.prefs.view;
    let count = "";
    if (b?.changed) count = countText(b.tasks.length, "changed task");
    else if (b?.counts) count = view === "trash" ? countText(b.counts.trash, "item") : `${b.counts.open} open · ${b.counts.done} done`;
    else if (b) count = `${countText(visible, view === "trash" ? "item" : "task")}${b.nextCursor ? "+" : ""}`;
    return h(
      "header",
      { class: "bar" },
      h("h1", {}, view === "trash" ? "Trash" : "Tasks"),
      h("span", { class: "count" }, count),
      // Switching views is fullscreen work: inline is one view (guidelines).
      s.host.fullscreen && !b?.changed
        ? h(
            "div",
            { class: "seg", role: "group", "aria-label": "Board view" },
            this.button("Tasks", { "aria-pressed": String(view === "live"), "data-key": "view:live" }, () => this.switchView("live")),
            this.button("Trash", { "aria-pressed": String(view === "trash"), "data-key": "view:trash" }, () => this.switchView("trash")),
          )
        : null,
      s.host.canFullscreen && !s.host.fullscreen ? this.button("Expand", { class: "ghost", "data-key": "fullscreen" }, this.onFullscreen) : null,
    );
  }

  private errorBox(): HTMLElement {
    const s = this.state;
    return h(
      "div",
      { class: "alert", role: "alert" },
      h("p", {}, s.error),
      s.retry ? this.button("Try again", { "data-key": "retry" }, () => s.retry?.()) : null,
      this.button("Dismiss", { class: "ghost", "data-key": "dismiss" }, () => {
        s.error = "";
        s.retry = null;
        this.focusKey = "add";
        this.render();
      }),
    );
  }

  // moreRow says how much is shown out of the server's total and offers
  // "Show more" while anything is left, loaded or not.
  private moreRow(visible: number, shown: number): HTMLElement | null {
    const s = this.state;
    const b = s.board;
    if (!b || b.changed) return null;
    const hasMore = shown < visible || b.nextCursor !== "";
    if (!hasMore) return null;
    let total = "";
    if (b.counts) {
      const n = s.prefs.view === "trash" ? b.counts.trash : s.prefs.showDone ? b.counts.open + b.counts.done : b.counts.open;
      total = `Showing ${shown} of ${n}`;
    }
    return h("div", { class: "more" }, total ? h("span", { class: "count" }, total) : null, this.button("Show more", { "data-key": "more" }, () => void this.showMore()));
  }

  private restoreFocus(caret: [number, number] | null): void {
    const key = this.focusKey;
    this.focusKey = "";
    if (!key) return;
    const el = this.root.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
    if (el && !(el as HTMLButtonElement).disabled) {
      el.focus();
      if (caret && el instanceof HTMLInputElement) el.setSelectionRange(caret[0], caret[1]);
    } else if (el) this.focusKey = key; // try again once it is enabled
  }

  private button(label: string, attrs: Record<string, string | boolean | undefined>, onClick: () => void): HTMLButtonElement {
    const b = h("button", { type: "button", disabled: this.state.busy, ...attrs }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  private textInput(key: string, value: string, onInput: (v: string) => void): HTMLInputElement {
    const input = h("input", { type: "text", maxlength: String(MAX_TITLE), autocomplete: "off", "data-key": key });
    input.value = value;
    input.addEventListener("input", () => onInput(input.value));
    return input;
  }

  // No <form>: hosts sandbox the View, and without allow-forms a form's
  // submit event never fires. Enter and the button call the same action.
  private addForm(): HTMLElement {
    const input = this.textInput("add", this.state.draft, (v) => (this.state.draft = v));
    input.name = "title";
    input.placeholder = "Add a task";
    const submit = (): void => {
      const title = this.state.draft.trim();
      if (!title) return;
      // The typed text is cleared only once the server has the task.
      void this.run("create_task", { title }, `Added “${title}”.`, "add", () => (this.state.draft = ""));
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

  private taskRow(t: Task): HTMLLIElement {
    const s = this.state;
    const done = t.status === "done";
    if (s.editingID === t.id) return this.editRow(t);
    const check = this.button(
      "",
      {
        class: "check",
        "aria-pressed": String(done),
        "aria-label": done ? `Reopen “${t.title}”` : `Complete “${t.title}”`,
        "data-key": `check:${t.id}`,
      },
      () => void this.run(done ? "reopen_task" : "complete_task", { id: t.id }, done ? `Reopened “${t.title}”.` : `Completed “${t.title}”.`, `check:${t.id}`),
    );
    check.append(h("span", { class: "tick", "aria-hidden": "true" }, done ? "✓" : ""));
    const changed = s.highlight.has(t.id);
    return h(
      "li",
      { class: `task${done ? " done" : ""}${changed ? " changed" : ""}`, "data-task": t.id },
      check,
      h("div", { class: "body" }, h("span", { class: "title" }, t.title), taskMeta(t, s.host.locale, changed), taskNotes(t)),
      h(
        "div",
        { class: "actions" },
        this.button("Edit", { class: "ghost", "aria-label": `Edit “${t.title}”`, "data-key": `edit:${t.id}` }, () => {
          this.state.editingID = t.id;
          this.state.editDraft = t.title;
          this.focusKey = `editinput:${t.id}`;
          this.render();
        }),
        this.button("Delete", { class: "ghost", "aria-label": `Delete “${t.title}”`, "data-key": `trash:${t.id}` }, () =>
          void this.run("delete_task", { id: t.id }, `Moved “${t.title}” to the trash.`, "add"),
        ),
      ),
    );
  }

  private editRow(t: Task): HTMLLIElement {
    const input = this.textInput(`editinput:${t.id}`, this.state.editDraft, (v) => (this.state.editDraft = v));
    const cancel = (): void => {
      this.state.editingID = "";
      this.focusKey = `edit:${t.id}`;
      this.render();
    };
    const save = (): void => {
      const title = this.state.editDraft.trim();
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
    const body = h("div", { class: "body" }, h("span", { class: "title" }, t.title), taskMeta(t, s.host.locale, false), taskNotes(t));
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
          h("p", {}, "Delete forever? This cannot be undone."),
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
          "Delete forever",
          {
            class: "ghost danger-text",
            "aria-label": `Delete forever “${t.title}”`,
            title: token ? undefined : "Not available now: reload the trash",
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
