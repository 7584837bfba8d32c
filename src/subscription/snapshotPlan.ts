// The snapshot copy's plan (see snapshotCopy.ts): whether it can run here and, with `copyMethod:
// "auto"`, whether it should; the COPYs it runs (big plain tables as page ranges, largest first)
// and in which format.

import * as log from "../kernel/log";
import type { ConnectionInfo } from "../pg/connection";
import { byFeeding, nonEmpty, readStakes, type TableStakes } from "../pg/emptying";
import { withSession, type Session } from "../pg/session";
import { sortedTables, tableId, tableKey, type TableName } from "../pg/tables";
import { bytes } from "../kernel/units";
import {
  mayHandOver,
  readCopyFacts,
  readLateKeys,
  type LateKey,
  readPublishedForCopy,
  type ColumnType,
  type PublishedForCopy,
} from "./snapshotCatalog";
import { SYNC_FIXES, syncBlockers, withSyncWorkers, type SyncLimits } from "./preflight";
import * as sql from "./sql";
import { label, publicationNames, type SubscriptionInputs } from "./types";

export type CopyMethod = "postgres" | "snapshot" | "auto";

/** `auto` copies through this program up to this many bytes of published tables; PostgreSQL the rest. */
export const AUTO_MAX_BYTES = 1024 ** 3;
/**
 * … and only tables of this size or less: there PostgreSQL's fixed cost per table (a worker, a
 * slot, a snapshot: about 80 ms) dominates. Bigger tables copy as fast or faster server to server
 * (docs/benchmarks.md: 4 × 250,000 and 1 × 1,000,000 rows), in the same subscription (handover.ts).
 */
export const AUTO_MAX_TABLE_BYTES = 8 * 1024 ** 2;
/** A plain table of at least two such parts (16 MiB of heap pages) is copied as page ranges at once. */
export const PART_PAGES = 2048;
/**
 * A whole table of at least this size gets its primary key built after its rows (LateKey); below,
 * dropping and adding it costs more than the row-by-row insertions it saves.
 */
export const LATE_KEY_MIN_BYTES = 1024 ** 2;
/** Connections on each side (default of `copyJobs`). */
export const DEFAULT_JOBS = 4;

/** One COPY: a table, or a range of its pages. */
export interface CopyItem {
  table: PublishedForCopy;
  binary: boolean;
  range?: sql.PageRange;
  /** The replica's primary key, dropped before this COPY and built after it in its transaction. */
  lateKey?: LateKey;
  /** Its share of the table's bytes on disk (for the order and the estimate). */
  bytes: number;
}

export interface SnapshotPlan {
  items: CopyItem[];
  /** The tables this program copies. */
  tables: PublishedForCopy[];
  /** The published tables left to PostgreSQL's own copy in the same subscription (`auto`'s big ones). */
  toPostgres: PublishedForCopy[];
  /** The primary keys of tables copied in page ranges: dropped before the copy, built after it (lateKeys.ts). */
  rangedKeys: LateKey[];
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
 * What the Subscription's check read on the replica for `tables` (readStakes), and, when given,
 * which of them hold rows (nonEmpty): planning the copy at preview reuses them instead of reading
 * them again.
 */
export interface ReplicaRead {
  tables: readonly TableName[];
  stakes: readonly TableStakes[];
  holding?: readonly TableName[];
}

function covers(read: readonly TableName[], tables: readonly TableName[]): boolean {
  const ids = new Set(read.map(tableId));
  return tables.every((t) => ids.has(tableId(t)));
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
  publisher: ConnectionInfo,
  jobs: number,
  preview: {
    /** The SchemaSync this depends on creates the replica's tables first: missing ones do not count. */
    tablesComing?: boolean;
    /**
     * The tables of publications this program creates in the same `up` (not on the publisher yet):
     * a preview plans their copy as whole tables.
     */
    published?: readonly TableName[];
    /** A repair empties the tables first: rows in them do not count. */
    emptiedFirst?: boolean;
    /** What the check read on the replica just before (each read again when it does not cover the publications). */
    read?: ReplicaRead;
  } = {},
): Promise<{ plan?: SnapshotPlan; obstacles: string[]; shared?: ReadonlySet<string> }> {
  const obstacles = staticObstacles(inputs);
  if (obstacles.length > 0) return { obstacles };
  // The replica's facts of the tables the check saw published are read while the publisher is
  // (two servers, ~50 ms each at 2 000 tables); read again only when the publications list others.
  const expected = preview.read?.tables ?? inputs.publishedTables;
  const early = expected && expected.length > 0 ? readCopyFacts(s, expected) : undefined;
  // Settled on every path below; never an unhandled rejection meanwhile.
  early?.catch(() => undefined);
  let published: PublishedForCopy[];
  try {
    published = await withSession(publisher, (p) =>
      readPublishedForCopy(p, publicationNames(inputs.publications), preview.published),
    );
  } catch (e) {
    await early?.catch(() => undefined);
    return { obstacles: [`this program cannot read the publisher (${(e as Error).message})`] };
  }
  let facts: Awaited<ReturnType<typeof readCopyFacts>>;
  if (early && covers(expected!, published)) facts = await early;
  else {
    await early?.catch(() => undefined);
    facts = await readCopyFacts(s, published);
  }
  const publishedIds = new Set(published.map(tableId));
  const onReplica = new Map(facts.filter((f) => publishedIds.has(tableId(f))).map((f) => [tableId(f), f]));
  const missing: string[] = [];
  const generated: string[] = [];
  for (const t of published) {
    const r = onReplica.get(tableId(t));
    const have = new Set(r?.types.map((c) => c.name));
    const lacking = t.columns.filter((c) => !have.has(c));
    if (!r) {
      if (!preview.tablesComing) missing.push(tableKey(t));
    } else if (lacking.length > 0) missing.push(`${tableKey(t)} (columns ${lacking.join(", ")})`);
    const computed = r?.types.filter((c) => c.generated && t.columns.includes(c.name)) ?? [];
    if (computed.length > 0) generated.push(`${tableKey(t)} (${computed.map((c) => c.name).join(", ")})`);
  }
  if (generated.length > 0)
    obstacles.push(`published columns are generated on the replica: ${generated.join(", ")}`);
  if (missing.length > 0) obstacles.push(`the replica lacks ${missing.join(", ")}`);
  // It writes only into empty tables: undoing a failed copy empties what it filled.
  const read = preview.read && covers(preview.read.tables, published) ? preview.read : undefined;
  const present = preview.emptiedFirst ? [] : published.filter((t) => onReplica.has(tableId(t)));
  const known = read?.holding && new Set(read.holding.map(tableId));
  const [holding, stakes] = await s.concurrently([
    () => (known ? Promise.resolve(present.filter((t) => known.has(tableId(t)))) : nonEmpty(s, present)),
    () => (read?.stakes ? Promise.resolve(read.stakes) : readStakes(s, published, inputs.name)),
  ]);
  // Rows other subscriptions write (fan-in): "auto" leaves those tables to PostgreSQL's copy,
  // which adds beside them; this program's undo would empty them.
  const { fed: shared, unfed: colliding } =
    inputs.copyMethod === "snapshot" ? { fed: [], unfed: holding } : byFeeding(holding, stakes);
  const sharedIds = new Set(shared.map(tableId));
  if (colliding.length > 0)
    obstacles.push(`${colliding.map(tableKey).join(", ")} already hold rows on the replica`);
  const onward = stakes.filter((t) => t.publishedBy.length > 0 && publishedIds.has(tableId(t)));
  if (onward.length > 0)
    obstacles.push(
      `the replica publishes ${onward.map(tableKey).join(", ")} itself (two-way or a cascade): rows this program copied would be sent on as the replica's own`,
    );
  const guarded = [...onReplica.values()].filter((f) => f.rowSecurity);
  if (guarded.length > 0)
    obstacles.push(
      `row-level security applies to this role on the replica for ${guarded.map(tableKey).join(", ")}, and COPY FROM refuses such tables`,
    );
  const replicaRole = [...onReplica.values()].some((f) => f.triggers);
  if (replicaRole && !(await mayWriteAsReplica(s)))
    obstacles.push(
      "rows written into these tables fire triggers or check foreign keys, and this role may not set session_replication_role = replica as the apply worker does (a superuser may; or build the foreign keys after the copy: `indexesAfterCopy`)",
    );
  if (obstacles.length > 0) return { obstacles };
  const types = new Map([...onReplica].map(([k, f]) => [k, f.types]));
  const items = copyItems(published, types, jobs);
  // Keys built after the rows: a whole table's in its COPY's transaction, a ranged one's after its last range.
  const late = (i: CopyItem) => i.range !== undefined || i.bytes >= LATE_KEY_MIN_BYTES;
  const candidates = sortedTables(
    new Map(items.filter(late).map((i) => [tableId(i.table), i.table])).values(),
  );
  const keys = new Map(
    (candidates.length > 0 ? await readLateKeys(s, candidates) : []).map((k) => [tableId(k), k]),
  );
  const rangedKeys = new Map<string, LateKey>();
  for (const item of items.filter(late)) {
    const key = keys.get(tableId(item.table));
    if (key && item.range) rangedKeys.set(tableId(key), key);
    else if (key) item.lateKey = key;
  }
  return {
    plan: {
      items,
      tables: published,
      toPostgres: [],
      rangedKeys: [...rangedKeys.values()],
      replicaRole,
      bytes: sizeOf(published),
    },
    obstacles,
    shared: sharedIds,
  };
}

const refusal = (why: string) =>
  `copyMethod "snapshot" cannot copy here: ${why}. Fix that, or set \`copyMethod: "postgres"\` (or "auto") to let PostgreSQL's table synchronisation copy.`;

const sizeOf = (tables: readonly PublishedForCopy[]) => tables.reduce((n, t) => n + t.bytes, 0);

/**
 * `auto`'s division of the tables: those this program copies (at most AUTO_MAX_TABLE_BYTES each,
 * AUTO_MAX_BYTES together, smallest first) and PostgreSQL's: the others, and every `shared` one
 * (rows other subscriptions write, which PostgreSQL's copy adds beside).
 */
export function autoSplit(
  tables: readonly PublishedForCopy[],
  pinned: ReadonlySet<string> = new Set(),
  shared: ReadonlySet<string> = new Set(),
): {
  mine: PublishedForCopy[];
  theirs: PublishedForCopy[];
} {
  const mine: PublishedForCopy[] = [];
  const theirs: PublishedForCopy[] = [];
  let total = 0;
  for (const t of [...tables].sort((a, b) => a.bytes - b.bytes)) {
    const fits =
      !shared.has(tableId(t)) &&
      (pinned.has(tableId(t)) || (t.bytes <= AUTO_MAX_TABLE_BYTES && total + t.bytes <= AUTO_MAX_BYTES));
    (fits ? mine : theirs).push(t);
    if (fits) total += t.bytes;
  }
  return { mine, theirs };
}

/**
 * What `"auto"` makes of a plan of every published table: all copied by this program; the small
 * ones by it and the others by PostgreSQL in the same subscription, when `handover` (this role may
 * create the handover publication); or PostgreSQL's copy of all, and why.
 */
export function autoChoice(
  inputs: SubscriptionInputs,
  plan: SnapshotPlan,
  handover: boolean,
  pinned: ReadonlySet<string> = new Set(),
  shared: ReadonlySet<string> = new Set(),
): { plan: SnapshotPlan; note?: string } | { why: string } {
  if (inputs.enabled === false)
    return { why: "the subscription is created disabled (PostgreSQL copies when it is enabled)" };
  const { mine, theirs } = autoSplit(plan.tables, pinned, shared);
  if (theirs.length === 0) return { plan };
  const fanIn = theirs.filter((t) => shared.has(tableId(t)));
  const fed = `${fanIn.map(tableKey).join(", ")} already hold rows other subscriptions of the replica write (fan-in), which PostgreSQL's copy adds beside`;
  if (mine.length === 0)
    return {
      why:
        fanIn.length > 0
          ? `${fed}, and every other table holds more than the ${bytes(AUTO_MAX_TABLE_BYTES)} up to which \`copyMethod: "auto"\` copies through this program`
          : `every table holds more than the ${bytes(AUTO_MAX_TABLE_BYTES)} up to which \`copyMethod: "auto"\` copies through this program (server to server is as fast for big tables)`,
    };
  if (handover) {
    const keep = new Set(mine.map(tableId));
    return {
      plan: {
        ...plan,
        items: plan.items.filter((i) => keep.has(tableId(i.table))),
        tables: mine,
        toPostgres: sortedTables(theirs),
        rangedKeys: plan.rangedKeys.filter((k) => keep.has(tableId(k))),
        bytes: sizeOf(mine),
      },
    };
  }
  // Without the handover one method copies every table: PostgreSQL's, where some are shared.
  const cannot = `this role may not create the publication that would leave ${theirs.length} ${fanIn.length > 0 ? "" : "big "}table(s) to PostgreSQL (CREATE on the publisher's database and ownership of the small ones)`;
  if (fanIn.length > 0) return { why: `${fed}, and ${cannot}` };
  const average = plan.bytes / plan.tables.length;
  if (plan.bytes > AUTO_MAX_BYTES)
    return {
      why: `the tables hold ${bytes(plan.bytes)}, more than the ${bytes(AUTO_MAX_BYTES)} \`copyMethod: "auto"\` copies through this program, and ${cannot}`,
    };
  if (average > AUTO_MAX_TABLE_BYTES)
    return {
      why: `its ${plan.tables.length} table(s) hold ${bytes(average)} on average, more than the ${bytes(AUTO_MAX_TABLE_BYTES)} up to which \`copyMethod: "auto"\` copies through this program, and ${cannot}`,
    };
  return { plan, note: `the big ones too: ${cannot}` };
}

/**
 * The copy `"snapshot"` or `"auto"` makes: the snapshot copy with its plan, PostgreSQL's and why
 * (`"auto"` only), or why `"snapshot"` is refused.
 */
async function decideCopy(
  s: Session,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  limits: SyncLimits,
  preview?: Parameters<typeof planSnapshot>[4],
): Promise<
  | { method: "snapshot"; plan: SnapshotPlan; note?: string; shared?: ReadonlySet<string> }
  | { method: "postgres"; why: string }
  | { refused: string }
> {
  const { plan, obstacles, shared } = await planSnapshot(
    s,
    inputs,
    publisher,
    inputs.copyJobs ?? DEFAULT_JOBS,
    preview,
  );
  if (inputs.copyMethod === "snapshot")
    return plan ? { method: "snapshot", plan } : { refused: refusal(obstacles.join("; ")) };
  // Tables PostgreSQL's copy cannot copy here stay with this program's.
  const known = await withSyncWorkers(s, limits);
  const blocked = (why: string) =>
    syncBlockers(s.serverVersion, known, plan?.tables ?? inputs.publishedTables ?? limits.generated, {
      generated: `And this program cannot copy them: ${why}. Fix that, upgrade the subscriber to 18, or stop publishing them (\`publishGeneratedColumns: "none"\`, or leave them out of the column list; the replica then computes its own).`,
      workers: `And this program, whose copy needs none, cannot copy here: ${why}. Fix that, or raise max_sync_workers_per_subscription on the subscriber.`,
      timeout: `, or fix what keeps this program's copy (which turns it off in its own sessions) from running here: ${why}`,
    });
  const pinned = new Set(blocked("").tables.map(tableId));
  const postgres = (why: string) => {
    const { reasons } = blocked(why);
    return reasons.length > 0
      ? { refused: `copyMethod "auto" cannot leave the copy to PostgreSQL here: ${reasons.join("; ")}` }
      : { method: "postgres" as const, why };
  };
  if (!plan) return postgres(obstacles.join("; "));
  const { mine, theirs } = autoSplit(plan.tables, pinned, shared);
  const handover =
    inputs.enabled !== false &&
    mine.length > 0 &&
    theirs.length > 0 &&
    (await mayHandOver(publisher, mine).catch(() => false));
  const choice = autoChoice(inputs, plan, handover, pinned, shared);
  if (!("plan" in choice)) return postgres(choice.why);
  // Big tables this program copies only because PostgreSQL's copy cannot here: said, with why.
  const kept = new Set(choice.plan.tables.map(tableId));
  const forced = autoSplit(plan.tables, new Set(), shared).theirs.filter((t) => kept.has(tableId(t)));
  const why =
    forced.length > 0
      ? syncBlockers(s.serverVersion, known, forced, { generated: "", workers: "", timeout: "" }).reasons
      : [];
  const note = [
    ...(choice.note ? [choice.note] : []),
    ...(why.length > 0
      ? [
          `${forced.map(tableKey).join(", ")} too, though above ${bytes(AUTO_MAX_TABLE_BYTES)}: PostgreSQL's table synchronisation cannot copy them here, ${why.join("; ")}`,
        ]
      : []),
  ].join("; ");
  return {
    method: "snapshot",
    plan: choice.plan,
    ...(note ? { note } : {}),
    ...(shared ? { shared } : {}),
  };
}

/**
 * What the preview says about the copy `up` will make (a new subscription, or a repair's re-copy):
 * the snapshot copy with its size, or PostgreSQL's and why; a failure when `copyMethod: "snapshot"`
 * cannot copy here. `tablesComing`: the replica's tables are the SchemaSync's to create first.
 */
export async function previewCopy(
  s: Session,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  limits: SyncLimits,
  preview: {
    tablesComing: boolean;
    emptiedFirst: boolean;
    read?: ReplicaRead;
    tables: readonly TableName[];
    published?: readonly TableName[];
  },
): Promise<{ line: string; failure?: string }> {
  const who = label(inputs.name);
  if (inputs.copyMethod === "postgres") {
    const known = await withSyncWorkers(s, limits);
    const { reasons } = syncBlockers(s.serverVersion, known, preview.tables, SYNC_FIXES);
    const failure = reasons.length > 0 ? reasons.join("; ") : undefined;
    return {
      line: `${who}: up copies with PostgreSQL's table synchronisation (copyMethod "postgres")${failure ? `, which cannot: ${failure}` : "."}`,
      ...(failure ? { failure } : {}),
    };
  }
  const d = await decideCopy(s, inputs, publisher, limits, preview);
  if ("refused" in d) return { line: `${who}: ${d.refused}`, failure: d.refused };
  if (d.method === "postgres")
    return { line: `${who}: up leaves the initial copy to PostgreSQL's table synchronisation: ${d.why}.` };
  const rest = d.plan.toPostgres;
  const fanIn = rest.filter((t) => d.shared?.has(tableId(t)));
  const above = `each above ${bytes(AUTO_MAX_TABLE_BYTES)}`;
  const beside = `beside the rows other subscriptions write into ${fanIn.map(tableKey).join(", ")}`;
  const why =
    fanIn.length === 0 ? above : fanIn.length === rest.length ? beside : `the others ${above}; ${beside}`;
  return {
    line: `${who}: up copies ${d.plan.tables.length} table(s) (${bytes(d.plan.bytes)} on disk) under one snapshot from this program on ${inputs.copyJobs ?? DEFAULT_JOBS} connection(s) per side, then streams from that slot${rest.length > 0 ? `; PostgreSQL's table synchronisation copies the other ${rest.length} (${bytes(sizeOf(rest))}, ${why}) server to server in the same subscription: ${rest.map(tableKey).join(", ")}` : ""}${d.note ? ` (${d.note})` : ""}.`,
  };
}

/** Which copy this create or re-copy runs: PostgreSQL's, or the snapshot copy with its plan. */
export async function chooseCopy(
  s: Session,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  copy: boolean,
  limits: SyncLimits,
): Promise<{ method: "postgres" } | { method: "snapshot"; plan: SnapshotPlan }> {
  if (!copy || inputs.copyMethod === "postgres") return { method: "postgres" };
  const d = await decideCopy(s, inputs, publisher, limits);
  if ("refused" in d) throw new Error(`${label(inputs.name)}: ${d.refused}`);
  if (d.method === "postgres")
    log.info(`${label(inputs.name)}: the initial copy is PostgreSQL's own: ${d.why}.`);
  return d;
}
