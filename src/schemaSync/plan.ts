// The smallest change that makes the target match the source's snapshot, as DDL in order, plus
// the destructive differences that are refused unless `allowDestructive` is set, the objects only
// the replica has (kept), and the tables whose replicated rows the change loses (to re-copy). Pure.
// The plan is built here, table by table; types (planTypes.ts) and each table's columns,
// constraints and indexes (planTable.ts) add their steps to it.

import { tableId } from "../pg/tables";
import { PlanBuilder, type PlanOptions, type SchemaPlan } from "./planBuilder";
import { planTable } from "./planTable";
import { planTypes } from "./planTypes";
import type { SchemaSnapshot } from "./snapshot";

export type { PlanOptions, PlanStep, SchemaPlan } from "./planBuilder";

/** The plan that makes `actual` (the target) match `desired` (the source's snapshot). */
export function planSchema(desired: SchemaSnapshot, actual: SchemaSnapshot, opts: PlanOptions): SchemaPlan {
  const b = new PlanBuilder(desired, actual, opts);
  if (!b.post) planTypes(b);
  const created = new Set(actual.tables.map(tableId));
  const copied = new Set(desired.tables.map(tableId));
  const have = new Map(actual.tables.map((t) => [tableId(t), t]));
  for (const want of desired.tables) {
    planTable(b, want, have.get(tableId(want)), { created, copied });
    created.add(tableId(want));
  }
  for (const s of b.late) b.out.steps.push(s);
  return b.out;
}

/** The statements of a plan, in the order they must run. */
export function statements(plan: SchemaPlan): string[] {
  return plan.steps.map((st) => st.sql);
}

/** What a plan does and leaves undone, one line each (logs, lastChanges). */
export function summary(plan: SchemaPlan): string[] {
  return [...plan.steps.map((st) => st.what), ...plan.notes];
}
