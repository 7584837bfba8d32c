// What publications publish, as the publisher resolves them: read by the Subscription (to know
// which tables it will receive) and by SchemaSync (to copy a publication's tables).

import type { Session } from "./session";

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
  const rows = await s.query<{ pubname: string }>(
    "SELECT pubname FROM pg_catalog.pg_publication WHERE pubname = ANY($1::text[])",
    [names],
  );
  return rows.map((r) => r.pubname);
}
