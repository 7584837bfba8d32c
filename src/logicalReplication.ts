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
import { Publication, type PublicationArgs } from "./publication";
import { SchemaSync, type SchemaSyncArgs } from "./schemaSync";
import { SequenceSync } from "./sequenceSync";
import { Subscription, type SubscriptionArgs } from "./subscription";

/** The Subscription's options the component passes through as they are (see Subscription). */
type SubscriptionOptions = Pick<
  SubscriptionArgs,
  | "enabled"
  | "copyData"
  | "slotName"
  | "streaming"
  | "synchronousCommit"
  | "twoPhase"
  | "disableOnError"
  | "origin"
  | "runAsOwner"
  | "passwordRequired"
  | "failover"
  | "copyMethod"
  | "copyJobs"
>;

/** Every optional argument also takes `undefined` (`exactOptionalPropertyTypes`: `cfg.get(…)` passes as it is). */
export interface LogicalReplicationArgs extends SubscriptionOptions {
  /** The primary (publisher) database, as this program reaches it. Stored as a secret. */
  primary: DeepInput<Connection>;
  /** The replica (subscriber) database. Stored as a secret. */
  replica: DeepInput<Connection>;
  /**
   * Tables to replicate: "name", "schema.name", or objects with column lists and row filters
   * (PG15+). Give `tables`, `schemas` (and `tables` with them), or `allTables`.
   */
  tables?: DeepInput<TableRef[]> | undefined;
  /** Replicate every table of these schemas, tables added to them later included (PG15+). */
  schemas?: DeepInput<string[]> | undefined;
  /** Replicate every table of the database (FOR ALL TABLES). */
  allTables?: pulumi.Input<boolean> | undefined;
  /** Operations to publish; all four when left out. */
  publish?: PublicationArgs["publish"] | undefined;
  /**
   * Publish a partitioned table's changes as its own (true) or as its partitions' (false, the
   * default): the replica's SchemaSync partitions its copy the same way, and a partition created,
   * attached or detached on the primary is created, copied or detached on the replica by the next
   * `up`. Set true when the replica's table is not partitioned (`schemaSync: false`).
   */
  publishViaPartitionRoot?: pulumi.Input<boolean> | undefined;
  /**
   * PG18: "stored" publishes stored generated columns' values (publish_generated_columns): the
   * replica's copies of those columns are plain and receive them. Default "none": the replica
   * computes its own.
   */
  publishGeneratedColumns?: pulumi.Input<"none" | "stored"> | undefined;
  /** The primary as the replica's server reaches it, when that differs from `primary` (private DNS, a proxy). */
  publisher?: DeepInput<Connection> | undefined;
  /** The publication's name; the component's name when left out. */
  publicationName?: pulumi.Input<string> | undefined;
  /** The subscription's name (and slot name); the component's name when left out. */
  subscriptionName?: pulumi.Input<string> | undefined;
  /** Copy the tables' definitions to the replica (default true). */
  schemaSync?: boolean | undefined;
  /**
   * Build secondary indexes, unique constraints and foreign keys after the initial copy (default
   * true: a "pre-data" and a "post-data" SchemaSync around the subscription); false copies every
   * definition before the copy, in one SchemaSync.
   */
  indexesAfterCopy?: boolean | undefined;
  /** Post-data: indexes and validations built at once, each on its own connection (default 4). */
  indexJobs?: pulumi.Input<number> | undefined;
  /** Post-data: maintenance_work_mem of those connections (default "256MB"). */
  maintenanceWorkMem?: pulumi.Input<string> | undefined;
  /** How long the Publication's and the SchemaSyncs' changes, and a repair's emptying of the replica's tables, wait for a table lock before trying again (default 5 s, three tries). */
  lockTimeoutSeconds?: pulumi.Input<number> | undefined;
  /** Drop the copied tables from the replica on destroy (default false: replicated data survives). */
  dropOnDelete?: SchemaSyncArgs["dropOnDelete"] | undefined;
  /** Apply changes that lose data on the replica (drop a column, narrow a type). Default false. */
  allowDestructive?: SchemaSyncArgs["allowDestructive"] | undefined;
  /**
   * Columns the replica has of its own (not from the primary), by table — `{ "public.events":
   * ["loaded_at"] }`: SchemaSync keeps them (a column the primary lacks is otherwise taken for one
   * it dropped). Each nullable or with a default.
   */
  replicaOwnColumns?: SchemaSyncArgs["replicaOwnColumns"] | undefined;
  /**
   * Binary format for the copy and the stream (PG16+ copies in binary too); the subscription's
   * option. Default "auto": binary when both servers are the same major version, 16 or later, and
   * every replicated column has the same type on both sides with binary I/O; text otherwise.
   */
  binary?: SubscriptionArgs["binary"] | undefined;
  /** Wait for the initial copy (default true, 10 minutes): true, false or { timeoutSeconds, maxLagBytes }. */
  waitForSync?: SubscriptionArgs["waitForSync"] | undefined;
  /** The subscription's repair policy (default "recopy"). */
  repair?: SubscriptionArgs["repair"] | undefined;
  /** Copy the subscription's tables again, once per value (a date, a ticket): see Subscription's `recopy`. */
  recopy?: SubscriptionArgs["recopy"] | undefined;
  /**
   * Take over the publication and subscription that exist under these names (their preview shows
   * what changes on them), instead of failing.
   */
  adopt?: pulumi.Input<boolean> | undefined;
  /**
   * Also advance the replica's sequences owned by the tables' columns past the primary's (a
   * SequenceSync after the subscription): each `up` then brings them level. Default false.
   */
  sequences?: boolean | undefined;
  /** With `sequences`: values left unused between the primary's last one and the replica's next (default 0). */
  sequenceMargin?: pulumi.Input<number> | undefined;
}

/** `{ key: value }` for each given key whose value is not undefined. */
function given<T extends object, K extends keyof T>(args: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]])) as Partial<
    Pick<T, K>
  >;
}

const SUBSCRIPTION_OPTIONS = [
  "enabled",
  "copyData",
  "slotName",
  "streaming",
  "synchronousCommit",
  "twoPhase",
  "disableOnError",
  "origin",
  "runAsOwner",
  "passwordRequired",
  "failover",
  "copyMethod",
  "copyJobs",
  "repair",
  "recopy",
  "adopt",
  "lockTimeoutSeconds",
] as const;

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
    if (args.tables === undefined && args.schemas === undefined && !args.allTables)
      throw new Error(
        `LogicalReplication ${JSON.stringify(name)}: give \`tables\`, \`schemas\` or \`allTables: true\`.`,
      );
    const child = { parent: this };
    this.publication = new Publication(
      name,
      {
        connection: args.primary,
        name: args.publicationName ?? name,
        ...given(args, [
          "tables",
          "schemas",
          "allTables",
          "publish",
          "publishViaPartitionRoot",
          "publishGeneratedColumns",
          "adopt",
          "lockTimeoutSeconds",
        ]),
      },
      child,
    );
    const split = args.schemaSync !== false && args.indexesAfterCopy !== false;
    // SchemaSync copies what the publication publishes: listed tables, those of its schemas, all of them.
    // (Listed tables given as declared would let the pre-data run beside the Publication's step:
    // tried, 0.2 s of 6 s at 2 000 tables, and reverted: docs/benchmarks.md §6 run 10.)
    const copied = (section?: "pre-data" | "post-data") => ({
      source: args.primary,
      target: args.replica,
      ...(args.tables !== undefined && args.schemas === undefined && !args.allTables
        ? { tables: this.publication.tables }
        : { publication: this.publication.name }),
      ...(section ? { section } : {}),
      ...given(args, [
        "dropOnDelete",
        "allowDestructive",
        "replicaOwnColumns",
        "lockTimeoutSeconds",
        "publishGeneratedColumns",
      ]),
    });
    if (args.schemaSync !== false)
      this.schemaSync = new SchemaSync(name, copied(split ? "pre-data" : undefined), child);
    this.subscription = new Subscription(
      name,
      {
        connection: args.replica,
        name: args.subscriptionName ?? name,
        publisher: args.publisher ?? args.primary,
        publications: [this.publication],
        waitForSync: args.waitForSync ?? true,
        binary: args.binary ?? "auto",
        ...given(args, SUBSCRIPTION_OPTIONS),
      },
      { parent: this, dependsOn: this.schemaSync ? [this.schemaSync] : [] },
    );
    if (split)
      this.indexes = new SchemaSync(
        `${name}-indexes`,
        {
          ...copied("post-data"),
          ...given(args, ["indexJobs", "maintenanceWorkMem"]),
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
