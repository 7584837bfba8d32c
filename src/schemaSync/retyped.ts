// Columns the source changed the type of *with their values*. `ALTER TABLE … ALTER COLUMN … TYPE …
// USING …` rewrites the source's rows (cents to units, a time zone applied, ids renumbered), which
// logical replication never carries: the replica's own cast of its old values would leave them
// different for good (measured: `integer → bigint USING n * 10` left every older replica row at n
// while the primary's held n * 10, and the preview after said "same"). The first rows by primary
// key are read on both sides — the replica's values through the cast its ALTER would make — and a
// row alike in every other column but unlike in this one tells. Rows changed since on one side
// differ elsewhere too and tell nothing; a USING that changed only rows outside the sample goes
// unseen. Where a side cannot be read or cast, nothing is concluded.

import type { ConnectionInfo } from "../pg/connection";
import { withSession } from "../pg/session";
import { PORTABLE_TEXT } from "../pg/settings";
import { tableId, type TableName } from "../pg/tables";
import type { SchemaSnapshot, TableDefinition } from "./snapshot";
import * as sql from "./sql";

/** How many rows of each table are compared. */
const SAMPLE = 200;

/** A table of both sides with columns whose type differs. */
interface Retype {
  table: TableName;
  columns: { name: string; type: string }[];
  /**
   * The columns each side leaves out of the rest of a row (compared whole): the retyped ones and
   * those only that side has.
   */
  sourceSkip: string[];
  targetSkip: string[];
}

/** `${tableId}\0${column}`: how a retyped column is named in PlanOptions.retyped. */
export const retypedKey = (t: TableName, column: string) => `${tableId(t)}\u0000${column}`;

/** The tables of both snapshots with a column of another type on each side. Pure. */
export function pendingRetypes(desired: SchemaSnapshot, actual: SchemaSnapshot): Retype[] {
  const have = new Map(actual.tables.map((t) => [tableId(t), t]));
  const out: Retype[] = [];
  for (const want of desired.tables) {
    const cur = have.get(tableId(want));
    if (!cur || cur.columns.length === 0) continue;
    const theirs = new Map(cur.columns.map((c) => [c.name, c]));
    const columns = want.columns
      .filter((c) => c.generated === undefined && theirs.has(c.name) && theirs.get(c.name)!.type !== c.type)
      .map((c) => ({ name: c.name, type: c.type }));
    if (columns.length === 0) continue;
    const skipped = (t: TableDefinition, other: TableDefinition) =>
      t.columns
        .filter(
          (c) => columns.some((r) => r.name === c.name) || !other.columns.some((o) => o.name === c.name),
        )
        .map((c) => c.name);
    out.push({
      table: { schema: want.schema, name: want.name },
      columns,
      sourceSkip: skipped(want, cur),
      targetSkip: skipped(cur, want),
    });
  }
  return out;
}

interface Row {
  key: string;
  rest: string;
  values: string;
}

/** How long a sample waits for a table lock before it concludes nothing. */
const LOCK_SECONDS = "5s";

/** The first rows of each retyped table by key on one side (none where it cannot be read). */
async function sample(
  info: ConnectionInfo,
  retypes: readonly Retype[],
  query: (r: Retype, key: string[]) => string,
  keys?: ReadonlyMap<string, string[]>,
): Promise<{ keys: Map<string, string[]>; rows: Map<string, Row[]> }> {
  const rows = new Map<string, Row[]>();
  const found = new Map(keys ?? []);
  await withSession(info, async (s) => {
    await s.set([...PORTABLE_TEXT, ["lock_timeout", LOCK_SECONDS]]);
    if (!keys)
      for (const k of await s.query<TableName & { columns: string[] }>(sql.KEY_COLUMNS, [
        retypes.map((r) => r.table.schema),
        retypes.map((r) => r.table.name),
      ]))
        found.set(tableId(k), k.columns);
    for (const r of retypes) {
      const key = found.get(tableId(r.table));
      if (!key) continue;
      const read = await s.query<Row>(query(r, key)).catch(() => undefined);
      if (read) rows.set(tableId(r.table), read);
    }
  }).catch(() => undefined);
  return { keys: found, rows };
}

/**
 * The retyped columns (retypedKey) whose sampled values the source changed beyond the replica's
 * cast. Each side is read on a connection of its own (a cast that fails ends nothing else).
 */
export async function readRetyped(
  source: ConnectionInfo,
  target: ConnectionInfo,
  retypes: readonly Retype[],
): Promise<Set<string>> {
  const found = new Set<string>();
  if (retypes.length === 0) return found;
  const mine = await sample(source, retypes, (r, key) =>
    sql.sampleRows(r.table, key, r.sourceSkip, r.columns, SAMPLE),
  );
  const theirs = await sample(
    target,
    retypes,
    (r, key) =>
      sql.sampleRows(
        r.table,
        key,
        r.targetSkip,
        r.columns.map((c) => ({ name: c.name, as: c.type })),
        SAMPLE,
      ),
    mine.keys,
  );
  for (const r of retypes) {
    const a = mine.rows.get(tableId(r.table));
    const b = theirs.rows.get(tableId(r.table));
    if (!a || !b) continue;
    const key = mine.keys.get(tableId(r.table))!;
    const byKey = new Map(b.map((row) => [row.key, row]));
    const matched = a.filter((row) => byKey.has(row.key));
    // Both sides hold rows, none under the same key: the key itself was rewritten.
    if (matched.length === 0 && a.length > 0 && b.length > 0)
      for (const c of r.columns.filter((c) => key.includes(c.name))) found.add(retypedKey(r.table, c.name));
    for (const row of matched) {
      const other = byKey.get(row.key)!;
      if (other.rest !== row.rest) continue;
      const x = JSON.parse(row.values) as unknown[];
      const y = JSON.parse(other.values) as unknown[];
      r.columns.forEach((c, i) => {
        if (JSON.stringify(x[i]) !== JSON.stringify(y[i])) found.add(retypedKey(r.table, c.name));
      });
    }
  }
  return found;
}
