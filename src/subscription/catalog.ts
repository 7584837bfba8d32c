// The Subscription's catalog reads, on the subscriber (the subscription, its tables' sync states,
// its error counts, its workers) and on the publisher (its slot). Parameters only.

import type { ConnectionInfo } from "../pg/connection";
import { SESSION_TIMEOUTS, type Session, type SessionTimeout } from "../pg/session";
import type { PublishedColumn } from "../pg/published";
import { tableId, type TableName } from "../pg/tables";
import { catalogColumns, optionsFromCatalog } from "./options";
import { parseCopyMark, parseCreatedMark, type CopyMark, type UniqueKey } from "./sql";
import type { OptionInputs } from "./types";

/** The oid of the subscription named $1 in this database (the stats views are cluster-wide). */
const SUBSCRIPTION_OID = `(SELECT oid FROM pg_catalog.pg_subscription WHERE subname = $1
                             AND subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))`;

export interface CatalogSubscription {
  name: string;
  /** pg_subscription.oid: a subscription dropped and created again has another. */
  oid: number;
  owner: string;
  enabled: boolean;
  /**
   * The publisher connection string, or null when this role may not read it: PostgreSQL revokes
   * pg_subscription.subconninfo from every role but superusers (it holds the password).
   */
  conninfo: string | null;
  slotName: string | null;
  publications: string[];
  /** The options the catalog holds, in the arguments' vocabulary. */
  options: OptionInputs;
  /** A snapshot copy started it and did not finish (snapshotCopy.ts's mark, a comment on it). */
  unfinishedCopy: boolean;
  /** What that copy's mark records: the tables read in page ranges, the keys it dropped for them. */
  copyMark?: CopyMark;
  /**
   * An `up` created it and did not finish (either mark: the snapshot copy's, or sql.ts's
   * CREATED_UNFINISHED once the stream started).
   */
  createdUnfinished: boolean;
  /** What that `up` bound the subscription to, when its mark says (sql.ts's CreatedMark). */
  bound?: number[];
}

function marks(
  comment: string | null,
): Pick<CatalogSubscription, "unfinishedCopy" | "copyMark" | "createdUnfinished" | "bound"> {
  const copy = parseCopyMark(comment);
  const created = copy ?? parseCreatedMark(comment);
  return {
    unfinishedCopy: copy !== undefined,
    ...(copy ? { copyMark: copy } : {}),
    createdUnfinished: created !== undefined,
    ...(created?.bound ? { bound: created.bound } : {}),
  };
}

/** Whether this session's role may read subconninfo, asked once per session. */
const readableIn = new WeakMap<Session, Promise<boolean>>();
function conninfoReadable(s: Session): Promise<boolean> {
  let known = readableIn.get(s);
  if (!known) {
    known = s
      .query<{ readable: boolean }>(
        "SELECT pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT') AS readable",
      )
      .then((rows) => rows[0]!.readable);
    // A failed ask is asked again next time.
    known.catch(() => readableIn.delete(s));
    readableIn.set(s, known);
  }
  return known;
}

export async function readSubscription(s: Session, name: string): Promise<CatalogSubscription | undefined> {
  // Selecting a column one may not read fails the whole query (permission denied for table
  // pg_subscription), whatever CASE surrounds it: ask first.
  const readable = await conninfoReadable(s);
  const rows = await s.query<Record<string, unknown>>(
    `SELECT s.oid::text AS oid, pg_catalog.pg_get_userbyid(s.subowner) AS owner, s.subenabled AS enabled,
            ${readable ? "s.subconninfo" : "NULL::text"} AS conninfo,
            s.subslotname::text AS "slotName", s.subpublications AS publications,
            pg_catalog.obj_description(s.oid, 'pg_subscription') AS "copyMark",
            ${catalogColumns(s.serverVersion).join(",\n            ")}
       FROM pg_catalog.pg_subscription s
      WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`,
    [name],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    name,
    oid: Number(r.oid),
    owner: r.owner as string,
    enabled: r.enabled as boolean,
    conninfo: r.conninfo as string | null,
    slotName: r.slotName as string | null,
    publications: r.publications as string[],
    options: optionsFromCatalog(r),
    ...marks(r.copyMark as string | null),
  };
}

export interface TableSyncState extends TableName {
  /** "schema.name", for people. */
  table: string;
  /** i = initialize, d = data copy, f = finished copy (PG17+), s = synchronized, r = ready */
  state: string;
}

/** The sync state of each table of the subscription `name` in this database. */
export async function readSyncStates(s: Session, name: string): Promise<TableSyncState[]> {
  return s.query<TableSyncState>(
    `SELECT n.nspname AS schema, c.relname AS name, n.nspname || '.' || c.relname AS "table",
            sr.srsubstate::text AS state
       FROM pg_catalog.pg_subscription_rel sr
       JOIN pg_catalog.pg_subscription sub ON sub.oid = sr.srsubid
       JOIN pg_catalog.pg_class c ON c.oid = sr.srrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE sub.subname = $1 AND sub.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
      ORDER BY 1, 2`,
    [name],
  );
}

/** A table sync worker's COPY as pg_stat_progress_copy shows it (PG14+). */
export interface CopyProgress extends TableName {
  rows: number;
  bytes: number;
}

/** The COPYs the subscription's table sync workers are running now (empty where not visible). */
export async function readCopyProgress(s: Session, name: string): Promise<CopyProgress[]> {
  const rows = await s.query<{ schema: string; name: string; rows: string; bytes: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, p.tuples_processed::text AS rows, p.bytes_processed::text AS bytes
       FROM pg_catalog.pg_stat_progress_copy p
       JOIN pg_catalog.pg_class c ON c.oid = p.relid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE p.pid IN (SELECT st.pid FROM pg_catalog.pg_stat_subscription st
                       WHERE st.subid = ${SUBSCRIPTION_OID} AND st.pid IS NOT NULL)`,
    [name],
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, rows: Number(r.rows), bytes: Number(r.bytes) }));
}

/** A subscription of the publisher's database writing into a published table: what it subscribes to. */
export interface TableFeed {
  subscription: string;
  /** The publications it subscribes to (on its own publisher). */
  publications: string[];
  /** It takes only changes that originate on its publisher (origin = none, PG16+). */
  originNone: boolean;
}

/** A published table the publisher replicates from elsewhere, and the subscriptions writing into it. */
export interface SubscribedTable extends TableName {
  /** Every such subscription takes only changes that originate on its publisher (PG16+; before 16 none does). */
  originNone: boolean;
  feeds: TableFeed[];
}

/**
 * Which of these tables a subscription of this database writes into (they are replicated from
 * elsewhere), through which subscriptions, and whether every such subscription takes only changes
 * that originate on its publisher (origin = none, PG16+; before 16 they take any). subpublications
 * and suborigin are readable by any role (subconninfo is not: where a feed comes from is known
 * only by the names of its publications).
 */
export async function readSubscribedTables(
  s: Session,
  tables: readonly TableName[],
): Promise<SubscribedTable[]> {
  const none = s.serverVersion >= 160000 ? "sub.suborigin = 'none'" : "false";
  return s.query<SubscribedTable>(
    `SELECT n.nspname AS schema, c.relname AS name, bool_and(${none}) AS "originNone",
            pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
              'subscription', sub.subname, 'publications', sub.subpublications, 'originNone', ${none})
              ORDER BY sub.subname) AS feeds
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
       JOIN pg_catalog.pg_subscription_rel sr ON sr.srrelid = c.oid
       JOIN pg_catalog.pg_subscription sub ON sub.oid = sr.srsubid
      WHERE sub.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
      GROUP BY 1, 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
}

/** Tables that two of these publications publish with different column lists (PG15+; none before). */
export async function readColumnListConflicts(
  s: Session,
  publications: readonly string[],
): Promise<TableName[]> {
  if (s.serverVersion < 150000) return [];
  return s.query<TableName>(
    `SELECT schemaname AS schema, tablename AS name FROM pg_catalog.pg_publication_tables
      WHERE pubname = ANY($1::text[])
      GROUP BY 1, 2 HAVING count(DISTINCT attnames) > 1 ORDER BY 1, 2`,
    [[...publications]],
  );
}

/** Which of the given columns ("schema", "name", column) are generated on this server. */
export async function readGeneratedAmong(
  s: Session,
  columns: readonly PublishedColumn[],
): Promise<PublishedColumn[]> {
  if (columns.length === 0) return [];
  return s.query<PublishedColumn>(
    `SELECT w.schema, w.name, w.col AS "column"
       FROM unnest($1::text[], $2::text[], $3::text[]) AS w(schema, name, col)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = w.col AND a.attnum > 0
      WHERE a.attgenerated <> '' ORDER BY 1, 2, 3`,
    [columns.map((c) => c.schema), columns.map((c) => c.name), columns.map((c) => c.column)],
  );
}

/** The planner's row estimate of each table (reltuples; -1, never analysed, as unknown). */
export async function readRowEstimates(
  s: Session,
  tables: readonly TableName[],
): Promise<(TableName & { rows: number })[]> {
  const rows = await s.query<{ schema: string; name: string; rows: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.reltuples::bigint::text AS rows
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
      WHERE c.reltuples > 0`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, rows: Number(r.rows) }));
}

/** The latest apply/sync error counts (PG15+), or undefined on older servers. */
export async function readSubscriptionErrors(
  s: Session,
  name: string,
): Promise<{ applyErrors: number; syncErrors: number } | undefined> {
  if (s.serverVersion < 150000) return undefined;
  const rows = await s.query<{ apply: string; sync: string }>(
    `SELECT apply_error_count AS apply, sync_error_count AS sync
       FROM pg_catalog.pg_stat_subscription_stats WHERE subid = ${SUBSCRIPTION_OID}`,
    [name],
  );
  const r = rows[0];
  return r ? { applyErrors: Number(r.apply), syncErrors: Number(r.sync) } : undefined;
}

/** Whether the subscription is enabled now (false also when it does not exist). */
export async function readSubscriptionEnabled(s: Session, name: string): Promise<boolean> {
  const rows = await s.query<{ enabled: boolean }>(
    `SELECT subenabled AS enabled FROM pg_catalog.pg_subscription WHERE oid = ${SUBSCRIPTION_OID}`,
    [name],
  );
  return rows[0]?.enabled === true;
}

/** How many enabled subscriptions the subscriber runs (each takes an apply worker). */
export async function countEnabledSubscriptions(s: Session): Promise<number> {
  const rows = await s.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_catalog.pg_subscription WHERE subenabled",
  );
  return rows[0]!.n;
}

/**
 * How many apply or sync workers of a subscription are running (`syncOnly`: its table sync
 * workers, each holding its table's lock while it copies).
 */
export async function runningWorkers(s: Session, name: string, syncOnly = false): Promise<number> {
  const rows = await s.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_catalog.pg_stat_subscription
      WHERE subid = ${SUBSCRIPTION_OID} AND pid IS NOT NULL${syncOnly ? " AND relid IS NOT NULL" : ""}`,
    [name],
  );
  return rows[0]!.n;
}

/** A replication slot on the publisher: whether it is in use, and the WAL it retains. */
export interface SlotFacts {
  active: boolean;
  retainedBytes: number;
  lagBytes: number;
  /**
   * Who streams from it, when in use: the walsender's application_name (a subscription's name,
   * by default) and client address, as far as this role may see another role's session.
   */
  holder?: { application: string | null; address: string | null };
  /**
   * Why PostgreSQL invalidated it, when it did (wal_status "lost": the WAL it needed removed past
   * max_slot_wal_keep_size, or idle past idle_replication_slot_timeout): it streams nothing again.
   * PG17+ name the cause (invalidation_reason); before, "wal_removed" is the only one.
   */
  invalidated?: string;
  /** Past max_slot_wal_keep_size (wal_status "unreserved"): the next checkpoint invalidates it unless it catches up. */
  unreserved?: boolean;
}

export async function readSlot(s: Session, slot: string): Promise<SlotFacts | undefined> {
  const rows = await s.query<{
    active: boolean;
    retained: string | null;
    lag: string | null;
    application: string | null;
    address: string | null;
    invalidated: string | null;
    status: string | null;
  }>(
    `SELECT r.active, r.wal_status AS status,
            CASE WHEN r.wal_status = 'lost' THEN ${s.serverVersion >= 170000 ? "coalesce(r.invalidation_reason, 'wal_removed')" : "'wal_removed'"} END AS invalidated,
            pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.restart_lsn)::text AS retained,
            pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.confirmed_flush_lsn)::text AS lag,
            a.application_name AS application, a.client_addr::text AS address
       FROM pg_catalog.pg_replication_slots r
       LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = r.active_pid
      WHERE r.slot_name = $1`,
    [slot],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    active: r.active,
    retainedBytes: Number(r.retained ?? 0),
    lagBytes: Math.max(0, Number(r.lag ?? 0)),
    ...(r.active ? { holder: { application: r.application || null, address: r.address } } : {}),
    ...(r.invalidated ? { invalidated: r.invalidated } : {}),
    ...(r.status === "unreserved" ? { unreserved: true } : {}),
  };
}

/** A timeout a role's sessions start with, its unit written after it ("100ms"). */
export interface RoleTimeout {
  name: SessionTimeout;
  value: string;
}

/** "statement_timeout = 100ms and transaction_timeout = 1s". */
export const describeTimeouts = (timeouts: readonly RoleTimeout[]) =>
  timeouts.map((t) => `${t.name} = ${t.value}`).join(" and ");

/**
 * The publisher's replication slots and WAL senders (how many it allows, how many are taken), and
 * the timeouts this role's sessions start with there (its WAL senders' too), which would end a
 * subscription's COPY, the replay of a long transaction or a sender idle between two commands: the
 * values RESET restores, whatever this session set.
 */
export interface PublisherLimits {
  slots: number;
  slotsUsed: number;
  senders: number;
  sendersUsed: number;
  roleTimeouts: RoleTimeout[];
}

export async function readPublisherLimits(s: Session): Promise<PublisherLimits> {
  const [r] = await s.query<PublisherLimits>(
    `SELECT pg_catalog.current_setting('max_replication_slots')::int AS slots,
            (SELECT count(*) FROM pg_catalog.pg_replication_slots)::int AS "slotsUsed",
            pg_catalog.current_setting('max_wal_senders')::int AS senders,
            (SELECT count(*) FROM pg_catalog.pg_stat_get_wal_senders())::int AS "sendersUsed",
            (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('name', name, 'value', reset_val || coalesce(unit, '')) ORDER BY name), '[]')
               FROM pg_catalog.pg_settings
              WHERE name = ANY ($1) AND reset_val <> '0') AS "roleTimeouts"`,
    [SESSION_TIMEOUTS],
  );
  return r!;
}

/**
 * The transaction_timeout the workers of subscription `name` run with (PostgreSQL 17+: it ends the
 * table-sync workers on 17 and 18, the apply workers on 18): its owner's (the connecting role's
 * while it does not exist) as set for that role in this database, for that role, for this
 * database, else the server's ("0": none; undefined before 17). Read from pg_db_role_setting,
 * which any role may read. The server's own value is this session's reset value when nothing
 * above set it for the connecting role either — unknown (null) when `connection`, this session's,
 * sets it itself (libpq's options), which the workers do not.
 */
export async function readOwnerTransactionTimeout(
  s: Session,
  name: string,
  connection: ConnectionInfo,
): Promise<{ role: string; value: string | null } | undefined> {
  if (s.serverVersion < 170000) return undefined;
  const optionsSetIt = /transaction_timeout/.test(connection.options ?? "");
  const [r] = await s.query<{ role: string; value: string | null }>(
    `WITH db AS (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()),
     me AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user),
     owner AS (
       SELECT coalesce((SELECT subowner FROM pg_catalog.pg_subscription
                         WHERE subname = $1 AND subdbid = (SELECT oid FROM db)),
                       (SELECT oid FROM me)) AS oid),
     set AS (
       SELECT d.setrole AS role, pg_catalog.substr(c, pg_catalog.length('transaction_timeout=') + 1) AS value,
              (d.setrole <> 0)::int * 2 + (d.setdatabase <> 0)::int AS rank
         FROM pg_catalog.pg_db_role_setting d, pg_catalog.unnest(d.setconfig) AS c
        WHERE pg_catalog.starts_with(c, 'transaction_timeout=')
          AND d.setdatabase IN (0, (SELECT oid FROM db)) AND (d.setrole, d.setdatabase) <> (0, 0))
     SELECT pg_catalog.pg_get_userbyid((SELECT oid FROM owner)) AS role,
            coalesce((SELECT value FROM set WHERE role IN (0, (SELECT oid FROM owner)) ORDER BY rank DESC LIMIT 1),
                     (SELECT CASE WHEN reset_val = '0' THEN '0' ELSE reset_val || coalesce(unit, '') END
                        FROM pg_catalog.pg_settings
                       WHERE name = 'transaction_timeout' AND NOT $2
                         AND NOT EXISTS (SELECT FROM set WHERE role = (SELECT oid FROM me)))) AS value`,
    [name, optionsSetIt],
  );
  return r;
}

/** When the subscription's apply worker last received a message from the publisher (null: not running). */
export async function readLastMessage(s: Session, name: string): Promise<string | null> {
  const rows = await s.query<{ at: string | null }>(
    `SELECT pg_catalog.to_char(max(st.last_msg_receipt_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM pg_catalog.pg_stat_subscription st
      WHERE st.subid = ${SUBSCRIPTION_OID} AND st.relid IS NULL`,
    [name],
  );
  return rows[0]?.at ?? null;
}

/** A column of a replicated table, its type, and whether every type it is made of has binary I/O. */
export interface ColumnIO extends TableName {
  column: string;
  /** format_type of the column, typmod included. */
  type: string;
  /** Every type in the column's type (domains' bases, array elements, composite fields, range subtypes) has a send function. */
  send: boolean;
  /** …and a receive function. */
  receive: boolean;
}

/** The columns of these tables with their types' binary I/O (for the `binary: "auto"` choice). */
export async function readColumnIO(
  s: Session,
  tables: readonly { schema: string; name: string }[],
): Promise<ColumnIO[]> {
  return s.query<ColumnIO>(
    // The types made of other types are walked once per distinct column type, not once per column.
    `WITH RECURSIVE cols AS MATERIALIZED (
         SELECT n.nspname AS schema, c.relname AS name, a.attname::text AS "column",
                pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.atttypid AS typ
           FROM unnest($1::text[], $2::text[]) AS w(schema, name)
           JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
           JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     ), parts(root, typ) AS (
         SELECT DISTINCT typ, typ FROM cols
       UNION
         SELECT p.root, inner_type.oid
           FROM parts p
           JOIN pg_catalog.pg_type t ON t.oid = p.typ
           CROSS JOIN LATERAL (
                 SELECT t.typbasetype AS oid WHERE t.typtype = 'd'
             UNION ALL SELECT t.typelem WHERE t.typelem <> 0
             UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid
             UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid
             UNION ALL SELECT f.atttypid FROM pg_catalog.pg_attribute f
                        WHERE t.typtype = 'c' AND f.attrelid = t.typrelid AND f.attnum > 0 AND NOT f.attisdropped
           ) inner_type
     ), io AS (
         SELECT p.root, bool_and(t.typsend <> 0) AS send, bool_and(t.typreceive <> 0) AS receive
           FROM parts p JOIN pg_catalog.pg_type t ON t.oid = p.typ
          GROUP BY p.root
     )
     SELECT c.schema, c.name, c."column", c.type, io.send, io.receive
       FROM cols c JOIN io ON io.root = c.typ`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
}

/**
 * The unique keys of these replica tables that a copied row could collide with: valid unique
 * indexes (primary keys among them) on plain columns, without a predicate; their key columns only.
 */
export async function readUniqueKeys(s: Session, tables: readonly TableName[]): Promise<UniqueKey[]> {
  if (tables.length === 0) return [];
  return s.query<UniqueKey>(
    `SELECT n.nspname AS schema, c.relname AS name, i.relname AS index,
            pg_catalog.array_agg(a.attname::text ORDER BY k.ord) AS columns,
            pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY k.ord) AS types,
            bool_or(a.attcollation <> 0) AS collatable
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
       JOIN pg_catalog.pg_index x ON x.indrelid = c.oid AND x.indisunique AND x.indisvalid
                                 AND x.indpred IS NULL AND x.indexprs IS NULL
       JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
       CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE k.ord <= x.indnkeyatts
      GROUP BY 1, 2, 3, x.indisprimary
      ORDER BY 1, 2, x.indisprimary DESC, 3`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
}

/** The columns of these tables a row's values are stored in (not dropped, not generated), by table id. */
export async function readStoredColumns(
  s: Session,
  tables: readonly TableName[],
): Promise<Map<string, string[]>> {
  if (tables.length === 0) return new Map();
  const rows = await s.query<TableName & { columns: string[] }>(
    `SELECT n.nspname AS schema, c.relname AS name, pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      GROUP BY 1, 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return new Map(rows.map((r) => [tableId(r), r.columns]));
}

/**
 * The conflicts the subscriber counted for a subscription (PG18: pg_stat_subscription_stats'
 * confl_* columns, e.g. insert_exists), those above zero; none before 18.
 */
export async function readConflictCounts(s: Session, name: string): Promise<Record<string, number>> {
  if (s.serverVersion < 180000) return {};
  const rows = await s.query<{ counts: Record<string, string | number> | null }>(
    `SELECT pg_catalog.to_jsonb(st) AS counts
       FROM pg_catalog.pg_stat_subscription_stats st WHERE st.subid = ${SUBSCRIPTION_OID}`,
    [name],
  );
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rows[0]?.counts ?? {}))
    if (k.startsWith("confl_") && Number(v) > 0) out[k.slice("confl_".length)] = Number(v);
  return out;
}

/** wal_retrieve_retry_interval in milliseconds: how soon a failed apply worker is started again. */
export async function readRetryInterval(s: Session): Promise<number> {
  const rows = await s.query<{ ms: string }>(
    "SELECT setting AS ms FROM pg_catalog.pg_settings WHERE name = 'wal_retrieve_retry_interval'",
  );
  return Number(rows[0]?.ms ?? 5000);
}

/** The subscription's apply worker: its pid and how long (ms) it has been running; undefined when none runs. */
export async function readApplyWorker(
  s: Session,
  name: string,
): Promise<{ pid: number; age: number } | undefined> {
  const rows = await s.query<{ pid: number; age: string | null }>(
    `SELECT st.pid, (extract(epoch FROM pg_catalog.clock_timestamp() - a.backend_start) * 1000)::bigint AS age
       FROM pg_catalog.pg_stat_subscription st
       JOIN pg_catalog.pg_stat_activity a ON a.pid = st.pid
      WHERE st.subid = ${SUBSCRIPTION_OID} AND st.relid IS NULL`,
    [name],
  );
  const r = rows[0];
  return r && r.age !== null ? { pid: r.pid, age: Number(r.age) } : undefined;
}

/** How long (ms) the subscription's apply worker has been running; undefined when none runs. */
export async function readApplyWorkerAge(s: Session, name: string): Promise<number | undefined> {
  return (await readApplyWorker(s, name))?.age;
}
