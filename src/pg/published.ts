// What publications publish, as the publisher resolves them: read by the Subscription (to know
// which tables it will receive) and by SchemaSync (to copy a publication's tables).

import type { Binding } from "./binding";
import type { Session } from "./session";
import { nameOf, tableId, type TableName } from "./tables";

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

/** A published column: its table and name. */
export type PublishedColumn = TableName & { column: string };

/**
 * The stored generated columns whose values the publications publish: PG18's, listed in a column
 * list or published by publish_generated_columns = stored. None before 18 (PG15's
 * pg_publication_tables lists them, but nothing publishes them).
 */
export async function readPublishedGenerated(s: Session, publications: string[]): Promise<PublishedColumn[]> {
  if (s.serverVersion < 180000) return [];
  return s.query<PublishedColumn>(
    `SELECT DISTINCT pt.schemaname AS schema, pt.tablename AS name, a.attname::text AS "column"
       FROM pg_catalog.pg_publication_tables pt
       JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND a.attname = ANY (pt.attnames)
      WHERE pt.pubname = ANY($1::text[]) AND a.attgenerated = 's'
      ORDER BY 1, 2, 3`,
    [publications],
  );
}

/** Which of the named publications exist. */
export async function existingPublications(s: Session, names: string[]): Promise<string[]> {
  const rows = await s.query<{ name: string }>(
    "SELECT pubname AS name FROM pg_catalog.pg_publication WHERE pubname = ANY($1::text[]) ORDER BY 1",
    [names],
  );
  return rows.map((r) => r.name);
}

/** A published table with the tables it is a partition of (itself first, then up to its root). */
export interface PublishedTable extends TableName {
  ancestors: TableName[];
}

/**
 * The JSON of pg_partition_ancestors(c.oid), itself first; a table that is not a partition (for
 * which the function lists nothing) is its own root.
 */
const ANCESTORS = `coalesce(
                     (SELECT json_agg(json_build_object('schema', an.nspname, 'name', ac.relname) ORDER BY a.ord)
                        FROM pg_catalog.pg_partition_ancestors(c.oid) WITH ORDINALITY AS a(relid, ord)
                        JOIN pg_catalog.pg_class ac ON ac.oid = a.relid
                        JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace),
                     json_build_array(json_build_object('schema', n.nspname, 'name', c.relname)))`;

/**
 * The named publications that exist, each with its oid and the tables it publishes as the
 * publisher resolves them (pg_publication_tables: leaf partitions, or their root with
 * publish_via_partition_root): what a Subscription given only names sees.
 */
export async function publicationBindings(s: Session, names: string[]): Promise<Binding[]> {
  const rows = await s.query<{
    name: string;
    oid: string;
    truncate: boolean;
    changes: boolean;
    tables: PublishedTable[] | null;
  }>(
    `SELECT p.pubname AS name, p.oid::text AS oid, p.pubtruncate AS truncate, p.pubupdate OR p.pubdelete AS changes,
            (SELECT json_agg(json_build_object('schema', pt.schemaname, 'name', pt.tablename, 'ancestors', ${ANCESTORS})
                             ORDER BY pt.schemaname, pt.tablename)
               FROM pg_catalog.pg_publication_tables pt
               JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname
               JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
              WHERE pt.pubname = p.pubname) AS tables
       FROM pg_catalog.pg_publication p WHERE p.pubname = ANY($1::text[]) ORDER BY 1`,
    [names],
  );
  const memberships = await s.concurrently(rows.map((r) => () => readMemberships(s, Number(r.oid))));
  return rows.map((r, i) => {
    const published = r.tables ?? [];
    return {
      name: r.name,
      oid: Number(r.oid),
      tables: published.map(nameOf),
      memberIds: memberIds(memberships[i]!, published),
      ...(r.truncate ? {} : { truncate: false as const }),
      ...(r.changes ? {} : { rowChanges: false as const }),
    };
  });
}

/** A publication's declaration, as far as which tables it publishes goes. */
export interface Coverage {
  tables: readonly TableName[];
  schemas: readonly string[];
  allTables: boolean;
  viaRoot: boolean;
}

/**
 * The tables a publication declared so will publish — what pg_publication_tables will list once
 * it is applied, computed without applying it: tables that exist and are publishable (permanent,
 * not system ones), listed or in the schemas (or all of them); a partitioned table stands for its
 * leaf partitions, or with publish_via_partition_root for itself (a partition whose ancestor is
 * published is then left out). Sorted by schema and name.
 */
export async function wouldPublish(s: Session, c: Coverage): Promise<PublishedTable[]> {
  const rows = await s.query<PublishedTable>(
    `WITH listed AS (
       SELECT cl.oid FROM unnest($1::text[], $2::text[]) AS w(schema, name)
         JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
         JOIN pg_catalog.pg_class cl ON cl.relnamespace = n.oid AND cl.relname = w.name
       UNION
       SELECT cl.oid FROM pg_catalog.pg_class cl JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
        WHERE ($4 OR n.nspname = ANY($3::text[])) AND NOT cl.relispartition
     ), candidates AS (  -- pg_partition_tree lists nothing for a table that is not partitioned
       SELECT oid FROM listed
       UNION
       SELECT t.relid FROM listed l, pg_catalog.pg_partition_tree(l.oid) AS t
     ), publishable AS (
       SELECT cl.oid, cl.relkind FROM candidates cd JOIN pg_catalog.pg_class cl ON cl.oid = cd.oid
         JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
        WHERE cl.relkind IN ('r', 'p') AND cl.relpersistence = 'p' AND cl.oid >= 16384
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
     )
     SELECT n.nspname AS schema, c.relname AS name, ${ANCESTORS} AS ancestors
       FROM publishable p JOIN pg_catalog.pg_class c ON c.oid = p.oid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE CASE WHEN $5 THEN NOT EXISTS (
                   SELECT 1 FROM pg_catalog.pg_partition_ancestors(p.oid) AS a
                    WHERE a.relid <> p.oid AND a.relid IN (SELECT oid FROM publishable))
                 ELSE p.relkind = 'r' END
      ORDER BY 1, 2`,
    [c.tables.map((t) => t.schema), c.tables.map((t) => t.name), [...c.schemas], c.allTables, c.viaRoot],
  );
  return rows;
}

/** The catalog rows that put tables into a publication: pg_publication_rel by table, pg_publication_namespace by schema. */
export interface Memberships {
  publication: number;
  allTables: boolean;
  /** pg_publication_rel's row of each listed table, by tableId. */
  tables: Map<string, number>;
  /** pg_publication_namespace's row of each schema. */
  schemas: Map<string, number>;
}

export async function readMemberships(s: Session, publication: number): Promise<Memberships> {
  const rows = await s.query<{ kind: string; schema: string; name: string; id: string }>(
    `SELECT 't' AS kind, n.nspname AS schema, c.relname AS name, pr.oid::text AS id
       FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE pr.prpubid = $1
     ${
       s.serverVersion >= 150000
         ? `UNION ALL SELECT 's', n.nspname, '', pn.oid::text FROM pg_catalog.pg_publication_namespace pn
              JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid WHERE pn.pnpubid = $1`
         : ""
     }
     UNION ALL SELECT 'a', '', '', p.oid::text FROM pg_catalog.pg_publication p WHERE p.oid = $1 AND p.puballtables`,
    [publication],
  );
  const m: Memberships = { publication, allTables: false, tables: new Map(), schemas: new Map() };
  for (const r of rows)
    if (r.kind === "t") m.tables.set(tableId(r), Number(r.id));
    else if (r.kind === "s") m.schemas.set(r.schema, Number(r.id));
    else m.allTables = true;
  return m;
}

/**
 * The membership id of each table, as Binding.memberIds holds them (0 for none): the row that
 * lists it or the nearest ancestor partitioned table that publishes it, else the row of its (or an
 * ancestor's) schema, else the publication itself when it is FOR ALL TABLES.
 */
export function memberIds(m: Memberships, tables: readonly PublishedTable[]): number[] {
  return tables.map((t) => {
    const line = t.ancestors;
    return (
      line.map((a) => m.tables.get(tableId(a))).find((x) => x !== undefined) ??
      line.map((a) => m.schemas.get(a.schema)).find((x) => x !== undefined) ??
      (m.allTables ? m.publication : 0)
    );
  });
}
