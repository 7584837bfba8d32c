// Which tables exist on a server, with their replica identity: read by the Publication's
// preflight (on the primary) and the Subscription's (on the replica).

import type { Session } from "./session";
import type { TableName, TableSpec } from "./tables";

/**
 * SQL for the bytes of the heap of `c` (a pg_class row): a partitioned table's partitions summed
 * (pg_partition_tree, asked only there), as text (a bigint).
 */
export const HEAP_BYTES = `(CASE WHEN c.relkind = 'p'
                  THEN (SELECT coalesce(sum(pg_catalog.pg_relation_size(x.relid)), 0) FROM pg_catalog.pg_partition_tree(c.oid) x)
                  ELSE pg_catalog.pg_relation_size(c.oid) END)::bigint::text`;

/**
 * FROM … WHERE … ORDER BY of the columns of `c` whose type has no equality operator, as the
 * replica's type cache finds one: a default btree or hash operator class for the type, one it is
 * binary-coercible to by an implicit cast (varchar → text; not xml → text), or the polymorphic
 * one of its kind (enum, range, multirange). A domain is looked through to its base type, an
 * array to its element, a composite to every field (record equality needs each field's: a
 * composite with a json field has none), to any depth.
 */
const UNEQUAL_COLUMNS = `FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND EXISTS (
                      WITH RECURSIVE parts (oid, depth) AS (
                        SELECT a.atttypid, 0
                        UNION ALL
                        SELECT x.oid, p.depth + 1 FROM parts p JOIN pg_catalog.pg_type t ON t.oid = p.oid
                         CROSS JOIN LATERAL (
                           SELECT t.typbasetype WHERE t.typtype = 'd'
                           UNION ALL SELECT t.typelem WHERE t.typtype = 'b' AND t.typcategory = 'A' AND t.typelem <> 0
                           UNION ALL SELECT f.atttypid FROM pg_catalog.pg_attribute f
                                      WHERE t.typtype = 'c' AND f.attrelid = t.typrelid AND f.attnum > 0 AND NOT f.attisdropped
                         ) AS x(oid)
                         WHERE p.depth < 20)
                      SELECT 1 FROM parts p JOIN pg_catalog.pg_type ty ON ty.oid = p.oid
                       WHERE ty.typtype NOT IN ('d', 'c') AND NOT (ty.typtype = 'b' AND ty.typcategory = 'A' AND ty.typelem <> 0)
                         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
                              WHERE oc.opcdefault AND am.amname IN ('btree', 'hash')
                                AND (oc.opcintype = ty.oid
                                     OR (ty.typtype = 'e' AND oc.opcintype = 'pg_catalog.anyenum'::pg_catalog.regtype)
                                     OR (ty.typtype = 'r' AND oc.opcintype = 'pg_catalog.anyrange'::pg_catalog.regtype)
                                     OR (ty.typtype = 'm' AND oc.opcintype = 'pg_catalog.anymultirange'::pg_catalog.regtype)
                                     OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast k
                                                 WHERE k.castsource = ty.oid AND k.casttarget = oc.opcintype
                                                   AND k.castmethod = 'b' AND k.castcontext = 'i'))))
                  ORDER BY a.attnum`;

export interface TableFacts {
  schema: string;
  name: string;
  /** d = default (primary key), n = nothing, f = full, i = index */
  replicaIdentity: string;
  /** A partitioned table (relkind p). */
  partitioned: boolean;
  /** UNLOGGED (its changes are not in the WAL: PostgreSQL cannot publish it). */
  unlogged: boolean;
  /** Made by initdb (pg_catalog, information_schema): PostgreSQL cannot publish it. */
  system: boolean;
  hasPrimaryKey: boolean;
  hasIdentityIndex: boolean;
  /** Every column, in order (only for tables with a column list or row filter; else empty). */
  columns: string[];
  /** The replica identity's columns: the primary key's, the identity index's, or all with FULL (same condition). */
  identityColumns: string[];
  /** The table's owner. */
  owner: string;
  /** Whether the connecting role has its owner's privileges (owns it, or inherits the owner role). */
  owned: boolean;
  /** Whether the connecting role may SET ROLE to the owner (PG16+; membership before). */
  canBecomeOwner: boolean;
  /** SELECT, and INSERT + UPDATE + DELETE, for the connecting role. */
  canSelect: boolean;
  canWrite: boolean;
  /**
   * Row-level security policies apply to the connecting role here (row_security_active: enabled,
   * and the role neither bypasses it nor owns the table without FORCE): it reads only the rows
   * they show.
   */
  rowSecurity: boolean;
  /**
   * Row-level security applies to the table's owner: enabled and forced, and the owner neither a
   * superuser nor BYPASSRLS. From PostgreSQL 16 a subscription writes as the owner (run_as_owner
   * off) unless the owner may SET ROLE back to the subscription's owner (ownerCanBecomeMe).
   */
  ownerRowSecurity: boolean;
  /** Whether the table's owner may SET ROLE to the connecting role (PG16+; membership before). */
  ownerCanBecomeMe: boolean;
  /**
   * Its columns of type oid (or a domain over it, as the lo extension's `lo`), read only when the
   * database holds large objects: what they point at is not replicated.
   */
  largeObjectColumns: string[];
  /**
   * With REPLICA IDENTITY FULL (read only then): its columns whose type has no equality operator
   * (json, xml, point …: no default btree or hash operator class, a domain's base type and an
   * array's element type looked through), with their types, in the same order. A replica finds
   * the row an UPDATE or DELETE changes by comparing every column, and fails on these.
   */
  unequalColumns: string[];
  unequalTypes: string[];
}

/**
 * Which of the given tables exist (tables and partitioned tables), with their replica identity.
 * Column names are read only for tables with a column list or a row filter (the only ones whose
 * coverage is checked), to keep this one query cheap on thousands of tables.
 */
export async function readTableFacts(s: Session, tables: readonly TableSpec[]): Promise<TableFacts[]> {
  const become = s.serverVersion >= 160000 ? "SET" : "MEMBER";
  return s.query<TableFacts>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relreplident::text AS "replicaIdentity",
            c.relkind = 'p' AS partitioned, c.relpersistence = 'u' AS unlogged,
            c.oid < 16384 AS system,
            pg_catalog.pg_get_userbyid(c.relowner) AS owner,
            pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE') AS owned,
            pg_catalog.pg_has_role(current_user, c.relowner, '${become}') AS "canBecomeOwner",
            pg_catalog.has_table_privilege(c.oid, 'SELECT') AS "canSelect",
            (pg_catalog.has_table_privilege(c.oid, 'INSERT') AND pg_catalog.has_table_privilege(c.oid, 'UPDATE')
             AND pg_catalog.has_table_privilege(c.oid, 'DELETE')) AS "canWrite",
            c.relrowsecurity AND pg_catalog.row_security_active(c.oid) AS "rowSecurity",
            c.relrowsecurity AND c.relforcerowsecurity AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
              WHERE o.oid = c.relowner AND (o.rolsuper OR o.rolbypassrls)) AS "ownerRowSecurity",
            pg_catalog.pg_has_role(c.relowner, current_user, '${become}') AS "ownerCanBecomeMe",
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
                   ORDER BY a.attnum) ELSE '{}' END AS "identityColumns",
            CASE WHEN lo.held THEN ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                   JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                     AND 'pg_catalog.oid'::pg_catalog.regtype IN (ty.oid, ty.typbasetype)
                   ORDER BY a.attnum) ELSE '{}' END AS "largeObjectColumns",
            CASE WHEN c.relreplident = 'f' THEN ARRAY(SELECT a.attname::text ${UNEQUAL_COLUMNS}) ELSE '{}' END AS "unequalColumns",
            CASE WHEN c.relreplident = 'f'
                 THEN ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) ${UNEQUAL_COLUMNS}) ELSE '{}' END AS "unequalTypes"
       FROM unnest($1::text[], $2::text[], $3::bool[]) AS w(schema, name, detail)
       CROSS JOIN (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata) AS held) AS lo
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')`,
    [
      tables.map((t) => t.schema),
      tables.map((t) => t.name),
      tables.map((t) => t.columns !== undefined || t.where !== undefined),
    ],
  );
}

/** What each of `tables` that exists but is no table is (a view, a sequence …), as pg_class says. */
export async function readOtherRelations(
  s: Session,
  tables: readonly TableName[],
): Promise<(TableName & { kind: string })[]> {
  if (tables.length === 0) return [];
  return s.query<TableName & { kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            CASE c.relkind WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view' WHEN 'S' THEN 'a sequence'
                           WHEN 'f' THEN 'a foreign table' WHEN 'i' THEN 'an index' WHEN 'I' THEN 'an index'
                           WHEN 'c' THEN 'a composite type' ELSE 'not a table' END AS kind
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind NOT IN ('r', 'p')`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
}

/**
 * The tables a publication covers without listing them: those of `schemas` (FOR TABLES IN SCHEMA),
 * or every user table (FOR ALL TABLES), partitions included.
 */
export async function coveredTables(
  s: Session,
  cover: { schemas?: readonly string[]; all?: boolean },
): Promise<TableSpec[]> {
  if (!cover.all && !(cover.schemas?.length ?? 0)) return [];
  return s.query<TableSpec>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND ($1 OR n.nspname = ANY($2::text[]))
      ORDER BY 1, 2`,
    [cover.all ?? false, cover.schemas ?? []],
  );
}
