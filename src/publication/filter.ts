// Row filters are SQL expressions the user writes, spliced into `… WHERE (<filter>)`. Before any is
// sent, check confirms it is one expression that stays inside those parentheses: its parentheses
// balance and never close below the start, and it has no statement separator or comment outside
// its literals. (The extended protocol already refuses a second statement; this gives a clear
// message, and the applied publication is verified again in its transaction: see verify.ts.)

/** Why `expr` is not a single expression, or undefined when it is one. */
export function rowFilterProblem(expr: string): string | undefined {
  let depth = 0;
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    const next = expr[i + 1];
    if (c === "'") i = skipQuoted(expr, i, "'", /[eE]$/.test(expr.slice(0, i)));
    else if (c === '"') i = skipQuoted(expr, i, '"', false);
    else if (c === "$" && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(expr.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(expr.slice(i))![0];
      const end = expr.indexOf(tag, i + tag.length);
      if (end < 0) return `it has an unterminated dollar-quoted string (${tag})`;
      i = end + tag.length;
    } else if ((c === "-" && next === "-") || (c === "/" && next === "*"))
      return "it contains a comment (-- or /* */); remove it";
    else if (c === ";") return "it contains `;`: a row filter is one expression, not statements";
    else {
      if (c === "(") depth++;
      if (c === ")" && --depth < 0)
        return "its parentheses close more than they open, so it would reach outside its table's WHERE (…)";
      i++;
    }
    if (i < 0) return "it has an unterminated quoted string or identifier";
  }
  if (depth !== 0) return "its parentheses do not balance";
  if (expr.trim() === "") return "it is empty";
  return undefined;
}

/** Index after the closing quote of a literal or quoted identifier starting at `start`, or -1. */
function skipQuoted(text: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (backslashes && c === "\\") i += 2;
    else if (c === quote && text[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return -1;
}
