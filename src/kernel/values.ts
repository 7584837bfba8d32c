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
