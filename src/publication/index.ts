// Publication: CREATE PUBLICATION on the primary, altered in place, read back from the catalogs.

import * as pulumi from "@pulumi/pulumi";
import type { DeepInput, SameKeys } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { Connection } from "../pg/connection";
import type { TableRef } from "../pg/tables";
import { PUBLICATION_SECRET_OUTPUTS, type PublicationInputs, type PublishOperation } from "./types";

export interface PublicationArgs {
  /** The primary (publisher) database. Stored as a secret. */
  connection: DeepInput<Connection>;
  /** The publication's name, taken literally. Changing it replaces the publication. */
  name: pulumi.Input<string>;
  /** Tables to publish: "name" (schema public), "schema.name", or objects with column lists and row filters (PG15+). */
  tables?: DeepInput<TableRef[]>;
  /** Publish every table of the database (FOR ALL TABLES). Switching to or from it replaces the publication. */
  allTables?: pulumi.Input<boolean>;
  /** Publish every table of these schemas (FOR TABLES IN SCHEMA, PG15+). */
  schemas?: DeepInput<string[]>;
  /** Operations to publish; all four when left out. */
  publish?: DeepInput<PublishOperation[]>;
  /** Publish partition changes as their root table's (default false). */
  publishViaPartitionRoot?: pulumi.Input<boolean>;
  /** Publish stored generated columns (PG18+); PostgreSQL's default "none" when left out. */
  publishGeneratedColumns?: pulumi.Input<"none" | "stored">;
  /** The publication's owner; left as the connecting user when left out. */
  owner?: pulumi.Input<string>;
  /** Take over an existing publication of the same name instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

// Every argument is an input of the schema, and the reverse.
const argsMatchSchema: SameKeys<PublicationArgs, PublicationInputs> = true;
void argsMatchSchema;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const publicationProvider = delegatingProvider("publication");

/** A PostgreSQL publication on the primary. */
export class Publication extends pulumi.dynamic.Resource {
  declare readonly connection: pulumi.Output<Connection>;
  declare readonly name: pulumi.Output<string>;
  /** The published tables in canonical form (undefined with `allTables`). */
  declare readonly tables: pulumi.Output<TableRef[]>;
  declare readonly allTables: pulumi.Output<boolean | undefined>;
  declare readonly schemas: pulumi.Output<string[] | undefined>;
  declare readonly publish: pulumi.Output<PublishOperation[] | undefined>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly actualOwner: pulumi.Output<string>;
  declare readonly serverVersion: pulumi.Output<number>;

  constructor(name: string, args: PublicationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      publicationProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        endpoint: undefined,
        actualOwner: undefined,
        appliedFilters: undefined,
        serverVersion: undefined,
      },
      { ...opts, additionalSecretOutputs: PUBLICATION_SECRET_OUTPUTS },
      "pg-replication",
      "Publication",
    );
  }
}

export type { PublicationInputs, PublicationOutputs, PublishOperation } from "./types";
export { PUBLICATION_SECRET_OUTPUTS } from "./types";
