// Recognising a table, column, index or constraint the source renamed, so that the replica's is
// renamed in place — its rows kept, no re-copy — instead of created again beside the old one (which
// fails: a renamed table keeps its index and constraint names). A table is recognised when one the
// last apply copied, and that the source no longer names, has exactly the definition of one the
// target lacks, names aside. Pure.

import { tableId, type TableName } from "../pg/tables";
import { definitionOf, type ColumnDefinition, type TableDefinition } from "./snapshot";

const PART = `(?:"(?:[^"]|"")*"|[^\\s."]+)`;
/** `ON [ONLY] schema.table USING` in an index definition. */
const INDEX_TABLE = new RegExp(` ON (ONLY )?${PART}\\.${PART} USING `);
/** `CREATE [UNIQUE] INDEX name ON` in an index definition. */
const INDEX_NAME = new RegExp(`^(CREATE (?:UNIQUE )?INDEX )${PART}( ON )`);

/** An index definition with its name and its table's name taken out. */
export function indexShape(definition: string): string {
  return definition.replace(INDEX_NAME, "$1_$2").replace(INDEX_TABLE, " ON $1_ USING ");
}

/** A column as compared for a rename: everything but its name and number. */
export function columnShape(c: ColumnDefinition): string {
  const { name: _n, ...rest } = definitionOf(c);
  return JSON.stringify(Object.entries(rest).sort());
}

/** A table's definition with its own name taken out (what survives ALTER TABLE … RENAME). */
function tableShape(t: TableDefinition): string {
  return JSON.stringify([
    t.columns.map((c) => [c.name, columnShape(c)]),
    Object.entries(t.constraints).sort(),
    Object.entries(t.indexes)
      .map(([name, def]) => [name, def.replace(INDEX_TABLE, " ON $1_ USING ")])
      .sort(),
    t.partitionKey ?? null,
    t.partitionOf ? [t.partitionOf.schema, t.partitionOf.name, t.partitionOf.bound] : null,
    t.replicaIdentity,
    t.identityIndex ?? null,
    t.sequences.map((q) => [q.schema, q.name, q.type, q.column]),
  ]);
}

/**
 * For each desired table the target lacks, the target table it was renamed from: one the last
 * apply copied (`applied`, by tableId), that the source no longer names, with the same definition
 * names aside — and only when exactly one such table matches.
 */
export function matchRenames(
  desired: readonly TableDefinition[],
  actual: readonly TableDefinition[],
  applied: ReadonlySet<string>,
): Map<string, TableDefinition> {
  const wanted = new Set(desired.map(tableId));
  const present = new Set(actual.map(tableId));
  const candidates = actual.filter((t) => applied.has(tableId(t)) && !wanted.has(tableId(t)));
  const renames = new Map<string, TableDefinition>();
  // Nothing the source stopped naming (a first copy, most runs): no table's shape is needed.
  if (candidates.length === 0) return renames;
  const shapes = new Map(candidates.map((c) => [c, tableShape(c)]));
  const used = new Set<string>();
  for (const want of desired) {
    if (present.has(tableId(want))) continue;
    const shape = tableShape(want);
    const matches = candidates.filter((c) => !used.has(tableId(c)) && shapes.get(c) === shape);
    if (matches.length !== 1) continue;
    renames.set(tableId(want), matches[0]!);
    used.add(tableId(matches[0]!));
  }
  return renames;
}

/** The renamed table as it is once renamed (its name and schema the desired ones). */
export function renamed(cur: TableDefinition, to: TableName): TableDefinition {
  return { ...cur, schema: to.schema, name: to.name };
}
