// Subscription: CREATE SUBSCRIPTION on the replica (never in a transaction block), changed in place
// where PostgreSQL allows, waited on until every table is ready, dropped safely even when the
// publisher is down.

import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "./connection";

export interface SubscriptionArgs {
  /** The replica (subscriber) database. Stored as a secret. Changing the server replaces. */
  connection: pulumi.Input<Connection>;
  /** The subscription's name, taken literally; also the default slot name. Changing it replaces. */
  name: pulumi.Input<string>;
  /** The publisher as the subscriber server reaches it. Changed in place (ALTER … CONNECTION): no re-copy. */
  publisher: pulumi.Input<Connection>;
  /** Publications to subscribe to; changed in place, newly published tables are copied. */
  publications: pulumi.Input<pulumi.Input<string>[]>;
  /** Whether the subscription is active (default true). Changed in place. */
  enabled?: pulumi.Input<boolean>;
  /** Copy existing rows at create and when tables are added (default true). */
  copyData?: pulumi.Input<boolean>;
  /** Create the replication slot on the publisher (default true). */
  createSlot?: pulumi.Input<boolean>;
  /** Replication slot name (default: the subscription name). Changing it replaces. */
  slotName?: pulumi.Input<string>;
  /** Binary transfer format (default false). Changed in place. */
  binary?: pulumi.Input<boolean>;
  /** Stream in-progress transactions: true, false, or "parallel" (PG16+). Changed in place. */
  streaming?: pulumi.Input<boolean | "parallel">;
  /** synchronous_commit for the apply workers (default "off"). Changed in place. */
  synchronousCommit?: pulumi.Input<string>;
  /** Two-phase commit (PG15+). Replaces before PG18. */
  twoPhase?: pulumi.Input<boolean>;
  /** Disable the subscription on apply errors (PG15+). Changed in place. */
  disableOnError?: pulumi.Input<boolean>;
  /** "any" or "none": only changes without origin (PG16+). Changed in place. */
  origin?: pulumi.Input<"any" | "none">;
  /** Apply as the table owner (PG16+). Changed in place. */
  runAsOwner?: pulumi.Input<boolean>;
  /** Require a password for non-superuser owners (PG16+). Changed in place. */
  passwordRequired?: pulumi.Input<boolean>;
  /** Synchronise the slot to standbys for failover (PG17+). Changed in place. */
  failover?: pulumi.Input<boolean>;
  /** Wait for the initial copy: true (10 minutes) or { timeoutSeconds }. Default false. */
  waitForSync?: pulumi.Input<boolean | { timeoutSeconds: number }>;
  /** Take over an existing subscription of the same name instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

export interface SubscriptionInputs {
  connection: Connection;
  name: string;
  publisher: Connection;
  publications: string[];
  enabled?: boolean;
  copyData?: boolean;
  createSlot?: boolean;
  slotName?: string;
  binary?: boolean;
  streaming?: boolean | "parallel";
  synchronousCommit?: string;
  twoPhase?: boolean;
  disableOnError?: boolean;
  origin?: "any" | "none";
  runAsOwner?: boolean;
  passwordRequired?: boolean;
  failover?: boolean;
  waitForSync?: boolean | { timeoutSeconds: number };
  adopt?: boolean;
  /** What the publications publish, as check saw it on the publisher (drives REFRESH PUBLICATION). */
  publishedTables?: string[];
}

export interface SubscriptionOutputs extends SubscriptionInputs {
  endpoint: string;
  serverVersion: number;
  actualSlotName: string | null;
  /** Per-table sync state: i, d, f, s or r (ready). */
  tableStates: Record<string, string>;
  actualEnabled: boolean;
  applyErrors?: number;
  syncErrors?: number;
  /** The slot on the publisher, when the host can reach it: whether a walsender uses it, and the WAL it holds back. */
  slot?: { name: string; active: boolean; retainedBytes: number };
  /** Differences found by refresh that the inputs cannot show (e.g. the connection changed by hand). */
  drift: string[];
}

export const SUBSCRIPTION_SECRET_OUTPUTS = ["connection", "publisher"];

import { delegatingProvider } from "./provider";
import * as impl from "./subscriptionProvider";

/** The dynamic provider; the implementation is in subscriptionProvider.ts. */
export const subscriptionProvider = delegatingProvider(impl);

/** A PostgreSQL subscription on the replica. */
export class Subscription extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly publications: pulumi.Output<string[]>;
  declare readonly tableStates: pulumi.Output<Record<string, string>>;
  declare readonly actualEnabled: pulumi.Output<boolean>;
  declare readonly actualSlotName: pulumi.Output<string | null>;
  declare readonly applyErrors: pulumi.Output<number | undefined>;
  declare readonly syncErrors: pulumi.Output<number | undefined>;
  declare readonly publishedTables: pulumi.Output<string[] | undefined>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly slot: pulumi.Output<{ name: string; active: boolean; retainedBytes: number } | undefined>;

  constructor(name: string, args: SubscriptionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      subscriptionProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        publisher: pulumi.secret(args.publisher),
        publishedTables: undefined,
        endpoint: undefined,
        serverVersion: undefined,
        actualSlotName: undefined,
        tableStates: undefined,
        actualEnabled: undefined,
        applyErrors: undefined,
        syncErrors: undefined,
        slot: undefined,
        drift: undefined,
      },
      { ...opts, additionalSecretOutputs: SUBSCRIPTION_SECRET_OUTPUTS },
      "pg-replication",
      "Subscription",
    );
  }
}
