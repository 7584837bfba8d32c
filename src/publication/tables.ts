// The Publication's table list as a program gives it: each reference parsed, its row filter
// confined to one expression, and the list in canonical form — or the failures that say what is
// wrong with it, at preview. Pure.

import type { CheckFailure } from "../kernel/check";
import {
  canonicalTableRef,
  parseTableRef,
  tableId,
  tableKey,
  type TableRef,
  type TableSpec,
} from "../pg/tables";
import { rowFilterProblem } from "./filter";

/** The tables of checked inputs, resolved. */
export function specs(inputs: { tables?: TableRef[] }): TableSpec[] {
  return (inputs.tables ?? []).map(parseTableRef);
}

/**
 * The list in canonical form, and what is wrong with it: a reference that does not parse, a row
 * filter that is not one expression, a table given twice (PostgreSQL would refuse the statement,
 * or silently keep one of two filters).
 */
export function canonicalTables(tables: readonly TableRef[]): {
  tables: TableRef[];
  failures: CheckFailure[];
} {
  const failures: CheckFailure[] = [];
  const canonical: TableRef[] = [];
  const seen = new Map<string, number>();
  tables.forEach((t, i) => {
    let spec: TableSpec;
    try {
      spec = parseTableRef(t);
    } catch (e) {
      failures.push({ property: `tables[${i}]`, reason: (e as Error).message });
      return;
    }
    const problem = spec.where !== undefined ? rowFilterProblem(spec.where) : undefined;
    if (problem)
      failures.push({
        property: `tables[${i}].where`,
        reason: `the row filter of ${JSON.stringify(tableKey(spec))} must be one SQL expression about its table, but ${problem}.`,
      });
    const first = seen.get(tableId(spec));
    if (first !== undefined)
      failures.push({
        property: `tables[${i}]`,
        reason: `${JSON.stringify(tableKey(spec))} is listed twice (tables[${first}] and tables[${i}]); a publication publishes a table once: keep one entry${spec.where !== undefined || spec.columns !== undefined ? ", with the column list and row filter it should have" : ""}.`,
      });
    else seen.set(tableId(spec), i);
    canonical.push(canonicalTableRef(spec));
  });
  return { tables: canonical, failures };
}
