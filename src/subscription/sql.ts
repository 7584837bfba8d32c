// Every statement the Subscription sends; identifiers and literals go through quote.ts.

import { lockTimeout } from "../pg/lock";
import { NO_TIMEOUTS } from "../pg/session";
import { PORTABLE_TEXT } from "../pg/settings";
import { ident, identList, literal, qualified } from "../pg/quote";
import type { TableName } from "../pg/tables";

/** A CREATE/ALTER SUBSCRIPTION option value, already in SQL-ready form. */
export type OptionValue = boolean | string | { none: true };

function optionValue(v: OptionValue): string {
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return literal(v);
  return "NONE";
}

function optionList(options: Record<string, OptionValue>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k} = ${optionValue(v)}`)
    .join(", ");
}

export function createSubscription(
  name: string,
  conninfo: string,
  publications: string[],
  options: Record<string, OptionValue>,
): string {
  const sql = `CREATE SUBSCRIPTION ${ident(name)} CONNECTION ${literal(conninfo)} PUBLICATION ${identList(publications)}`;
  const opts = optionList(options);
  return opts ? `${sql} WITH (${opts})` : sql;
}

export function alterSubscriptionConnection(name: string, conninfo: string): string {
  return `ALTER SUBSCRIPTION ${ident(name)} CONNECTION ${literal(conninfo)}`;
}

export function alterSubscriptionSetPublication(
  name: string,
  publications: string[],
  refresh: boolean,
): string {
  return `ALTER SUBSCRIPTION ${ident(name)} SET PUBLICATION ${identList(publications)} WITH (refresh = ${refresh})`;
}

export function alterSubscriptionRefresh(name: string, copyData?: boolean): string {
  const sql = `ALTER SUBSCRIPTION ${ident(name)} REFRESH PUBLICATION`;
  return copyData === undefined ? sql : `${sql} WITH (copy_data = ${copyData})`;
}

/**
 * Run on the publisher after a refresh that added tables for PostgreSQL's copy: a committed WAL record
 * (a logical message no output plugin of ours asks for) makes the walsender answer the idle apply
 * worker at once, which then starts their table synchronisation. Without it the worker looks only
 * when its next one-second wait for the publisher ends. Any role may call it (PG14–18).
 */
export const WAKE_APPLY_WORKER = `SELECT pg_catalog.pg_logical_emit_message(true, 'pulumi-pg-replication', '')`;

export function alterSubscriptionOptions(name: string, options: Record<string, OptionValue>): string {
  return `ALTER SUBSCRIPTION ${ident(name)} SET (${optionList(options)})`;
}

export function alterSubscriptionEnabled(name: string, enabled: boolean): string {
  return `ALTER SUBSCRIPTION ${ident(name)} ${enabled ? "ENABLE" : "DISABLE"}`;
}

export function dropSubscription(name: string): string {
  return `DROP SUBSCRIPTION IF EXISTS ${ident(name)}`;
}

// ---------------------------------------------------------------------------------------------
// Whether the publisher is the subscriber's own cluster: a session of the subscriber takes an
// advisory lock under random keys, and the publisher looks for it (pg_locks lists every database's).

/** $1, $2: two random keys (0 … 2^31 - 1). Returns the session's pid. */
export const TAKE_TOKEN =
  "SELECT pg_catalog.pg_advisory_lock($1::int, $2::int), pg_catalog.pg_backend_pid() AS pid";
export const DROP_TOKEN = "SELECT pg_catalog.pg_advisory_unlock($1::int, $2::int)";
/** $1, $2: the keys; $3: the pid holding them. */
export const SEES_TOKEN = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks
   WHERE locktype = 'advisory' AND classid = $1::int8::oid AND objid = $2::int8::oid AND objsubid = 2
     AND pid = $3 AND granted) AS same`;

/**
 * A logical slot for pgoutput, created over SQL on the publisher ($1: its name; two-phase and, from
 * PG17, failover when asked): what CREATE SUBSCRIPTION would create, made before it where it
 * cannot make it itself.
 */
export function createLogicalSlot(opts: { twoPhase?: boolean; failover?: boolean }): string {
  const more = [
    ...(opts.twoPhase ? ["twophase => true"] : []),
    ...(opts.failover ? ["failover => true"] : []),
  ];
  return `SELECT pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput'${more.map((m) => `, ${m}`).join("")})`;
}

export function dropReplicationSlotQuery(): string {
  return "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active";
}

// ---------------------------------------------------------------------------------------------
// The snapshot copy (snapshotCopy.ts): a slot whose exported snapshot every table is read under,
// rows piped from COPY … TO STDOUT on the publisher into COPY … FROM STDIN on the replica.

/**
 * On a replication connection: a logical slot for pgoutput, exporting the snapshot it starts at
 * (valid until this connection runs another command or closes). The older spelling, which every
 * version from 14 to 18 accepts.
 */
export function createSlotExportingSnapshot(slot: string): string {
  return `CREATE_REPLICATION_SLOT ${ident(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`;
}

/**
 * On the replication connection holding the exported snapshot (idle, its transaction open, while
 * the tables are copied) and on the publisher's copy sessions (idle until the copy starts, then in
 * one transaction as long as the copy takes): none of the roles' timeouts (session.ts).
 */
export const SNAPSHOT_HOLDER_SESSION = NO_TIMEOUTS;

/**
 * A read-only transaction that sees exactly what the exported snapshot saw, opened in one round trip
 * (simple protocol: the snapshot name is a quoted literal, the rest numbers and constants), with the
 * lock wait bounded and text written in the portable forms.
 */
export function beginUnderSnapshot(snapshot: string, lockSeconds: number): string {
  return [
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    `SET TRANSACTION SNAPSHOT ${literal(snapshot)}`,
    lockTimeout(lockSeconds),
    // The session's timeouts are off already (SNAPSHOT_HOLDER_SESSION).
    ...portableText("SET LOCAL"),
  ].join("; ");
}

/** A part of a table: every row, or the heap pages from `fromPage` up to (not including) `toPage`. */
export interface PageRange {
  fromPage: number;
  toPage?: number;
}

export interface CopySource {
  schema: string;
  name: string;
  columns: readonly string[];
  /**
   * The publications' row filter, as the publisher deparsed it (pg_publication_tables.rowfilter:
   * the server's own text, never the program's), or null for every row.
   */
  rowFilter: string | null;
  /** A partitioned table is read with its partitions; any other without its inheritance children. */
  partitioned: boolean;
  /** A published column is generated on the publisher (PG18): COPY … TO cannot name one, a query can. */
  computed?: boolean;
}

/**
 * COPY of what the publications publish of one table (or a page range of it) to the client. A
 * whole table without a row filter or published generated column is copied by name (no query to
 * plan; COPY … TO never reads inheritance children), as PostgreSQL's own table synchronisation does.
 */
export function copyOut(t: CopySource, binary: boolean, range?: PageRange): string {
  const format = binary ? " (FORMAT binary)" : "";
  if (!range && t.rowFilter === null && !t.partitioned && !t.computed)
    return `COPY ${qualified(t.schema, t.name)} (${identList(t.columns)}) TO STDOUT${format}`;
  const where: string[] = [];
  if (range) {
    where.push(`ctid >= '(${Math.trunc(range.fromPage)},0)'::pg_catalog.tid`);
    if (range.toPage !== undefined) where.push(`ctid < '(${Math.trunc(range.toPage)},0)'::pg_catalog.tid`);
  }
  if (t.rowFilter !== null) where.push(`(${t.rowFilter})`);
  const select = `SELECT ${identList(t.columns)} FROM ${t.partitioned ? "" : "ONLY "}${qualified(t.schema, t.name)}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}`;
  return `COPY (${select}) TO STDOUT${format}`;
}

/**
 * COPY of those rows into the replica's table; `freeze`: written frozen and all-visible (the table
 * must have been emptied by TRUNCATE in this transaction: see emptyForFreeze), so that nothing has
 * to visit its pages again to set hint bits or freeze them later.
 */
export function copyIn(
  t: { schema: string; name: string; columns: readonly string[] },
  binary: boolean,
  freeze = false,
): string {
  const options = [...(binary ? ["FORMAT binary"] : []), ...(freeze ? ["FREEZE"] : [])];
  return `COPY ${qualified(t.schema, t.name)} (${identList(t.columns)}) FROM STDIN${options.length > 0 ? ` (${options.join(", ")})` : ""}`;
}

/**
 * Several whole tables read in one simple query (copyOut's statements, one after the other) and
 * written in one (copyIn's, one implicit transaction): see pg/copyBatch.ts.
 */
export function copyOutBatch(items: readonly { table: CopySource; binary: boolean }[]): string {
  return items.map((i) => copyOut(i.table, i.binary)).join("; ");
}

export function copyInBatch(items: readonly { table: CopySource; binary: boolean }[]): string {
  return items.map((i) => copyIn(i.table, i.binary)).join("; ");
}

/** The (empty) table truncated in the COPY's transaction, which COPY … FREEZE requires. */
function emptyForFreeze(t: { schema: string; name: string }): string {
  return `TRUNCATE ONLY ${qualified(t.schema, t.name)}`;
}

/** Text COPY between servers whose settings differ (PORTABLE_TEXT: constants, never input). */
function portableText(set: Scope): string[] {
  return PORTABLE_TEXT.map(
    ([name, value]) => `${set} ${name} = ${/^\d+$/.test(value) ? value : literal(value)}`,
  );
}

/** A setting for the transaction ("SET LOCAL") or for the rest of the session ("SET"). */
type Scope = "SET LOCAL" | "SET";

/**
 * The settings of a replica connection the copy writes on, sent once in one round trip (simple
 * protocol: these statements are built here from numbers and constants only): whatever an earlier
 * call set on it reset (it may be a kept connection: pg/session.ts), named `application` when
 * given, the lock wait bounded, text read in the portable forms, and rows written as the apply
 * worker writes them when `asReplica`. Each COPY (or batch of small tables' COPYs: copyInBatch)
 * then runs on its own (one round trip, committed by itself); only a table whose key is built after
 * its rows opens a transaction (lateKeyBegin).
 */
export function copyInSession(lockSeconds: number, asReplica: boolean, application?: string): string {
  return [
    "RESET ALL",
    ...(application !== undefined ? [`SET application_name = ${literal(application)}`] : []),
    lockTimeout(lockSeconds, "SET"),
    NO_TIMEOUTS,
    ...portableText("SET"),
    ...(asReplica ? ["SET session_replication_role = replica"] : []),
  ].join("; ");
}

/** A transaction opened with `statement` in one round trip (its COMMIT sent on its own). */
export function beginWith(statement: string): string {
  return `BEGIN; ${statement}`;
}

/**
 * The transaction of a whole table whose key is built after its rows, opened in one round trip:
 * the key dropped and the (empty) table truncated, which COPY … FREEZE requires (see copyIn).
 */
export function lateKeyBegin(t: { schema: string; name: string; key: string }): string {
  return ["BEGIN", dropKey(t), emptyForFreeze(t)].join("; ");
}

/** … and closed by building the key over the rows, in the same round trip. */
export function lateKeyCommit(t: { schema: string; name: string; key: string; definition: string }): string {
  return `${addKey(t)}; COMMIT`;
}

/** $1, $2: schemas and names. See snapshotCatalog.ts's readLateKeys. */
export const LATE_KEYS_QUERY = `SELECT n.nspname AS schema, c.relname AS name, k.conname AS key,
         pg_catalog.pg_get_constraintdef(k.oid) AS definition
    FROM unnest($1::text[], $2::text[]) AS w(schema, name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
    JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
   WHERE c.relkind = 'r' AND NOT c.relispartition AND c.relreplident = 'd'
     AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid)
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint o WHERE o.conindid = k.conindid AND o.oid <> k.oid)
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = k.conindid
                        AND d.deptype = 'n')
     AND pg_catalog.obj_description(k.oid, 'pg_constraint') IS NULL
     AND pg_catalog.obj_description(k.conindid, 'pg_class') IS NULL`;

/** In a COPY's transaction: the primary key dropped before the rows go in … */
export function dropKey(t: { schema: string; name: string; key: string }): string {
  return `ALTER TABLE ${qualified(t.schema, t.name)} DROP CONSTRAINT ${ident(t.key)}`;
}

/** $1, $2: a table's schema and name, $3: a constraint's name: whether the table has it (null: no such table). */
export const KEY_EXISTS_QUERY = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.conname = $3) AS present
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relname = $2`;

/** … and added back after, as the replica defined it (its own pg_get_constraintdef text). */
export function addKey(t: { schema: string; name: string; key: string; definition: string }): string {
  return `ALTER TABLE ${qualified(t.schema, t.name)} ADD CONSTRAINT ${ident(t.key)} ${t.definition}`;
}

/** Rows written in this transaction fire no ordinary trigger and check no foreign key, as the apply worker's. */
export const REPLICA_ROLE = "SET LOCAL session_replication_role = replica";

/** The mark of a snapshot copy under way: the subscription exists (disabled) while its tables fill. */
export const UNFINISHED_COPY = "pulumi-pg-replication: snapshot copy unfinished";

/** What a mark records for whoever finishes or redoes the copy. */
export interface CopyMark {
  /** The tables copied in page ranges (each range its own transaction: they may hold part of their rows). */
  ranged: TableName[];
  /** The primary keys dropped for the whole copy of a ranged table (built after its last range), to restore. */
  keys: { schema: string; name: string; key: string; definition: string }[];
  /** See CreatedMark.bound. */
  bound?: number[];
}

export function markUnfinishedCopy(name: string, mark: CopyMark = { ranged: [], keys: [] }): string {
  const tail =
    mark.ranged.length + mark.keys.length > 0 || mark.bound
      ? ` ${JSON.stringify({
          ranged: mark.ranged.map((t) => [t.schema, t.name]),
          keys: mark.keys.map((k) => [k.schema, k.name, k.key, k.definition]),
          ...(mark.bound ? { bound: mark.bound } : {}),
        })}`
      : "";
  return `COMMENT ON SUBSCRIPTION ${ident(name)} IS ${literal(UNFINISHED_COPY + tail)}`;
}

/** What a mark records, or undefined when the comment is not the mark. */
export function parseCopyMark(comment: string | null): CopyMark | undefined {
  if (comment === null || !comment.startsWith(UNFINISHED_COPY)) return undefined;
  const tail = comment.slice(UNFINISHED_COPY.length).trim();
  if (!tail) return { ranged: [], keys: [] };
  const j = JSON.parse(tail) as {
    ranged: [string, string][];
    keys: [string, string, string, string][];
    bound?: number[];
  };
  return {
    ranged: j.ranged.map(([schema, name]) => ({ schema, name })),
    keys: j.keys.map(([schema, name, key, definition]) => ({ schema, name, key, definition })),
    ...(j.bound ? { bound: j.bound } : {}),
  };
}

/**
 * The mark of a subscription an `up` created (a first copy, a repair's re-copy, a replacement)
 * whose write has not finished yet — its copy outlasting the wait, the program killed. Cleared when
 * the write finishes (the state then records that `up`'s inputs); found by the next check, it says
 * the state's inputs predate this subscription (see observe.ts).
 */
export const CREATED_UNFINISHED = "pulumi-pg-replication: created by an up that has not finished";

export interface CreatedMark {
  /**
   * The ids of the publisher's catalog rows that published the subscription's tables when that
   * `up` created it (Binding.memberIds, every publication's, sorted): what its stream starts from.
   * A table none of whose members now is among them had a gap since (drift.ts). Absent when that
   * `up` could not read the publisher.
   */
  bound?: number[];
}

export function markCreatedUnfinished(name: string, mark: CreatedMark = {}): string {
  const tail = mark.bound ? ` ${JSON.stringify({ bound: mark.bound })}` : "";
  return `COMMENT ON SUBSCRIPTION ${ident(name)} IS ${literal(CREATED_UNFINISHED + tail)}`;
}

/** What the mark of markCreatedUnfinished records, or undefined when the comment is not that mark. */
export function parseCreatedMark(comment: string | null): CreatedMark | undefined {
  if (comment === null || !comment.startsWith(CREATED_UNFINISHED)) return undefined;
  const tail = comment.slice(CREATED_UNFINISHED.length).trim();
  const bound = tail ? (JSON.parse(tail) as CreatedMark).bound : undefined;
  return bound ? { bound } : {};
}

export function clearMark(name: string): string {
  return `COMMENT ON SUBSCRIPTION ${ident(name)} IS NULL`;
}

// ---------------------------------------------------------------------------------------------
// The handover (handover.ts): a publication on the publisher listing only the tables this program
// copied, so that the subscription created through it knows them alone (ready); the others, added
// by a refresh of the user's publications with copy_data, go through PostgreSQL's own copy.

/** The handover publication's comment: what marks it as this program's (dropped on sight). */
export const HANDOVER_MARK = "pulumi-pg-replication: snapshot copy handover";

export function createHandover(name: string, tables: readonly TableName[]): string[] {
  const list = tables.map((t) => qualified(t.schema, t.name)).join(", ");
  return [
    // Via the root: a partitioned table is listed as itself, as the user's publications list it.
    `CREATE PUBLICATION ${ident(name)}${list ? ` FOR TABLE ${list}` : ""} WITH (publish_via_partition_root = true)`,
    `COMMENT ON PUBLICATION ${ident(name)} IS ${literal(HANDOVER_MARK)}`,
  ];
}

export function dropHandover(name: string): string {
  return `DROP PUBLICATION IF EXISTS ${ident(name)}`;
}

/** $1: the handover's name; whether a publication of that name exists and whether it is the handover. */
export const HANDOVER_QUERY = `SELECT pg_catalog.obj_description(oid, 'pg_publication') IS NOT DISTINCT FROM $2 AS ours
  FROM pg_catalog.pg_publication WHERE pubname = $1`;

/**
 * $1, $2: schemas and names. Whether this role may create a publication of these tables: CREATE on
 * the database and, for each table, membership in its owner (superusers: every role).
 */
export const HANDOVER_RIGHTS_QUERY = `SELECT pg_catalog.has_database_privilege(current_database(), 'CREATE')
         AND coalesce(bool_and(pg_catalog.pg_has_role(c.relowner, 'USAGE')), true) AS may
    FROM unnest($1::text[], $2::text[]) AS w(schema, name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name`;

/**
 * The leaf partitions of the partitioned tables publications ($1) publish through the root
 * (publish_via_partition_root): their rows reach the subscriber as the root's.
 */
export const ROOT_PARTITIONS = `
SELECT DISTINCT ln.nspname AS schema, lc.relname AS name
  FROM pg_catalog.pg_publication p
  JOIN pg_catalog.pg_publication_tables pt ON pt.pubname = p.pubname
  JOIN pg_catalog.pg_namespace rn ON rn.nspname = pt.schemaname
  JOIN pg_catalog.pg_class rc ON rc.relnamespace = rn.oid AND rc.relname = pt.tablename AND rc.relkind = 'p'
  CROSS JOIN LATERAL pg_catalog.pg_partition_tree(rc.oid) AS tr
  JOIN pg_catalog.pg_class lc ON lc.oid = tr.relid AND tr.isleaf
  JOIN pg_catalog.pg_namespace ln ON ln.oid = lc.relnamespace
 WHERE p.pubviaroot AND p.pubname = ANY ($1::text[])`;

/** Pages at the start of a partition where rows loaded before it was attached are looked for. */
const ATTACH_PROBE_PAGES = 16;

/**
 * Whether partition $1 (regclass text) holds, in its first pages, a row written before its catalog
 * row (attached, or created as a partition): rows loaded into a table before ATTACH PARTITION,
 * which logical decoding never carried as the root's. In the same transaction, the command order
 * tells (a row inserted after CREATE TABLE … PARTITION OF went to the stream). Frozen rows count as
 * old (their age is the maximum).
 */
const OLDER_THAN_ATTACH = `
SELECT EXISTS (
  SELECT 1 FROM ONLY PARTITION t,
         (SELECT c.xmin, c.cmin FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.regclass) AS a
   WHERE t.ctid < '(${ATTACH_PROBE_PAGES},0)'::pg_catalog.tid
     AND (pg_catalog.age(t.xmin) > pg_catalog.age(a.xmin)
          OR (t.xmin = a.xmin AND t.cmin::text::bigint < a.cmin::text::bigint))
) AS older`;

/** OLDER_THAN_ATTACH for one partition. */
export function olderThanAttach(t: TableName): string {
  return OLDER_THAN_ATTACH.replace("PARTITION", qualified(t.schema, t.name));
}

/** A unique key of a replica table (columns and their types as format_type spells them). */
export interface UniqueKey extends TableName {
  index: string;
  columns: string[];
  types: string[];
  /** A column of it has a collation (text): two servers may order it differently. */
  collatable: boolean;
}

/**
 * A unique key's values (as text, "0", "1", … per column) in key order (`desc`: descending), at most
 * `limit`: those from a lower bound ("incl" or "excl", given as $1, $2, … in text, cast back to the
 * columns' types) up to an upper one (inclusive, the next parameters), of the rows `filter` lets
 * through. A key with a NULL in it collides with nothing (unless NULLS NOT DISTINCT: not looked at).
 */
export function keyValues(
  k: UniqueKey,
  o: { lower?: "incl" | "excl"; upper?: boolean; desc?: boolean; filter?: string | null; limit: number },
): string {
  const cols = k.columns.map(ident);
  const tuple = `(${cols.join(", ")})`;
  const texts = cols.map((c, i) => `${c}::text AS "${i}"`).join(", ");
  let n = 0;
  const bound = () => `(${k.types.map((t) => `$${++n}::${t}`).join(", ")})`;
  const where = [
    ...cols.map((c) => `${c} IS NOT NULL`),
    ...(o.lower ? [`${tuple} ${o.lower === "incl" ? ">=" : ">"} ${bound()}`] : []),
    ...(o.upper ? [`${tuple} <= ${bound()}`] : []),
    ...(o.filter ? [`(${o.filter})`] : []),
  ];
  const order = cols.map((c) => (o.desc ? `${c} DESC` : c)).join(", ");
  return `SELECT ${texts} FROM ${qualified(k.schema, k.name)} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ${o.limit}`;
}

/**
 * How many of the publisher's rows (those `rowFilter` lets through) have one of the key values
 * given as text arrays $1, $2, … (one per column), and the first few of them.
 */
export function keysTaken(k: UniqueKey, rowFilter: string | null): string {
  const cols = k.columns.map(ident);
  const arrays = k.columns.map((_, i) => `$${i + 1}::text[]`).join(", ");
  const aliases = k.columns.map((_, i) => `k${i}`);
  const cast = aliases.map((a, i) => `u.${a}::${k.types[i]}`).join(", ");
  return `SELECT count(*)::int AS n, (pg_catalog.array_agg(ROW(${cols.join(", ")})::text))[1:3] AS sample
    FROM ${qualified(k.schema, k.name)}
   WHERE (${cols.join(", ")}) IN (SELECT ${cast} FROM unnest(${arrays}) AS u(${aliases.join(", ")}))${
     rowFilter ? ` AND (${rowFilter})` : ""
   }`;
}

/**
 * A row's digest for comparing whole rows across servers: PostgreSQL's 64-bit text hash (the one
 * hash partitioning relies on staying the same across versions) of its text over `columns`.
 */
function rowDigest(columns: readonly string[]): string {
  return `pg_catalog.hashtextextended(ROW(${identList(columns)})::text, 0)`;
}

/**
 * The digests of at most `limit` rows of a table (over `columns`, which the caller sorts), as one
 * int8[] literal (`digests`: a million rows make one 20 MB string, not a million row objects), and
 * how many rows they are (`n`).
 */
export function rowDigests(t: TableName, columns: readonly string[], limit: number): string {
  return `SELECT count(*)::int AS n, '{' || coalesce(pg_catalog.string_agg(d.h::text, ','), '') || '}' AS digests
    FROM (SELECT ${rowDigest(columns)} AS h FROM ${qualified(t.schema, t.name)} LIMIT ${limit}) AS d`;
}

/**
 * How many of the publisher's rows (those `rowFilter` lets through) have one of the digests given
 * as an int8[] $1: rows equal, over `columns`, to rows the replica holds. One scan.
 */
export function rowsTaken(t: TableName, columns: readonly string[], rowFilter: string | null): string {
  return `SELECT count(*)::int AS n FROM ${qualified(t.schema, t.name)}
   WHERE ${rowDigest(columns)} IN (SELECT unnest($1::int8[]))${rowFilter ? ` AND (${rowFilter})` : ""}`;
}

/**
 * $1 publications, $2 schemas, $3 names: each table's row filter and column list (null: every
 * column) in each publication (PG15+).
 */
export const PUBLISHED_ROW_FILTERS = `SELECT pt.schemaname AS schema, pt.tablename AS name, pt.rowfilter AS filter,
        pt.attnames::text[] AS columns
   FROM pg_catalog.pg_publication_tables pt
   JOIN unnest($2::text[], $3::text[]) AS w(schema, name) ON w.schema = pt.schemaname AND w.name = pt.tablename
  WHERE pt.pubname = ANY($1::text[])`;
