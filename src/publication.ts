// Publication: CREATE PUBLICATION on the primary, altered in place, read back from the catalogs.

import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "./connection";
import type * as sql from "./sql";
import type { TableRef } from "./tables";

export type PublishOperation = sql.PublishOperation;

export interface PublicationArgs {
  /** The primary (publisher) database. Stored as a secret. */
  connection: pulumi.Input<Connection>;
  /** The publication's name, taken literally. Changing it replaces the publication. */
  name: pulumi.Input<string>;
  /** Tables to publish: "name" (schema public), "schema.name", or objects with column lists and row filters (PG15+). */
  tables?: pulumi.Input<pulumi.Input<TableRef>[]>;
  /** Publish every table of the database (FOR ALL TABLES). Switching to or from it replaces the publication. */
  allTables?: pulumi.Input<boolean>;
  /** Publish every table of these schemas (FOR TABLES IN SCHEMA, PG15+). */
  schemas?: pulumi.Input<pulumi.Input<string>[]>;
  /** Operations to publish; all four when left out. */
  publish?: pulumi.Input<pulumi.Input<PublishOperation>[]>;
  /** Publish partition changes as their root table's (default false). */
  publishViaPartitionRoot?: pulumi.Input<boolean>;
  /** Publish stored generated columns (PG18+); PostgreSQL's default "none" when left out. */
  publishGeneratedColumns?: pulumi.Input<"none" | "stored">;
  /** The publication's owner; left as the connecting user when left out. */
  owner?: pulumi.Input<string>;
  /** Take over an existing publication of the same name instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

/** Resolved, checked inputs (tables in canonical form). */
export interface PublicationInputs {
  connection: Connection;
  name: string;
  tables?: TableRef[];
  allTables?: boolean;
  schemas?: string[];
  publish?: PublishOperation[];
  publishViaPartitionRoot?: boolean;
  publishGeneratedColumns?: "none" | "stored";
  owner?: string;
  adopt?: boolean;
}

export interface PublicationOutputs extends PublicationInputs {
  /** host:port/database of the publisher (no credentials). */
  endpoint: string;
  /** The owner as the catalog reports it. */
  actualOwner: string;
  /** Row filters as the server deparsed them at the last create/update, by table; used to keep refresh exact. */
  appliedFilters: Record<string, string>;
  /** server_version_num of the publisher. */
  serverVersion: number;
}

export const PUBLICATION_SECRET_OUTPUTS = ["connection"];

import { delegatingProvider } from "./provider";
import * as impl from "./publicationProvider";

/** The dynamic provider; the implementation is in publicationProvider.ts. */
export const publicationProvider = delegatingProvider(impl);

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
