// Fan-in: rows another subscription of the replica writes into a table stay beside the rows this
// subscription's initial copy adds (PostgreSQL's copy), so the two must not share a unique key. A
// duplicate stops that table's copy: its sync worker fails, retries without end, holds a
// table-sync slot (WAL) on the publisher, and PostgreSQL tells only its log — a wait can name
// the table, not the key. Shards whose ids overlap, or the rows an earlier subscription from this
// same publisher left (its stack destroyed, then deployed again), are found here, at preview: the
// replica's key values are read in pages and looked up on the publisher.
//
// A table with no unique key stops nothing: PostgreSQL's copy adds the publisher's rows beside equal
// ones without an error, each then there twice (a shard's stack deployed again over the rows its
// earlier subscription left; a reference table every shard holds). Whole rows are compared there:
// a 64-bit digest of each replica row over the columns the copy sends (at most KEY_CHECK_MAX rows),
// looked up on the publisher in one scan (1 000 000 rows each side: about 2.5 s).

import type { ConnectionInfo } from "../pg/connection";
import { withSession, type Session } from "../pg/session";
import { PORTABLE_TEXT } from "../pg/settings";
import { tableId, type TableName } from "../pg/tables";
import type { UniqueKey } from "./sql";
import { combinedFilter } from "./snapshotCatalog";
import { readStoredColumns, readUniqueKeys } from "./catalog";
import * as sql from "./sql";

/** Key values sent to the publisher per lookup. */
const PAGE = 20_000;
/** Key values of one table read at most (the rest is not checked: said in the warning). */
export const KEY_CHECK_MAX = 1_000_000;

export interface KeyOverlap extends TableName {
  index: string;
  columns: string[];
  /** Replica rows whose key the publisher's rows (those the copy sends) also have. */
  shared: number;
  /** The first few of those keys, as ROW(...)::text. */
  sample: string[];
}

/** A table without a unique key: replica rows equal to rows the publisher's copy sends. */
export interface RowOverlap extends TableName {
  /** The columns compared: those the copy sends that the replica stores. */
  columns: string[];
  /** The publisher's rows (those the copy sends) equal to a replica row. */
  shared: number;
}

export interface OverlapRead {
  overlaps: KeyOverlap[];
  rowOverlaps: RowOverlap[];
  /** Tables with more key values than KEY_CHECK_MAX: checked for the first ones only. */
  partly: TableName[];
  /** Keys whose lookup failed, and why. */
  unchecked: (TableName & { reason: string })[];
}

/**
 * Which of `tables` (on the replica: `replica`) hold rows whose unique key the publisher's rows
 * have too, for each unique key. `publications`: the row filters they apply on the publisher
 * (none yet for a publication still to be created: every row counts).
 */
export async function readKeyOverlaps(
  replica: ConnectionInfo,
  publisher: ConnectionInfo,
  publications: readonly string[],
  tables: readonly TableName[],
): Promise<OverlapRead> {
  const out: OverlapRead = { overlaps: [], rowOverlaps: [], partly: [], unchecked: [] };
  if (tables.length === 0) return out;
  const partly = (t: TableName) => {
    if (!out.partly.some((p) => tableId(p) === tableId(t)))
      out.partly.push({ schema: t.schema, name: t.name });
  };
  await withSession(replica, async (r) => {
    await r.set(PORTABLE_TEXT);
    const keys = await readUniqueKeys(r, tables);
    const keyed = new Set(keys.map(tableId));
    const keyless = tables.filter((t) => !keyed.has(tableId(t)));
    await withSession(publisher, async (p) => {
      await p.set(PORTABLE_TEXT);
      const published = await readPublishedRows(p, publications, tables);
      for (const k of keys)
        try {
          const { partly: cut, ...found } = await keyOverlap(
            k,
            r,
            p,
            published.get(tableId(k))?.filter ?? null,
          );
          if (found.shared > 0) out.overlaps.push(found);
          if (cut) partly(k);
        } catch (e) {
          // A key the publisher cannot look up (its table differs there): said, not refused.
          out.unchecked.push({ schema: k.schema, name: k.name, reason: (e as Error).message });
        }
      if (keyless.length === 0) return;
      const stored = {
        replica: await readStoredColumns(r, keyless),
        publisher: await readStoredColumns(p, keyless),
      };
      for (const t of keyless) {
        const sent = published.get(tableId(t))?.columns;
        const theirs = new Set(stored.publisher.get(tableId(t)) ?? []);
        const columns = (stored.replica.get(tableId(t)) ?? [])
          .filter((c) => theirs.has(c) && (!sent || sent.includes(c)))
          .sort();
        if (columns.length === 0) continue;
        try {
          const { partly: cut, ...found } = await rowOverlap(
            t,
            columns,
            r,
            p,
            published.get(tableId(t))?.filter ?? null,
          );
          if (found.shared > 0) out.rowOverlaps.push(found);
          if (cut) partly(t);
        } catch (e) {
          out.unchecked.push({ schema: t.schema, name: t.name, reason: (e as Error).message });
        }
      }
    });
  });
  return out;
}

/** A table without a unique key: the publisher's rows equal, over `columns`, to a replica row. */
async function rowOverlap(
  t: TableName,
  columns: string[],
  r: Session,
  p: Session,
  filter: string | null,
): Promise<RowOverlap & { partly: boolean }> {
  const [read] = await r.query<{ n: number; digests: string }>(sql.rowDigests(t, columns, KEY_CHECK_MAX + 1));
  const partly = (read?.n ?? 0) > KEY_CHECK_MAX;
  const found = { schema: t.schema, name: t.name, columns, shared: 0, partly };
  if (!read || read.n === 0) return found;
  // One scan of the publisher's table, the digests in one hash: not in parallel workers, which
  // would each build that hash.
  await p.set([["max_parallel_workers_per_gather", "0"]]);
  const [hit] = await p.query<{ n: number }>(sql.rowsTaken(t, columns, filter), [read.digests]);
  return { ...found, shared: hit?.n ?? 0 };
}

/** One unique key: the replica's values (`r`) the publisher's rows (`p`, those `filter` lets through) have too. */
async function keyOverlap(
  k: UniqueKey,
  r: Session,
  p: Session,
  filter: string | null,
): Promise<KeyOverlap & { partly: boolean }> {
  const found = {
    schema: k.schema,
    name: k.name,
    index: k.index,
    columns: k.columns,
    shared: 0,
    sample: [] as string[],
    partly: false,
  };
  const rows = async (on: Session, o: Parameters<typeof sql.keyValues>[1], params: string[] = []) =>
    (await on.query<Record<string, string>>(sql.keyValues(k, o), params)).map((row) =>
      k.columns.map((_, i) => row[String(i)]!),
    );
  const first = async (on: Session, o: Parameters<typeof sql.keyValues>[1], params: string[] = []) =>
    (await rows(on, o, params))[0];
  // The replica's key range, then the publisher's keys within it: disjoint ranges (shards keyed
  // apart) end the check in four index probes. Not for a key with a collatable column: the two
  // servers may order it differently, so every replica key is looked up.
  let from: string[] | undefined;
  let to: string[] | undefined;
  if (!k.collatable) {
    const low = await first(r, { limit: 1 });
    const high = low && (await first(r, { desc: true, limit: 1 }));
    if (!low || !high) return found;
    const within = { lower: "incl" as const, upper: true, filter };
    from = await first(p, { ...within, limit: 1 }, [...low, ...high]);
    to = from && (await first(p, { ...within, desc: true, limit: 1 }, [...low, ...high]));
    if (!from || !to) return found;
  }
  // The replica's keys in the publisher's range, a page at a time, looked up there.
  let read = 0;
  let after: string[] | undefined;
  for (;;) {
    const bounds = { lower: after ? ("excl" as const) : from ? ("incl" as const) : undefined, upper: !!to };
    const params = [...(after ?? from ?? []), ...(to ?? [])];
    if (read >= KEY_CHECK_MAX) {
      found.partly = (await first(r, { ...bounds, limit: 1 }, params)) !== undefined;
      return found;
    }
    const page = await rows(r, { ...bounds, limit: Math.min(PAGE, KEY_CHECK_MAX - read) }, params);
    if (page.length === 0) return found;
    read += page.length;
    const arrays = k.columns.map((_, i) => page.map((v) => v[i]!));
    const [hit] = await p.query<{ n: number; sample: string[] | null }>(sql.keysTaken(k, filter), arrays);
    found.shared += hit?.n ?? 0;
    for (const x of hit?.sample ?? []) if (found.sample.length < 3) found.sample.push(x);
    after = page[page.length - 1]!;
    if (page.length < PAGE) return found;
  }
}

/**
 * What the copy sends of each table: the publications' combined row filter and the columns they
 * publish (PG15+; every row and column before, and for tables not yet published).
 */
async function readPublishedRows(
  p: Session,
  publications: readonly string[],
  tables: readonly TableName[],
): Promise<Map<string, { filter: string | null; columns?: string[] }>> {
  const out = new Map<string, { filters: (string | null)[]; columns: string[] }>();
  if (p.serverVersion < 150000) return new Map();
  const rows = await p.query<TableName & { filter: string | null; columns: string[] | null }>(
    sql.PUBLISHED_ROW_FILTERS,
    [[...publications], tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  for (const r of rows) {
    const seen = out.get(tableId(r)) ?? { filters: [], columns: [] };
    out.set(tableId(r), {
      filters: [...seen.filters, r.filter],
      columns: [...new Set([...seen.columns, ...(r.columns ?? [])])],
    });
  }
  return new Map(
    [...out].map(([id, f]) => [
      id,
      { filter: combinedFilter(f.filters), ...(f.columns.length > 0 ? { columns: f.columns } : {}) },
    ]),
  );
}
