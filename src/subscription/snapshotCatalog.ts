// What a snapshot copy reads before it starts: on the publisher, each published table with the
// columns and rows the publications publish of it and its size; on the replica, the same tables'
// column types and whether rows written into them would fire triggers or check foreign keys.

import type { ConnectionInfo } from "../pg/connection";
import { withSession, type Session } from "../pg/session";
import { HEAP_BYTES } from "../pg/tableFacts";
import { sortedTables, tableId, type TableName } from "../pg/tables";
import * as sql from "./sql";

export interface ColumnType {
  name: string;
  /** format_type's text (the same type is spelled the same on both servers). */
  type: string;
  /** pg_type's oid: built-in types (below 16384) have the same oid and binary form on every server. */
  oid: number;
}

export interface PublishedForCopy extends TableName {
  /** The published columns, in the table's order. */
  columns: string[];
  /** The row filters of the publications combined as PostgreSQL combines them (OR), or null. */
  rowFilter: string | null;
  partitioned: boolean;
  /** Heap pages (relpages: an estimate) and bytes on disk (a partitioned table's partitions summed). */
  pages: number;
  bytes: number;
  /** The publisher's row estimate (0 when never analysed). */
  rows: number;
  types: ColumnType[];
  /** One of the published columns is generated on the publisher (PG18 publishes them when asked). */
  computed: boolean;
}

/**
 * The rows several publications publish of one table, as PostgreSQL's copy and decoding combine
 * them: every row when one of them has no filter, else the rows any filter lets through.
 */
export function combinedFilter(filters: readonly (string | null)[]): string | null {
  const distinct = [...new Set(filters)];
  if (distinct.length === 0 || distinct.includes(null)) return null;
  return distinct.length === 1 ? distinct[0]! : distinct.map((x) => `(${x})`).join(" OR ");
}

/**
 * Each table the publications publish, as pg_publication_tables resolves them, with what the
 * publisher's own table synchronisation would copy of it: the published columns (PG15+ column
 * lists; never a generated column before PG18) and the rows its publications' filters let
 * through — none when one of them publishes it without a filter.
 */
export async function readPublishedForCopy(
  s: Session,
  publications: string[],
  coming: readonly TableName[] = [],
): Promise<PublishedForCopy[]> {
  const pg15 = s.serverVersion >= 150000;
  const pg18 = s.serverVersion >= 180000;
  const listed = await s.query<{
    schema: string;
    name: string;
    columns: string[] | null;
    filter: string | null;
  }>(
    `SELECT pt.schemaname AS schema, pt.tablename AS name,
            ${pg15 ? "pt.attnames::text[]" : "NULL::text[]"} AS columns,
            ${pg15 ? "pt.rowfilter" : "NULL::text"} AS filter
       FROM pg_catalog.pg_publication_tables pt WHERE pt.pubname = ANY($1::text[])`,
    [publications],
  );
  const byTable = new Map<string, { t: TableName; columns: string[] | null; filters: (string | null)[] }>();
  for (const r of listed) {
    const id = tableId(r);
    const entry = byTable.get(id) ?? {
      t: { schema: r.schema, name: r.name },
      columns: r.columns,
      filters: [],
    };
    entry.filters.push(r.filter);
    byTable.set(id, entry);
  }
  // Whole, as far as a preview can tell before their publication exists.
  for (const t of coming)
    if (!byTable.has(tableId(t)))
      byTable.set(tableId(t), { t: { schema: t.schema, name: t.name }, columns: null, filters: [null] });
  const tables = sortedTables([...byTable.values()].map((e) => e.t));
  const facts = await readCopyFacts(s, tables);
  return facts.map((f) => {
    const e = byTable.get(tableId(f))!;
    const byName = new Map(f.types.map((c) => [c.name, c]));
    // Before PG18 a generated column is never published (the replica computes its own), though
    // PG15's pg_publication_tables lists it when the table has no column list; PG18 publishes
    // one only when listed or with publish_generated_columns, and its attnames says which.
    const columns = (e.columns ?? f.types.map((c) => c.name)).filter(
      (c) => pg18 || byName.get(c)?.generated !== true,
    );
    return {
      schema: f.schema,
      name: f.name,
      columns,
      rowFilter: combinedFilter(e.filters),
      partitioned: f.partitioned,
      pages: f.pages,
      bytes: f.bytes,
      rows: f.rows,
      types: columns.map((c) => byName.get(c)).filter((c): c is ColumnType & { generated: boolean } => !!c),
      computed: columns.some((c) => byName.get(c)?.generated === true),
    };
  });
}

interface CopyFacts extends TableName {
  partitioned: boolean;
  pages: number;
  bytes: number;
  rows: number;
  types: (ColumnType & { generated: boolean })[];
  /** Whether a row written into it fires a trigger (foreign keys' included) in an ordinary session. */
  triggers: boolean;
  /** Row-level security applies to this role here (COPY FROM then refuses). */
  rowSecurity: boolean;
}

/** Size, column types and triggers of each of `tables` that exists here. */
export async function readCopyFacts(s: Session, tables: readonly TableName[]): Promise<CopyFacts[]> {
  const rows = await s.query<{
    schema: string;
    name: string;
    partitioned: boolean;
    pages: number;
    bytes: string;
    rows: string;
    types: (ColumnType & { generated: boolean })[];
    triggers: boolean;
    rowSecurity: boolean;
  }>(
    // A partitioned table's size and triggers are its partitions' (pg_partition_tree, asked only there).
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind = 'p' AS partitioned, c.relpages AS pages,
            ${HEAP_BYTES} AS bytes,
            greatest(c.reltuples, 0)::bigint::text AS rows,
            (SELECT json_agg(json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                                               'oid', a.atttypid::int, 'generated', a.attgenerated <> '') ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS types,
            CASE WHEN c.relhastriggers AND c.relkind <> 'p'
                 THEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = c.oid AND tg.tgenabled <> 'D')
                 WHEN c.relkind = 'p'
                 THEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
                               WHERE tg.tgenabled <> 'D' AND tg.tgrelid IN (SELECT relid FROM pg_catalog.pg_partition_tree(c.oid)))
                 ELSE false END AS triggers,
            c.relrowsecurity AND pg_catalog.row_security_active(c.oid) AS "rowSecurity"
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')
      ORDER BY 1, 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return rows.map((r) => ({
    ...r,
    pages: Number(r.pages),
    bytes: Number(r.bytes),
    rows: Number(r.rows),
    types: r.types ?? [],
  }));
}

/** Whether the publisher's role may create the handover publication (handover.ts) of `tables`. */
export async function mayHandOver(publisher: ConnectionInfo, tables: readonly TableName[]): Promise<boolean> {
  const [row] = await withSession(publisher, (p) =>
    p.query<{ may: boolean }>(sql.HANDOVER_RIGHTS_QUERY, [
      tables.map((t) => t.schema),
      tables.map((t) => t.name),
    ]),
  );
  return row?.may === true;
}

/** A primary key the snapshot copy may build after the rows are in (in the COPY's transaction). */
export interface LateKey extends TableName {
  key: string;
  /** pg_get_constraintdef's text (the replica's own): added back exactly as it was. */
  definition: string;
}

/**
 * The primary keys on the replica that may be dropped before a table's COPY and added back after
 * it in the same transaction (one index build instead of one insertion per row, never visible
 * without it): on a plain table that is no partition and has no children, whose replica identity
 * is the key (the default), that this role owns, whose key no foreign key or other constraint
 * depends on, and that carries no comment.
 */
export async function readLateKeys(s: Session, tables: readonly TableName[]): Promise<LateKey[]> {
  return s.query<LateKey>(sql.LATE_KEYS_QUERY, [tables.map((t) => t.schema), tables.map((t) => t.name)]);
}
