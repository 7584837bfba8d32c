// SchemaSync: copies the replicated tables' definitions from the source's catalogs to the target in
// one transaction, with SQL only (no pg_dump/psql). `check` records the source's definitions as an
// input, so a DDL change on the primary shows up in preview as a planned update.

import * as pulumi from "@pulumi/pulumi";
import type { DeclaredOutputs, DeepInput, SameKeys } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { Connection } from "../pg/connection";
import type { TableRef } from "../pg/tables";
import {
  SCHEMA_SYNC_SECRET_OUTPUTS,
  type ComputedInputs,
  type SchemaSyncInputs,
  type SchemaSyncOutputs,
} from "./types";

export interface SchemaSyncArgs {
  /** Where the definitions are read (the primary). Stored as a secret. */
  source: DeepInput<Connection>;
  /** Where the tables are created (the replica). Stored as a secret. Changing the server replaces. */
  target: DeepInput<Connection>;
  /** Tables to copy. Give this or `publication`, not both. Column lists are honoured; row filters are ignored here. */
  tables?: DeepInput<TableRef[]>;
  /** Copy every table this publication on the source publishes. */
  publication?: pulumi.Input<string>;
  /** Drop the copied tables from the target on delete. Default false: replicated data survives destroy. */
  dropOnDelete?: pulumi.Input<boolean>;
  /** Allow changes that lose data on the target (drop column, narrow a type). Default false. */
  allowDestructive?: pulumi.Input<boolean>;
  /**
   * Which part of the definitions to copy, as pg_dump splits them: "pre-data" (schemas, types,
   * tables, primary keys, checks, the replica identity: what the initial copy needs), "post-data"
   * (secondary indexes, unique and exclusion constraints, foreign keys: built after the copy, in
   * parallel), or "all" (default: everything, in one transaction).
   */
  section?: pulumi.Input<"all" | "pre-data" | "post-data">;
  /**
   * Post-data: how many indexes and validations run at once, each on its own connection (default 4).
   * With more than one, each build runs without parallel maintenance workers (the jobs are the
   * parallelism); with 1, the server's max_parallel_maintenance_workers applies.
   */
  indexJobs?: pulumi.Input<number>;
  /** Post-data: maintenance_work_mem of those connections (default "256MB"). */
  maintenanceWorkMem?: pulumi.Input<string>;
}

// Every argument is an input of the schema, and the reverse (the source fields are check's own).
const argsMatchSchema: SameKeys<SchemaSyncArgs, Omit<SchemaSyncInputs, ComputedInputs>> = true;
void argsMatchSchema;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const schemaSyncProvider = delegatingProvider("schemaSync");

/** The replicated tables' definitions, copied from the primary to the replica. */
export class SchemaSync extends pulumi.dynamic.Resource {
  /** The source, as given (secret). */
  declare readonly source: pulumi.Output<Connection>;
  /** The target, as given (secret). */
  declare readonly target: pulumi.Output<Connection>;
  declare readonly tables: pulumi.Output<TableRef[] | undefined>;
  declare readonly publication: pulumi.Output<string | undefined>;
  declare readonly dropOnDelete: pulumi.Output<boolean | undefined>;
  declare readonly allowDestructive: pulumi.Output<boolean | undefined>;
  declare readonly section: pulumi.Output<"all" | "pre-data" | "post-data" | undefined>;
  declare readonly indexJobs: pulumi.Output<number | undefined>;
  declare readonly maintenanceWorkMem: pulumi.Output<string | undefined>;
  /** The tables copied, in canonical form ("schema.name", or an object for names with dots). */
  declare readonly syncedTables: pulumi.Output<TableRef[]>;
  /** host:port/database of the target (no credentials). */
  declare readonly targetEndpoint: pulumi.Output<string>;
  /** What the last create/update did, one line per statement. */
  declare readonly lastChanges: pulumi.Output<string[]>;

  constructor(name: string, args: SchemaSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      schemaSyncProvider,
      name,
      {
        ...args,
        source: pulumi.secret(args.source),
        target: pulumi.secret(args.target),
        syncedTables: undefined,
        // Read by a Subscription that depends on this SchemaSync (re-copies); not a public output.
        recopyRequests: undefined,
        targetEndpoint: undefined,
        lastChanges: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SCHEMA_SYNC_SECRET_OUTPUTS }),
      "pg-replication",
      "SchemaSync",
    );
  }
}

// The class declares every output, and nothing else.
const outputsDeclared: SameKeys<DeclaredOutputs<SchemaSync>, Required<SchemaSyncOutputs>> = true;
void outputsDeclared;

export type { SchemaSyncOutputs } from "./types";
export { SCHEMA_SYNC_SECRET_OUTPUTS } from "./types";
