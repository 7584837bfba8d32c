// Introspection: every catalog read, each one query whatever the number of tables (parameters only).

import type { Session } from "./connection";
import type { TableSpec } from "./tables";

// ---- server settings ---------------------------------------------------------------------------

export interface ServerSettings {
  version: number;
  settings: Record<string, string>;
}

const PUBLISHER_SETTINGS = [
  "wal_level",
  "max_wal_senders",
  "max_replication_slots",
  "rds.logical_replication",
  "cloudsql.logical_decoding",
  "azure.replication_support",
  "max_logical_replication_workers",
  "max_sync_workers_per_subscription",
  "max_worker_processes",
];

export async function readSettings(s: Session): Promise<ServerSettings> {
  // current_setting(…, true) also sees extension and provider settings pg_settings may not list.
  const rows = await s.query<{ name: string; setting: string | null }>(
    "SELECT n AS name, pg_catalog.current_setting(n, true) AS setting FROM unnest($1::text[]) AS n",
    [PUBLISHER_SETTINGS],
  );
  return {
    version: s.serverVersion,
    settings: Object.fromEntries(rows.filter((r) => r.setting !== null).map((r) => [r.name, r.setting!])),
  };
}

// ---- tables on a server ------------------------------------------------------------------------

export interface TableFacts {
  schema: string;
  name: string;
  /** d = default (primary key), n = nothing, f = full, i = index */
  replicaIdentity: string;
  hasPrimaryKey: boolean;
  hasIdentityIndex: boolean;
  /** Every column, in order (only for tables with a column list or row filter; else empty). */
  columns: string[];
  /** The replica identity's columns: the primary key's, the identity index's, or all with FULL (same condition). */
  identityColumns: string[];
}

/**
 * Which of the given tables exist (tables and partitioned tables), with their replica identity.
 * Column names are read only for tables with a column list or a row filter (the only ones whose
 * coverage is checked), to keep this one query cheap on thousands of tables.
 */
export async function readTableFacts(s: Session, tables: readonly TableSpec[]): Promise<TableFacts[]> {
  return s.query<TableFacts>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relreplident::text AS "replicaIdentity",
            EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS "hasPrimaryKey",
            EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS "hasIdentityIndex",
            CASE WHEN w.detail THEN ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) ELSE '{}' END AS columns,
            CASE WHEN w.detail THEN ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                     AND (c.relreplident = 'f' OR a.attnum = ANY (
                          SELECT unnest(i.indkey::int2[]) FROM pg_catalog.pg_index i
                           WHERE i.indrelid = c.oid
                             AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))))
                   ORDER BY a.attnum) ELSE '{}' END AS "identityColumns"
       FROM unnest($1::text[], $2::text[], $3::bool[]) AS w(schema, name, detail)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')`,
    [
      tables.map((t) => t.schema),
      tables.map((t) => t.name),
      tables.map((t) => t.columns !== undefined || t.where !== undefined),
    ],
  );
}

// ---- publications ------------------------------------------------------------------------------

export interface PublicationState {
  name: string;
  owner: string;
  allTables: boolean;
  publish: ("insert" | "update" | "delete" | "truncate")[];
  publishViaPartitionRoot: boolean;
  publishGeneratedColumns?: "none" | "stored";
  /** Tables listed explicitly (FOR TABLE), with column lists and row filters as the catalog prints them. */
  tables: TableSpec[];
  schemas: string[];
}

export async function readPublication(s: Session, name: string): Promise<PublicationState | undefined> {
  const v18 = s.serverVersion >= 180000;
  const v15 = s.serverVersion >= 150000;
  const pubs = await s.query<{
    oid: number;
    owner: string;
    puballtables: boolean;
    pubinsert: boolean;
    pubupdate: boolean;
    pubdelete: boolean;
    pubtruncate: boolean;
    pubviaroot: boolean;
    gen: string | null;
  }>(
    `SELECT p.oid, pg_catalog.pg_get_userbyid(p.pubowner) AS owner, p.puballtables, p.pubinsert, p.pubupdate,
            p.pubdelete, p.pubtruncate, p.pubviaroot, ${v18 ? "p.pubgencols::text" : "NULL::text"} AS gen
       FROM pg_catalog.pg_publication p WHERE p.pubname = $1`,
    [name],
  );
  const p = pubs[0];
  if (!p) return undefined;
  const tables = await s.query<{
    schema: string;
    name: string;
    columns: string[] | null;
    where: string | null;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            ${
              v15
                ? `(SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs::int2[]))`
                : "NULL::text[]"
            } AS columns,
            ${v15 ? "pg_catalog.pg_get_expr(pr.prqual, pr.prrelid)" : "NULL::text"} AS "where"
       FROM pg_catalog.pg_publication_rel pr
       JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE pr.prpubid = $1 ORDER BY n.nspname, c.relname`,
    [p.oid],
  );
  const schemas = v15
    ? await s.query<{ nspname: string }>(
        `SELECT n.nspname FROM pg_catalog.pg_publication_namespace pn
           JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid WHERE pn.pnpubid = $1 ORDER BY 1`,
        [p.oid],
      )
    : [];
  const publish: PublicationState["publish"] = [];
  if (p.pubinsert) publish.push("insert");
  if (p.pubupdate) publish.push("update");
  if (p.pubdelete) publish.push("delete");
  if (p.pubtruncate) publish.push("truncate");
  const state: PublicationState = {
    name,
    owner: p.owner,
    allTables: p.puballtables,
    publish,
    publishViaPartitionRoot: p.pubviaroot,
    tables: tables.map((t) => {
      const spec: TableSpec = { schema: t.schema, name: t.name };
      if (t.columns) spec.columns = t.columns;
      if (t.where !== null) spec.where = t.where;
      return spec;
    }),
    schemas: schemas.map((r) => r.nspname),
  };
  if (p.gen === "s") state.publishGeneratedColumns = "stored";
  else if (p.gen === "n") state.publishGeneratedColumns = "none";
  return state;
}

/**
 * Every table a publication publishes (explicit, by schema or all tables), as the publisher
 * resolves it; with `withColumns`, `columns` when a column list leaves some out (PG15+).
 */
export async function readPublishedTables(
  s: Session,
  publications: string[],
  withColumns = false,
): Promise<{ schema: string; name: string; columns?: string[] }[]> {
  const attnames =
    withColumns && s.serverVersion >= 150000
      ? `CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = pt.schemaname AND c.relname = pt.tablename AND a.attnum > 0
                             AND NOT a.attisdropped AND a.attgenerated = '' AND NOT (a.attname = ANY (pt.attnames)))
              THEN pt.attnames::text[] END`
      : "NULL::text[]";
  const rows = await s.query<{ schema: string; name: string; columns: string[] | null }>(
    `SELECT DISTINCT pt.schemaname AS schema, pt.tablename AS name, ${attnames} AS columns
       FROM pg_catalog.pg_publication_tables pt WHERE pt.pubname = ANY($1::text[]) ORDER BY 1, 2`,
    [publications],
  );
  return rows.map((r) =>
    r.columns ? { schema: r.schema, name: r.name, columns: r.columns } : { schema: r.schema, name: r.name },
  );
}

export async function existingPublications(s: Session, names: string[]): Promise<string[]> {
  const rows = await s.query<{ pubname: string }>(
    "SELECT pubname FROM pg_catalog.pg_publication WHERE pubname = ANY($1::text[])",
    [names],
  );
  return rows.map((r) => r.pubname);
}

// ---- subscriptions -----------------------------------------------------------------------------

export interface SubscriptionState {
  name: string;
  owner: string;
  enabled: boolean;
  conninfo: string;
  slotName: string | null;
  publications: string[];
  binary: boolean;
  streaming: string;
  synchronousCommit: string;
  twoPhase?: boolean;
  disableOnError?: boolean;
  origin?: string;
  runAsOwner?: boolean;
  passwordRequired?: boolean;
  failover?: boolean;
}

export async function readSubscription(s: Session, name: string): Promise<SubscriptionState | undefined> {
  const v = s.serverVersion;
  const col = (min: number, expr: string, alias: string, type = "text") =>
    v >= min ? `${expr} AS "${alias}"` : `NULL::${type} AS "${alias}"`;
  const rows = await s.query<Record<string, unknown>>(
    `SELECT pg_catalog.pg_get_userbyid(s.subowner) AS owner, s.subenabled AS enabled, s.subconninfo AS conninfo,
            s.subslotname::text AS "slotName", s.subpublications AS publications, s.subbinary AS binary,
            s.substream::text AS streaming, s.subsynccommit AS "synchronousCommit",
            ${col(150000, "s.subtwophasestate <> 'd'", "twoPhase", "boolean")},
            ${col(150000, "s.subdisableonerr", "disableOnError", "boolean")},
            ${col(160000, "s.suborigin", "origin")},
            ${col(160000, "s.subrunasowner", "runAsOwner", "boolean")},
            ${col(160000, "s.subpasswordrequired", "passwordRequired", "boolean")},
            ${col(170000, "s.subfailover", "failover", "boolean")}
       FROM pg_catalog.pg_subscription s
      WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`,
    [name],
  );
  const r = rows[0];
  if (!r) return undefined;
  const state: SubscriptionState = {
    name,
    owner: r.owner as string,
    enabled: r.enabled as boolean,
    conninfo: r.conninfo as string,
    slotName: r.slotName as string | null,
    publications: r.publications as string[],
    binary: r.binary as boolean,
    // PG14–15 store substream as a boolean ('t'/'f' as text); PG16+ as a char: f, t, p.
    streaming:
      ({ t: "on", true: "on", f: "off", false: "off", p: "parallel" } as Record<string, string>)[
        String(r.streaming)
      ] ?? String(r.streaming),
    synchronousCommit: r.synchronousCommit as string,
  };
  for (const k of [
    "twoPhase",
    "disableOnError",
    "origin",
    "runAsOwner",
    "passwordRequired",
    "failover",
  ] as const) {
    if (r[k] !== null && r[k] !== undefined) (state as unknown as Record<string, unknown>)[k] = r[k];
  }
  return state;
}

export interface TableSyncState {
  table: string;
  /** i = initialize, d = data copy, f = finished copy (PG17+), s = synchronized, r = ready */
  state: string;
}

export async function readSyncStates(s: Session, name: string): Promise<TableSyncState[]> {
  return s.query<TableSyncState>(
    `SELECT n.nspname || '.' || c.relname AS "table", sr.srsubstate::text AS state
       FROM pg_catalog.pg_subscription_rel sr
       JOIN pg_catalog.pg_subscription sub ON sub.oid = sr.srsubid
       JOIN pg_catalog.pg_class c ON c.oid = sr.srrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE sub.subname = $1 ORDER BY 1`,
    [name],
  );
}

/** The latest apply/sync error counts (PG15+), or undefined on older servers. */
export async function readSubscriptionErrors(
  s: Session,
  name: string,
): Promise<{ applyErrors: number; syncErrors: number } | undefined> {
  if (s.serverVersion < 150000) return undefined;
  const rows = await s.query<{ apply: string; sync: string }>(
    `SELECT apply_error_count AS apply, sync_error_count AS sync
       FROM pg_catalog.pg_stat_subscription_stats WHERE subname = $1`,
    [name],
  );
  const r = rows[0];
  return r ? { applyErrors: Number(r.apply), syncErrors: Number(r.sync) } : undefined;
}

export async function readSlot(
  s: Session,
  slot: string,
): Promise<{ active: boolean; retainedBytes: number } | undefined> {
  const rows = await s.query<{ active: boolean; retained: string | null }>(
    `SELECT active, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)::text AS retained
       FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const r = rows[0];
  return r ? { active: r.active, retainedBytes: Number(r.retained ?? 0) } : undefined;
}
