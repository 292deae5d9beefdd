// The only way this widget makes DOM: createElement + textContent (I6).
// Data never passes through an HTML parser, so a task titled
// "<img src=x onerror=alert(1)>" is shown as those characters. Attribute
// names are constants in the code; attribute values from data are limited
// to aria-label/title/value, which are never interpreted as markup or URLs.
// scripts/check-dist.mjs fails the build if an HTML sink appears anywhere.

// Event handlers, URLs and inline styles are never set from here.
const FORBIDDEN_ATTR = /^(on|href$|src|style$|action$|formaction$|xlink)/i;

type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (FORBIDDEN_ATTR.test(name)) throw new Error(`attribute ${name} is not allowed`);
    if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

export function text(s: string): Text {
  return document.createTextNode(s);
}

export function clear(el: Element): void {
  el.replaceChildren();
}
