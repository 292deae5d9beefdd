// Stands in for ChatGPT's window.openai runtime inside the View (the Go
// sandbox puts it before the bundle, as ChatGPT injects its own). It
// offers only the window.openai API and relays it to the host page
// (openai.ts) over its own messages; there is no MCP Apps bridge here.
(() => {
  let seq = 0;
  const pending = new Map();
  const send = (m) => parent.postMessage({ openaiShim: m }, "*");
  const ask = (op, args) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      send({ op, id, args });
    });
  const api = {
    theme: "light",
    locale: "en-US",
    displayMode: "inline",
    maxHeight: 520,
    widgetState: null,
    callTool: (name, args) => ask("callTool", { name, args }),
    requestDisplayMode: (args) => ask("requestDisplayMode", args),
    notifyIntrinsicHeight: (height) => send({ op: "height", args: height }),
    setWidgetState: (state) => {
      api.widgetState = state;
      send({ op: "widgetState", args: state });
    },
  };
  window.openai = api;
  addEventListener("message", (ev) => {
    if (ev.source !== parent || typeof ev.data !== "object" || !ev.data || !ev.data.openaiShim) return;
    const m = ev.data.openaiShim;
    if (m.op === "reply") {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    } else if (m.op === "globals") {
      Object.assign(api, m.globals);
      dispatchEvent(new CustomEvent("openai:set_globals", { detail: { globals: m.globals } }));
    }
  });
})();
