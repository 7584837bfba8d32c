// SchemaSync's fields, declared once: the arguments (a plain interface, what users read), what
// check computes, the state, and the table every derived piece comes from (validation, defaults,
// diff, refresh, the Resource class's outputs).

import type { Connection } from "../pg/connection";
import type { RecopyRequest } from "../pg/recopy";
import type { TableRef } from "../pg/tables";
import type { Section } from "./section";
import { resourceLabel } from "../kernel/label";

export type { Section };

/** SchemaSync's arguments, resolved (SchemaSyncArgs takes each as a pulumi.Input). */
export interface SchemaSyncFields {
  /** Where the definitions are read (the primary). Stored as a secret. */
  source: Connection;
  /** Where the tables are created (the replica). Stored as a secret. Changing the server replaces. */
  target: Connection;
  /** Tables to copy. Give this or `publication`, not both. Column lists are honoured; row filters are ignored here. */
  tables?: TableRef[];
  /** Copy every table this publication on the source publishes. */
  publication?: string;
  /**
   * PG18: "stored" when the publication publishes stored generated columns' values
   * (publish_generated_columns = stored): the replica's copies of them are plain columns, which
   * receive those values (PostgreSQL cannot apply values to a generated column). With
   * `publication`, read from the publication; a generated column named in a table's column list
   * is published either way. Default "none": the replica computes its own.
   */
  publishGeneratedColumns?: "none" | "stored";
  /** Drop the copied tables from the target on delete. Default false: replicated data survives destroy. */
  dropOnDelete?: boolean;
  /** Allow changes that lose data on the target (drop column, narrow a type). Default false. */
  allowDestructive?: boolean;
  /**
   * Columns the replica has of its own, not from the source (an analytics replica's load time), by
   * table: `{ "public.events": ["loaded_at"] }`. A column the source lacks is otherwise taken for
   * one the source dropped, and dropping it is refused without `allowDestructive`; these are kept
   * (never dropped, allowDestructive or not). Each must be nullable or have a default: the rows
   * the stream inserts get that.
   */
  replicaOwnColumns?: Record<string, string[]>;
  /**
   * Which part of the definitions to copy, as pg_dump splits them: "pre-data" (schemas, types,
   * tables, primary keys, checks, the replica identity: what the initial copy needs), "post-data"
   * (secondary indexes, unique and exclusion constraints, foreign keys: built after the copy, in
   * parallel), or "all" (default: everything, in one transaction).
   */
  section?: Section;
  /**
   * Post-data: how many indexes and validations run at once, each on its own connection (default 4).
   * With more than one, each build runs without parallel maintenance workers (the jobs are the
   * parallelism); with 1, the server's max_parallel_maintenance_workers applies.
   */
  indexJobs?: number;
  /** Post-data: maintenance_work_mem of those connections (default "256MB"). */
  maintenanceWorkMem?: string;
  /**
   * How long a change waits for a lock on a target table before it is rolled back and tried again
   * (three tries; default 5 s). A statement waiting for a lock holds up every later query of that
   * table: bounded, a long query on the replica delays the change, not the table's readers. The
   * post-data's index builds wait unbounded (they block writers, never readers). `dropOnDelete`'s
   * DROP TABLE on destroy waits the same bounded way.
   */
  lockTimeoutSeconds?: number;
}

/**
 * A copied table's signature on the source: its schema and name, and "<hash of its definition>:<its
 * highest column number>". A tuple, not an object naming its keys: with thousands of tables the
 * list travels in every check, diff and read (about 35 bytes a table instead of 60).
 */
export type TableSignature = [schema: string, name: string, signature: string];

/** What check computes; never given by a program. */
export interface SchemaSyncComputed {
  /** Each copied table's signature on the source. */
  sourceTables?: TableSignature[];
  /** Fingerprint of the source catalog rows behind `sourceTables`. */
  sourceFingerprint?: string;
  /** Fingerprint of the target's copied tables after the last create/update (state; see check). */
  targetFingerprint?: string;
  /** Per table ("schema.name", for people), what the next `up` changes on the target; past 100 tables "(more)" counts the rest. */
  pending?: Record<string, string[]>;
  /** Tables whose replicated rows the next `up` cannot restore: a Subscription depending on this re-copies them. */
  recopyRequests?: RecopyRequest[];
  /** The target's identity (system identifier and database), whatever spelling reaches it. */
  targetServerId?: string;
}

export type SchemaSyncInputs = SchemaSyncFields & SchemaSyncComputed;

/** What a SchemaSync reports: its arguments and what it copied. */
export interface SchemaSyncOutputs extends SchemaSyncFields {
  /** The tables copied, in canonical form ("schema.name", or an object for names with dots). */
  syncedTables: TableRef[];
  /** host:port/database of the target (no credentials). */
  targetEndpoint: string;
  /** What the last create/update did, one line per statement, and the replica's own objects it kept. */
  lastChanges: string[];
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface SchemaSyncState extends SchemaSyncOutputs, SchemaSyncComputed {}

/** What the Resource class registers besides the arguments (each becomes an output). */
export const SCHEMA_SYNC_STATE_KEYS = {
  syncedTables: true,
  targetEndpoint: true,
  lastChanges: true,
  // Read by a Subscription that depends on this SchemaSync (re-copies); not a public output.
  recopyRequests: true,
} as const satisfies Partial<Record<Exclude<keyof SchemaSyncState, keyof SchemaSyncFields>, true>>;

/** Outputs that hold credentials. */
export const SCHEMA_SYNC_SECRET_OUTPUTS = ["source", "target"];

export function label(inputs: { publication?: string; section?: string }): string {
  const what = resourceLabel("SchemaSync", undefined, inputs.section !== "all" ? inputs.section : undefined);
  return inputs.publication !== undefined
    ? `${what} of publication ${JSON.stringify(inputs.publication)}`
    : what;
}
