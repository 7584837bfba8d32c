// SchemaSync: copies the replicated tables' definitions from the source's catalogs to the target in
// one transaction, with SQL only (no pg_dump/psql). `check` records the source's definitions as an
// input, so a DDL change on the primary shows up in preview as a planned update.

import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "./connection";
import type { SchemaSnapshot } from "./schemaCatalog";
import type { TableRef } from "./tables";

export interface SchemaSyncArgs {
  /** Where the definitions are read (the primary). Stored as a secret. */
  source: pulumi.Input<Connection>;
  /** Where the tables are created (the replica). Stored as a secret. Changing the server replaces. */
  target: pulumi.Input<Connection>;
  /** Tables to copy. Give this or `publication`, not both. Column lists and row filters are ignored here. */
  tables?: pulumi.Input<pulumi.Input<TableRef>[]>;
  /** Copy every table this publication on the source publishes. */
  publication?: pulumi.Input<string>;
  /** Drop the copied tables from the target on delete. Default false: replicated data survives destroy. */
  dropOnDelete?: pulumi.Input<boolean>;
  /** Allow changes that lose data on the target (drop column, narrow a type). Default false. */
  allowDestructive?: pulumi.Input<boolean>;
}

export interface SchemaSyncInputs {
  source: Connection;
  target: Connection;
  tables?: TableRef[];
  publication?: string;
  dropOnDelete?: boolean;
  allowDestructive?: boolean;
  /** The source's definitions as observed by check (the drift detector). */
  sourceSchema?: SchemaSnapshot;
  /** Fingerprint of the source catalog rows behind `sourceSchema`: unchanged means no need to re-read them. */
  sourceFingerprint?: string;
}

export interface SchemaSyncOutputs extends SchemaSyncInputs {
  /** The tables copied, in canonical form ("schema.name", or an object for names with dots). */
  syncedTables: TableRef[];
  targetEndpoint: string;
  /** What the last create/update did, one line per statement. */
  lastChanges: string[];
  /** Fingerprint of the target's copied tables right after the last create/update. */
  targetFingerprint?: string;
}

export const SCHEMA_SYNC_SECRET_OUTPUTS = ["source", "target"];

import { delegatingProvider } from "./provider";
import * as impl from "./schemaSyncProvider";

/** The dynamic provider; the implementation is in schemaSyncProvider.ts. */
export const schemaSyncProvider = delegatingProvider(impl);

/** The replicated tables' definitions, copied from the primary to the replica. */
export class SchemaSync extends pulumi.dynamic.Resource {
  declare readonly syncedTables: pulumi.Output<TableRef[]>;
  declare readonly sourceSchema: pulumi.Output<SchemaSnapshot>;
  declare readonly lastChanges: pulumi.Output<string[]>;
  declare readonly targetEndpoint: pulumi.Output<string>;

  constructor(name: string, args: SchemaSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      schemaSyncProvider,
      name,
      {
        ...args,
        source: pulumi.secret(args.source),
        target: pulumi.secret(args.target),
        sourceSchema: undefined,
        syncedTables: undefined,
        targetEndpoint: undefined,
        lastChanges: undefined,
      },
      { ...opts, additionalSecretOutputs: SCHEMA_SYNC_SECRET_OUTPUTS },
      "pg-replication",
      "SchemaSync",
    );
  }
}
