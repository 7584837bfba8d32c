// Where a change leaves the replica's rows holding other values than the primary's — a column the
// replica lost, one the source filled row by row, one it dropped and added again, a type change
// that rewrote values — the copied tables are emptied for the Subscription's re-copy, or refused
// where their rows are not only the primary's. Pure.

import { emptyingRefusals, truncateTables } from "../pg/emptying";
import { tableId, tableKey, type TableName } from "../pg/tables";
import type { PlanBuilder } from "./planBuilder";
import type { ColumnDefinition } from "./snapshot";

/**
 * What the source's rows older than column `c` hold in it: one value (kept by PostgreSQL); values
 * written row by row (a volatile default, identity, serial; NOT NULL with no kept value: the table
 * was rewritten since); or (undefined) NULL — added without a default, any default set after — or
 * whatever the replica computes (generated there).
 */
export function olderRowsOf(c: ColumnDefinition): { value: string } | "per row" | undefined {
  if (c.generated !== undefined) return undefined;
  if (c.olderRows && "value" in c.olderRows) return c.olderRows;
  if (c.olderRows || c.identity || c.default?.startsWith("nextval(") || c.notNull) return "per row";
  return undefined;
}

/** A value as a plan line shows it: quoted, at most 60 characters. */
export function shortValue(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** Whether a subscription writes into `table` on the replica (its rows come from a primary). */
function replicated(b: PlanBuilder, table: TableName): boolean {
  return b.feeders(table).length > 0;
}

/** Why a column's values are lost on the replica, for the plan, its refusal and the re-copy. */
export interface LostValues {
  cause: string;
  why: string;
  fix: string;
  reason: string;
}

/**
 * A column whose values the replica cannot get otherwise (re-added: NULLs where the primary has
 * data, or NOT NULL fails; written row by row on the source): the copied tables are emptied, in
 * one statement (foreign keys among them hold), and a dependent Subscription copies them again in
 * the same `up` (its repair copies every table of the subscription).
 */
export function emptyForRecopy(b: PlanBuilder, table: TableName, lost: LostValues): void {
  if (b.emptied) {
    if (!b.out.recopy.some((r) => tableId(r) === tableId(table)))
      b.out.recopy.push({ ...table, reason: lost.reason });
    return;
  }
  b.emptied = true;
  const copied = new Set(b.desired.tables.map(tableId));
  const existing = b.actual.tables
    .filter((t) => copied.has(tableId(t)))
    .map((t) => ({ schema: t.schema, name: t.name }));
  const emptied = new Set(existing.map(tableId));
  const refusals = emptyingRefusals(
    (b.opts.stakes ?? []).filter((t) => copied.has(tableId(t))),
    emptied,
  );
  if (refusals.length > 0) {
    b.out.blockers.push(
      `${lost.cause}: ${lost.why}, and emptying ${existing.map(tableKey).join(", ")} for a re-copy is refused: ${refusals.join("; ")}. ${lost.fix}`,
    );
    return;
  }
  b.step(
    truncateTables(existing),
    `empty ${existing.map(tableKey).join(", ")} for their re-copy: ${lost.cause}`,
    {
      table,
    },
  );
  for (const t of existing)
    b.out.recopy.push({
      ...t,
      reason:
        tableId(t) === tableId(table)
          ? `${lost.reason}; the table is emptied for its re-copy`
          : `emptied with ${tableKey(table)} (${lost.reason}) for their re-copy`,
    });
}

/**
 * The re-copy a change needs where a subscription writes into `table` on the replica; a note where
 * none does (its rows did not come from the primary's stream: they keep the replica's values).
 */
export function recopyFor(b: PlanBuilder, table: TableName, lost: LostValues): void {
  if (replicated(b, table)) emptyForRecopy(b, table, lost);
  else
    b.out.notes.push(
      `${lost.cause}; no subscription writes into ${tableKey(table)} on the replica, so its rows keep the replica's values`,
    );
}
