// Emptying replica tables for a re-copy: the agreement between SchemaSync (a column re-added loses
// its values) and the Subscription (a broken stream). Both empty tables only through here, in one
// TRUNCATE so that foreign keys among the tables hold.

import { qualified } from "./quote";
import type { TableName } from "./tables";

/** Empties tables whose rows are copied again (one statement: foreign keys among them hold). */
export function truncateTables(tables: readonly TableName[]): string {
  return `TRUNCATE ${tables.map((t) => qualified(t.schema, t.name)).join(", ")}`;
}

/** One row if the table holds any (a probe before an initial copy that would collide). */
export function hasRowsQuery(table: TableName): string {
  return `SELECT 1 FROM ${qualified(table.schema, table.name)} LIMIT 1`;
}
