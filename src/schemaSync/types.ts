// SchemaSync's inputs (one zod schema, the TypeScript types inferred from it) and state.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { connectionSchema } from "../pg/connection";
import { tableRefSchema, type TableRef } from "../pg/tables";

/** The checked inputs (built by a factory called in check: module-level schemas break serialization). */
export function schemaSyncSchema() {
  return z.object({
    source: connectionSchema(),
    target: connectionSchema(),
    tables: z.array(tableRefSchema()).optional(),
    publication: identifier("the publication name").optional(),
    dropOnDelete: z.boolean().optional(),
    allowDestructive: z.boolean().optional(),
    section: z.enum(["all", "pre-data", "post-data"]).optional(),
    indexJobs: z
      .number()
      .int()
      .min(1, "indexJobs is at least 1")
      .max(64, "indexJobs is at most 64")
      .optional(),
    maintenanceWorkMem: z
      .string()
      .regex(/^\d+\s*(kB|MB|GB|TB)?$/, 'maintenanceWorkMem is a size such as "256MB"')
      .optional(),
    // Computed by check, never given by a program:
    /** Per copied table, "<hash of its definition>:<highest column number>" on the source. */
    sourceTables: z.record(z.string(), z.string()).optional(),
    /** Fingerprint of the source catalog rows behind `sourceTables`. */
    sourceFingerprint: z.string().optional(),
    /** Fingerprint of the target's copied tables after the last create/update (state; see check). */
    targetFingerprint: z.string().optional(),
    /** Per table, what the next `up` changes on the target (empty when nothing). */
    pending: z.record(z.string(), z.array(z.string())).optional(),
    /** Tables whose replicated rows the next `up` cannot restore: a Subscription depending on this re-copies them. */
    recopyRequests: z.array(z.object({ table: z.string(), reason: z.string(), id: z.string() })).optional(),
    /** The target's identity (system identifier and database), whatever spelling reaches it. */
    targetServerId: z.string().optional(),
    /** 0.1.0 kept the whole source schema here; read (and dropped) for stacks created by it. */
    sourceSchema: z.unknown().optional(),
  });
}

export type SchemaSyncInputs = z.infer<ReturnType<typeof schemaSyncSchema>>;

/** Inputs that check computes. */
export type ComputedInputs =
  | "sourceTables"
  | "sourceFingerprint"
  | "targetFingerprint"
  | "pending"
  | "recopyRequests"
  | "targetServerId"
  | "sourceSchema";

/** What a SchemaSync reports: its arguments and what it copied. */
export interface SchemaSyncOutputs extends Omit<SchemaSyncInputs, ComputedInputs> {
  /** The tables copied, in canonical form ("schema.name", or an object for names with dots). */
  syncedTables: TableRef[];
  /** host:port/database of the target (no credentials). */
  targetEndpoint: string;
  /** What the last create/update did, one line per statement, and the replica's own objects it kept. */
  lastChanges: string[];
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface SchemaSyncState extends SchemaSyncOutputs, Pick<SchemaSyncInputs, ComputedInputs> {}

/** Outputs that hold credentials. */
export const SCHEMA_SYNC_SECRET_OUTPUTS = ["source", "target"];

export function label(inputs: { publication?: string; section?: string }): string {
  const what = inputs.section && inputs.section !== "all" ? `SchemaSync (${inputs.section})` : "SchemaSync";
  return inputs.publication !== undefined
    ? `${what} of publication ${JSON.stringify(inputs.publication)}`
    : what;
}
