// The snapshot copy: the initial copy (or a repair's re-copy) run by this program instead of
// PostgreSQL's table synchronisation workers. PostgreSQL's own copy starts one worker, one
// temporary slot and one snapshot per table, a fixed cost of a fraction of a second each that
// dominates when the tables are many and small. Here the subscription is created disabled, with
// copy_data = false, on a slot of its name that is then created on a replication connection
// exporting the snapshot the slot starts at; every table (large ones in page ranges) is read under
// that one snapshot on a few connections and relayed from COPY … TO STDOUT into COPY … FROM STDIN
// on the replica (pg/copyRelay.ts; binary when both sides have the same built-in types, primary
// keys built after the rows: lateKeys.ts; small tables several to a round trip: pg/copyBatch.ts);
// the subscription is then enabled and streams every change committed after the snapshot — none
// lost, none twice.
//
// With `copyMethod: "auto"`, tables too big for the per-table cost to matter are left to
// PostgreSQL's own copy in the same subscription (handover.ts).
//
// Interrupted (the program killed mid-copy), the disabled subscription stays, marked by a comment
// naming the tables copied in page ranges, with its slot: the next check sees the mark and plans
// to finish it (drift.ts, handover.ts): the tables it finished stay, the rest are PostgreSQL's to
// copy. Failed (an error), everything is undone before the error is reported.

import type { Client } from "pg";
import * as log from "../kernel/log";
import { copyInBatch, copyOutBatch } from "../pg/copyBatch";
import { copyRelay } from "../pg/copyRelay";
import { copyApplicationName } from "../pg/holders";
import { openClients, type OpenedClients, type Session } from "../pg/session";
import { sortedTables, tableId, tableKey, type TableName } from "../pg/tables";
import type { Ends } from "./fields";
import { abandonCopy, createOnSlot, startStream } from "./handover";
import { RangedKeys } from "./lateKeys";
import { bytes } from "../kernel/units";
import { SnapshotMeter } from "./progress";
import { slotTakenReason } from "./preflight";
import { boundMark, type PublisherView } from "./publisher";
import { DEFAULT_JOBS, LATE_KEY_MIN_BYTES, type CopyItem, type SnapshotPlan } from "./snapshotPlan";
import * as sql from "./sql";
import { label, type SubscriptionInputs } from "./types";
import { waitOptions } from "./reconcile";

const REPORT_EVERY_MS = 10_000;
/** Small whole tables copied together: at most this many… */
const BATCH_TABLES = 50;
/** …of this many bytes on disk together… */
const BATCH_BYTES = 8 * 1024 ** 2;
/** …and kept in memory only up to this many bytes of rows (a table's TOAST is not in its size on disk). */
const BATCH_CAP_BYTES = 32 * 1024 ** 2;

/** A connection to each side, set up for the copy (copySessions): the primary's reads, the replica's writes. */
interface CopyPair {
  pub: Client;
  rep: Client;
}

/** A whole table below LATE_KEY_MIN_BYTES, its key kept: it may go in a batch. */
const batchable = (i: CopyItem) => !i.range && !i.lateKey && i.bytes < LATE_KEY_MIN_BYTES;
/** How long a COPY waits for a table lock when `waitForSync` gives no timeout. */
const DEFAULT_LOCK_SECONDS = 600;

/**
 * Runs the plan's COPYs on the connection pairs under `snapshot`; the tables written into are
 * added to `filled`. Returns how many small tables went in batches, in how many, and how many
 * tables of a batch held too much to keep in memory (copied on their own).
 */
async function copyAll(
  pairs: readonly CopyPair[],
  snapshot: string,
  plan: SnapshotPlan,
  filled: Map<string, TableName>,
  meter: SnapshotMeter,
  lockSeconds: number,
): Promise<{ tables: number; batches: number; overflowed: number }> {
  const batched = { tables: 0, batches: 0, overflowed: 0 };
  const queue = [...plan.items];
  const ranged = new RangedKeys(plan.rangedKeys, plan.items);
  let failure: { error: unknown } | undefined;
  const worker = ({ pub, rep }: CopyPair) =>
    (async () => {
      await pub.query(sql.beginUnderSnapshot(snapshot, lockSeconds));
      const copyOne = async (it: CopyItem) => {
        meter.start(it);
        await ranged.before(rep, it);
        // A whole table whose key is built after its rows is also written frozen (it is empty,
        // owned by this role, and nothing references it: see readLateKeys); any other COPY
        // commits by itself.
        if (it.lateKey) await rep.query(sql.lateKeyBegin(it.lateKey));
        const rows = await copyRelay(
          pub,
          rep,
          sql.copyOut(it.table, it.binary, it.range),
          sql.copyIn(it.table, it.binary, it.lateKey !== undefined),
          (n) => meter.flowed(it, n),
        );
        // One index build over the rows, before the stream (which needs the replica identity) starts.
        if (it.lateKey) await rep.query(sql.lateKeyCommit(it.lateKey));
        filled.set(tableId(it.table), it.table);
        await ranged.after(rep, it);
        meter.finish(it, rows);
      };
      // Small whole tables go several to a round trip (pg/copyBatch.ts), committed together. The
      // read keeps at most BATCH_CAP_BYTES: the table that passes it is copied on its own, the
      // ones after it go back to the queue.
      const copyTogether = async (batch: CopyItem[]): Promise<void> => {
        const data = await copyOutBatch(pub, sql.copyOutBatch(batch), BATCH_CAP_BYTES);
        const kept = batch.slice(0, data.length);
        if (kept.length > 0) {
          kept.forEach((it, i) => {
            meter.start(it);
            meter.flowed(it, data[i]!.length);
          });
          const rows = await copyInBatch(rep, sql.copyInBatch(kept), data);
          kept.forEach((it, i) => {
            filled.set(tableId(it.table), it.table);
            meter.finish(it, rows[i] ?? 0);
          });
          batched.tables += kept.length;
          batched.batches++;
        }
        if (kept.length === batch.length) return;
        batched.overflowed++;
        queue.unshift(...batch.slice(data.length + 1));
        await copyOne(batch[data.length]!);
      };
      for (let item = queue.shift(); item && !failure; item = queue.shift()) {
        const batch = [item];
        for (let size = item.bytes; batchable(item) && batch.length < BATCH_TABLES;) {
          const next = queue[0];
          if (!next || !batchable(next) || size + next.bytes > BATCH_BYTES) break;
          batch.push(queue.shift()!);
          size += next.bytes;
        }
        await (batch.length > 1 ? copyTogether(batch) : copyOne(item));
      }
    })().catch(async (error) => {
      failure ??= { error };
      // Closed at once (their transactions, and a COPY cut short, end with them), as when each
      // pair was its own; the others stop after the table they are on.
      await Promise.all([pub.end(), rep.end()].map((p) => p.catch(() => undefined)));
    });
  await Promise.all(pairs.map(worker));
  if (failure && (failure.error as { code?: string }).code === "55P03")
    throw new Error(
      `the snapshot copy waited more than ${lockSeconds} s for a lock on a table it reads on the primary or writes on the replica (another session holds it); the copy was undone: run up again once that lock is released, or raise waitForSync.timeoutSeconds (the longest a snapshot copy waits for a lock)`,
    );
  if (failure) throw failure.error;
  return batched;
}

/**
 * The snapshot copy's connections, started before its plan is read (subscribe): the replication
 * connection, then a publisher and a replica connection for each of `copyJobs` pairs. A plan with
 * fewer COPYs ends the pairs it does not use. The replica's are the connections calls to it keep
 * (pg/session.ts): idle ones are taken, and after the copy they are left to the calls that follow
 * (the post-data's index builds) instead of being closed and made again.
 */
export function openCopyClients(inputs: SubscriptionInputs, ends: Ends): OpenedClients {
  const copySides = [{ info: ends.publisher }, { info: ends.connection, shared: true }];
  return openClients([
    { info: ends.publisher, replication: true },
    ...Array.from({ length: inputs.copyJobs ?? DEFAULT_JOBS }, () => copySides).flat(),
  ]);
}

/**
 * Creates the subscription by a snapshot copy (see the top of this file). On an error everything
 * is undone: the subscription and its slot dropped, the tables it filled emptied again (they were
 * empty: check refuses a copy into tables holding rows).
 */
export async function snapshotSubscribe(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  plan: SnapshotPlan,
  view: PublisherView | undefined,
  opened: OpenedClients = openCopyClients(inputs, ends),
): Promise<void> {
  const name = label(inputs.name);
  const publisher = ends.publisher;
  const slot = inputs.slotName ?? inputs.name;
  const jobs = inputs.copyJobs ?? DEFAULT_JOBS;
  const filled = new Map<string, TableName>();
  // PostgreSQL copies the tables this program does not: the subscription is handed the others.
  const handover = plan.toPostgres.length > 0;
  // The slot an undo lets go of: none yet; this run's once made; "taken" when another's was met.
  let undoSlot: string | "taken" | undefined;
  const mark = boundMark(view);
  const lockSeconds = waitOptions(inputs, ends)?.timeoutSeconds ?? DEFAULT_LOCK_SECONDS;
  // The replication connection and the copy's pairs (openCopyClients), made before anything else.
  const pairs = Math.max(1, Math.min(jobs, plan.items.length));
  try {
    await opened.use(async ([repl, ...all]) => {
      const sides = all.slice(0, 2 * pairs);
      await opened.spare(all.slice(2 * pairs));
      const copying = Array.from({ length: pairs }, (_, i) => ({
        pub: sides[2 * i]!,
        rep: sides[2 * i + 1]!,
      }));
      // Each waits idle until the copy starts (the replication connection, holding the snapshot,
      // until it ends): none of the roles' timeouts may end one meanwhile.
      await Promise.all([
        repl!.query(sql.SNAPSHOT_HOLDER_SESSION),
        ...copying.flatMap(({ pub, rep }) => [
          pub.query(sql.SNAPSHOT_HOLDER_SESSION),
          rep.query(sql.copyInSession(lockSeconds, plan.replicaRole, copyApplicationName(ends.connection))),
        ]),
      ]);
      // The subscription first (disabled, marked, on a slot that does not exist yet), then the
      // slot: a run killed between the two leaves no slot holding WAL that nothing refers to.
      await createOnSlot(s, inputs, ends, view, slot, handover ? plan.tables : undefined, {
        ranged: rangedTables(plan),
        keys: plan.rangedKeys,
        ...mark,
      });
      const made = await repl
        .query<{ consistent_point: string; snapshot_name: string }>(sql.createSlotExportingSnapshot(slot))
        .catch((e) => {
          // 42710: made since this `up` looked (another subscriber's): it is left alone.
          if ((e as { code?: string }).code === "42710") {
            undoSlot = "taken";
            throw new Error(`${name}: ${slotTakenReason(slot, publisher, undefined)}`);
          }
          throw e;
        });
      undoSlot = slot;
      const { consistent_point: at, snapshot_name: snapshot } = made.rows[0]!;
      log.info(
        `${name}: slot ${JSON.stringify(slot)} created at ${at}; copying ${plan.tables.length} table(s) (${bytes(plan.bytes)}, ${plan.items.length} COPY(s)) under its snapshot on ${jobs} connection(s), ${plan.items.filter((i) => i.lateKey).length + plan.rangedKeys.length} primary key(s) built after their rows${handover ? `; PostgreSQL's table synchronisation copies the other ${plan.toPostgres.length} (${plan.toPostgres.map(tableKey).join(", ")}) once the stream starts` : ""}.`,
      );
      const meter = new SnapshotMeter(plan, Date.now());
      const timer = setInterval(() => log.info(meter.line(name, Date.now())), REPORT_EVERY_MS);
      timer.unref();
      let batched: Awaited<ReturnType<typeof copyAll>>;
      try {
        batched = await copyAll(copying, snapshot, plan, filled, meter, lockSeconds);
      } finally {
        clearInterval(timer);
      }
      log.info(meter.line(name, Date.now()));
      if (batched.batches + batched.overflowed > 0)
        log.info(
          `${name}: ${batched.tables} small table(s) copied in ${batched.batches} batch(es) of up to ${BATCH_TABLES}, one round trip each way per batch${batched.overflowed > 0 ? `; ${batched.overflowed} table(s) held more rows than a batch keeps in memory (${bytes(BATCH_CAP_BYTES)}: values stored out of line, TOAST) and were copied on their own` : ""}.`,
        );
    });
    await startStream(s, inputs, handover, mark, publisher);
  } catch (e) {
    await abandonCopy(s, inputs, publisher, undoSlot, sortedTables(filled.values()), plan.rangedKeys).catch(
      (u) =>
        log.warn(
          `${name}: undoing the failed snapshot copy failed too (${(u as Error).message}); the next up repairs it.`,
        ),
    );
    throw e;
  }
}

/** The tables the plan copies in page ranges (several COPYs, each committed on its own). */
function rangedTables(plan: SnapshotPlan): TableName[] {
  return sortedTables(
    new Map(plan.items.filter((i) => i.range).map((i) => [tableId(i.table), i.table])).values(),
  );
}
