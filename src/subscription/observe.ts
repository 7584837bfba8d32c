// What the Subscription's check learns from the replica, in one session: its identity, the
// version gates, `binary: "auto"` settled, the subscriber role's privileges, whether the
// subscription exists, room for its workers, and the repair the next `up` makes (or refuses).

import type { CheckFailure } from "../kernel/check";
import type { ConnectionInfo } from "../pg/connection";
import * as log from "../kernel/log";
import { versionFailures } from "../kernel/versions";
import { byFeeding, nonEmpty, readStakes, type TableStakes } from "../pg/emptying";
import { readOnlyFailure, readRoleFacts, readServerId } from "../pg/roles";
import { withSession, type Session } from "../pg/session";
import { encodingGap, readEncoding, readSettings } from "../pg/settings";
import { readTableFacts, type TableFacts } from "../pg/tableFacts";
import { nameOf, sortedTables, tableFromStoredKey, tableId, tableKey, type TableName } from "../pg/tables";
import { settleBinary } from "./binary";
import {
  countEnabledSubscriptions,
  readOwnerTransactionTimeout,
  readSubscription,
  readSubscriptionErrors,
  readSyncStates,
} from "./catalog";
import { decideRepair } from "./drift";
import type { Ends } from "./fields";
import { versionGates } from "./options";
import {
  generatedFailures,
  leftOutBySync,
  leftOutReason,
  senderFailures,
  ownerTimeoutSyncReason,
  streamStopReasons,
  slotTakenReason,
  subscriberLibpqFailures,
  syncBlockers,
  SYNC_FIXES,
  syncLimitsOf,
  withSyncWorkers,
  workerFailures,
  type SyncLimits,
} from "./preflight";
import { subscriberFailures } from "./privileges";
import { attachedWithRows, slotHealth, slotWarnings, type PublisherView } from "./publisher";
import { adoptionChanges, nameTakenReason, sameConnectionAs } from "./reconcile";
import {
  overlapFailures,
  sameSource,
  truncateFailures,
  unreachedFailures,
  warnTruncateBlocked,
} from "./sharedTables";
import { applyStall, disabledOnError } from "./stall";
import { fullIdentityFailures } from "./fullIdentity";
import { readSkippedUpdates, skippedWarning } from "./skipped";
import { mayHandOver } from "./snapshotCatalog";
import { previewCopy } from "./snapshotPlan";
import { feedConnection, label, type SubscriptionInputs, type SubscriptionState } from "./types";

/** The tables of the replica among `tables` that hold rows. */
async function nonEmptyTables(s: Session, tables: readonly TableName[]): Promise<TableName[]> {
  return sortedTables((await nonEmpty(s, await readTableFacts(s, tables))).map(nameOf));
}

/**
 * What the replica must have for the publications: each published table (when no SchemaSync this
 * subscription depends on creates them — CREATE SUBSCRIPTION fails on a missing one), and one
 * column list per table across the publications (PostgreSQL refuses two).
 */
function tableFailures(
  inputs: SubscriptionInputs,
  view: PublisherView | undefined,
  onReplica: readonly TableName[],
): CheckFailure[] {
  if (!view) return [];
  const failures: CheckFailure[] = [];
  const present = new Set(onReplica.map(tableId));
  const missing = view.tables.filter((t) => !present.has(tableId(t)));
  // A SchemaSync in dependsOn is wired in as recopyRequests (unknown in a first preview): it creates them.
  if (inputs.recopyRequests === undefined && missing.length > 0)
    failures.push({
      property: "publications",
      reason: `the publications publish ${missing.map(tableKey).join(", ")}, which the replica does not have, and no SchemaSync this subscription depends on creates them: add one (and \`dependsOn\` it), or create them by hand. Partitions are published one by one unless the Publication sets \`publishViaPartitionRoot: true\` (then a replica table that is not partitioned receives them).`,
    });
  if (view.columnConflicts.length > 0)
    failures.push({
      property: "publications",
      reason: `${view.columnConflicts.map(tableKey).join(", ")} ${view.columnConflicts.length > 1 ? "are" : "is"} published by two of these publications with different column lists, which PostgreSQL refuses in one subscription: give the table one column list, or subscribe to one of them.`,
    });
  return failures;
}

/**
 * Changes that would travel in a loop, or never arrive. Two-way replication: the replica publishes
 * tables the publisher also replicates from elsewhere (its own subscriptions write into them). A
 * change would then travel back and forth unless one side takes only changes that originate on its
 * publisher: this subscription with `origin: "none"` (PG16+), or the publisher's. Refused when
 * neither does. And `origin: "none"` where the publisher's tables are fed from a third server (a
 * cascade): see unreachedFailures.
 */
function loopFailures(
  inputs: SubscriptionInputs,
  view: PublisherView | undefined,
  stakes: readonly TableStakes[],
  serverVersion: number,
): CheckFailure[] {
  if (!view) return [];
  if (inputs.origin === "none") return unreachedFailures(view.subscribedTables, stakes);
  const looping = new Set(view.subscribedTables.filter((t) => !t.originNone).map(tableId));
  const both = stakes.filter((t) => t.publishedBy.length > 0 && looping.has(tableId(t)));
  if (both.length === 0) return [];
  const list = both.map(tableKey).join(", ");
  const plural = both.length > 1;
  return [
    {
      property: "origin",
      reason: `${list} ${plural ? "are" : "is"} replicated both ways (the replica publishes ${plural ? "them" : "it"}, and the publisher's own subscription writes into ${plural ? "them" : "it"} taking changes of any origin), so every change would travel back: ${
        serverVersion >= 160000
          ? 'set `origin: "none"` on this subscription (and on the other one)'
          : 'set `origin: "none"` on the publisher\'s subscription (PostgreSQL 16 or later there; this subscriber runs an older version)'
      }.`,
    },
  ];
}

/**
 * What an unfinished snapshot copy left: the tables it finished (known to the subscription, not
 * copied in page ranges, holding rows: each was one COPY into an empty table, committed whole) and
 * those copied in part. Undefined when a published table it did not copy holds rows (not its own:
 * the repair that redoes everything then decides), or when the publisher's role may not create the
 * handover publication (handover.ts) that finishing needs.
 */
async function resumable(
  s: Session,
  ends: Ends,
  published: readonly TableName[],
  subscribed: ReadonlySet<string>,
  ranged: readonly TableName[],
  limits: SyncLimits,
): Promise<{ kept: TableName[]; partial: TableName[] } | undefined> {
  const inRanges = new Set(ranged.map(tableId));
  const holding = new Set((await nonEmptyTables(s, published)).map(tableId));
  const kept: TableName[] = [];
  const partial: TableName[] = [];
  for (const t of published) {
    const id = tableId(t);
    if (!holding.has(id)) continue;
    if (!subscribed.has(id)) return undefined;
    (inRanges.has(id) ? partial : kept).push(t);
  }
  // Where PostgreSQL's copy of the rest cannot be left to it (published generated columns before
  // 18, no table-sync worker): copy everything again, with this program's copy.
  const done = new Set(kept.map(tableId));
  const rest = published.filter((t) => !done.has(tableId(t)));
  const known = await withSyncWorkers(s, limits);
  if (syncBlockers(s.serverVersion, known, rest, SYNC_FIXES).reasons.length > 0) return undefined;
  // The handover publication lists the kept tables: this role must be allowed to create it.
  if (!(await mayHandOver(ends.publisher, kept).catch(() => false))) return undefined;
  return { kept, partial };
}

/**
 * Partitions attached since the last write under roots published through them, holding rows older
 * than the attach (publisher.ts attachedWithRows). None before the partitions were recorded (a
 * state from before this version: the next write or refresh records them). One that cannot be
 * read is warned of.
 */
export async function newlyAttached(
  name: string,
  ends: Ends,
  view: PublisherView | undefined,
  previous: Partial<SubscriptionState>,
  subscribed: boolean,
): Promise<TableName[]> {
  if (!view || !subscribed || previous.rootPartitions === undefined) return [];
  const known = new Set(previous.rootPartitions);
  const fresh = view.rootPartitions.filter((k) => !known.has(k)).map(tableFromStoredKey);
  if (fresh.length === 0) return [];
  const { found, unread } = await attachedWithRows(ends.publisher, fresh);
  if (unread.length > 0)
    log.warn(
      `${label(name)}: cannot read ${unread.map(tableKey).join(", ")} on the publisher (attached as partitions since the last up) to tell whether they held rows before the attach, which the stream would not carry; grant SELECT on them to the publisher role, or compare the rows by hand.`,
    );
  return found;
}

/**
 * Partitions detached or dropped since the last write under a root published through it, where
 * the replica's copy of that root is a plain table: their rows stay there (no change carries their
 * leaving), which the replica's owner may want (a history kept) or not. Said, not repaired: a
 * re-copy would lose them for good.
 */
function warnDetached(
  name: string,
  view: PublisherView,
  previous: Partial<SubscriptionState>,
  onReplica: readonly TableFacts[],
): void {
  const now = new Set(view.rootPartitions);
  const gone = (previous.rootPartitions ?? []).filter((k) => !now.has(k));
  if (gone.length === 0) return;
  const plain = view.tableFacts
    .filter((t) => t.partitioned)
    .filter((t) => onReplica.some((r) => tableId(r) === tableId(t) && !r.partitioned));
  if (plain.length > 0)
    log.warn(
      `${label(name)}: ${gone.join(", ")} left ${plain.map(tableKey).join(", ")} on the publisher (detached or dropped), which publishes through the root; the replica's ${plain.map(tableKey).join(", ")} is not partitioned and keeps their rows (no change carries their leaving). Delete them there by hand if it should hold only what the root holds.`,
    );
}

/**
 * Reads the replica and completes `inputs` (serverId, binary, recopyServed, pendingRepair);
 * returns the failures. `previous`: this resource's state, when it has one.
 */
export async function observeReplica(
  inputs: SubscriptionInputs,
  ends: Ends,
  previous: Partial<SubscriptionState>,
  view: PublisherView | undefined,
  /** The publisher connection the last up set (state), where this role may not read the subscription's. */
  applied?: ConnectionInfo,
): Promise<CheckFailure[]> {
  return withSession(ends.connection, async (s) => {
    // The reads that need nothing read before them, at once (the settings: for a new subscription).
    const [serverId, , onReplica, role, existing, settingsRead, enabledCount, ownerTimeout] =
      await s.concurrently([
        () => readServerId(s),
        () =>
          inputs.publishedTables
            ? settleBinary(s, inputs, ends.publisher, inputs.publishedTables, false)
            : Promise.resolve(),
        () => readTableFacts(s, view?.tables ?? []),
        () => readRoleFacts(s),
        () => readSubscription(s, inputs.name),
        () => readSettings(s),
        () => countEnabledSubscriptions(s),
        () => readOwnerTransactionTimeout(s, inputs.name, ends.connection),
      ]);
    if (serverId) inputs.serverId = serverId;
    const failures: CheckFailure[] = versionFailures(s.serverVersion, versionGates(inputs), "subscriber");
    // A SchemaSync this depends on changes the replica's tables in this `up` (its outputs unknown
    // to a preview): what it may mend (a key, a column) is judged by `up`'s check once it is applied.
    const schemaChanging = inputs.recopyRequests !== undefined && !Array.isArray(inputs.recopyRequests);
    const published = inputs.publishedTables ?? [];
    const [fullIdentity, generated, syncStates, stakes] = await s.concurrently([
      () =>
        fullIdentityFailures(
          s,
          ends.publisher,
          view,
          inputs.bindings ?? view?.bindings ?? [],
          onReplica,
          schemaChanging,
        ),
      () => generatedFailures(s, view, ends),
      () => (existing ? readSyncStates(s, inputs.name) : Promise.resolve([])),
      () => readStakes(s, published, inputs.name),
    ]);
    failures.push(
      ...subscriberFailures(role, s.serverVersion, inputs, ends.publisher, onReplica),
      ...tableFailures(inputs, view, onReplica),
      ...fullIdentity,
      ...generated,
      ...subscriberLibpqFailures(s.serverVersion, ends.publisher),
    );
    if (existing) inputs.oid = existing.oid;
    if (existing && inputs.adopt && previous.name !== inputs.name) {
      inputs.adoption = adoptionChanges(existing, inputs, ends.publisher, s.serverVersion);
      log.info(
        `${label(inputs.name)}: adopting the existing subscription changes ${inputs.adoption.join("; ")}.`,
      );
    }
    // Unknown at preview when a SchemaSync this depends on has no such output yet (older state).
    const requests = Array.isArray(inputs.recopyRequests) ? inputs.recopyRequests : [];
    // The program's own request (recopy): served once, as SchemaSync's are.
    const askedId = inputs.recopy !== undefined ? `recopy:${inputs.recopy}` : undefined;
    const asked = askedId !== undefined && !(previous.recopyServed ?? []).includes(askedId);
    const served = [...requests.map((r) => r.id), ...(askedId ? [askedId] : [])];
    if (served.length > 0) inputs.recopyServed = served;
    else if (previous.recopyServed) inputs.recopyServed = previous.recopyServed;
    // The subscriber's settings, read for a new subscription (its workers; they go with `limits`).
    const settings = existing ? undefined : settingsRead.settings;
    if (settings) failures.push(...workerFailures(settings, enabledCount, inputs));
    // What PostgreSQL's own copy cannot do here (preflight.ts's syncBlockers).
    const limits = syncLimitsOf(view, settings, ownerTimeout);
    const slotName = inputs.slotName ?? inputs.name;
    const ours = previous.name === inputs.name;
    // A subscription of that name this stack did not make (nor an interrupted `up` of it left).
    const taken =
      existing && !ours
        ? nameTakenReason(existing, inputs, ends.publisher, ends.connection.user, s.serverVersion)
        : undefined;
    if (taken) failures.push({ property: "name", reason: taken });
    // A slot of that name this subscription's state does not name is another subscriber's.
    const ownSlot = previous.name !== undefined && [previous.name, previous.slotName].includes(slotName);
    if (!existing && inputs.createSlot !== false && view?.slotExists === true && !ownSlot)
      failures.push({ property: "slotName", reason: slotTakenReason(slotName, ends.publisher, view.slot) });
    // What this `up` copies: everything for a new subscription, what is newly published otherwise.
    const subscribed = new Set(syncStates.map(tableId));
    const copied = inputs.copyData === false ? [] : published.filter((t) => !subscribed.has(tableId(t)));
    const holding = await nonEmptyTables(s, copied);
    failures.push(...loopFailures(inputs, view, stakes, s.serverVersion));
    failures.push(...truncateFailures(inputs.bindings ?? [], stakes, view?.subscribedTables));
    // The subscription this one replaces under a new name is on its way out.
    const same = view ? await sameSource(s, ends.publisher, stakes, previous.name) : undefined;
    failures.push(...(same?.failures ?? []));
    warnTruncateBlocked(inputs.name, inputs.bindings ?? [], stakes, published);
    const attached = await newlyAttached(inputs.name, ends, view, previous, existing !== undefined && ours);
    if (view && existing && ours) warnDetached(inputs.name, view, previous, onReplica);
    // As check sees them now (after this `up`'s repair, if any, they are the replica's too).
    if (view) inputs.rootPartitions = view.rootPartitions;
    else if (previous.rootPartitions) inputs.rootPartitions = previous.rootPartitions;
    const decision = decideRepair({
      name: inputs.name,
      stakes,
      attachedRows: attached,
      ...(ours
        ? { previous: { bindings: previous.bindings, publishedTables: previous.publishedTables } }
        : {}),
      ...(inputs.bindings ? { bindings: inputs.bindings } : {}),
      publishedTables: inputs.publishedTables ?? [],
      subscriptionExists: existing !== undefined,
      // Created by an `up` that did not finish (its mark: a re-copy or a replacement whose copy
      // outlasted the wait, or the program killed): the recorded inputs predate it (an `up` that
      // fails records none), so a gap in its stream is judged against what its mark says that `up`
      // bound it to; it is finished, not started over. A finished write clears the mark.
      recreated: ours && existing?.createdUnfinished === true,
      ...(existing?.bound
        ? { bound: { ids: existing.bound, tables: published.filter((t) => subscribed.has(tableId(t))) } }
        : {}),
      ...(existing?.slotName && view?.slotExists !== undefined && existing.slotName === slotName
        ? { slotExists: view.slotExists, slotInvalidated: view.slot?.invalidated }
        : {}),
      slotName,
      unfinishedCopy: existing?.unfinishedCopy === true,
      ...(existing?.unfinishedCopy &&
      !existing.enabled &&
      inputs.enabled !== false &&
      existing.slotName === slotName &&
      view?.slotExists === true &&
      !view.slot?.invalidated
        ? {
            resumable: await resumable(
              s,
              ends,
              published,
              subscribed,
              existing.copyMark?.ranged ?? [],
              limits,
            ),
          }
        : {}),
      nonEmpty: holding,
      recopyRequests: requests.filter((r) => !(previous.recopyServed ?? []).includes(r.id)),
      ...(asked ? { asked: inputs.recopy! } : {}),
    });
    const repair = decision.repair;
    // A new subscription (and its copy), or a repair, writes on the replica.
    const writes = !existing ? "the subscription and its copy" : repair ? "the repair's re-copy" : undefined;
    const readOnly = writes && !decision.refusal ? readOnlyFailure("connection", role, writes) : undefined;
    if (readOnly) failures.push(readOnly);
    // A character the replica's encoding cannot hold: refused where a copy starts, said otherwise
    // (a stream whose text has fit so far keeps running).
    const gap = view ? encodingGap(view.encoding, await readEncoding(s)) : undefined;
    const fix =
      "create the replica's database with ENCODING 'UTF8' (or the publisher's) and replicate into that";
    if (gap && writes) failures.push({ property: "connection", reason: `${gap}: ${fix}.` });
    else if (gap) log.warn(`${label(inputs.name)}: ${gap}; to be safe, ${fix}.`);
    if (existing && ours && view?.slot && !repair)
      for (const w of slotWarnings(slotName, view.slot, !existing.enabled && inputs.enabled === false))
        log.warn(`${label(inputs.name)}: ${w}`);
    // A stream that stopped on a change it cannot apply, with nothing to repair (stall.ts). Not
    // while a SchemaSync this depends on changes in this `up` (schemaChanging): a column the
    // replica lacks is its to add, and `up`'s check looks once it is applied.
    if (existing && ours) {
      // The count the last look saw, for this same subscription (a re-created one counts from 0):
      // the last `up`'s check, whose inputs the engine keeps, or a refresh.
      const seen = previous.oid === existing.oid ? previous.applyErrorsSeen : 0;
      const quiet = !repair && !decision.refusal && !schemaChanging;
      // Disabled by PostgreSQL on an apply error (disableOnError), where the program wants it on.
      const offOnError =
        quiet && !existing.enabled && inputs.enabled !== false && existing.options.disableOnError === true;
      const { errors, stalled } =
        existing.enabled && quiet
          ? await applyStall(s, inputs.name, seen, view?.slot, () => slotHealth(ends.publisher, slotName))
          : offOnError
            ? await disabledOnError(s, inputs.name, seen, view?.slot?.lagBytes)
            : { errors: (await readSubscriptionErrors(s, inputs.name))?.applyErrors, stalled: undefined };
      // Updates PostgreSQL skipped for lack of the row since the last up (skipped.ts, PG18).
      const skipped = await readSkippedUpdates(s, inputs.name);
      // A re-created subscription (or one this state never looked at) counts from 0, as applyErrorsSeen.
      const said = skippedWarning(skipped, previous.oid === existing.oid ? (previous.skippedSeen ?? 0) : 0);
      if (skipped !== undefined) inputs.skippedSeen = skipped;
      if (said) {
        inputs.skipped = said;
        log.warn(`${label(inputs.name)}: ${said}`);
      }
      // Kept while stalled, so that the next look sees the errors too.
      const kept = stalled ? seen : errors;
      if (kept !== undefined) inputs.applyErrorsSeen = kept;
      if (stalled) {
        inputs.stalled = stalled;
        // A worker that cannot log in after a password rotation: the connection this up sets may cure it.
        const reconnects = !sameConnectionAs(existing, feedConnection(ends.publisher, inputs), applied);
        log.warn(
          `${label(inputs.name)}: ${stalled} ${reconnects ? "up sets the publisher connection the program declares, then looks again," : "up looks again once the resources it depends on are applied (a SchemaSync may remove the cause),"} and fails if it still is.`,
        );
      }
    }
    const fanIn = decision.refusal
      ? []
      : byFeeding(holding, stakes).fed.filter((t) => !same?.tables.has(tableId(t)));
    if (fanIn.length > 0) {
      // The subscriptions writing into these tables (not every table's).
      const ids = new Set(fanIn.map(tableId));
      const feeders = [...new Set(stakes.filter((t) => ids.has(tableId(t))).flatMap((t) => t.fedBy))]
        .map((n) => JSON.stringify(n))
        .join(", ");
      log.info(
        `${label(inputs.name)}: ${fanIn.map(tableKey).join(", ")} also take rows from subscription(s) ${feeders} on the replica: this one's initial copy adds its publisher's rows beside theirs with PostgreSQL's copy, and no repair of either empties them.`,
      );
      if (view) failures.push(...(await overlapFailures(inputs, ends, fanIn)));
    }
    // What the copy `up` makes will be, when it makes one: said at preview.
    if (
      !decision.refusal &&
      ((!existing && inputs.copyData !== false) || (repair && !repair.resume && inputs.repair !== "refuse"))
    ) {
      // Publications this `up` creates first: their tables as their Publication's check said.
      const coming = new Set(view?.missingPublications ?? []);
      const copy = await previewCopy(s, inputs, ends.publisher, limits, {
        tables: published,
        published: (inputs.bindings ?? []).filter((b) => coming.has(b.name)).flatMap((b) => b.tables),
        tablesComing: inputs.recopyRequests !== undefined,
        emptiedFirst: repair !== undefined,
        read: { tables: published, stakes, ...(copied.length === published.length ? { holding } : {}) },
      });
      log.info(copy.line);
      if (copy.failure) failures.push({ property: "copyMethod", reason: copy.failure });
    }
    // What this `up` takes on the publisher: the slot and apply worker's sender of a new
    // subscription, and the table syncs of PostgreSQL's copy (newly published tables included).
    const running = inputs.enabled !== false;
    const pgCopies =
      running && copied.length > 0 && (existing !== undefined || inputs.copyMethod !== "snapshot");
    if (view && (!existing || (pgCopies && !repair)))
      failures.push(
        ...senderFailures(view.limits, {
          slot: !existing && inputs.createSlot !== false && view.slotExists !== true,
          sender: !existing && running,
          syncs: pgCopies,
        }),
      );
    // A stream the owner's transaction_timeout would stop on a long transaction: refused for a new
    // subscription, told at every preview of an existing one (the owner's read where it connects).
    // The publisher role's timeouts the subscription's connection turns off (feedConnection).
    const stopping = running && s.serverVersion >= 180000 ? streamStopReasons(ownerTimeout) : [];
    if (!existing) failures.push(...stopping);
    else for (const f of stopping) log.warn(`${label(inputs.name)}: ${f.reason}.`);
    // Tables newly published to an existing subscription: PostgreSQL's copy (REFRESH), which the
    // owner's transaction_timeout does not let finish (17+; a new subscription's: previewCopy).
    if (existing && !repair && running && copied.length > 0 && limits.ownerTimeout)
      failures.push({
        property: "connection",
        reason: ownerTimeoutSyncReason(
          limits.ownerTimeout,
          ` before up adds ${copied.map(tableKey).join(", ")} to this subscription (an existing subscription copies newly published tables that way)`,
        ),
      });
    // Tables PostgreSQL is copying under it now (added before it was set, or by hand): said.
    const copying =
      existing && running && limits.ownerTimeout
        ? syncStates.filter((t) => t.state === "i" || t.state === "d")
        : [];
    if (copying.length > 0)
      log.warn(
        `${label(inputs.name)}: ${copying.map(tableKey).join(", ")} ${copying.length === 1 ? "is" : "are"} in PostgreSQL's copy, and ${ownerTimeoutSyncReason(limits.ownerTimeout!, "")}.`,
      );
    // Tables newly published to an existing subscription are copied by PostgreSQL's (REFRESH).
    const added = existing && !repair ? leftOutBySync(s.serverVersion, view?.generated ?? [], copied) : [];
    if (added.length > 0)
      failures.push({
        property: "publications",
        reason: leftOutReason(
          added,
          s.serverVersion,
          'An existing subscription copies newly published tables that way. Upgrade the subscriber to 18, stop publishing those columns (`publishGeneratedColumns: "none"`, or leave them out of the column list; the replica then computes its own), or give the Subscription a new `name` (a new subscription copies every table again, these with this program\'s copy)',
        ),
      });
    if (decision.refusal) failures.push(decision.refusal);
    // Finishing an unfinished copy that empties nothing is no repair to refuse.
    // Nor is the one the program asks for (recopy).
    else if (repair && inputs.repair === "refuse" && !asked && !(repair.resume && repair.tables.length === 0))
      failures.push({
        property: "repair",
        reason: `the replication stream is broken (${repair.reasons.join("; ")}). Repairing it without losing rows empties ${repair.tables.map(tableKey).join(", ")} on the replica and copies them again; \`repair: "refuse"\` forbids that: set \`repair: "recopy"\` (the default) to let \`up\` do it, or repair by hand (drop the subscription and its slot, empty the tables, and run up).`,
      });
    else if (repair) inputs.pendingRepair = repair;
    return failures;
  });
}
