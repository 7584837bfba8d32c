// Which part of a snapshot a SchemaSync copies. pg_dump splits a schema into pre-data (what a
// table needs to receive rows: schemas, types, tables with their columns, defaults, identity,
// primary keys, check constraints and the replica identity) and post-data (secondary indexes,
// unique and exclusion constraints, foreign keys): building the latter after the initial copy is
// far faster than maintaining them row by row during it. Column-listed publications deliver only
// some columns (projectColumns). Pure.

import { tableId } from "../pg/tables";
import type { SchemaSnapshot, TableDefinition } from "./snapshot";

export type Section = "all" | "pre-data" | "post-data";

/** Whether a constraint or index of `t` belongs to pre-data: the primary key, checks, the replica identity. */
function preData(t: TableDefinition, name: string, type?: string): boolean {
  return type === "p" || type === "c" || name === t.identityIndex;
}

/** Projections made, by snapshot (never changed once read): a source read kept for a run is projected by check and by create. */
const projections = new WeakMap<SchemaSnapshot, Map<Section, SchemaSnapshot>>();

export function projectSection(snapshot: SchemaSnapshot, section: Section): SchemaSnapshot {
  if (section === "all") return snapshot;
  let made = projections.get(snapshot);
  if (!made) projections.set(snapshot, (made = new Map()));
  const kept = made.get(section);
  if (kept) return kept;
  const projected = project(snapshot, section === "pre-data");
  made.set(section, projected);
  return projected;
}

function project(snapshot: SchemaSnapshot, pre: boolean): SchemaSnapshot {
  const tables = snapshot.tables.map((t) => ({
    ...t,
    constraints: Object.fromEntries(
      Object.entries(t.constraints).filter(([name, c]) => preData(t, name, c.type) === pre),
    ),
    indexes: Object.fromEntries(Object.entries(t.indexes).filter(([name]) => preData(t, name) === pre)),
  }));
  return pre ? { ...snapshot, tables } : { extensions: [], types: [], collations: [], tables };
}

/**
 * The part of a snapshot a column-listed publication delivers (`columnLists` by tableId): for each table with a column list,
 * only those columns, and only the constraints and indexes that use nothing else (a NOT NULL
 * column left out would make every replicated insert fail).
 */
export function projectColumns(
  snapshot: SchemaSnapshot,
  columnLists: ReadonlyMap<string, readonly string[]>,
): SchemaSnapshot {
  if (columnLists.size === 0) return snapshot;
  const tables = snapshot.tables.map((t) => {
    const list = columnLists.get(tableId(t));
    if (!list) return t;
    const keep = new Set(list);
    const uses = (name: string) => {
      const cols = t.columnUse?.[name];
      return cols !== undefined && cols !== null && cols.every((c) => keep.has(c));
    };
    const projected: TableDefinition = {
      ...t,
      columns: t.columns.filter((c) => keep.has(c.name)),
      constraints: Object.fromEntries(Object.entries(t.constraints).filter(([name]) => uses(name))),
      indexes: Object.fromEntries(Object.entries(t.indexes).filter(([name]) => uses(name))),
      sequences: t.sequences.filter((q) => keep.has(q.column)),
    };
    if (t.replicaIdentity === "i" && t.identityIndex && !uses(t.identityIndex)) {
      projected.replicaIdentity = "d";
      delete projected.identityIndex;
    }
    return projected;
  });
  return { ...snapshot, tables };
}

/**
 * The stored generated columns whose values a publication publishes (PG18), as plain columns:
 * PostgreSQL applies no value to a generated column, so the replica keeps the primary's values
 * instead of computing its own. Published: named by the publisher (`generated`, by tableId), in
 * a table's column list, or every stored one (`allStored`: publish_generated_columns = stored).
 * A partition's columns are its root's (a publication not via the root names the partitions).
 */
export function plainPublished(
  snapshot: SchemaSnapshot,
  o: {
    generated: ReadonlyMap<string, readonly string[]>;
    columnLists: ReadonlyMap<string, readonly string[]>;
    allStored: boolean;
  },
): SchemaSnapshot {
  if (o.generated.size === 0 && !o.allStored && o.columnLists.size === 0) return snapshot;
  const parent = new Map(
    snapshot.tables.filter((t) => t.partitionOf).map((t) => [tableId(t), tableId(t.partitionOf!)]),
  );
  const rootOf = (id: string): string => (parent.has(id) ? rootOf(parent.get(id)!) : id);
  const named = new Map<string, string[]>();
  for (const m of [o.generated, o.columnLists])
    for (const [id, columns] of m) named.set(rootOf(id), [...(named.get(rootOf(id)) ?? []), ...columns]);
  const tables = snapshot.tables.map((t) => {
    const id = tableId(t);
    const published = (name: string) => o.allStored || (named.get(id) ?? []).includes(name);
    if (!t.columns.some((c) => c.generated !== undefined && !c.virtual && published(c.name))) return t;
    return {
      ...t,
      columns: t.columns.map((c) => {
        if (c.generated === undefined || c.virtual || !published(c.name)) return c;
        // Its values were computed row by row on the source: the replica's older rows need them copied.
        const { generated: _expression, ...plain } = c;
        return { ...plain, olderRows: { unknown: true as const } };
      }),
    };
  });
  return { ...snapshot, tables };
}
