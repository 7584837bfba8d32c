// SchemaSync's field table (see kernel/fields.ts): validation, defaults and what a change does,
// for every argument and computed input of types.ts; and state of earlier versions read into
// today's form. Provider-side only: the public declarations (types.ts) never import zod.

import { z } from "zod";
import { valueOf, type FieldTable } from "../kernel/fields";
import { identifier } from "../kernel/identifier";
import { parseConnection, type Connection } from "../pg/connection";
import { upgradeRequests } from "../pg/recopy";
import { connectionSchema, lockTimeoutField, recopyRequestSchema, tableRefSchema } from "../pg/schemas";
import { legacyTableName, parseTableRef, tableId, tableIdentity, type TableRef } from "../pg/tables";
import type { SchemaSyncInputs, SchemaSyncState, TableSignature } from "./types";
const tableSet = (t: TableRef[]) => t.map((r) => tableIdentity(parseTableRef(r))).sort();
const byMeaning = (c: Connection) => parseConnection(c);

export const SCHEMA_SYNC_FIELDS = {
  source: { kind: "arg", schema: () => connectionSchema(), compare: byMeaning },
  // Another spelling of the same server (targetServerId) changes in place.
  target: { kind: "arg", schema: () => connectionSchema(), compare: byMeaning },
  tables: { kind: "arg", schema: () => z.array(tableRefSchema()).optional(), default: [], compare: tableSet },
  publication: { kind: "arg", schema: () => identifier("the publication name").optional() },
  dropOnDelete: { kind: "arg", schema: () => z.boolean().optional(), default: false },
  allowDestructive: { kind: "arg", schema: () => z.boolean().optional(), default: false },
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
    schema: () => z.array(z.tuple([z.string(), z.string(), z.string()])).optional(),
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
 * State as earlier versions wrote it, in today's form. 0.1.0 kept the whole source schema
 * (`sourceSchema`, dropped here) and no signatures; 0.2 kept signatures by "schema.name" key, and
 * earlier builds of 0.3 as `{schema, name, signature}` objects (today: tuples); before 0.3.0
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
            const t = legacyTableName(k);
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
