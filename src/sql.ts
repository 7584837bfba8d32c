// The only place where input meets SQL text. DDL cannot take `$n` parameters, so every identifier
// goes through `ident` and every literal through `literal`; catalog reads (catalog.ts) use parameters.
// Statements are sent with the extended query protocol (see connection.ts), so even a row filter
// that tried to smuggle in `; DROP …` is refused by the server as a second command.

import type { TableSpec } from "./tables";

/** Quotes an identifier, always: `a"b` → `"a""b"`. */
export function ident(name: string): string {
  if (name.includes("\u0000")) throw new Error(`Identifier ${JSON.stringify(name)} contains a NUL byte.`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal; uses the E'' form when backslashes are present. */
export function literal(value: string): string {
  if (value.includes("\u0000")) throw new Error("String literal contains a NUL byte.");
  const doubled = value.replace(/'/g, "''");
  return value.includes("\\") ? `E'${doubled.replace(/\\/g, "\\\\")}'` : `'${doubled}'`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

function identList(names: readonly string[]): string {
  return names.map(ident).join(", ");
}

// ---- publications ------------------------------------------------------------------------------

export type PublishOperation = "insert" | "update" | "delete" | "truncate";

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

export function dropPublication(name: string): string {
  return `DROP PUBLICATION IF EXISTS ${ident(name)}`;
}

// ---- subscriptions -----------------------------------------------------------------------------

/** A CREATE/ALTER SUBSCRIPTION option value, already in SQL-ready form. */
export type SubscriptionOptionValue = boolean | string | { none: true };

function optionValue(v: SubscriptionOptionValue): string {
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return literal(v);
  return "NONE";
}

function optionList(options: Record<string, SubscriptionOptionValue>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k} = ${optionValue(v)}`)
    .join(", ");
}

export function createSubscription(
  name: string,
  conninfo: string,
  publications: string[],
  options: Record<string, SubscriptionOptionValue>,
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

export function alterSubscriptionRefresh(name: string): string {
  return `ALTER SUBSCRIPTION ${ident(name)} REFRESH PUBLICATION`;
}

export function alterSubscriptionOptions(
  name: string,
  options: Record<string, SubscriptionOptionValue>,
): string {
  return `ALTER SUBSCRIPTION ${ident(name)} SET (${optionList(options)})`;
}

export function alterSubscriptionEnabled(name: string, enabled: boolean): string {
  return `ALTER SUBSCRIPTION ${ident(name)} ${enabled ? "ENABLE" : "DISABLE"}`;
}

export function dropSubscription(name: string): string {
  return `DROP SUBSCRIPTION IF EXISTS ${ident(name)}`;
}

export function dropReplicationSlotQuery(): string {
  return "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active";
}

// ---- libpq conninfo ----------------------------------------------------------------------------

/** One `key='value'` pair of a libpq connection string (backslash and quote escaped). */
export function conninfoPair(key: string, value: string | number): string {
  const v = String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  return `${key}='${v}'`;
}

// ---- schema copy (SchemaSync) ------------------------------------------------------------------
// Type names, defaults and constraint/index definitions come from the source server's own
// deparsers (format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef) run with an empty
// search_path, so they arrive fully qualified and quoted by PostgreSQL itself.

export interface ColumnDefinition {
  name: string;
  type: string;
  notNull: boolean;
  default?: string;
  identity?: "a" | "d";
  generated?: string;
  collation?: string;
}

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`;
}

export function columnClause(c: ColumnDefinition): string {
  let sql = `${ident(c.name)} ${c.type}`;
  if (c.collation) sql += ` COLLATE ${c.collation}`;
  if (c.generated !== undefined) sql += ` GENERATED ALWAYS AS (${c.generated}) STORED`;
  else if (c.identity) sql += ` GENERATED ${c.identity === "a" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY`;
  else if (c.default !== undefined) sql += ` DEFAULT ${c.default}`;
  if (c.notNull) sql += " NOT NULL";
  return sql;
}

/** CREATE TABLE with its columns and, inline, the table constraints (definitions as pg_get_constraintdef prints them). */
export function createTable(
  schema: string,
  name: string,
  columns: ColumnDefinition[],
  constraints: readonly { name: string; definition: string }[] = [],
): string {
  const items = [
    ...columns.map(columnClause),
    ...constraints.map((c) => `CONSTRAINT ${ident(c.name)} ${c.definition}`),
  ];
  return `CREATE TABLE ${qualified(schema, name)} (${items.join(", ")})`;
}

const SERIAL: Record<string, string> = { smallint: "smallserial", integer: "serial", bigint: "bigserial" };

/** The serial pseudo-type for an integer column whose sequence serial would create identically. */
export function serialColumn(c: ColumnDefinition): ColumnDefinition {
  const { default: _default, ...rest } = c;
  return { ...rest, type: SERIAL[c.type] ?? c.type, notNull: false };
}

export function addColumn(schema: string, table: string, column: ColumnDefinition): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD COLUMN ${columnClause(column)}`;
}

export function alterColumnType(schema: string, table: string, column: string, type: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${ident(column)} TYPE ${type}`;
}

export function setColumnNotNull(schema: string, table: string, column: string, notNull: boolean): string {
  return `ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${ident(column)} ${notNull ? "SET" : "DROP"} NOT NULL`;
}

export function setColumnDefault(
  schema: string,
  table: string,
  column: string,
  expr: string | undefined,
): string {
  const action = expr === undefined ? "DROP DEFAULT" : `SET DEFAULT ${expr}`;
  return `ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${ident(column)} ${action}`;
}

export function dropColumn(schema: string, table: string, column: string): string {
  return `ALTER TABLE ${qualified(schema, table)} DROP COLUMN ${ident(column)}`;
}

export function addConstraint(schema: string, table: string, name: string, definition: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${ident(name)} ${definition}`;
}

export function dropConstraint(schema: string, table: string, name: string): string {
  return `ALTER TABLE ${qualified(schema, table)} DROP CONSTRAINT ${ident(name)}`;
}

export function createSequence(schema: string, name: string, type: string): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${qualified(schema, name)} AS ${type}`;
}

export function sequenceOwnedBy(
  seqSchema: string,
  seq: string,
  schema: string,
  table: string,
  column: string,
): string {
  return `ALTER SEQUENCE ${qualified(seqSchema, seq)} OWNED BY ${qualified(schema, table)}.${ident(column)}`;
}

export function dropTable(schema: string, name: string): string {
  return `DROP TABLE IF EXISTS ${qualified(schema, name)}`;
}

/** `CREATE TABLE s.c PARTITION OF s.p FOR VALUES …` (bound as pg_get_expr printed it). */
export function createPartition(
  schema: string,
  name: string,
  parentSchema: string,
  parent: string,
  bound: string,
): string {
  return `CREATE TABLE ${qualified(schema, name)} PARTITION OF ${qualified(parentSchema, parent)} ${bound}`;
}

export function replicaIdentity(schema: string, table: string, kind: string, index?: string): string {
  const what =
    kind === "f"
      ? "FULL"
      : kind === "n"
        ? "NOTHING"
        : kind === "i" && index
          ? `USING INDEX ${ident(index)}`
          : "DEFAULT";
  return `ALTER TABLE ${qualified(schema, table)} REPLICA IDENTITY ${what}`;
}

export function createExtension(name: string, schema: string): string {
  return `CREATE EXTENSION IF NOT EXISTS ${ident(name)} WITH SCHEMA ${ident(schema)}`;
}

// Type names below arrive qualified and quoted by format_type; labels and names are quoted here.

export function createEnum(type: string, labels: readonly string[]): string {
  return `CREATE TYPE ${type} AS ENUM (${labels.map(literal).join(", ")})`;
}

export function addEnumValue(type: string, label: string, after?: string): string {
  return `ALTER TYPE ${type} ADD VALUE IF NOT EXISTS ${literal(label)}${after !== undefined ? ` AFTER ${literal(after)}` : ""}`;
}

export function createDomain(
  type: string,
  d: { base: string; notNull?: boolean; default?: string; checks?: Record<string, string> },
): string {
  let sql = `CREATE DOMAIN ${type} AS ${d.base}`;
  if (d.default !== undefined) sql += ` DEFAULT ${d.default}`;
  if (d.notNull) sql += " NOT NULL";
  for (const [name, def] of Object.entries(d.checks ?? {})) sql += ` CONSTRAINT ${ident(name)} ${def}`;
  return sql;
}

export function createComposite(type: string, attributes: readonly { name: string; type: string }[]): string {
  return `CREATE TYPE ${type} AS (${attributes.map((a) => `${ident(a.name)} ${a.type}`).join(", ")})`;
}

export function createRange(type: string, subtype: string): string {
  return `CREATE TYPE ${type} AS RANGE (SUBTYPE = ${subtype})`;
}

/** CREATE COLLATION from pg_collation's fields (the name arrives qualified and quoted). */
export function createCollation(c: {
  name: string;
  provider: string;
  locale?: string;
  lcCollate?: string;
  lcCtype?: string;
  deterministic: boolean;
}): string {
  const opts = [`provider = ${c.provider === "icu" ? "icu" : c.provider === "builtin" ? "builtin" : "libc"}`];
  if (c.locale !== undefined) opts.push(`locale = ${literal(c.locale)}`);
  if (c.lcCollate !== undefined) opts.push(`lc_collate = ${literal(c.lcCollate)}`);
  if (c.lcCtype !== undefined) opts.push(`lc_ctype = ${literal(c.lcCtype)}`);
  if (!c.deterministic) opts.push("deterministic = false");
  return `CREATE COLLATION IF NOT EXISTS ${c.name} (${opts.join(", ")})`;
}
