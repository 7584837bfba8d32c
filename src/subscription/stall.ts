// A stream that stopped: the apply worker fails on a change (a row written on the replica that a
// replicated insert collides with, a constraint or trigger the primary lacks, a column the replica
// lost), is started again, fails again — without end, while the slot holds the publisher's WAL
// and nothing the publisher writes arrives. PostgreSQL tells only its log and a counter; the
// subscription still looks enabled and, to a preview that looks no further, unchanged.
//
// Told apart from an error that is over: the counter (PG15+) grew since the last look recorded it,
// the replica is behind its publisher, and it grows again while we watch — until the running
// apply worker has lived a retry interval and a second (one started long ago ends the watch at
// once). The watch is paid only when the first two hold. PG14 has no counter: there the worker
// itself is watched when none has run long and the replica is behind (workerStall).
//
// A worker that cannot connect to the publisher (pg_hba.conf, its password, no WAL sender free)
// counts no apply error either, and looks on the subscriber like one connecting. The publisher
// tells it: no walsender reads the subscription's slot. With the slot unread and the replica
// behind, the check watches the slot a retry interval and a second for a reader (readerStall).
//
// With disableOnError, PostgreSQL disables the subscription at its first such failure instead: no
// worker, no growing counter — the subscription is simply off, the counter above the last look's.
// A check says so (disabledOnError); `up` enables it and watches whether it stays on
// (watchEnabled): the cause still there, PostgreSQL disables it again within the first change.

import * as log from "../kernel/log";
import type { Session } from "../pg/session";
import type { SlotFacts } from "./catalog";
import {
  readApplyWorker,
  readApplyWorkerAge,
  readConflictCounts,
  readRetryInterval,
  readSubscriptionEnabled,
  readSubscriptionErrors,
} from "./catalog";

/** The longest a check watches the counter. */
const WATCH_MAX_MS = 11_000;
const POLL_MS = 250;
/** PG14: how long a worker must run to be taken for one that stays up (a failing one lives less). */
const STAYS_UP_MS = 2_000;

/** How long a watch lasts: a retry interval (wal_retrieve_retry_interval) and a second, at most WATCH_MAX_MS. */
async function watchWindow(s: Session): Promise<number> {
  return Math.min((await readRetryInterval(s)) + 1000, WATCH_MAX_MS);
}

const CAUSE =
  "Usually a row written on the replica that a replicated insert or update collides with, a constraint or trigger the primary lacks, or a column missing on the replica: the subscriber's log names it.";

const CONNECT_CAUSE =
  "It cannot connect to the publisher (its credentials, pg_hba.conf, no WAL sender free: max_wal_senders), its slot is in use by another process, or no worker can start (max_logical_replication_workers): the subscriber's log names it.";

function behind(lagBytes: number | undefined): string {
  return lagBytes === undefined
    ? "behind its publisher (how far: the publisher is out of reach from here)"
    : `${lagBytes} byte(s) behind its publisher`;
}

/**
 * A subscription PostgreSQL disabled after an apply error (disableOnError, PG15+): the error
 * count now, and when it grew since the last look (`recorded`), why the stream stopped (one
 * sentence with the fix). For a subscription found disabled while the program wants it enabled.
 */
export async function disabledOnError(
  s: Session,
  name: string,
  recorded: number | undefined,
  lagBytes: number | undefined,
): Promise<{ errors?: number; stalled?: string }> {
  const now = await readSubscriptionErrors(s, name);
  if (!now) return {};
  if (now.applyErrors <= (recorded ?? 0) || lagBytes === 0) return { errors: now.applyErrors };
  return {
    errors: now.applyErrors,
    stalled: `the stream has stopped: PostgreSQL disabled the subscription (disableOnError) after its apply worker failed ${now.applyErrors - (recorded ?? 0)} time(s) since the last up, and the replica is ${behind(lagBytes)}; nothing the publisher writes arrives until its cause is removed${await conflictList(s, name)}. ${CAUSE} Remove the cause on the replica (e.g. delete the row the log names), then run up again: it enables the subscription and fails if the change still cannot be applied; a re-copy would empty the table (rows written on the replica with it), and \`ALTER SUBSCRIPTION … SKIP\` would lose the change.`,
  };
}

/**
 * Right after `up` enabled a subscription PostgreSQL had disabled on an error: watches until its
 * apply worker has lived a retry interval and a second; throws if PostgreSQL disables it again or
 * the error count grows past `before` (the cause is still there).
 */
export async function watchEnabled(s: Session, name: string, before: number): Promise<void> {
  const window = await watchWindow(s);
  const started = Date.now();
  for (;;) {
    const errors = (await readSubscriptionErrors(s, name))?.applyErrors ?? before;
    if (errors > before || !(await readSubscriptionEnabled(s, name)))
      throw new Error(
        `Subscription ${JSON.stringify(name)}: the stream has stopped again: enabled, its apply worker failed ${Math.max(1, errors - before)} more time(s) and PostgreSQL disabled it (disableOnError)${await conflictList(s, name)}. ${CAUSE} Remove the cause on the replica, then run up again.`,
      );
    const age = await readApplyWorkerAge(s, name);
    if ((age !== undefined && age >= window) || Date.now() - started >= window) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * PG14, which counts no apply errors: a worker failing again and again is gone most of the time,
 * and never old (it lives a fraction of a second of each retry interval). So with the replica
 * behind its publisher and no apply worker that has run 2 s, the check watches a retry interval
 * and a second (longer while a young worker is still up at its end): a worker that stays up 2 s
 * ends it (a restart); one that comes and goes, or none at all, is a stream that stopped — why,
 * in one sentence with the fix. Nothing is watched while the replica is level, nor with the
 * publisher out of reach.
 */
async function workerStall(
  s: Session,
  name: string,
  lagBytes: number | undefined,
): Promise<string | undefined> {
  const running = await readApplyWorker(s, name);
  if (!lagBytes || (running && running.age >= STAYS_UP_MS)) return undefined;
  const window = await watchWindow(s);
  const started = Date.now();
  let last: number | undefined;
  let gone = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const w = await readApplyWorker(s, name);
    if (w && w.age >= STAYS_UP_MS) return undefined;
    if (last !== undefined && w?.pid !== last) gone++;
    last = w?.pid;
    const watched = Date.now() - started;
    // A worker still younger than STAYS_UP_MS at the window's end, none gone before it, is
    // watched on until it has run that long or is gone (a failing one can outlive the window on
    // a loaded machine), at most WATCH_MAX_MS.
    if (watched >= window && (!w || gone > 0 || watched >= WATCH_MAX_MS)) break;
  }
  if (last !== undefined && gone === 0) return undefined;
  return `the stream has stopped: its apply worker ${gone > 0 ? `failed ${gone} time(s)` : "did not stay up"} while this check watched ${Math.round(window / 1000)} s (PostgreSQL 14 counts no errors), and the replica is ${behind(lagBytes)}; nothing the publisher writes arrives until its cause is removed. ${CAUSE} Or: ${CONNECT_CAUSE} Remove the cause (on the replica, e.g. delete the row the log names), then run up again; a re-copy would empty the table (rows written on the replica with it).`;
}

async function conflictList(s: Session, name: string): Promise<string> {
  const conflicts = Object.entries(await readConflictCounts(s, name))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ");
  return conflicts ? ` (conflicts the subscriber counted: ${conflicts})` : "";
}

/** What the stall rules need of the subscription's slot: whether a walsender reads it, how far behind it is. */
type SlotSeen = Pick<SlotFacts, "active" | "lagBytes">;

/** The subscription's slot as the publisher shows it now; undefined when it cannot be read from here. */
export type SlotLook = () => Promise<SlotSeen | undefined>;

/**
 * PG15+, no error counted: the slot `slot` (as the look before this one saw it) has no reader and
 * the replica is behind, so the check watches a retry interval and a second for a walsender to
 * take it (`look` reads it again). One does: the worker connected (a restart, or one starting).
 * None: the worker cannot reach the publisher — why, in one sentence with the fix. Nothing is
 * watched while the slot is read or the replica level, nor with the publisher out of reach.
 */
async function readerStall(
  s: Session,
  name: string,
  slot: SlotSeen | undefined,
  look: SlotLook,
): Promise<string | undefined> {
  if (!slot || slot.active || slot.lagBytes === 0) return undefined;
  const window = await watchWindow(s);
  const started = Date.now();
  let last = slot;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const now = await look();
    if (!now || now.active || now.lagBytes === 0) return undefined;
    last = now;
    if (Date.now() - started >= window) break;
  }
  const worker = await readApplyWorker(s, name);
  return `the stream has stopped: no apply worker read from its slot on the publisher while this check watched ${Math.round(window / 1000)} s (${worker ? "its worker keeps starting without connecting" : "no worker is running"}; no apply error is counted for that), and the replica is ${behind(last.lagBytes)}; nothing the publisher writes arrives until its cause is removed. ${CONNECT_CAUSE} Remove the cause, then run up again: it fails while the stream is stopped.`;
}

/**
 * The apply error count now (PG15+; undefined before) and, when the stream is stalled, why (one
 * sentence with the fix). `recorded`: the count the last look kept (applyErrorsSeen; none: 0).
 * `slot`: the subscription's slot as the publisher showed it (undefined: out of reach), how far
 * behind the replica is and whether a walsender reads it; `look` reads it again.
 */
export async function applyStall(
  s: Session,
  name: string,
  recorded: number | undefined,
  slot: SlotSeen | undefined,
  look: SlotLook,
): Promise<{ errors?: number; stalled?: string }> {
  const lagBytes = slot?.lagBytes;
  const first = await readSubscriptionErrors(s, name);
  // PG14 counts no errors: the worker itself is watched (workerStall).
  if (!first) return s.serverVersion < 150000 ? { stalled: await workerStall(s, name, lagBytes) } : {};
  if (first.applyErrors <= (recorded ?? 0) || lagBytes === 0)
    return { errors: first.applyErrors, stalled: await readerStall(s, name, slot, look) };
  const window = await watchWindow(s);
  const started = Date.now();
  let now = first.applyErrors;
  // Over once the running worker has lived a retry interval and a second without failing (a
  // worker started long ago answers at once); stalled once the counter grows.
  for (;;) {
    const age = await readApplyWorkerAge(s, name);
    if ((age !== undefined && age >= window) || Date.now() - started >= window) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
    now = (await readSubscriptionErrors(s, name))?.applyErrors ?? now;
    if (now !== first.applyErrors) break;
  }
  if (now === first.applyErrors) {
    // No new error; but a worker that then cannot connect (a password rotated on the publisher
    // since the error) counts none either: the slot tells.
    const unread = await readerStall(s, name, await look(), look);
    if (unread) return { errors: now, stalled: unread };
    log.info(
      `Subscription ${JSON.stringify(name)}: its apply worker failed ${first.applyErrors - (recorded ?? 0)} time(s) since the last look and its worker has run ${Math.round(window / 1000)} s without failing: over.`,
    );
    return { errors: now };
  }
  const stalled = `the stream has stopped: the apply worker failed ${now - (recorded ?? 0)} time(s) since the last up and again while this check watched, and the replica is ${behind(lagBytes)}; nothing the publisher writes arrives until its cause is removed${await conflictList(s, name)}. ${CAUSE} Remove the cause on the replica (e.g. delete the row the log names), then run up again; a re-copy would empty the table (rows written on the replica with it), and \`ALTER SUBSCRIPTION … SKIP\` would lose the change.`;
  return { errors: now, stalled };
}
