// SchemaSync's inputs (one zod schema, the TypeScript types inferred from it) and state.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { connectionSchema } from "../pg/connection";
import { tableRefSchema, type TableRef } from "../pg/tables";
import type { SchemaSnapshot } from "./snapshot";

/** The checked inputs (built by a factory called in check: module-level schemas break serialization). */
export function schemaSyncSchema() {
  return z.object({
    source: connectionSchema(),
    target: connectionSchema(),
    tables: z.array(tableRefSchema()).optional(),
    publication: identifier("the publication name").optional(),
    dropOnDelete: z.boolean().optional(),
    allowDestructive: z.boolean().optional(),
    /** The source's definitions as observed by check (the drift detector). */
    sourceSchema: z.custom<SchemaSnapshot>().optional(),
    /** Fingerprint of the source catalog rows behind `sourceSchema`: unchanged means no need to re-read them. */
    sourceFingerprint: z.string().optional(),
  });
}

export type SchemaSyncInputs = z.infer<ReturnType<typeof schemaSyncSchema>>;

/** What a SchemaSync reports: its arguments and what it copied. */
export interface SchemaSyncOutputs extends Omit<SchemaSyncInputs, "sourceSchema" | "sourceFingerprint"> {
  /** The tables copied, in canonical form ("schema.name", or an object for names with dots). */
  syncedTables: TableRef[];
  /** host:port/database of the target (no credentials). */
  targetEndpoint: string;
  /** What the last create/update did, one line per statement. */
  lastChanges: string[];
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface SchemaSyncState extends SchemaSyncOutputs {
  sourceSchema?: SchemaSnapshot;
  sourceFingerprint?: string;
  /** Fingerprint of the target's copied tables right after the last create/update. */
  targetFingerprint?: string;
}

/** Outputs that hold credentials. */
export const SCHEMA_SYNC_SECRET_OUTPUTS = ["source", "target"];

export function label(inputs: { publication?: string }): string {
  return inputs.publication !== undefined
    ? `SchemaSync of publication ${JSON.stringify(inputs.publication)}`
    : "SchemaSync";
}
