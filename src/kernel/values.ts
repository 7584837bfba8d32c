// Small value helpers shared by the providers: clean outputs and order-free comparison.

/** Drops undefined values (the engine refuses them in outputs: "Unexpected struct type"). */
export function clean<T extends object>(obj: T): T {
  return JSON.parse(JSON.stringify(obj)) as T;
}

/** The same strings, whatever their order. */
export function sameSet(a: readonly string[] = [], b: readonly string[] = []): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

/**
 * A value's JSON with object keys sorted at every depth: equal for equal meaning, whatever the key
 * order. The same text as `JSON.stringify` with a replacer sorting each object's keys (signatures
 * in state were made that way), written out directly: at thousands of tables it runs on every
 * check, and the replacer's copy of each object cost most of a table's signature.
 */
export function canonicalJson(v: unknown): string {
  // undefined for what JSON.stringify leaves out (its own type says string too).
  return write(v, "") as string;
}

/** `value`'s canonical JSON, or undefined where JSON.stringify leaves it out (undefined, a function, a symbol). */
function write(value: unknown, key: string): string | undefined {
  let v = value;
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function")
    v = (v as { toJSON(k: string): unknown }).toJSON(key);
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x, i) => write(x, String(i)) ?? "null").join(",")}]`;
  const keys = sortedKeys(Object.keys(v));
  const parts: string[] = [];
  for (const k of keys) {
    const x = write((v as Record<string, unknown>)[k], k);
    if (x !== undefined) parts.push(`${JSON.stringify(k)}:${x}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * Keys in the order the sorted copy of an object enumerates them: array-index keys ("0", "10")
 * first in numeric order, as JavaScript orders an object's own keys, then the others sorted.
 */
function sortedKeys(keys: string[]): string[] {
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const indexes = keys.filter(isArrayIndex);
  if (indexes.length === 0) return keys;
  return [...indexes.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k))];
}

const isArrayIndex = (k: string) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;

/** Deep equality by meaning (object key order ignored, array order kept). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A plain object (not null, not an array): a known value where a preview may hold an unknown's string. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
