// libpq connection strings: quoting a value, and reading `key=value` strings as libpq does
// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-KEYWORD-VALUE).
// Hand-written: pg-connection-string reads URIs only.

/** One `key='value'` pair of a libpq connection string (backslash and quote escaped). */
export function conninfoPair(key: string, value: string | number): string {
  const v = String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  return `${key}='${v}'`;
}

/**
 * The `key = value` pairs of a libpq string: values bare (up to whitespace) or single-quoted, with
 * `\'` and `\\` escapes in both. `shown` (already redacted) is quoted in errors.
 */
export function parseConninfo(text: string, shown: string): [string, string][] {
  const pairs: [string, string][] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return pairs;
    const keyStart = i;
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (!key || text[i] !== "=")
      throw new Error(
        `is not a valid key=value connection string near "${shown.slice(0, 60)}"; write key=value pairs separated by spaces`,
      );
    i++;
    skipSpace();
    let value = "";
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`has an unterminated quoted value for \`${key}\` (${shown})`);
        const c = text[i++]!;
        if (c === "\\" && i < text.length) value += text[i++];
        else if (c === "'") break;
        else value += c;
      }
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        const c = text[i++]!;
        value += c === "\\" && i < text.length ? text[i++] : c;
      }
    }
    pairs.push([key, value]);
  }
}
