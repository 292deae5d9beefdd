#!/usr/bin/env node
// Checks the built widget and prints its size. Fails (exit 1) when:
//  - an HTML sink appears anywhere (innerHTML, outerHTML, insertAdjacentHTML,
//    document.write, DOMParser, createContextualFragment, srcdoc) (I6): the
//    widget builds DOM with createElement + textContent only;
//  - code evaluation appears (eval, new Function, string timers) (W1);
//  - any outside URL or external reference appears: http(s)://, protocol-
//    relative src/href, <script src>, <link href>, @import, url(...) that is
//    not a data: URI (W2, P3: the file is self-contained);
//  - a storage or privileged API is used (localStorage, sessionStorage,
//    indexedDB, document.cookie, geolocation, clipboard, mediaDevices) (W1, W3);
//  - the gzipped size is over budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET_GZIP = 60 * 1024;
const file = process.argv[2] ?? "dist/board.html";
const html = readFileSync(file, "utf8");

const rules = [
  ["HTML sink innerHTML", /\binnerHTML\b/],
  ["HTML sink outerHTML", /\bouterHTML\b/],
  ["HTML sink insertAdjacentHTML", /\binsertAdjacentHTML\b/],
  ["HTML sink document.write", /\bdocument\s*\.\s*write(ln)?\b/],
  ["HTML sink DOMParser", /\bDOMParser\b/],
  ["HTML sink createContextualFragment", /\bcreateContextualFragment\b/],
  ["HTML sink srcdoc", /\bsrcdoc\b/],
  ["code evaluation eval()", /(^|[^.\w$])eval\s*\(/],
  ["code evaluation new Function", /\bnew\s+Function\s*\(/],
  ["string timer", /\bset(Timeout|Interval)\s*\(\s*["'`]/],
  ["outside URL", /\b(https?|wss?|ftp):\/\//i],
  ["protocol-relative reference", /\b(src|href|action)\s*=\s*["']?\/\//i],
  ["external script", /<script\b[^>]*\bsrc\s*=/i],
  ["external stylesheet", /<link\b[^>]*\bhref\s*=/i],
  ["CSS @import", /@import\b/i],
  ["CSS url() other than data:", /url\(\s*["']?(?!data:)/i],
  ["storage localStorage", /\blocalStorage\b/],
  ["storage sessionStorage", /\bsessionStorage\b/],
  ["storage indexedDB", /\bindexedDB\b/],
  ["document.cookie", /\bdocument\s*\.\s*cookie\b/],
  ["privileged API geolocation", /\bgeolocation\b/],
  ["privileged API clipboard", /\bclipboard\b/],
  ["privileged API mediaDevices", /\bmediaDevices\b/],
];

const failures = [];
for (const [name, re] of rules) {
  const m = re.exec(html);
  if (m) {
    const at = Math.max(0, m.index - 40);
    failures.push(`${name}: …${html.slice(at, m.index + 60).replace(/\s+/g, " ")}…`);
  }
}
if (!/^<!doctype html>/i.test(html.trimStart())) failures.push("not a full HTML5 document (no doctype)");

const gz = gzipSync(Buffer.from(html), { level: 9 }).length;
console.log(`widget bundle ${file}: ${Buffer.byteLength(html)} bytes, ${gz} bytes gzipped (budget ${BUDGET_GZIP})`);
if (gz > BUDGET_GZIP) failures.push(`gzipped size ${gz} is over the budget of ${BUDGET_GZIP} bytes`);

if (failures.length) {
  console.error(`check-dist: ${failures.length} problem(s) in ${file}:`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log("check-dist: no HTML sinks, no code evaluation, no outside URL, no storage API");
