// The smallest change that makes the target match the source's snapshot, as DDL in order, plus
// the destructive differences that are refused unless `allowDestructive` is set, the objects only
// the replica has (kept), and the tables whose replicated rows the change loses (to re-copy). Pure.
// The plan is built here, table by table; types (planTypes.ts) and each table's columns,
// constraints and indexes (planTable.ts) add their steps to it.

import { tableId, tableKey, type TableName } from "../pg/tables";
import { PlanBuilder, type PlanOptions, type SchemaPlan } from "./planBuilder";
import { planTable } from "./planTable";
import { planTypes } from "./planTypes";
import { matchRenames, renamed } from "./renames";
import type { SchemaSnapshot, TableDefinition } from "./snapshot";
import * as sql from "./sql";

export type { PlanOptions, PlanStep, SchemaPlan } from "./planBuilder";

/** The plan that makes `actual` (the target) match `desired` (the source's snapshot). */
export function planSchema(desired: SchemaSnapshot, actual: SchemaSnapshot, opts: PlanOptions): SchemaPlan {
  const b = new PlanBuilder(desired, actual, opts);
  if (!b.post) planTypes(b);
  const created = new Set(actual.tables.map(tableId));
  const copied = new Set(desired.tables.map(tableId));
  const have = new Map(actual.tables.map((t) => [tableId(t), t]));
  const renames = b.post
    ? new Map()
    : matchRenames(desired.tables, actual.tables, new Set(opts.applied?.keys()));
  for (const want of desired.tables) {
    const from = renames.get(tableId(want));
    if (from) renameTable(b, from, want);
    planTable(b, want, from ? renamed(from, want) : have.get(tableId(want)), { created, copied });
    created.add(tableId(want));
  }
  if (!b.post) detachPartitions(b, copied);
  for (const s of b.late) b.out.steps.push(s);
  return b.out;
}

/** ALTER TABLE … RENAME (and SET SCHEMA): the replica's table keeps its rows, its indexes and constraints. */
function renameTable(b: PlanBuilder, from: TableDefinition, to: TableName): void {
  const what = `rename table ${tableKey(from)} to ${tableKey(to)} (renamed on the source; its rows are kept)`;
  b.release(from.schema, from.name);
  b.claim(from.schema, to.name, `table ${tableKey(to)}`);
  b.step(sql.renameTable(from.schema, from.name, to.name), what, { table: to });
  if (from.schema !== to.schema) {
    b.ensureSchema(to.schema);
    b.step(
      sql.setTableSchema(from.schema, to.name, to.schema),
      `move table ${to.name} to schema ${to.schema}`,
      {
        table: to,
      },
    );
  }
}

/**
 * Partitions the replica has under a copied partitioned table that the source no longer has there
 * (detached or dropped on the primary since the last apply) are detached on the replica too: the
 * partitioned table then holds what the primary's holds, and their rows are kept in tables of their
 * own. A partition the replica has of its own (never copied) is kept.
 */
function detachPartitions(b: PlanBuilder, copied: ReadonlySet<string>): void {
  for (const cur of b.actual.tables) {
    const parent = cur.partitionOf;
    if (!parent || copied.has(tableId(cur)) || !copied.has(tableId(parent))) continue;
    if (!b.opts.applied?.has(tableId(cur))) {
      b.out.kept.push(`partition ${tableKey(cur)} of ${tableKey(parent)}`);
      continue;
    }
    b.step(
      sql.detachPartition(parent.schema, parent.name, cur.schema, cur.name),
      `detach partition ${tableKey(cur)} from ${tableKey(parent)} (detached or dropped on the source; its rows are kept in a table of its own)`,
      { table: { schema: cur.schema, name: cur.name } },
    );
  }
}

/** The statements of a plan, in the order they must run. */
export function statements(plan: SchemaPlan): string[] {
  return plan.steps.map((st) => st.sql);
}

/** What a plan does and leaves undone, one line each (logs, lastChanges). */
export function summary(plan: SchemaPlan): string[] {
  return [...plan.steps.map((st) => st.what), ...plan.notes];
}

/** Lines lastChanges keeps: enough to read, while the state stays small with thousands of tables. */
export const LAST_CHANGES_KEPT = 100;

/**
 * What the state's lastChanges says about an apply: its lines and the replica's objects it kept,
 * the first LAST_CHANGES_KEPT of them and a count of the rest.
 */
export function lastChanges(plan: SchemaPlan): string[] {
  const lines = [...summary(plan), ...plan.kept.map((k) => `kept the replica's own ${k}`)];
  if (lines.length <= LAST_CHANGES_KEPT) return lines;
  return [
    ...lines.slice(0, LAST_CHANGES_KEPT),
    `… and ${lines.length - LAST_CHANGES_KEPT} more (${lines.length} in all)`,
  ];
}
