// LogicalReplication: one declaration for a primary → replica topology. Its children run in the
// order that gets a replica ready fastest: the publication; the schema's pre-data (tables with
// their primary keys, what the copy needs); the subscription, which copies the rows; then the
// post-data (secondary indexes, unique constraints, foreign keys), built once, in parallel, on
// tables that hold their rows — instead of maintained row by row during the copy. A table added
// later takes the same path in one `up`, and the preview shows both phases. With `sequences`, a
// SequenceSync then advances the replica's sequences past the primary's.

import * as pulumi from "@pulumi/pulumi";
import type { DeepInput } from "./kernel/input";
import type { Connection } from "./pg/connection";
import type { TableRef } from "./pg/tables";
import { Publication } from "./publication";
import { SchemaSync } from "./schemaSync";
import { SequenceSync } from "./sequenceSync";
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
  /** Copy the tables' definitions to the replica (default true). */
  schemaSync?: boolean;
  /**
   * Build secondary indexes, unique constraints and foreign keys after the initial copy (default
   * true: a "pre-data" and a "post-data" SchemaSync around the subscription); false copies every
   * definition before the copy, in one SchemaSync.
   */
  indexesAfterCopy?: boolean;
  /** Post-data: indexes and validations built at once, each on its own connection (default 4). */
  indexJobs?: pulumi.Input<number>;
  /** Post-data: maintenance_work_mem of those connections (default "256MB"). */
  maintenanceWorkMem?: pulumi.Input<string>;
  /**
   * Binary format for the copy and the stream (PG16+ copies in binary too); the subscription's
   * option. Default "auto": binary when both servers are the same major version, 16 or later, and
   * every replicated column has the same type on both sides with binary I/O; text otherwise.
   */
  binary?: pulumi.Input<boolean | "auto">;
  /** Wait for the initial copy (default true, 10 minutes): true, false or { timeoutSeconds }. */
  waitForSync?: SubscriptionArgs["waitForSync"];
  /** The subscription's repair policy (default "recopy"). */
  repair?: SubscriptionArgs["repair"];
  /**
   * Also advance the replica's sequences owned by the tables' columns past the primary's (a
   * SequenceSync after the subscription): each `up` then brings them level. Default false.
   */
  sequences?: boolean;
  /** With `sequences`: values left unused between the primary's last one and the replica's next (default 0). */
  sequenceMargin?: pulumi.Input<number>;
}

/** A primary → replica logical replication of a set of tables. */
export class LogicalReplication extends pulumi.ComponentResource {
  readonly publication: Publication;
  /** The definitions the copy needs (all of them when `indexesAfterCopy` is false). */
  readonly schemaSync?: SchemaSync;
  readonly subscription: Subscription;
  /** The indexes, unique constraints and foreign keys, built after the copy. */
  readonly indexes?: SchemaSync;
  /** The replica's sequences, advanced past the primary's (`sequences: true`). */
  readonly sequences?: SequenceSync;
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
    const split = args.schemaSync !== false && args.indexesAfterCopy !== false;
    if (args.schemaSync !== false)
      this.schemaSync = new SchemaSync(
        name,
        {
          source: args.primary,
          target: args.replica,
          tables: this.publication.tables,
          ...(split ? { section: "pre-data" as const } : {}),
        },
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
        binary: args.binary ?? "auto",
        ...(args.repair !== undefined ? { repair: args.repair } : {}),
      },
      { parent: this, dependsOn: this.schemaSync ? [this.schemaSync] : [] },
    );
    if (split)
      this.indexes = new SchemaSync(
        `${name}-indexes`,
        {
          source: args.primary,
          target: args.replica,
          tables: this.publication.tables,
          section: "post-data",
          ...(args.indexJobs !== undefined ? { indexJobs: args.indexJobs } : {}),
          ...(args.maintenanceWorkMem !== undefined ? { maintenanceWorkMem: args.maintenanceWorkMem } : {}),
        },
        { parent: this, dependsOn: [this.subscription] },
      );
    if (args.sequences)
      this.sequences = new SequenceSync(
        `${name}-sequences`,
        {
          source: args.primary,
          target: args.replica,
          // The copied tables: unknown in the preview of a first up (the sequences do not exist on
          // the replica yet, and must not fail check), read on both sides once they do.
          tables: this.schemaSync?.syncedTables ?? this.publication.tables,
          ...(args.sequenceMargin !== undefined ? { margin: args.sequenceMargin } : {}),
        },
        { parent: this, dependsOn: [this.subscription] },
      );
    this.tableStates = this.subscription.tableStates;
    this.registerOutputs({ tableStates: this.tableStates });
  }
}
