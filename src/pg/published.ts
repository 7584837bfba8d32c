// What publications publish, as the publisher resolves them: read by the Subscription (to know
// which tables it will receive) and by SchemaSync (to copy a publication's tables).

import type { Binding } from "./binding";
import type { Session } from "./session";
import { splitTableKey } from "./tables";

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

/** Which of the named publications exist. */
export async function existingPublications(s: Session, names: string[]): Promise<string[]> {
  return (await publicationBindings(s, names)).map((b) => b.name);
}

/**
 * The named publications that exist, each with its oid and the tables it publishes as the
 * publisher resolves them ("schema.name", sorted): what a Subscription given only names sees.
 */
export async function publicationBindings(s: Session, names: string[]): Promise<Binding[]> {
  const rows = await s.query<{ name: string; oid: string; tables: string[] | null }>(
    `SELECT p.pubname AS name, p.oid::text AS oid,
            ARRAY(SELECT pt.schemaname || '.' || pt.tablename FROM pg_catalog.pg_publication_tables pt
                   WHERE pt.pubname = p.pubname ORDER BY 1) AS tables
       FROM pg_catalog.pg_publication p WHERE p.pubname = ANY($1::text[]) ORDER BY 1`,
    [names],
  );
  const bindings: Binding[] = [];
  for (const r of rows) {
    const tables = r.tables ?? [];
    bindings.push({
      name: r.name,
      oid: Number(r.oid),
      tables,
      members: members(await readMemberships(s, Number(r.oid)), tables, true),
    });
  }
  return bindings;
}

/** The catalog rows that put tables into a publication: pg_publication_rel by table, pg_publication_namespace by schema. */
export interface Memberships {
  publication: number;
  allTables: boolean;
  tables: Record<string, number>;
  schemas: Record<string, number>;
}

export async function readMemberships(s: Session, publication: number): Promise<Memberships> {
  const rows = await s.query<{ kind: string; key: string; id: string }>(
    `SELECT 't' AS kind, n.nspname || '.' || c.relname AS key, pr.oid::text AS id
       FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE pr.prpubid = $1
     ${
       s.serverVersion >= 150000
         ? `UNION ALL SELECT 's', n.nspname, pn.oid::text FROM pg_catalog.pg_publication_namespace pn
              JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid WHERE pn.pnpubid = $1`
         : ""
     }
     UNION ALL SELECT 'a', '', p.oid::text FROM pg_catalog.pg_publication p WHERE p.oid = $1 AND p.puballtables`,
    [publication],
  );
  const m: Memberships = { publication, allTables: false, tables: {}, schemas: {} };
  for (const r of rows)
    if (r.kind === "t") m.tables[r.key] = Number(r.id);
    else if (r.kind === "s") m.schemas[r.key] = Number(r.id);
    else m.allTables = true;
  return m;
}

/**
 * The membership id of each table ("schema.name") that has one, as Binding.members holds them.
 * `published`: the tables are known to be published (pg_publication_tables lists a partition whose
 * parent is the member): those without a row of their own count under the publication itself.
 */
export function members(
  m: Memberships,
  tables: readonly string[],
  published: boolean,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    const id =
      m.tables[t] ??
      m.schemas[splitTableKey(t).schema] ??
      (m.allTables || published ? m.publication : undefined);
    if (id !== undefined) out[t] = id;
  }
  return out;
}
