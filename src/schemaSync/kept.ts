// Reads kept for the rest of one provider host process (one `pulumi preview` or `up`), by where
// they were made and the fingerprint of the catalog rows behind them (catalog.ts's FINGERPRINT):
// a read whose fingerprint is unchanged is reused instead of made again. On globalThis (never in a
// serialized closure); a few of each kind are enough for one run.

/** The reads of one kind kept (the oldest dropped past `limit`). */
export function kept<T>(
  kind: string,
  limit = 8,
): { get(key: string): T | undefined; set(key: string, value: T): void } {
  const g = globalThis as unknown as Record<symbol, Map<string, T> | undefined>;
  const id = Symbol.for(`pulumi-pg-replication.${kind}`);
  const map = (): Map<string, T> => (g[id] ??= new Map());
  return {
    get: (key) => map().get(key),
    set(key, value) {
      const m = map();
      m.set(key, value);
      while (m.size > limit) m.delete(m.keys().next().value!);
    },
  };
}
