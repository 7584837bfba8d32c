// SchemaSync: copies the replicated tables' definitions from the source's catalogs to the target in
// one transaction, with SQL only (no pg_dump/psql). `check` records the source's definitions as an
// input, so a DDL change on the primary shows up in preview as a planned update.

import * as pulumi from "@pulumi/pulumi";
import { unset } from "../kernel/fields";
import type { ArgsOf, OutputsOf } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import {
  SCHEMA_SYNC_SECRET_OUTPUTS,
  SCHEMA_SYNC_STATE_KEYS,
  type SchemaSyncFields,
  type SchemaSyncOutputs,
} from "./types";

/** SchemaSync's arguments (each documented in SchemaSyncFields). */
export type SchemaSyncArgs = ArgsOf<SchemaSyncFields>;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const schemaSyncProvider = delegatingProvider("schemaSync");

/** Every argument and what was copied are outputs (see SchemaSyncOutputs). */
export interface SchemaSync extends OutputsOf<SchemaSyncOutputs> {}

/** The replicated tables' definitions, copied from the primary to the replica. */
export class SchemaSync extends pulumi.dynamic.Resource {
  constructor(name: string, args: SchemaSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      schemaSyncProvider,
      name,
      {
        ...args,
        source: pulumi.secret(args.source),
        target: pulumi.secret(args.target),
        ...unset(Object.keys(SCHEMA_SYNC_STATE_KEYS) as (keyof typeof SCHEMA_SYNC_STATE_KEYS)[]),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SCHEMA_SYNC_SECRET_OUTPUTS }),
      "pg-replication",
      "SchemaSync",
    );
  }
}

export type { SchemaSyncFields, SchemaSyncOutputs } from "./types";
export { SCHEMA_SYNC_SECRET_OUTPUTS } from "./types";
