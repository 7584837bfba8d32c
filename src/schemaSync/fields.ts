// SchemaSync's field table (see kernel/fields.ts): validation, defaults and what a change does,
// for every argument and computed input of types.ts; and state of earlier versions read into
// today's form. Provider-side only: the public declarations (types.ts) never import zod.

import { z } from "zod";
import { valueOf, type FieldTable } from "../kernel/fields";
import { identifier } from "../kernel/identifier";
import { parseConnection, type Connection } from "../pg/connection";
import { upgradeRequests } from "../pg/recopy";
import { connectionSchema, lockTimeoutField, recopyRequestSchema, tableRefSchema } from "../pg/schemas";
import {
  parseTableRef,
  storedTableKey,
  tableFromStoredKey,
  tableId,
  tableIdentity,
  type TableRef,
} from "../pg/tables";
import type { SchemaSyncInputs, SchemaSyncState, TableSignature } from "./types";
const tableSet = (t: TableRef[]) => t.map((r) => tableIdentity(parseTableRef(r))).sort();
const byMeaning = (c: Connection) => parseConnection(c);
/**
 * replicaOwnColumns in one spelling, as planning reads it (ownColumnsOf): tables by id, columns
 * sorted; a value it cannot read (check refuses it first) as given.
 */
const ownColumnsKey = (r: Record<string, string[]>): unknown => {
  try {
    return [...ownColumnsOf({ replicaOwnColumns: r })].map(([id, cols]) => [id, [...cols].sort()]).sort();
  } catch {
    return r;
  }
};

export const SCHEMA_SYNC_FIELDS = {
  source: { kind: "arg", schema: () => connectionSchema(), compare: byMeaning },
  // Another spelling of the same server (targetServerId) changes in place.
  target: { kind: "arg", schema: () => connectionSchema(), compare: byMeaning },
  tables: { kind: "arg", schema: () => z.array(tableRefSchema()).optional(), default: [], compare: tableSet },
  publication: { kind: "arg", schema: () => identifier("the publication name").optional() },
  publishGeneratedColumns: {
    kind: "arg",
    schema: () => z.enum(["none", "stored"]).optional(),
    default: "none",
  },
  dropOnDelete: { kind: "arg", schema: () => z.boolean().optional(), default: false },
  allowDestructive: { kind: "arg", schema: () => z.boolean().optional(), default: false },
  replicaOwnColumns: {
    kind: "arg",
    schema: () => z.record(z.string().min(1), z.array(z.string().min(1, "a column name"))).optional(),
    default: {},
    compare: (r) => ownColumnsKey(r),
  },
  section: { kind: "arg", schema: () => z.enum(["all", "pre-data", "post-data"]).optional(), default: "all" },
  indexJobs: {
    kind: "arg",
    schema: () =>
      z.number().int().min(1, "indexJobs is at least 1").max(64, "indexJobs is at most 64").optional(),
    default: 4,
  },
  maintenanceWorkMem: {
    kind: "arg",
    schema: () =>
      z
        .string()
        .regex(/^\d+\s*(kB|MB|GB|TB)?$/, 'maintenanceWorkMem is a size such as "256MB"')
        .optional(),
    default: "256MB",
  },
  lockTimeoutSeconds: lockTimeoutField,
  // State from 0.1.0 has no signatures: compared only once known.
  sourceTables: {
    kind: "computed",
    // Kept as a record (storeState); read back into tuples by upgradeState before anything uses it.
    schema: () =>
      z
        .union([z.array(z.tuple([z.string(), z.string(), z.string()])), z.record(z.string(), z.string())])
        .optional() as z.ZodType<unknown> as z.ZodType<TableSignature[] | undefined>,
    change: "update",
    since: "0.2.0",
    compare: (t) => t.map(([schema, name, signature]) => [tableId({ schema, name }), signature]).sort(),
  },
  sourceFingerprint: { kind: "computed", schema: () => z.string().optional() },
  targetFingerprint: { kind: "computed", schema: () => z.string().optional() },
  pending: { kind: "computed", schema: () => z.record(z.string(), z.array(z.string())).optional() },
  recopyRequests: { kind: "computed", schema: () => z.array(recopyRequestSchema()).optional() },
  targetServerId: { kind: "computed", schema: () => z.string().optional() },
} as const satisfies FieldTable<SchemaSyncInputs>;

/**
 * State as this version keeps it (storeState) or earlier versions wrote it, in the form the code
 * uses. 0.1.0 kept the whole source schema (`sourceSchema`, dropped here) and no signatures; 0.2
 * kept signatures by "schema.name" key (today: by stored table key, its superset), and earlier
 * builds of 0.3 as `{schema, name, signature}` objects or tuples (today's form in use); before 0.3.0
 * re-copy requests named tables by "schema.name". Drop the conversions once no stack holds such
 * state (the first 1.x).
 */
export function upgradeState(state: SchemaSyncState): SchemaSyncState {
  const { sourceSchema: _legacy, ...rest } = state as SchemaSyncState & { sourceSchema?: unknown };
  const requests = upgradeRequests(rest.recopyRequests);
  const tables = rest.sourceTables as unknown;
  const signed: TableSignature[] | undefined =
    tables === undefined || tables === null
      ? undefined
      : !Array.isArray(tables)
        ? Object.entries(tables as Record<string, string>).map(([k, signature]) => {
            const t = tableFromStoredKey(k);
            return [t.schema, t.name, signature];
          })
        : (tables as (TableSignature | { schema: string; name: string; signature: string })[]).map((t) =>
            Array.isArray(t) ? t : [t.schema, t.name, t.signature],
          );
  return {
    ...rest,
    ...(signed ? { sourceTables: signed } : {}),
    ...(requests ? { recopyRequests: requests } : {}),
  };
}

/**
 * The state (or checked inputs) in the form the host carries: the signatures as a record by stored
 * table key (pg/tables.ts), a tenth of the cost of a list of tuples to carry.
 */
export function storeState(value: Record<string, unknown>): Record<string, unknown> {
  const tables = value.sourceTables;
  if (!Array.isArray(tables)) return value;
  return {
    ...value,
    sourceTables: Object.fromEntries(
      (tables as TableSignature[]).map(([schema, name, signature]) => [
        storedTableKey({ schema, name }),
        signature,
      ]),
    ),
  };
}

/**
 * replicaOwnColumns by tableId: the columns of each table the replica has of its own. Throws
 * naming the property for a table reference it cannot read (check says so first).
 */
export function ownColumnsOf(inputs: Pick<SchemaSyncInputs, "replicaOwnColumns">): Map<string, Set<string>> {
  const own = new Map<string, Set<string>>();
  for (const [ref, cols] of Object.entries(inputs.replicaOwnColumns ?? {})) {
    let id: string;
    try {
      id = tableId(parseTableRef(ref));
    } catch (e) {
      throw new Error(`replicaOwnColumns: ${(e as Error).message}`);
    }
    own.set(id, new Set([...(own.get(id) ?? []), ...cols]));
  }
  return own;
}

/** The arguments whose defaults the field table holds, each with its default applied. */
export function settingsOf(inputs: SchemaSyncInputs): {
  section: "all" | "pre-data" | "post-data";
  allowDestructive: boolean;
  indexJobs: number;
  maintenanceWorkMem: string;
  lockTimeoutSeconds: number;
} {
  const v = <K extends keyof SchemaSyncInputs>(k: K) => valueOf(SCHEMA_SYNC_FIELDS, k, inputs[k]);
  return {
    section: v("section") as "all" | "pre-data" | "post-data",
    allowDestructive: v("allowDestructive") as boolean,
    indexJobs: v("indexJobs") as number,
    maintenanceWorkMem: v("maintenanceWorkMem") as string,
    lockTimeoutSeconds: v("lockTimeoutSeconds") as number,
  };
}
