// Creating the subscription (serialized with other creations on the subscriber, so the worker
// count each checks includes the others), a repair's re-copy, taking over what an interrupted run
// left, and the state after a write.

import { operationError } from "../kernel/errors";
import * as log from "../kernel/log";
import { clean } from "../kernel/values";
import { endpoint } from "../pg/connection";
import { withLock } from "../pg/lock";
import { withSession, type Session } from "../pg/session";
import { tableKey } from "../pg/tables";
import {
  readLastMessage,
  readOwnerTransactionTimeout,
  readSubscription,
  readSubscriptionErrors,
  readSyncStates,
  runningWorkers,
} from "./catalog";
import type { Ends } from "./fields";
import { dropSafely } from "./drop";
import { emptyTables } from "./empty";
import { createOptions } from "./options";
import { createConnection, createPreflight, slotTakenReason, syncLimitsOf } from "./preflight";
import { boundMark, dropIdleSlot, onSameCluster, slotHealth, viewPublisher } from "./publisher";
import { nameTakenReason, reconcile, waitOptions } from "./reconcile";
import { resumeCopy } from "./handover";
import { restoreKeys } from "./lateKeys";
import { openCopyClients, snapshotSubscribe } from "./snapshotCopy";
import { chooseCopy, staticObstacles } from "./snapshotPlan";
import * as sql from "./sql";
import {
  label,
  publicationNames,
  type PendingRepair,
  type SubscriptionInputs,
  type SubscriptionState,
} from "./types";
import { readSkippedUpdates } from "./skipped";
import { waitForSync } from "./wait";

function createError(inputs: SubscriptionInputs, e: unknown): Error {
  // By SQLSTATE (messages may be translated): 42P01 a table missing here; class 08 the subscriber's
  // server could not reach the publisher, or the publisher refused what it asked (a slot, wal_level).
  const code = String((e as { code?: string }).code ?? "");
  let fix: string | undefined;
  if (code === "42P01")
    fix =
      "Create the tables on the subscriber first: add a SchemaSync and make the Subscription depend on it.";
  else if (code.startsWith("08"))
    fix =
      "Check `publisher`: it must be reachable from the subscriber server itself, with its host, port and credentials, and have wal_level = logical.";
  return operationError(label(inputs.name), "CREATE SUBSCRIPTION", e, fix);
}

/** CREATE SUBSCRIPTION (under the creation lock), then the wait for the initial copy. */
export async function subscribe(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  copy?: boolean,
  fresh = false,
): Promise<void> {
  // A new subscription's slot must not exist yet (check refuses one that does; this is the same
  // rule at the last moment): failing on it would drop it under the subscriber it belongs to.
  const slot = inputs.slotName ?? inputs.name;
  const guard = fresh && inputs.createSlot !== false;
  const copying = copy ?? inputs.copyData !== false;
  // A snapshot copy's connections are made while the reads below decide whether it runs (closed
  // unused when they choose PostgreSQL's copy): far from the servers, each costs round trips.
  const mayRun = copying && inputs.copyMethod !== "postgres" && staticObstacles(inputs).length === 0;
  const early = mayRun ? openCopyClients(inputs, ends) : undefined;
  const { view, owner, choice } = await (async () => {
    // The publisher as it is now and, beside it, the owner's transaction_timeout on the replica.
    const [view, owner] = await Promise.all([
      viewPublisher(ends.publisher, publicationNames(inputs.publications), guard ? slot : undefined),
      readOwnerTransactionTimeout(s, inputs.name, ends.connection),
    ]);
    if (guard && view?.slotExists)
      throw new Error(`${label(inputs.name)}: ${slotTakenReason(slot, ends.publisher, view.slot)}`);
    const limits = syncLimitsOf(view, undefined, owner);
    return { view, owner, choice: await chooseCopy(s, inputs, ends.publisher, copying, limits) };
  })().catch(async (e) => {
    await early?.close();
    throw e;
  });
  if (choice.method !== "snapshot") await early?.close();
  const wait = waitOptions(inputs, ends);
  if (choice.method === "snapshot") {
    await snapshotSubscribe(s, inputs, ends, choice.plan, view, early);
    // Every table it copied is ready: PostgreSQL's copy of the others, and a bound on the lag, are still waited for.
    const pending = choice.plan.toPostgres.length > 0 || wait?.maxLagBytes !== undefined;
    if (wait && pending && inputs.enabled !== false) await waitForSync(s, inputs.name, wait);
    return;
  }
  await withLock(s, "create subscription", async () => {
    await createPreflight(s, { ...inputs, copyData: copy ?? inputs.copyData }, ends, view, owner);
    const options = createOptions(inputs);
    if (copy) options["copy_data"] = true;
    // On its own cluster CREATE SUBSCRIPTION would wait without end for its own transaction while
    // it creates the slot (as PostgreSQL documents): the slot is made first, the subscription on it.
    // (Not asked when this program could not read the publisher just now: `view` is undefined.)
    const slotFirst =
      inputs.createSlot !== false && view !== undefined && (await onSameCluster(s, ends.publisher));
    if (slotFirst) {
      log.info(
        `${label(inputs.name)}: the publisher is this server's own cluster: slot ${JSON.stringify(slot)} is created before the subscription.`,
      );
      await withSession(ends.publisher, (p) =>
        p.query(sql.createLogicalSlot({ twoPhase: inputs.twoPhase, failover: inputs.failover }), [slot]),
      );
      options["create_slot"] = false;
      options["slot_name"] = slot;
    }
    await s
      .exec(
        sql.createSubscription(
          inputs.name,
          createConnection(inputs, ends.publisher, view),
          publicationNames(inputs.publications),
          options,
        ),
      )
      .catch(async (e) => {
        if (slotFirst) await dropIdleSlot(ends.publisher, slot).catch(() => undefined);
        throw createError(inputs, e);
      });
    // Outside CREATE SUBSCRIPTION's own transaction (one creating a slot may not run in a block).
    await s.exec(sql.markCreatedUnfinished(inputs.name, boundMark(view)));
  });
  // A copy that outlasts the wait goes on: the next `up` finds this subscription (an identical one
  // is taken over: see leftover) and waits from where it is, emptying nothing.
  if (wait && inputs.enabled !== false) await waitForSync(s, inputs.name, wait);
}

/** The repair drift.ts planned: empty the tables on the replica and subscribe again with a new slot. */
export async function recopy(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  repair: PendingRepair,
): Promise<void> {
  if (repair.resume) return resumeCopy(s, inputs, ends, { ...repair, resume: repair.resume });
  log.info(
    `${label(inputs.name)}: repairing a broken stream (${repair.reasons.join("; ")}): emptying ${repair.tables.map(tableKey).join(", ")} on the replica and copying them again.`,
  );
  // Keys an unfinished snapshot copy dropped (its mark says which) are put back after the emptying.
  const mark = (await readSubscription(s, inputs.name))?.copyMark;
  // The tables are emptied first, in a transaction that waits a bounded time for their locks (a
  // long report query on the replica holds one) and stays open while the subscription is dropped:
  // a give-up changes nothing. Its own table synchronisation, though, holds a table's lock for the
  // whole of that table's copy: while it runs, the drop (which stops it) goes first.
  const copying = (await runningWorkers(s, inputs.name, true)) > 0;
  const drop = () => dropSafely(s, inputs.name, ends.publisher);
  if (copying) await drop();
  await withSession(ends.connection, (e) =>
    emptyTables(e, inputs, repair.tables, copying ? "dropped" : drop),
  );
  await restoreKeys(s, mark?.keys ?? []);
  await subscribe(s, inputs, ends, true);
}

/** Create: subscribe, repair, or take over what is there (adopted, or left by an interrupted run). */
export async function createSubscription(s: Session, inputs: SubscriptionInputs, ends: Ends): Promise<void> {
  const existing = await readSubscription(s, inputs.name);
  const user = ends.connection.user;
  const taken = existing && nameTakenReason(existing, inputs, ends.publisher, user, s.serverVersion);
  if (taken) throw new Error(`${label(inputs.name)}: ${taken}`);
  if (inputs.pendingRepair) return recopy(s, inputs, ends, inputs.pendingRepair);
  if (!existing) return subscribe(s, inputs, ends, undefined, true);
  if (!inputs.adopt)
    log.warn(
      `${label(inputs.name)}: an identical subscription already exists (left by an interrupted run); continuing with it.`,
    );
  await reconcile(s, existing, inputs, ends, inputs.publishedTables !== undefined);
}

/**
 * The state after a create or update (`wrote`; a refresh reads the same): the inputs and what both
 * servers say now. A write that finished clears the mark of a subscription it created: the state
 * records this `up`'s inputs from now on.
 */
export async function stateAfterWrite(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  wrote = true,
): Promise<SubscriptionState> {
  const state = await readSubscription(s, inputs.name);
  if (!state) throw new Error(`${label(inputs.name)} vanished right after it was written.`);
  const [, states, errors, slot, skipped, lastMessageAt] = await s.concurrently([
    () =>
      wrote && state.createdUnfinished && !state.unfinishedCopy
        ? s.exec(sql.clearMark(inputs.name))
        : Promise.resolve(),
    () => readSyncStates(s, inputs.name),
    () => readSubscriptionErrors(s, inputs.name),
    () => slotHealth(ends.publisher, state.slotName),
    () => readSkippedUpdates(s, inputs.name),
    () => readLastMessage(s, inputs.name),
  ]);
  // The repair is done: it is not part of the state.
  const { pendingRepair: _done, stalled: _seen, skipped: _said, ...kept } = inputs;
  return clean({
    ...kept,
    oid: state.oid,
    publications: publicationNames(inputs.publications),
    endpoint: endpoint(ends.connection),
    serverVersion: s.serverVersion,
    actualSlotName: state.slotName,
    tableStates: Object.fromEntries(states.map((t) => [t.table, t.state])),
    actualEnabled: state.enabled,
    ...(errors ?? {}),
    ...(errors ? { applyErrorsSeen: errors.applyErrors } : {}),
    ...(skipped !== undefined ? { skippedSeen: skipped } : {}),
    ...(slot ? { slot } : {}),
    lag: { bytes: slot?.lagBytes ?? null, lastMessageAt },
    drift: [],
  });
}
