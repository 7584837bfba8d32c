// The Publication's catalog reads: the publication, its tables (with column lists and row
// filters as the server deparses them) and its schemas. Parameters only.

import type { Session } from "../pg/session";
import type { TableSpec } from "../pg/tables";
import { parseDeclaredBy } from "./sql";
import type { PublishOperation } from "./types";

export interface CatalogPublication {
  name: string;
  /** pg_publication.oid: a publication dropped and created again has another. */
  oid: number;
  owner: string;
  /** Whether the connecting role has the owner's privileges (ALTER and DROP need them). */
  owned: boolean;
  allTables: boolean;
  publish: PublishOperation[];
  publishViaPartitionRoot: boolean;
  publishGeneratedColumns?: "none" | "stored";
  /** Tables listed explicitly (FOR TABLE), with column lists and row filters as the catalog prints them. */
  tables: TableSpec[];
  schemas: string[];
  /** The stack its comment says declares it (sql.ts commentDeclaredBy), when it carries one. */
  declaredBy?: string;
}

export async function readPublication(s: Session, name: string): Promise<CatalogPublication | undefined> {
  const v18 = s.serverVersion >= 180000;
  const v15 = s.serverVersion >= 150000;
  // The three at once: the tables and schemas by the publication's name (none when it does not exist).
  const [pubs, tables, schemas] = await s.concurrently([
    () =>
      s.query<{
        oid: number;
        owner: string;
        owned: boolean;
        puballtables: boolean;
        pubinsert: boolean;
        pubupdate: boolean;
        pubdelete: boolean;
        pubtruncate: boolean;
        pubviaroot: boolean;
        gen: string | null;
        comment: string | null;
      }>(
        `SELECT p.oid, pg_catalog.pg_get_userbyid(p.pubowner) AS owner,
            pg_catalog.pg_has_role(current_user, p.pubowner, 'USAGE') AS owned, p.puballtables, p.pubinsert, p.pubupdate,
            p.pubdelete, p.pubtruncate, p.pubviaroot, ${v18 ? "p.pubgencols::text" : "NULL::text"} AS gen,
            pg_catalog.obj_description(p.oid, 'pg_publication') AS comment
       FROM pg_catalog.pg_publication p WHERE p.pubname = $1`,
        [name],
      ),
    () =>
      s.query<{
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
      WHERE pr.prpubid = (SELECT oid FROM pg_catalog.pg_publication WHERE pubname = $1) ORDER BY n.nspname, c.relname`,
        [name],
      ),
    () =>
      v15
        ? s.query<{ nspname: string }>(
            `SELECT n.nspname FROM pg_catalog.pg_publication_namespace pn
           JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
          WHERE pn.pnpubid = (SELECT oid FROM pg_catalog.pg_publication WHERE pubname = $1) ORDER BY 1`,
            [name],
          )
        : Promise.resolve([]),
  ]);
  const p = pubs[0];
  if (!p) return undefined;
  const publish: CatalogPublication["publish"] = [];
  if (p.pubinsert) publish.push("insert");
  if (p.pubupdate) publish.push("update");
  if (p.pubdelete) publish.push("delete");
  if (p.pubtruncate) publish.push("truncate");
  const state: CatalogPublication = {
    name,
    oid: Number(p.oid),
    owner: p.owner,
    owned: p.owned,
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
  const declaredBy = parseDeclaredBy(p.comment);
  if (declaredBy !== undefined) state.declaredBy = declaredBy;
  if (p.gen === "s") state.publishGeneratedColumns = "stored";
  else if (p.gen === "n") state.publishGeneratedColumns = "none";
  return state;
}
