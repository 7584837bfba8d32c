// The Subscription's fields, declared once: the arguments (a plain interface, what users read; the
// options come from options.ts's table), what check computes, the state, and the table every
// derived piece comes from (validation, defaults, diff, refresh, the Resource class's outputs).

import type { Binding } from "../pg/binding";
import { withSettingsOff, type Connection, type ConnectionInfo } from "../pg/connection";
import type { RecopyRequest } from "../pg/recopy";
import type { TableName } from "../pg/tables";
import { tableId } from "../pg/tables";
import { sameValue } from "../kernel/values";
import { resourceLabel } from "../kernel/label";

/** How long to wait for the initial copy, and for the lag to fall under a bound. */
export interface WaitForSync {
  /** Seconds (default 600). */
  timeoutSeconds?: number;
  /** Also wait until the publisher's WAL is at most this many bytes past what the subscription confirmed. */
  maxLagBytes?: number;
}

/** The Subscription's arguments, resolved (SubscriptionArgs takes each as a pulumi.Input). */
export interface SubscriptionBaseFields {
  /** The replica (subscriber) database. Stored as a secret. Changing the server replaces. */
  connection: Connection;
  /** The subscription's name, taken literally; also the default slot name. Changing it replaces. */
  name: string;
  /** The publisher as the subscriber server reaches it. Changed in place (ALTER … CONNECTION): no re-copy. */
  publisher: Connection;
  /**
   * Publications to subscribe to: names, or the Publication resources themselves (then the preview
   * also knows what they will publish, and when one is re-created under the subscription). Changed
   * in place; newly published tables are copied.
   */
  publications: (string | Binding)[];
  /** Whether the subscription is active (default true). Changed in place. */
  enabled?: boolean;
  /**
   * Wait for the initial copy: true (10 minutes) or { timeoutSeconds, maxLagBytes }. With
   * maxLagBytes, also wait until the publisher's WAL is at most that many bytes past what the
   * subscription confirmed (0 after writes stopped: caught up; needs the publisher reachable from
   * the program). Default false.
   */
  waitForSync?: boolean | WaitForSync;
  /** Take over an existing subscription of the same name instead of failing. */
  adopt?: boolean;
  /**
   * What `up` does when the stream is broken in a way PostgreSQL does not heal (a publication or the
   * slot dropped or re-created, the subscription dropped by hand, tables SchemaSync re-creates):
   * "recopy" (default) empties the subscription's tables on the replica and copies them again with a
   * new slot, losing nothing; "refuse" fails the preview with the reason and the tables instead.
   */
  repair?: "recopy" | "refuse";
  /**
   * Copy the subscription's tables again, once per value: set or change it (a date, a ticket) and
   * the next `up` empties them on the replica and copies them again with a new slot, as a repair
   * does — for rows the replica lost that no stream carries back (a row deleted there by hand,
   * updates PostgreSQL skipped). A table other writers fill is refused, as for any repair; given
   * with the subscription's first `up`, nothing is copied twice.
   */
  recopy?: string;
  /**
   * How the initial copy (and a repair's re-copy) runs: "postgres" (PostgreSQL's table
   * synchronisation, server to server, a worker and a temporary slot per table), "snapshot" (this
   * program creates the slot, copies every table under its exported snapshot on `copyJobs`
   * connections, the rows passing through the machine that runs Pulumi, and the subscription then
   * streams from that slot), or "auto" (default): the snapshot copy when this program can read the
   * publisher and the tables hold at most 1 GiB and 8 MiB on average, PostgreSQL's otherwise. See the README's "Initial
   * copy". A change affects the next copy only.
   */
  copyMethod?: "postgres" | "snapshot" | "auto";
  /** Connections on each side of a snapshot copy (default 4). A change affects the next copy only. */
  copyJobs?: number;
  /**
   * How long a repair waits for the locks to empty the subscription's tables on the replica (behind
   * a long report query, a VACUUM) before it is rolled back and tried again (three tries; default 5
   * s); then it fails naming who holds them, with the subscription untouched.
   */
  lockTimeoutSeconds?: number;
}

/** The options as Subscription arguments (plain values; the Subscription takes each as an Input). */
export interface OptionInputs {
  /** Copy existing rows at create and when tables are added (default true). */
  copyData?: boolean;
  /** Create the replication slot on the publisher (default true). */
  createSlot?: boolean;
  /** Replication slot name (default: the subscription name). Changing it replaces. */
  slotName?: string;
  /**
   * Binary transfer format (default false). "auto": true when both servers are the same major
   * version, 16 or later, and every replicated column has the same type on both sides with binary
   * I/O; settled at check, or at apply when the replica's tables are not there yet. Changed in place.
   */
  binary?: boolean | "auto";
  /** Stream in-progress transactions: true, false, or "parallel" (PG16+). Changed in place. */
  streaming?: boolean | "parallel";
  /** synchronous_commit for the apply workers (default "off"). Changed in place. */
  synchronousCommit?: "on" | "off" | "local" | "remote_write" | "remote_apply";
  /** Two-phase commit (PG15+). Changed in place from PG18 (disabled around the change); replaces before. */
  twoPhase?: boolean;
  /** Disable the subscription on apply errors (PG15+). Changed in place. */
  disableOnError?: boolean;
  /** "any" or "none": only changes without origin (PG16+; two-way replication). Changed in place. */
  origin?: "any" | "none";
  /** Apply as the table owner (PG16+). Changed in place. */
  runAsOwner?: boolean;
  /** Require a password for non-superuser owners (PG16+). Changed in place. */
  passwordRequired?: boolean;
  /** Synchronise the slot to standbys for failover (PG17+). Changed in place (disabled around the change). */
  failover?: boolean;
}

export type SubscriptionFields = SubscriptionBaseFields & OptionInputs;

/** A repair the next `up` makes, as the preview shows it (see drift.ts). */
export interface PendingRepair {
  /** Why, one sentence each. */
  reasons: string[];
  /** The tables emptied on the replica and copied again. */
  tables: TableName[];
  /**
   * An unfinished snapshot copy finished instead: the tables it finished stay (`kept`), PostgreSQL
   * copies the other published tables (`tables` hold part of their rows and are emptied first).
   */
  resume?: { kept: TableName[] };
}

/** What check computes, or wiring provides; never given by a program. */
export interface SubscriptionComputed {
  /** What the publications publish, as check saw it on the publisher (drives REFRESH PUBLICATION). */
  publishedTables?: TableName[];
  /** Each publication with its oid and tables, as bound at the last create/update. */
  bindings?: Binding[];
  /** The subscriber's identity (system identifier and database), whatever spelling reaches it. */
  serverId?: string;
  /** A repair the next `up` makes, and why. */
  pendingRepair?: PendingRepair;
  /** Why the stream looked stopped at check (stall.ts); not kept in the state. */
  stalled?: string;
  /**
   * The apply error count (PG15+) the last look saw — a check (kept with the inputs of the last
   * `up`), a write or a refresh — unless the stream was stalled then: stall.ts's baseline.
   */
  applyErrorsSeen?: number;
  /** PG18: the updates the subscriber skipped for lack of the row, as the last `up` saw them (skipped.ts). */
  skippedSeen?: number;
  /** Why the replica differs by skipped updates, found at check (skipped.ts); not kept in the state. */
  skipped?: string;
  /** Tables SchemaSync re-creates on the replica (wired from a SchemaSync in dependsOn). */
  recopyRequests?: RecopyRequest[];
  /** The publications given as Publication resources: this program creates them (wired). */
  declaredPublications?: string[];
  /** The ids of the re-copy requests already served (a request is served once). */
  recopyServed?: string[];
  /** pg_subscription.oid: which subscription the state describes (one dropped and created again has another). */
  oid?: number;
  /**
   * The leaf partitions ("schema.name") of the partitioned tables its publications publish through
   * the root, as check saw them: one attached since the last write may hold rows the stream never
   * carried (observe.ts newlyAttached). A write records them; a refresh keeps the recorded ones.
   */
  rootPartitions?: string[];
  /**
   * With `adopt`, when a subscription of this name exists and this `up` creates the resource: what
   * the create changes on it (["nothing"] when it already matches), shown by the preview.
   */
  adoption?: string[];
  /**
   * The timeouts the publisher runs this role's sessions with, which would end the subscription's
   * table COPYs, its WAL sender on a long transaction or a sender idle between two commands
   * (statement_timeout, transaction_timeout, the idle ones), as check read them: its connection
   * turns them off (feedConnection). Kept in the state: what the last create or update wrote,
   * which a non-superuser cannot read back.
   */
  publisherTimeoutsOff?: string[];
}

export type SubscriptionInputs = SubscriptionFields & SubscriptionComputed;

/** The publication names of `publications` (names, or bindings from Publications). */
export function publicationNames(publications: readonly (string | { name: string })[]): string[] {
  return publications.map((p) => (typeof p === "string" ? p : p.name));
}

/** The replication slot on the publisher, when the host can reach it. */
export interface SlotHealth {
  name: string;
  /** Whether a walsender is streaming from it. */
  active: boolean;
  /** WAL the slot holds back on the publisher, in bytes. */
  retainedBytes: number;
  /** The publisher's current WAL position minus what the subscription confirmed (confirmed_flush_lsn), in bytes. */
  lagBytes: number;
}

/** How far behind the replica is, when last looked at. */
export interface Lag {
  /** Bytes of the publisher's WAL the subscription has not confirmed; null when this host cannot reach the publisher. */
  bytes: number | null;
  /** When the subscription's apply worker last received a message (ISO 8601); null when it is not running. */
  lastMessageAt: string | null;
}

/** What a Subscription reports: its arguments and what the servers say. */
export interface SubscriptionOutputs extends Omit<SubscriptionFields, "publications"> {
  /** The publication names. */
  publications: string[];
  /** host:port/database of the subscriber (no credentials). */
  endpoint: string;
  /** server_version_num of the subscriber. */
  serverVersion: number;
  /** The replication slot in use on the publisher (null when detached). */
  actualSlotName: string | null;
  /** Per-table sync state ("schema.name": i initializing, d copying, f finished copy, s synchronized, r ready). */
  tableStates: Record<string, string>;
  /** Whether the subscription is enabled on the subscriber. */
  actualEnabled: boolean;
  /** Apply errors the subscriber counted (PG15+). */
  applyErrors?: number;
  /** Initial-sync errors the subscriber counted (PG15+). */
  syncErrors?: number;
  /** The slot on the publisher, when this program can reach it. */
  slot?: SlotHealth;
  /** How far behind the replica is: bytes of the publisher's WAL not yet confirmed (null when unreachable from here), and when the last message arrived. */
  lag: Lag;
  /** Differences found by refresh that the arguments cannot show. */
  drift: string[];
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface SubscriptionState extends SubscriptionOutputs, SubscriptionComputed {}

/** What the Resource class registers besides the arguments (each becomes an output). */
export const SUBSCRIPTION_STATE_KEYS = {
  endpoint: true,
  serverVersion: true,
  actualSlotName: true,
  tableStates: true,
  actualEnabled: true,
  applyErrors: true,
  syncErrors: true,
  slot: true,
  lag: true,
  drift: true,
  publishedTables: true,
  bindings: true,
  serverId: true,
  pendingRepair: true,
  stalled: true,
  applyErrorsSeen: true,
  skippedSeen: true,
  skipped: true,
  recopyServed: true,
  oid: true,
  rootPartitions: true,
  adoption: true,
  publisherTimeoutsOff: true,
} as const satisfies Record<
  Exclude<keyof SubscriptionState, keyof SubscriptionFields | "recopyRequests" | "declaredPublications">,
  true
>;

/**
 * The connection the subscription's own workers open on the publisher (its CONNECTION): the
 * publisher connection with `publisherTimeoutsOff` turned off in its options (`-c name=0`), so
 * that neither PostgreSQL's table COPYs nor the WAL sender of its stream are cut short by the
 * role's timeouts (this program's own sessions turn them off themselves: session.ts).
 */
export function feedConnection(
  publisher: ConnectionInfo,
  inputs: { publisherTimeoutsOff?: readonly string[] | undefined },
): ConnectionInfo {
  return withSettingsOff(publisher, inputs.publisherTimeoutsOff);
}

/** Whether two lists of tables name the same ones. */
export function sameTables(a: readonly TableName[] = [], b: readonly TableName[] = []): boolean {
  return sameValue(a.map(tableId).sort(), b.map(tableId).sort());
}

/** Outputs that hold credentials. */
export const SUBSCRIPTION_SECRET_OUTPUTS = ["connection", "publisher"];

export function label(name: string): string {
  return resourceLabel("Subscription", name);
}

/** The handover publication's name: the slot's (lowercase letters, digits, _) with a suffix, 63 bytes at most. */
export function handoverName(slot: string): string {
  return `${slot.slice(0, 63 - "_handover".length)}_handover`;
}
