// After CREATE/ALTER PUBLICATION, inside the same transaction: the publication must publish exactly
// the declared tables, schemas, column lists and filters. Anything else (a row filter that reached
// outside its table and named another one) rolls the transaction back with an error naming it.

import { sameSet } from "../kernel/values";
import { tableId, tableKey, type TableSpec } from "../pg/tables";
import type { CatalogPublication } from "./catalog";

/** What differs between the applied publication and the declared one (empty when nothing does). */
export function definitionMismatch(
  applied: CatalogPublication,
  declared: { allTables: boolean; tables: readonly TableSpec[]; schemas: readonly string[] },
): string[] {
  if (declared.allTables) return applied.allTables ? [] : ["it is not FOR ALL TABLES"];
  const problems: string[] = [];
  const want = new Map(declared.tables.map((t) => [tableId(t), t]));
  for (const t of applied.tables) {
    const w = want.get(tableId(t));
    if (!w) problems.push(`it publishes ${JSON.stringify(tableKey(t))}, which is not declared`);
    else {
      if ((w.where !== undefined) !== (t.where !== undefined))
        problems.push(`the row filter of ${JSON.stringify(tableKey(t))} is not the declared one`);
      if (w.columns !== undefined && !sameSet(w.columns, t.columns ?? []))
        problems.push(`the column list of ${JSON.stringify(tableKey(t))} is not the declared one`);
    }
  }
  const got = new Set(applied.tables.map(tableId));
  for (const [id, t] of want)
    if (!got.has(id)) problems.push(`it does not publish ${JSON.stringify(tableKey(t))}`);
  if (!sameSet(applied.schemas, [...declared.schemas]))
    problems.push(
      `it publishes the schemas ${JSON.stringify(applied.schemas)}, not ${JSON.stringify(declared.schemas)}`,
    );
  return problems;
}
