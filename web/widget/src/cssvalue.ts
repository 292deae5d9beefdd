// Which host style values the board copies (W1, P3). A value is accepted
// only when every token of it is one that cannot make the browser load
// anything: colours, numbers with units, keywords and font names, and a
// few functions of those. An allow-list, because a deny-list of url()
// misses image-set("//host/x.png" 1x), image(), cross-fade() and whatever
// CSS adds next.

// Functions whose arguments are only colours, numbers and these functions.
const FUNCTIONS = new Set([
  "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color", "color-mix", "light-dark",
  "var", "calc", "min", "max", "clamp",
]);

// One token: whitespace, a hex colour, a number with an optional unit, a
// custom property name, an identifier (a function name when "(" follows),
// a quoted font name without escapes, or punctuation. "(" only opens an
// allowed function: a bare one would let "url /**/ (x)" through a lax parser.
const TOKEN =
  /\s+|#[0-9a-fA-F]{3,8}(?![\w-])|[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?(?:%|[a-zA-Z]+)?|--[\p{L}\p{N}_-]+|[\p{L}_-][\p{L}\p{N}_-]*\(?|"[\p{L}\p{N} _-]*"|'[\p{L}\p{N} _-]*'|[,/)*+]/uy;

export const MAX_STYLE_VALUE = 200;

export function isSafeStyleValue(value: string): boolean {
  if (value.length === 0 || value.length > MAX_STYLE_VALUE) return false;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < value.length) {
    const m = TOKEN.exec(value);
    if (!m) return false;
    const token = m[0];
    if (token.endsWith("(") && token.length > 1 && !FUNCTIONS.has(token.slice(0, -1).toLowerCase())) return false;
  }
  return true;
}
