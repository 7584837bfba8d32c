// Every statement the Publication sends. Identifiers go through quote.ts; row filters are SQL
// expressions by nature (the documented escape hatch) and are sent with the extended protocol, so
// they can never carry a second statement.

import { ident, identList, literal, qualified } from "../pg/quote";
import type { TableSpec } from "../pg/tables";
import type { PublishOperation } from "./types";

export interface PublicationDefinition {
  name: string;
  tables?: TableSpec[];
  allTables?: boolean;
  schemas?: string[];
  publish?: PublishOperation[];
  publishViaPartitionRoot?: boolean;
  publishGeneratedColumns?: "none" | "stored";
}

function tableItem(t: TableSpec): string {
  const columns = t.columns && t.columns.length > 0 ? ` (${identList(t.columns)})` : "";
  // Row filters are SQL expressions by nature (the documented escape hatch); they are wrapped in
  // parentheses and can only ever be one expression because of the extended protocol.
  const where = t.where !== undefined ? ` WHERE (${t.where})` : "";
  return `${qualified(t.schema, t.name)}${columns}${where}`;
}

/**
 * The object list after FOR / SET / DROP: `TABLE a, b` then `TABLES IN SCHEMA s, t`. One TABLE
 * keyword for the whole list is what PG14 accepts; PG15+ accepts it too.
 */
export function publicationObjects(tables: readonly TableSpec[], schemas: readonly string[]): string {
  const items: string[] = [];
  if (tables.length > 0) items.push(`TABLE ${tables.map(tableItem).join(", ")}`);
  if (schemas.length > 0) items.push(`TABLES IN SCHEMA ${identList(schemas)}`);
  return items.join(", ");
}

export function publicationOptions(def: PublicationDefinition): string {
  const opts: string[] = [];
  if (def.publish) opts.push(`publish = ${literal(def.publish.join(", "))}`);
  if (def.publishViaPartitionRoot !== undefined)
    opts.push(`publish_via_partition_root = ${def.publishViaPartitionRoot}`);
  if (def.publishGeneratedColumns !== undefined)
    opts.push(`publish_generated_columns = ${def.publishGeneratedColumns}`);
  return opts.join(", ");
}

export function createPublication(def: PublicationDefinition): string {
  let sql = `CREATE PUBLICATION ${ident(def.name)}`;
  if (def.allTables) sql += " FOR ALL TABLES";
  else {
    const objects = publicationObjects(def.tables ?? [], def.schemas ?? []);
    if (objects) sql += ` FOR ${objects}`;
  }
  const opts = publicationOptions(def);
  return opts ? `${sql} WITH (${opts})` : sql;
}

/** Replaces the whole object list (which must not be empty: PostgreSQL has no SET of nothing). */
export function alterPublicationSetObjects(name: string, tables: TableSpec[], schemas: string[]): string {
  return `ALTER PUBLICATION ${ident(name)} SET ${publicationObjects(tables, schemas)}`;
}

/** Removes tables and schemas; used to empty a publication. Column lists and filters do not apply. */
export function alterPublicationDropObjects(name: string, tables: TableSpec[], schemas: string[]): string {
  const bare = tables.map(({ schema, name: n }) => ({ schema, name: n }));
  return `ALTER PUBLICATION ${ident(name)} DROP ${publicationObjects(bare, schemas)}`;
}

export function alterPublicationOptions(def: PublicationDefinition): string {
  return `ALTER PUBLICATION ${ident(def.name)} SET (${publicationOptions(def)})`;
}

export function alterPublicationOwner(name: string, owner: string): string {
  return `ALTER PUBLICATION ${ident(name)} OWNER TO ${ident(owner)}`;
}

/** The comment a publication this package creates carries: the stack that declares it. */
const DECLARED_BY = "pulumi-pg-replication: declared by stack ";

export function commentDeclaredBy(name: string, declaredBy: string): string {
  return `COMMENT ON PUBLICATION ${ident(name)} IS ${literal(DECLARED_BY + declaredBy)}`;
}

/** The stack a publication's comment names (commentDeclaredBy), or undefined for any other comment. */
export function parseDeclaredBy(comment: string | null): string | undefined {
  return comment?.startsWith(DECLARED_BY) ? comment.slice(DECLARED_BY.length) : undefined;
}

export function dropPublication(name: string): string {
  return `DROP PUBLICATION IF EXISTS ${ident(name)}`;
}
