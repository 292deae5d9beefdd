// The outer frame of the double-iframe sandbox that MCP Apps web hosts use
// (ext-apps examples/basic-host, spec "sandbox proxy"): served on the
// sandbox origin under the CSP from the resource's ui.csp, it tells the host
// it is ready, writes the View's HTML the host sends into an inner frame
// (which inherits this page's CSP), and relays every other message between
// host and View in both directions.
(() => {
  const hostOrigin = new URL(document.referrer).origin;
  const inner = document.createElement("iframe");
  inner.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
  inner.setAttribute("title", "Task board");
  inner.style.cssText = "display:block;width:100%;height:100%;border:0";
  document.body.appendChild(inner);
  addEventListener("message", (ev) => {
    if (ev.source === parent) {
      if (ev.origin !== hostOrigin) return;
      const m = ev.data;
      if (m && m.method === "ui/notifications/sandbox-resource-ready") {
        const doc = inner.contentDocument;
        doc.open();
        doc.write(m.params.html);
        doc.close();
        return;
      }
      inner.contentWindow.postMessage(m, "*");
    } else if (ev.source === inner.contentWindow && ev.origin === location.origin) {
      parent.postMessage(ev.data, hostOrigin);
    }
  });
  parent.postMessage({ jsonrpc: "2.0", method: "ui/notifications/sandbox-proxy-ready", params: {} }, hostOrigin);
})();
