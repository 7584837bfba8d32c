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

/**
 * What adopting `existing` changes on it to make it the declared one, in words for a preview;
 * ["nothing"] when it already is.
 */
export function adoptionChanges(
  existing: CatalogPublication,
  declared: {
    allTables: boolean;
    tables: readonly TableSpec[];
    schemas: readonly string[];
    publish: readonly string[];
    publishViaPartitionRoot: boolean;
    publishGeneratedColumns?: string;
  },
  owner: string | undefined,
): string[] {
  const changes: string[] = [];
  if (declared.allTables !== existing.allTables)
    changes.push(declared.allTables ? "re-create it FOR ALL TABLES" : "re-create it without FOR ALL TABLES");
  else if (!declared.allTables) {
    const have = new Map(existing.tables.map((t) => [tableId(t), t]));
    const want = new Map(declared.tables.map((t) => [tableId(t), t]));
    for (const [id, t] of want) {
      const h = have.get(id);
      if (!h) changes.push(`add ${tableKey(t)}`);
      else if ((t.where ?? "") !== (h.where ?? "") && (t.where === undefined || h.where === undefined))
        changes.push(`set the row filter of ${tableKey(t)}`);
      else if (t.columns !== undefined && !sameSet(t.columns, h.columns ?? []))
        changes.push(`set the column list of ${tableKey(t)}`);
    }
    for (const [id, t] of have) if (!want.has(id)) changes.push(`stop publishing ${tableKey(t)}`);
    if (!sameSet(existing.schemas, [...declared.schemas]))
      changes.push(
        `publish the schemas ${JSON.stringify(declared.schemas)} (now ${JSON.stringify(existing.schemas)})`,
      );
  }
  if (!sameSet(existing.publish, [...declared.publish]))
    changes.push(`publish ${declared.publish.join(", ")} (now ${existing.publish.join(", ")})`);
  if (existing.publishViaPartitionRoot !== declared.publishViaPartitionRoot)
    changes.push(`publish_via_partition_root = ${declared.publishViaPartitionRoot}`);
  if (
    declared.publishGeneratedColumns !== undefined &&
    (existing.publishGeneratedColumns ?? "none") !== declared.publishGeneratedColumns
  )
    changes.push(`publish_generated_columns = ${declared.publishGeneratedColumns}`);
  if (owner !== undefined && owner !== existing.owner) changes.push(`owner ${owner} (now ${existing.owner})`);
  return changes.length > 0 ? changes : ["nothing"];
}
