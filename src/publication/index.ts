// Publication: CREATE PUBLICATION on the primary, altered in place, read back from the catalogs.

import * as pulumi from "@pulumi/pulumi";
import type { DeclaredOutputs, DeepInput, SameKeys } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { Connection } from "../pg/connection";
import type { TableRef } from "../pg/tables";
import {
  PUBLICATION_SECRET_OUTPUTS,
  type ComputedInputs,
  type PublicationInputs,
  type PublicationOutputs,
  type PublishOperation,
} from "./types";

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
const argsMatchSchema: SameKeys<PublicationArgs, Omit<PublicationInputs, ComputedInputs>> = true;
void argsMatchSchema;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const publicationProvider = delegatingProvider("publication");

/** A PostgreSQL publication on the primary. */
export class Publication extends pulumi.dynamic.Resource {
  /** The primary, as given (secret). */
  declare readonly connection: pulumi.Output<Connection>;
  /** The publication's name. */
  declare readonly name: pulumi.Output<string>;
  /** The listed tables in canonical form ("schema.name", or an object with columns/where or dotted names); undefined with `allTables`. */
  declare readonly tables: pulumi.Output<TableRef[]>;
  declare readonly allTables: pulumi.Output<boolean | undefined>;
  declare readonly schemas: pulumi.Output<string[] | undefined>;
  declare readonly publish: pulumi.Output<PublishOperation[] | undefined>;
  declare readonly publishViaPartitionRoot: pulumi.Output<boolean | undefined>;
  declare readonly publishGeneratedColumns: pulumi.Output<"none" | "stored" | undefined>;
  declare readonly owner: pulumi.Output<string | undefined>;
  declare readonly adopt: pulumi.Output<boolean | undefined>;
  /** host:port/database of the publisher (no credentials). */
  declare readonly endpoint: pulumi.Output<string>;
  /** The owner as the catalog reports it. */
  declare readonly actualOwner: pulumi.Output<string>;
  /** server_version_num of the publisher, e.g. 180004. */
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
        serverId: undefined,
        // Read by a Subscription given this publication (`publications: [pub]`); not a public output.
        binding: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: PUBLICATION_SECRET_OUTPUTS }),
      "pg-replication",
      "Publication",
    );
  }
}

// The class declares every output, and nothing else.
const outputsDeclared: SameKeys<DeclaredOutputs<Publication>, Required<PublicationOutputs>> = true;
void outputsDeclared;

export type { PublicationOutputs, PublishOperation } from "./types";
export { PUBLICATION_SECRET_OUTPUTS } from "./types";
