// LogicalReplication: one declaration for a primary → replica topology. It creates the
// publication, the schema copy and the subscription as children, in that order, so that a change
// to the table list is applied by a single `pulumi up`.

import * as pulumi from "@pulumi/pulumi";
import type { DeepInput } from "./kernel/input";
import type { Connection } from "./pg/connection";
import type { TableRef } from "./pg/tables";
import { Publication } from "./publication";
import { SchemaSync } from "./schemaSync";
import { Subscription, type SubscriptionArgs } from "./subscription";

export interface LogicalReplicationArgs {
  /** The primary (publisher) database, as this program reaches it. Stored as a secret. */
  primary: DeepInput<Connection>;
  /** The replica (subscriber) database. Stored as a secret. */
  replica: DeepInput<Connection>;
  /** Tables to replicate: "name", "schema.name", or objects with column lists and row filters (PG15+). */
  tables: DeepInput<TableRef[]>;
  /** The primary as the replica's server reaches it, when that differs from `primary` (private DNS, a proxy). */
  publisher?: DeepInput<Connection>;
  /** The publication's name; the component's name when left out. */
  publicationName?: pulumi.Input<string>;
  /** The subscription's name (and slot name); the component's name when left out. */
  subscriptionName?: pulumi.Input<string>;
  /** Copy the tables' definitions to the replica first (default true). */
  schemaSync?: boolean;
  /** Wait for the initial copy (default true, 10 minutes): true, false or { timeoutSeconds }. */
  waitForSync?: SubscriptionArgs["waitForSync"];
}

/** A primary → replica logical replication of a set of tables. */
export class LogicalReplication extends pulumi.ComponentResource {
  readonly publication: Publication;
  readonly schemaSync?: SchemaSync;
  readonly subscription: Subscription;
  /** Per-table sync state on the replica ("r" = ready). */
  readonly tableStates: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: LogicalReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pg-replication:index:LogicalReplication", name, {}, opts);
    const child = { parent: this };
    this.publication = new Publication(
      name,
      { connection: args.primary, name: args.publicationName ?? name, tables: args.tables },
      child,
    );
    if (args.schemaSync !== false)
      this.schemaSync = new SchemaSync(
        name,
        { source: args.primary, target: args.replica, tables: this.publication.tables },
        child,
      );
    this.subscription = new Subscription(
      name,
      {
        connection: args.replica,
        name: args.subscriptionName ?? name,
        publisher: args.publisher ?? args.primary,
        publications: [this.publication],
        waitForSync: args.waitForSync ?? true,
      },
      { parent: this, dependsOn: this.schemaSync ? [this.schemaSync] : [] },
    );
    this.tableStates = this.subscription.tableStates;
    this.registerOutputs({ tableStates: this.tableStates });
  }
}
