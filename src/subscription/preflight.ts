// Before CREATE SUBSCRIPTION: the publications exist, every published table exists on the
// subscriber (else CREATE fails with 42P01), and the subscriber has logical replication workers for
// it: one apply worker, and at least one table-sync worker while its tables are copied, beside those
// of the subscriptions it already runs. Otherwise the subscription is created but never syncs.

import type { CheckFailure } from "../kernel/check";
import * as log from "../kernel/log";
import { conninfo, endpoint, type ConnectionInfo } from "../pg/connection";
import { alterRoleNoTimeouts } from "../pg/grants";
import type { Session } from "../pg/session";
import { readSettings } from "../pg/settings";
import type { PublishedColumn } from "../pg/published";
import { readTableFacts } from "../pg/tableFacts";
import { tableId, tableKey, type TableName } from "../pg/tables";
import { formatVersion } from "../kernel/versions";
import { sameValue } from "../kernel/values";
import type { Ends } from "./fields";
import { bytes } from "../kernel/units";
import { literal } from "../pg/quote";
import {
  countEnabledSubscriptions,
  describeTimeouts,
  readGeneratedAmong,
  type PublisherLimits,
  type SlotFacts,
} from "./catalog";
import type { PublisherView } from "./publisher";
import { feedConnection, label, type SubscriptionInputs } from "./types";

/**
 * Why a new subscription may not create its slot: one of that name exists on the publisher and is
 * not this subscription's (the state names no such slot). It is another subscriber's — a second
 * stack of the same program, another subscription under the same name (the slot is named after
 * it) — or one left behind. CREATE SUBSCRIPTION would fail on it, and undoing a half-made one
 * would drop it under that subscriber.
 */
export function slotTakenReason(
  slot: string,
  publisher: ConnectionInfo,
  facts: SlotFacts | undefined,
): string {
  const holder = facts?.holder;
  const use = facts?.active
    ? `a subscriber streams from it now${holder?.application ? ` (application_name ${JSON.stringify(holder.application)}${holder.address ? `, from ${holder.address}` : ""})` : ""}`
    : `nothing streams from it now${facts ? ` and it holds ${bytes(facts.retainedBytes)} of WAL` : ""}`;
  return `replication slot ${JSON.stringify(slot)} already exists on ${endpoint(publisher)} and is not this subscription's: ${use}. Another stack or program may subscribe under the same name (a slot is named after its subscription). Give this subscription a slot name unique on the publisher with \`slotName\` (\`subscriptionName\` on LogicalReplication), or, if that slot is nobody's, drop it on the publisher: SELECT pg_drop_replication_slot(${literal(slot)});`;
}

/**
 * Whether the subscriber can run one more subscription (`others`: the enabled ones it runs now),
 * as a check failure with the numbers and the settings to raise; a warning when the copy will have
 * fewer parallel table syncs than it could use.
 */
export function workerFailures(
  settings: Record<string, string>,
  others: number,
  inputs: Pick<SubscriptionInputs, "name" | "enabled" | "copyData" | "copyMethod">,
): CheckFailure[] {
  if (inputs.enabled === false) return [];
  const workers = Number(settings["max_logical_replication_workers"] ?? 4);
  const perSync = Number(settings["max_sync_workers_per_subscription"] ?? 2);
  // A snapshot copy runs no table-sync worker ("auto" may still leave the copy to PostgreSQL).
  const copies = inputs.copyData !== false && inputs.copyMethod !== "snapshot";
  const needed = others + 1 + (copies ? 1 : 0);
  const wanted = (others + 1) * (1 + perSync);
  const what = copies
    ? "an apply worker and at least one table-sync worker for its initial copy"
    : "an apply worker";
  if (workers < needed)
    return [
      {
        property: "connection",
        reason: `the subscriber has max_logical_replication_workers = ${workers}, and ${others} enabled subscription(s) already take ${others} apply worker(s): this one needs ${what}, ${needed} in all, or it never syncs. Raise max_logical_replication_workers to at least ${Math.max(needed, wanted)} (and max_worker_processes with it) and restart the subscriber.`,
      },
    ];
  // Each running apply or table-sync worker holds a replication origin's state: bounded by
  // max_active_replication_origins from 18, by max_replication_slots before.
  const originSetting =
    settings["max_active_replication_origins"] !== undefined
      ? "max_active_replication_origins"
      : "max_replication_slots";
  const origins = Number(settings[originSetting] ?? 10);
  if (origins < needed)
    return [
      {
        property: "connection",
        reason: `the subscriber has ${originSetting} = ${origins}, which bounds the replication origins its running apply and table-sync workers hold, and ${others} enabled subscription(s) already take ${others}: this one needs ${what}, ${needed} in all, or its workers fail and retry without end ("could not find free replication state slot"). Raise ${originSetting} to at least ${Math.max(needed, wanted)} and restart the subscriber.`,
      },
    ];
  if (copies && workers < wanted)
    log.warn(
      `${label(inputs.name)}: the subscriber has max_logical_replication_workers = ${workers}; ${others + 1} subscriptions with max_sync_workers_per_subscription = ${perSync} want ${wanted}, so the initial copy will run with fewer parallel table syncs.`,
    );
  return [];
}

/**
 * Whether the publisher has the replication slots and WAL senders this `up` takes: the
 * subscription's slot (unless it exists) and its apply worker's sender, and for PostgreSQL's copy
 * one more of each per table copied at once (each table sync streams from a slot of its own).
 * Otherwise CREATE SUBSCRIPTION fails, or the table syncs fail and retry until the wait times out
 * (measured PG16: 2 slots, one taken by another consumer).
 */
export function senderFailures(
  capacity: PublisherLimits,
  need: { slot: boolean; sender: boolean; syncs: boolean },
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const extra = need.syncs ? 1 : 0;
  const syncs = need.syncs ? " and, for PostgreSQL's copy, at least one more for its table syncs" : "";
  const slots = (need.slot ? 1 : 0) + extra;
  if (slots > 0 && capacity.slotsUsed + slots > capacity.slots)
    failures.push({
      property: "publisher",
      reason: `the publisher has max_replication_slots = ${capacity.slots} and ${capacity.slotsUsed} slot(s) exist: this subscription needs ${need.slot ? "its own slot" : "its slot (which exists)"}${syncs}, ${slots} more in all, or ${need.slot && capacity.slotsUsed >= capacity.slots ? "creating it fails" : "its table syncs fail and retry until the wait times out"}. Drop slots no longer used (pg_drop_replication_slot; an unused slot also keeps WAL), or raise max_replication_slots on the publisher and restart it${need.syncs ? '; `copyMethod: "snapshot"` needs only its own slot' : ""}.`,
    });
  const senders = (need.sender ? 1 : 0) + extra;
  const takers = [
    ...(need.sender ? ["one for its apply worker"] : []),
    ...(need.syncs ? ["at least one for PostgreSQL's table syncs"] : []),
  ].join(" and ");
  if (senders > 0 && capacity.sendersUsed + senders > capacity.senders)
    failures.push({
      property: "publisher",
      reason: `the publisher has max_wal_senders = ${capacity.senders} and ${capacity.sendersUsed} in use: this subscription needs ${takers}, ${senders} more in all, or its workers are refused and retry without end. Raise max_wal_senders on the publisher and restart it.`,
    });
  return failures;
}

/**
 * Why the stream would stop on a long transaction: on an 18 subscriber a transaction_timeout for
 * the subscription owner's role ends its apply workers whenever applying one transaction takes
 * longer. Measured with 300–400 ms and a 400 000-row INSERT or UPDATE on 18.4: the parallel apply
 * workers of `streaming: "parallel"` (18's default) were ended with a superuser owner, and the
 * apply worker itself with an owner that is not one (an UPDATE of indexed columns, `streaming`
 * off), the transaction retried without end; on 17.10 neither. A statement_timeout let it through.
 * (The publisher role's, which ended the WAL sender on 17.10 and 18.4, the subscription's
 * connection turns off: feedConnection.) The reason with its fix; none when it is not set.
 */
export function streamStopReasons(owner: { role: string; value: string | null } | undefined): CheckFailure[] {
  const timed = timedOwner(owner);
  if (!timed) return [];
  const { runs, lift } = ownerTimeoutWords(timed);
  return [
    {
      property: "connection",
      reason: `${runs}, which also ends its apply workers whenever applying one transaction takes longer: the transaction is retried without end and the replica stalls behind it. ${lift}`,
    },
  ];
}

/** What each reason about the owner's transaction_timeout says of it: who runs under it, and the statement that lifts it. */
function ownerTimeoutWords(owner: OwnerTimeout): { runs: string; lift: string } {
  const timeouts = [{ name: "transaction_timeout", value: owner.value } as const];
  return {
    runs: `the subscriber runs the sessions of role ${JSON.stringify(owner.role)}, the subscription's owner, with ${describeTimeouts(timeouts)} (set for the role, its database or the server)`,
    lift: `Run ${alterRoleNoTimeouts(owner.role, timeouts)} on the subscriber`,
  };
}

/** The subscription owner's transaction_timeout as read, when it is set (not zero, not unknown). */
export function timedOwner(
  owner: { role: string; value: string | null } | undefined,
): OwnerTimeout | undefined {
  if (!owner?.value || /^0+(\.0*)?[a-z]*$/i.test(owner.value.trim())) return undefined;
  return { role: owner.role, value: owner.value };
}

/** A transaction_timeout the subscription owner's role runs under on the subscriber (17+). */
export interface OwnerTimeout {
  role: string;
  value: string;
}

/**
 * Why PostgreSQL's table synchronisation never finishes under the owner's transaction_timeout:
 * its workers run as the owner and copy each table in one transaction, ended whenever that takes
 * longer. Measured with 400 ms and a 200 000-row table added to a running subscription, an owner
 * that is not a superuser: on 17.10 and 18.4 the workers were ended about twice a second, the
 * table stayed in its data copy without end and no sync error was counted. A superuser owner's
 * workers are ended alike (17.10 and 18.4, a new subscription: 200 000 rows under 400 ms and
 * 400 000 under 300 ms did not leave their data copy in 30 s; 100 000 rows, copied within 400 ms,
 * did). `fix`: the way out besides lifting it.
 */
export function ownerTimeoutSyncReason(owner: OwnerTimeout, fix: string): string {
  const { runs, lift } = ownerTimeoutWords(owner);
  return `${runs}, which ends PostgreSQL's table synchronisation workers whenever copying a table takes longer: the table stays in its data copy without end, without a sync error. ${lift}${fix}`;
}

/**
 * What the subscriber's own libpq (its server's version) cannot do with the publisher connection:
 * sslrootcert=system is libpq 16's; before, it reads a file named "system" and every connection
 * of the subscription fails.
 */
export function subscriberLibpqFailures(version: number, publisher: ConnectionInfo): CheckFailure[] {
  if (publisher.sslRootCert !== "system" || version >= 160000) return [];
  return [
    {
      property: "publisher",
      reason: `the publisher connection has sslrootcert=system, which the subscriber's libpq knows from PostgreSQL 16; the subscriber runs ${formatVersion(version)}, whose workers would look for a file named "system" and fail to connect: give the path of the CA bundle on the subscriber's machine (for example sslrootcert=/etc/ssl/certs/ca-certificates.crt with sslmode=verify-full), or upgrade the subscriber to 16 or later`,
    },
  ];
}

/**
 * A stored generated column whose values the publisher publishes (PG18: publish_generated_columns,
 * or a column list naming it) must be a plain column on the subscriber: PostgreSQL applies no value
 * to a generated column, and its copy would fail on every try. Checked at preview and again before
 * CREATE SUBSCRIPTION (`view`: the publisher as read then; nothing to check without it).
 */
export async function generatedFailures(
  s: Session,
  view: PublisherView | undefined,
  ends: Ends,
): Promise<CheckFailure[]> {
  const clash = await readGeneratedAmong(s, view?.generated ?? []);
  if (clash.length === 0) return [];
  return [
    {
      property: "connection",
      reason: `published column(s) ${clash.map((c) => `${tableKey(c)}.${c.column}`).join(", ")} are generated on the publisher, which publishes their values (publish_generated_columns = stored, or a column list naming them), and generated on the subscriber ${endpoint(ends.connection)}, where PostgreSQL cannot apply them: make them plain columns there (ALTER TABLE … ALTER COLUMN … DROP EXPRESSION; SchemaSync does it with \`publishGeneratedColumns: "stored"\`) or stop publishing them`,
    },
  ];
}

/**
 * The published generated columns PostgreSQL's own table synchronisation leaves out on a
 * subscriber before 18 (its copy lists only the publisher's columns that are not generated), while
 * a PG18 publisher's stream then sends their values: copied rows would keep those plain replica
 * columns empty, rows written later would have them (measured PG18 → PG17: 200 of 201 rows).
 * Only this program's snapshot copy copies them there.
 */
export function leftOutBySync(
  version: number,
  generated: readonly PublishedColumn[],
  tables: readonly TableName[],
): PublishedColumn[] {
  if (version >= 180000) return [];
  const copied = new Set(tables.map(tableId));
  return generated.filter((c) => copied.has(tableId(c)));
}

/** Why PostgreSQL's copy may not copy `columns` here (leftOutBySync), and `fix`. */
export function leftOutReason(columns: readonly PublishedColumn[], version: number, fix: string): string {
  return `the publisher publishes the values of generated column(s) ${columns.map((c) => `${tableKey(c)}.${c.column}`).join(", ")}, which PostgreSQL's table synchronisation on this subscriber (${formatVersion(version)}: before 18) leaves out of its copy: the copied rows would keep them empty on the replica while later changes fill them. ${fix}`;
}

/** The ways out of leftOutBySync for a copy about to start. */
export const LEFT_OUT_FIX =
  'Set `copyMethod: "snapshot"` or "auto" (this program\'s copy copies them), upgrade the subscriber to 18, or stop publishing them (`publishGeneratedColumns: "none"`, or leave them out of the column list; the replica then computes its own)';

/** What PostgreSQL's own table synchronisation cannot do here, as the publisher's view says. */
export interface SyncLimits {
  /** Stored generated columns whose values the publisher publishes (PG18). */
  generated: readonly PublishedColumn[];
  /** The subscriber's max_sync_workers_per_subscription, where read (0: its copy never starts). */
  syncWorkers?: number;
  /** The subscription owner's transaction_timeout on the subscriber, where set (its copy never ends). */
  ownerTimeout?: OwnerTimeout;
}

/** `limits` with the subscriber's table-sync workers: as given, else read from its settings. */
export async function withSyncWorkers(s: Session, limits: SyncLimits): Promise<SyncLimits> {
  if (limits.syncWorkers !== undefined) return limits;
  const v = (await readSettings(s)).settings["max_sync_workers_per_subscription"];
  return v === undefined ? limits : { ...limits, syncWorkers: Number(v) };
}

/**
 * The limits `view` says, with the subscriber's table-sync workers when its `settings` were read
 * and the subscription owner's transaction_timeout (readOwnerTransactionTimeout) when set.
 */
export function syncLimitsOf(
  view: PublisherView | undefined,
  settings?: Record<string, string>,
  owner?: { role: string; value: string | null },
): SyncLimits {
  const workers = settings?.["max_sync_workers_per_subscription"];
  const ownerTimeout = timedOwner(owner);
  return {
    generated: view?.generated ?? [],
    ...(workers !== undefined ? { syncWorkers: Number(workers) } : {}),
    ...(ownerTimeout ? { ownerTimeout } : {}),
  };
}

/**
 * Records in `inputs` the publisher role's timeouts the subscription's connection turns off
 * (feedConnection), as `view` read them; without a view (the publisher unread), `last`.
 */
export function recordTimeoutsOff(
  inputs: SubscriptionInputs,
  view: PublisherView | undefined,
  last: readonly string[] | undefined,
): void {
  const off = view ? view.limits.roleTimeouts.map((t) => t.name) : last;
  if (off && off.length > 0) inputs.publisherTimeoutsOff = [...off];
  else delete inputs.publisherTimeoutsOff;
}

/**
 * The CONNECTION a subscription is created with: the publisher connection with the role's timeouts,
 * as `view` read them just now, turned off (feedConnection), recorded in `inputs` for the state.
 */
export function createConnection(
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  view: PublisherView | undefined,
): string {
  recordTimeoutsOff(inputs, view, inputs.publisherTimeoutsOff);
  return conninfo(feedConnection(publisher, inputs));
}

/**
 * What a preview says of the publisher role's timeouts the subscription's connection turns off
 * (recordTimeoutsOff): for a new subscription, which and why; for one the stack has (`previous`,
 * its last inputs), that they changed and up sets its connection again.
 */
export function timeoutsOffLine(
  inputs: SubscriptionInputs,
  view: PublisherView | undefined,
  previous: { publisherTimeoutsOff?: readonly string[] } | undefined,
): string | undefined {
  const off = inputs.publisherTimeoutsOff ?? [];
  const who = label(inputs.name);
  if (previous)
    return sameValue(previous.publisherTimeoutsOff ?? [], off)
      ? undefined
      : `${who}: the publisher role's timeouts changed: up sets the subscription's connection again, ${off.length > 0 ? `turning off ${off.join(" and ")} for its sessions there` : "without turning any off"}.`;
  const timeouts = view?.limits.roleTimeouts ?? [];
  // The idle timeouts alone were not measured to cut anything short: said as what they can do.
  const cuts = timeouts.some((t) => t.name === "statement_timeout" || t.name === "transaction_timeout");
  return timeouts.length > 0
    ? `${who}: the publisher runs the sessions of role ${JSON.stringify(view!.role.user)} with ${describeTimeouts(timeouts)}, which ${cuts ? "would cut PostgreSQL's copy and the stream short" : "could end a sender waiting between its commands"}: the subscription's connection turns them off for its own sessions there (options=${off.map((n) => `-c ${n}=0`).join(" ")}).`
    : undefined;
}

/**
 * Why PostgreSQL's own copy of `tables` cannot be left to it here, each reason with its fix, and
 * the tables only this program's copy can copy (all of them when no table-sync worker may start).
 * The publisher role's statement_timeout and transaction_timeout, which cut its COPYs short
 * (measured: a COPY cancelled at 1 s retried 54 times in 60 s, never finishing; ended by a 300 ms
 * transaction_timeout on PostgreSQL 18, 65 times in 20 s), the subscription's connection turns off
 * (feedConnection).
 */
export function syncBlockers(
  version: number,
  limits: SyncLimits,
  tables: readonly TableName[],
  fixes: { generated: string; workers: string; timeout: string },
): { tables: TableName[]; reasons: string[] } {
  const leftOut = leftOutBySync(version, limits.generated, tables);
  const idle = limits.syncWorkers === 0 && tables.length > 0;
  const timed = tables.length > 0 ? limits.ownerTimeout : undefined;
  const reasons = [
    ...(leftOut.length > 0 ? [leftOutReason(leftOut, version, fixes.generated)] : []),
    ...(idle
      ? [
          `the subscriber has max_sync_workers_per_subscription = 0, so PostgreSQL's table synchronisation never starts a table's copy (measured: its tables stay "initializing", without an error). ${fixes.workers}`,
        ]
      : []),
    ...(timed ? [ownerTimeoutSyncReason(timed, fixes.timeout)] : []),
  ];
  const pinned = new Set(leftOut.map(tableId));
  return {
    tables: idle || timed ? [...tables] : tables.filter((t) => pinned.has(tableId(t))),
    reasons,
  };
}

/** The fixes of syncBlockers for a copy about to start by PostgreSQL. */
export const SYNC_FIXES = {
  generated: LEFT_OUT_FIX,
  workers: `Set \`copyMethod: "snapshot"\` or "auto" (this program's copy needs no table-sync worker), or raise max_sync_workers_per_subscription on the subscriber (a reload is enough)`,
  timeout: `, or set \`copyMethod: "snapshot"\` or "auto" (this program's copy turns it off in its own sessions)`,
};

/**
 * Throws one error listing every problem with its fix. `owner`: the owner's transaction_timeout as
 * the caller read it (readOwnerTransactionTimeout), for a copy left to PostgreSQL.
 */
export async function createPreflight(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  view: PublisherView | undefined,
  owner?: { role: string; value: string | null },
): Promise<void> {
  const problems: string[] = [];
  const where = endpoint(ends.publisher);
  if (view && view.missingPublications.length > 0)
    problems.push(
      `publication(s) ${view.missingPublications.map((p) => JSON.stringify(p)).join(", ")} do not exist on the publisher ${where}: create them first (a Publication resource, and pass it in \`publications\`) or fix \`publications\``,
    );
  const tables = view?.tables ?? [];
  const [facts, generated, { settings }, enabled] = await s.concurrently([
    () => readTableFacts(s, tables),
    () => generatedFailures(s, view, ends),
    () => readSettings(s),
    () => countEnabledSubscriptions(s),
  ]);
  const found = new Set(facts.map(tableId));
  const missing = tables.filter((t) => !found.has(tableId(t))).map(tableKey);
  if (missing.length > 0)
    problems.push(
      `published table(s) ${missing.join(", ")} do not exist on the subscriber ${endpoint(ends.connection)}: add a SchemaSync for them and make the Subscription depend on it`,
    );
  for (const f of generated) problems.push(f.reason);
  if (inputs.copyData !== false) {
    const limits = syncLimitsOf(view, settings, owner);
    problems.push(...syncBlockers(s.serverVersion, limits, tables, SYNC_FIXES).reasons);
  }
  for (const f of workerFailures(settings, enabled, inputs)) problems.push(f.reason);
  if (problems.length > 0) throw new Error(`${label(inputs.name)}: ${problems.join("; ")}.`);
}
