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
import { conninfo, parseConnection, type ConnectionInfo } from "../pg/connection";
import { readStakes, truncateTables } from "../pg/emptying";
import { withLock } from "../pg/lock";
import { withClient, withSession, type Session } from "../pg/session";
import { sortedTables, tableId, tableKey, type TableName } from "../pg/tables";
import { dropSafely } from "./drop";
import { createOptions } from "./options";
import { createPreflight } from "./preflight";
import { bytes, duration, number } from "./progress";
import type { PublisherView } from "./publisher";
import {
  readCopyFacts,
  readPublishedForCopy,
  type ColumnType,
  type PublishedForCopy,
} from "./snapshotCatalog";
import * as sql from "./sql";
import { label, publicationNames, type SubscriptionInputs } from "./types";

export type CopyMethod = "postgres" | "snapshot" | "auto";

/** `auto` copies through this program up to this many bytes of published tables; PostgreSQL beyond. */
export const AUTO_MAX_BYTES = 1024 ** 3;
/** A plain table of at least two such parts (16 MiB of heap pages) is copied as page ranges at once. */
export const PART_PAGES = 2048;
/** Connections on each side (default of `copyJobs`). */
export const DEFAULT_JOBS = 4;
const REPORT_EVERY_MS = 10_000;

/** One COPY: a table, or a range of its pages. */
export interface CopyItem {
  table: PublishedForCopy;
  binary: boolean;
  range?: sql.PageRange;
  /** Its share of the table's bytes on disk (for the order and the estimate). */
  bytes: number;
}

export interface SnapshotPlan {
  items: CopyItem[];
  tables: PublishedForCopy[];
  /** Rows written into these tables would fire triggers (foreign keys' included): write as the apply worker does. */
  replicaRole: boolean;
  bytes: number;
}

/**
 * The binary COPY format carries each value in its type's binary form, and arrays and records
 * name their element types by oid: safe only when every column has the same built-in type (the
 * same oid on every server) on both sides.
 */
export function binaryFor(
  published: readonly ColumnType[],
  replica: readonly ColumnType[] | undefined,
): boolean {
  if (!replica) return false;
  const there = new Map(replica.map((c) => [c.name, c]));
  return published.every((c) => {
    const r = there.get(c.name);
    return r !== undefined && c.oid < 16384 && r.oid === c.oid && r.type === c.type;
  });
}

/** The COPYs of a plan, largest first: a plain table of at least two parts in ranges, as many as the jobs. */
export function copyItems(
  tables: readonly PublishedForCopy[],
  replicaTypes: ReadonlyMap<string, readonly ColumnType[]>,
  jobs: number,
): CopyItem[] {
  const items: CopyItem[] = [];
  for (const t of tables) {
    const binary = binaryFor(t.types, replicaTypes.get(tableId(t)));
    const parts = t.partitioned ? 1 : Math.min(jobs, Math.floor(t.pages / PART_PAGES));
    if (parts < 2) {
      items.push({ table: t, binary, bytes: t.bytes });
      continue;
    }
    const step = Math.ceil(t.pages / parts);
    for (let i = 0; i < parts; i++)
      items.push({
        table: t,
        binary,
        // The last range is open: relpages is an estimate, and the table may have grown since.
        range: i === parts - 1 ? { fromPage: i * step } : { fromPage: i * step, toPage: (i + 1) * step },
        bytes: t.bytes / parts,
      });
  }
  return items.sort((a, b) => b.bytes - a.bytes);
}

/** What the arguments rule out, before any server is asked. */
export function staticObstacles(inputs: SubscriptionInputs): string[] {
  const out: string[] = [];
  if (inputs.createSlot === false)
    out.push("`createSlot: false` (the copy must create the slot whose snapshot it reads)");
  if (inputs.twoPhase === true) out.push("`twoPhase: true` (its slot is created by PostgreSQL's own copy)");
  if ((inputs as { failover?: boolean }).failover === true)
    out.push("`failover: true` (its slot is created by PostgreSQL's own copy)");
  return out;
}

/** Whether this role may write as the apply worker does (session_replication_role, superuser by default). */
async function mayWriteAsReplica(s: Session): Promise<boolean> {
  try {
    await s.transaction(() => s.exec(sql.REPLICA_ROLE));
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "42501") return false;
    throw e;
  }
}

/**
 * The plan, or why this program cannot copy these tables itself: it cannot reach the publisher, the
 * replica lacks a table or column (PostgreSQL's copy then reports it), rows would fire triggers or
 * check foreign keys and this role may not write as the apply worker does, or the replica publishes
 * a table onward (two-way, cascade: rows this program writes would be sent on as the replica's own,
 * where PostgreSQL's copy marks them with the subscription's origin).
 */
export async function planSnapshot(
  s: Session,
  inputs: SubscriptionInputs,
  jobs: number,
): Promise<{ plan?: SnapshotPlan; obstacles: string[] }> {
  const obstacles = staticObstacles(inputs);
  if (obstacles.length > 0) return { obstacles };
  let published: PublishedForCopy[];
  try {
    published = await withSession(parseConnection(inputs.publisher), (p) =>
      readPublishedForCopy(p, publicationNames(inputs.publications)),
    );
  } catch (e) {
    return { obstacles: [`this program cannot read the publisher (${(e as Error).message})`] };
  }
  const onReplica = new Map((await readCopyFacts(s, published)).map((f) => [tableId(f), f]));
  const missing: string[] = [];
  for (const t of published) {
    const r = onReplica.get(tableId(t));
    const have = new Set(r?.types.map((c) => c.name));
    const lacking = t.columns.filter((c) => !have.has(c));
    if (!r) missing.push(tableKey(t));
    else if (lacking.length > 0) missing.push(`${tableKey(t)} (columns ${lacking.join(", ")})`);
  }
  if (missing.length > 0) obstacles.push(`the replica lacks ${missing.join(", ")}`);
  const onward = (await readStakes(s, published, inputs.name)).filter((t) => t.publishedBy.length > 0);
  if (onward.length > 0)
    obstacles.push(
      `the replica publishes ${onward.map(tableKey).join(", ")} itself (two-way or a cascade): rows this program copied would be sent on as the replica's own`,
    );
  const replicaRole = [...onReplica.values()].some((f) => f.triggers);
  if (replicaRole && !(await mayWriteAsReplica(s)))
    obstacles.push(
      "rows written into these tables fire triggers or check foreign keys, and this role may not set session_replication_role = replica as the apply worker does (a superuser may; or build the foreign keys after the copy: `indexesAfterCopy`)",
    );
  if (obstacles.length > 0) return { obstacles };
  const types = new Map([...onReplica].map(([k, f]) => [k, f.types]));
  const items = copyItems(published, types, jobs);
  return {
    plan: { items, tables: published, replicaRole, bytes: published.reduce((n, t) => n + t.bytes, 0) },
    obstacles,
  };
}

/** Which copy this create or re-copy runs: PostgreSQL's, or the snapshot copy with its plan. */
export async function chooseCopy(
  s: Session,
  inputs: SubscriptionInputs,
  copy: boolean,
): Promise<{ method: "postgres" } | { method: "snapshot"; plan: SnapshotPlan }> {
  const method = inputs.copyMethod ?? "auto";
  if (!copy || method === "postgres") return { method: "postgres" };
  const { plan, obstacles } = await planSnapshot(s, inputs, inputs.copyJobs ?? DEFAULT_JOBS);
  if (method === "snapshot") {
    if (!plan)
      throw new Error(
        `${label(inputs.name)}: copyMethod "snapshot" cannot copy here: ${obstacles.join("; ")}. Fix that, or set \`copyMethod: "postgres"\` (or "auto") to let PostgreSQL's table synchronisation copy.`,
      );
    return { method: "snapshot", plan };
  }
  const why = !plan
    ? obstacles.join("; ")
    : plan.bytes > AUTO_MAX_BYTES
      ? `the tables hold ${bytes(plan.bytes)}, more than the ${bytes(AUTO_MAX_BYTES)} \`copyMethod: "auto"\` copies through this program`
      : inputs.enabled === false
        ? "the subscription is created disabled (PostgreSQL copies when it is enabled)"
        : undefined;
  if (why !== undefined || !plan) {
    log.info(`${label(inputs.name)}: the initial copy is PostgreSQL's own: ${why}.`);
    return { method: "postgres" };
  }
  return { method: "snapshot", plan };
}

/** Progress of a snapshot copy, for a person: tables done, rows, bytes, rate, time left. Pure but for the clock given. */
export class SnapshotMeter {
  private readonly started: number;
  private doneTables = new Set<string>();
  private rows = 0;
  private copied = 0;
  /** The on-disk bytes of the COPYs finished (the plan's measure of size). */
  private doneBytes = 0;
  private readonly remainingParts = new Map<string, number>();
  private readonly running = new Map<CopyItem, number>();

  constructor(
    private readonly plan: SnapshotPlan,
    now: number,
  ) {
    this.started = now;
    for (const i of plan.items)
      this.remainingParts.set(tableId(i.table), (this.remainingParts.get(tableId(i.table)) ?? 0) + 1);
  }

  start(item: CopyItem): void {
    this.running.set(item, 0);
  }

  flowed(item: CopyItem, n: number): void {
    this.copied += n;
    this.running.set(item, (this.running.get(item) ?? 0) + n);
  }

  finish(item: CopyItem, rows: number): void {
    this.running.delete(item);
    this.rows += rows;
    this.doneBytes += item.bytes;
    const id = tableId(item.table);
    const left = (this.remainingParts.get(id) ?? 1) - 1;
    this.remainingParts.set(id, left);
    if (left === 0) this.doneTables.add(id);
  }

  line(name: string, now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const finished = this.doneTables.size === this.plan.tables.length;
    // The share done is measured in the tables' size on disk; the time left follows from it.
    const share = this.plan.bytes > 0 ? Math.min(this.doneBytes / this.plan.bytes, 1) : 0;
    const left =
      !finished && share > 0
        ? `, ${Math.round(share * 100)}% of their size, about ${duration((seconds * (1 - share)) / share)} left`
        : "";
    const running = [...this.running]
      .slice(0, 4)
      .map(
        ([i, n]) => `${tableKey(i.table)}${i.range ? ` (pages from ${i.range.fromPage})` : ""}: ${bytes(n)}`,
      );
    return `${name}: snapshot copy: ${this.doneTables.size}/${this.plan.tables.length} tables copied, ${number(this.rows)} rows, ${bytes(this.copied)} sent in ${duration(seconds)} (${bytes(this.copied / seconds)}/s)${left}${running.length > 0 ? `; copying ${running.join(", ")}` : ""}`;
  }
}

/** Runs the plan's COPYs on `jobs` connection pairs under `snapshot`; the tables written into are added to `filled`. */
async function copyAll(
  publisher: ConnectionInfo,
  replica: ConnectionInfo,
  snapshot: string,
  plan: SnapshotPlan,
  jobs: number,
  filled: Map<string, TableName>,
  meter: SnapshotMeter,
): Promise<void> {
  const queue = [...plan.items];
  let failure: { error: unknown } | undefined;
  const worker = () =>
    withClient(publisher, async (pub) => {
      for (const statement of sql.beginUnderSnapshot(snapshot)) await pub.query(statement);
      await withClient(replica, async (rep) => {
        for (let item = queue.shift(); item && !failure; item = queue.shift()) {
          const it = item;
          meter.start(it);
          await rep.query("BEGIN");
          if (plan.replicaRole) await rep.query(sql.REPLICA_ROLE);
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
  plan: SnapshotPlan,
  view: PublisherView | undefined,
): Promise<void> {
  const name = label(inputs.name);
  const publisher = parseConnection(inputs.publisher);
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
          await createPreflight(s, inputs, view);
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
          await copyAll(publisher, parseConnection(inputs.connection), snapshot, plan, jobs, filled, meter);
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
    await undo(s, inputs, { slotMade, created, filled: sortedTables(filled.values()) }).catch((u) =>
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
  done: { slotMade: boolean; created: boolean; filled: TableName[] },
): Promise<void> {
  const publisher = parseConnection(inputs.publisher);
  if (done.created) await dropSafely(s, inputs.name, publisher);
  else if (done.slotMade)
    await withSession(publisher, (p) =>
      p.query(sql.dropReplicationSlotQuery(), [inputs.slotName ?? inputs.name]),
    );
  if (done.filled.length > 0) await s.exec(truncateTables(done.filled));
}
