// The snapshot copy: the initial copy (or a repair's re-copy) run by this program instead of
// PostgreSQL's table synchronisation workers. PostgreSQL's own copy starts one worker, one
// temporary slot and one snapshot per table, a fixed cost of a fraction of a second each that
// dominates when the tables are many and small. Here the subscription's slot is created first on a
// replication connection that exports the snapshot the slot starts at; every table (large ones in
// page ranges) is read under that one snapshot on a few connections and piped from COPY … TO
// STDOUT into COPY … FROM STDIN on the replica (binary when both sides have the same built-in
// types); the subscription, created disabled on that slot with copy_data = false, is then enabled
// and streams every change committed after the snapshot — none lost, none twice.
//
// Interrupted (the program killed mid-copy), the disabled subscription stays, marked by a comment,
// with its slot: the next check sees the mark and plans the re-copy (drift.ts), which empties its
// tables and copies them again. Failed (an error), everything is undone before the error is
// reported.

import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFromStdin, to as copyToStdout } from "pg-copy-streams";
import * as log from "../kernel/log";
import { conninfo, type ConnectionInfo } from "../pg/connection";
import { truncateTables } from "../pg/emptying";
import { withLock } from "../pg/lock";
import { withClient, withSession, type Session } from "../pg/session";
import { sortedTables, tableId, type TableName } from "../pg/tables";
import type { Ends } from "./fields";
import { dropSafely } from "./drop";
import { createOptions } from "./options";
import { createPreflight } from "./preflight";
import { bytes } from "../kernel/units";
import { SnapshotMeter } from "./progress";
import type { PublisherView } from "./publisher";
import { DEFAULT_JOBS, type SnapshotPlan } from "./snapshotPlan";
import * as sql from "./sql";
import { label, publicationNames, type SubscriptionInputs } from "./types";
import { waitOptions } from "./reconcile";

const REPORT_EVERY_MS = 10_000;
/** How long a COPY waits for a table lock when `waitForSync` gives no timeout. */
const DEFAULT_LOCK_SECONDS = 600;

/** Runs the plan's COPYs on `jobs` connection pairs under `snapshot`; the tables written into are added to `filled`. */
async function copyAll(
  publisher: ConnectionInfo,
  replica: ConnectionInfo,
  snapshot: string,
  plan: SnapshotPlan,
  jobs: number,
  filled: Map<string, TableName>,
  meter: SnapshotMeter,
  lockSeconds: number,
): Promise<void> {
  const queue = [...plan.items];
  let failure: { error: unknown } | undefined;
  const worker = () =>
    withClient(publisher, async (pub) => {
      await pub.query(sql.beginUnderSnapshot(snapshot, lockSeconds));
      await withClient(replica, async (rep) => {
        for (let item = queue.shift(); item && !failure; item = queue.shift()) {
          const it = item;
          meter.start(it);
          await rep.query(sql.beginCopyIn(lockSeconds, plan.replicaRole));
          const into = rep.query(copyFromStdin(sql.copyIn(it.table, it.binary)));
          const out = pub.query(copyToStdout(sql.copyOut(it.table, it.binary, it.range)));
          const count = new Transform({
            transform(chunk: Buffer, _enc, done) {
              meter.flowed(it, chunk.length);
              done(null, chunk);
            },
          });
          await pipeline(out, count, into);
          await rep.query("COMMIT");
          filled.set(tableId(it.table), it.table);
          meter.finish(it, into.rowCount);
        }
      });
    }).catch((error) => {
      failure ??= { error };
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, queue.length)) }, worker));
  if (failure && (failure.error as { code?: string }).code === "55P03")
    throw new Error(
      `the snapshot copy waited more than ${lockSeconds} s for a lock on a table it reads on the primary or writes on the replica (another session holds it); the copy was undone: run up again once that lock is released, or raise waitForSync.timeoutSeconds (the longest a snapshot copy waits for a lock)`,
    );
  if (failure) throw failure.error;
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
): Promise<void> {
  const name = label(inputs.name);
  const publisher = ends.publisher;
  const slot = inputs.slotName ?? inputs.name;
  const jobs = inputs.copyJobs ?? DEFAULT_JOBS;
  const filled = new Map<string, TableName>();
  let slotMade = false;
  let created = false;
  try {
    await withClient(
      publisher,
      async (repl) => {
        const made = await repl.query<{ consistent_point: string; snapshot_name: string }>(
          sql.createSlotExportingSnapshot(slot),
        );
        slotMade = true;
        const { consistent_point: at, snapshot_name: snapshot } = made.rows[0]!;
        await withLock(s, "create subscription", async () => {
          // PostgreSQL copies nothing (copy_data = false): no table-sync worker is needed.
          await createPreflight(s, { ...inputs, copyData: false }, ends, view);
          await s.transaction(async () => {
            await s.exec(
              sql.createSubscription(
                inputs.name,
                conninfo(publisher),
                publicationNames(inputs.publications),
                {
                  ...createOptions(inputs),
                  create_slot: false,
                  slot_name: slot,
                  copy_data: false,
                  enabled: false,
                },
              ),
            );
            await s.exec(sql.markUnfinishedCopy(inputs.name));
          });
        });
        created = true;
        log.info(
          `${name}: slot ${JSON.stringify(slot)} created at ${at}; copying ${plan.tables.length} table(s) (${bytes(plan.bytes)}, ${plan.items.length} COPY(s)) under its snapshot on ${jobs} connection(s).`,
        );
        const meter = new SnapshotMeter(plan, Date.now());
        const timer = setInterval(() => log.info(meter.line(name, Date.now())), REPORT_EVERY_MS);
        timer.unref();
        try {
          await copyAll(
            publisher,
            ends.connection,
            snapshot,
            plan,
            jobs,
            filled,
            meter,
            waitOptions(inputs, publisher)?.timeoutSeconds ?? DEFAULT_LOCK_SECONDS,
          );
        } finally {
          clearInterval(timer);
        }
        log.info(meter.line(name, Date.now()));
      },
      { replication: true },
    );
    await s.transaction(async () => {
      if (inputs.enabled !== false) await s.exec(sql.alterSubscriptionEnabled(inputs.name, true));
      await s.exec(sql.clearUnfinishedCopy(inputs.name));
    });
  } catch (e) {
    await undo(s, inputs, publisher, { slotMade, created, filled: sortedTables(filled.values()) }).catch(
      (u) =>
        log.warn(
          `${name}: undoing the failed snapshot copy failed too (${(u as Error).message}); the next up repairs it.`,
        ),
    );
    throw e;
  }
}

async function undo(
  s: Session,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  done: { slotMade: boolean; created: boolean; filled: TableName[] },
): Promise<void> {
  if (done.created) await dropSafely(s, inputs.name, publisher);
  else if (done.slotMade)
    await withSession(publisher, (p) =>
      p.query(sql.dropReplicationSlotQuery(), [inputs.slotName ?? inputs.name]),
    );
  if (done.filled.length > 0) await s.exec(truncateTables(done.filled));
}
