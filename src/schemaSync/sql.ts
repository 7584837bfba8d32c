// Every statement SchemaSync sends. Names are quoted here; type names, defaults and
// constraint/index definitions come from the source server's own deparsers (format_type,
// pg_get_expr, pg_get_constraintdef, pg_get_indexdef) run with an empty search_path, so they
// arrive fully qualified and quoted by PostgreSQL itself.

import { ident, literal, qualified } from "../pg/quote";
import type { ColumnDefinition } from "./snapshot";

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`;
}

const COMPRESSION: Record<string, string> = { p: "pglz", l: "lz4" };
const STORAGE: Record<string, string> = { p: "PLAIN", e: "EXTERNAL", m: "MAIN", x: "EXTENDED" };

/** A column inside CREATE TABLE / ADD COLUMN (storage and statistics follow as ALTERs: see columnSettings). */
export function columnClause(c: ColumnDefinition): string {
  let sql = `${ident(c.name)} ${c.type}`;
  if (c.compression && COMPRESSION[c.compression]) sql += ` COMPRESSION ${COMPRESSION[c.compression]}`;
  if (c.collation) sql += ` COLLATE ${c.collation}`;
  if (c.generated !== undefined)
    sql += ` GENERATED ALWAYS AS (${c.generated}) ${c.virtual ? "VIRTUAL" : "STORED"}`;
  else if (c.identity)
    sql += ` GENERATED ${c.identity === "a" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY${c.identityOptions ? ` (${c.identityOptions})` : ""}`;
  else if (c.default !== undefined) sql += ` DEFAULT ${c.default}`;
  if (c.notNull) sql += " NOT NULL";
  return sql;
}

/** ALTER … SET STORAGE / SET STATISTICS for the column properties CREATE TABLE cannot carry on every version. */
export function columnSettings(schema: string, table: string, c: ColumnDefinition): string[] {
  const out: string[] = [];
  const col = `ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${ident(c.name)}`;
  if (c.storage && STORAGE[c.storage]) out.push(`${col} SET STORAGE ${STORAGE[c.storage]}`);
  if (c.statistics !== undefined) out.push(`${col} SET STATISTICS ${Number(c.statistics)}`);
  return out;
}

/** ALTER … SET COMPRESSION (for an existing column). */
export function setColumnCompression(
  schema: string,
  table: string,
  column: string,
  compression?: string,
): string {
  return `ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${ident(column)} SET COMPRESSION ${compression ? COMPRESSION[compression] : "DEFAULT"}`;
}

/**
 * CREATE TABLE with its columns and, inline, the table constraints (definitions as
 * pg_get_constraintdef prints them); `partitionKey` as pg_get_partkeydef prints it.
 */
export function createTable(
  schema: string,
  name: string,
  columns: ColumnDefinition[],
  constraints: readonly { name: string; definition: string }[] = [],
  partitionKey?: string,
): string {
  const items = [
    ...columns.map(columnClause),
    ...constraints.map((c) => `CONSTRAINT ${ident(c.name)} ${c.definition}`),
  ];
  const partitioned = partitionKey !== undefined ? ` PARTITION BY ${partitionKey}` : "";
  return `CREATE TABLE ${qualified(schema, name)} (${items.join(", ")})${partitioned}`;
}

/** An index as pg_get_indexdef printed it on the source (qualified and quoted by the server). */
export function createIndex(definition: string): string {
  return definition;
}

export function dropIndex(schema: string, name: string): string {
  return `DROP INDEX ${qualified(schema, name)}`;
}

const SERIAL: Record<string, string> = { smallint: "smallserial", integer: "serial", bigint: "bigserial" };

/** The serial pseudo-type for an integer column whose sequence serial would create identically. */
export function serialColumn(c: ColumnDefinition): ColumnDefinition {
  const { default: _default, ...rest } = c;
  return { ...rest, type: SERIAL[c.type] ?? c.type, notNull: false };
}

/** A constant of `type` (as format_type prints it) from its text (read in the portable forms). */
export function typedLiteral(value: string, type: string): string {
  return `${literal(value)}::${type}`;
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

/** A stored generated column made plain, keeping its values (its expression dropped). */
export function dropExpression(schema: string, table: string, column: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${ident(column)} DROP EXPRESSION`;
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

/** `notValid`: added without checking the rows already there (validated later: validateConstraint). */
export function addConstraint(
  schema: string,
  table: string,
  name: string,
  definition: string,
  notValid = false,
): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${ident(name)} ${definition}${notValid ? " NOT VALID" : ""}`;
}

export function dropConstraint(schema: string, table: string, name: string): string {
  return `ALTER TABLE ${qualified(schema, table)} DROP CONSTRAINT ${ident(name)}`;
}

/** How a sequence steps (its increment, cache and cycling), as alterSequenceSteps sets them. */
export interface SequenceSteps {
  increment: number;
  cache: number;
  cycle: boolean;
}

/** A sequence's steps from its CREATE SEQUENCE options (as the catalog read prints them). */
export function sequenceSteps(options: string): SequenceSteps {
  return {
    increment: Number(/INCREMENT BY (-?\d+)/.exec(options)?.[1] ?? 1),
    cache: Number(/CACHE (\d+)/.exec(options)?.[1] ?? 1),
    cycle: /\bCYCLE\b/.test(options),
  };
}

/**
 * A sequence made to step as the source's does. Only these: bounds or a start the replica's current
 * value lies outside would fail the statement, and RESTART would move a value a writing node uses.
 */
export function alterSequenceSteps(schema: string, name: string, steps: SequenceSteps): string {
  return `ALTER SEQUENCE ${qualified(schema, name)} INCREMENT BY ${Math.trunc(steps.increment)} CACHE ${Math.trunc(steps.cache)} ${steps.cycle ? "CYCLE" : "NO CYCLE"}`;
}

/** `options`: as the catalog read prints them (INCREMENT BY, MINVALUE, … from numbers only). */
export function createSequence(schema: string, name: string, type: string, options = ""): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${qualified(schema, name)} AS ${type}${options ? ` ${options}` : ""}`;
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

/** Detaches a partition (its rows stay, in a table of its own). */
export function detachPartition(parentSchema: string, parent: string, schema: string, name: string): string {
  return `ALTER TABLE ${qualified(parentSchema, parent)} DETACH PARTITION ${qualified(schema, name)}`;
}

/** Attaches an existing table as a partition (bound as pg_get_expr printed it on the source). */
export function attachPartition(
  parentSchema: string,
  parent: string,
  schema: string,
  name: string,
  bound: string,
): string {
  return `ALTER TABLE ${qualified(parentSchema, parent)} ATTACH PARTITION ${qualified(schema, name)} ${bound}`;
}

/** Renames a table, and moves it to another schema when the source did. */
export function renameTable(schema: string, from: string, to: string): string {
  return `ALTER TABLE ${qualified(schema, from)} RENAME TO ${ident(to)}`;
}

export function setTableSchema(schema: string, name: string, to: string): string {
  return `ALTER TABLE ${qualified(schema, name)} SET SCHEMA ${ident(to)}`;
}

export function renameColumn(schema: string, table: string, from: string, to: string): string {
  return `ALTER TABLE ${qualified(schema, table)} RENAME COLUMN ${ident(from)} TO ${ident(to)}`;
}

export function renameConstraint(schema: string, table: string, from: string, to: string): string {
  return `ALTER TABLE ${qualified(schema, table)} RENAME CONSTRAINT ${ident(from)} TO ${ident(to)}`;
}

export function renameIndex(schema: string, from: string, to: string): string {
  return `ALTER INDEX ${qualified(schema, from)} RENAME TO ${ident(to)}`;
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

export function renameEnumValue(type: string, from: string, to: string): string {
  return `ALTER TYPE ${type} RENAME VALUE ${literal(from)} TO ${literal(to)}`;
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

/** Checks the rows of a constraint added NOT VALID (SHARE UPDATE EXCLUSIVE: other work goes on). */
export function validateConstraint(schema: string, table: string, name: string): string {
  return `ALTER TABLE ${qualified(schema, table)} VALIDATE CONSTRAINT ${ident(name)}`;
}

/** The primary key columns of tables (by position in the key), for sampling rows by key. */
export const KEY_COLUMNS = `
SELECT n.nspname AS schema, c.relname AS name,
       pg_catalog.array_agg(a.attname::text ORDER BY k.ord) AS columns
  FROM unnest($1::text[], $2::text[]) AS u(schema, name)
  JOIN pg_catalog.pg_namespace n ON n.nspname = u.schema
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = u.name
  JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary
  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
 GROUP BY n.nspname, c.relname`;

/**
 * The first `limit` rows of a table by its key: the key, an md5 of the row without the columns
 * `skip` names (the rest both sides share at one type), and the values of `columns`, each cast to
 * its `as` type where given (the replica's old values as its own cast would convert them).
 */
export function sampleRows(
  table: { schema: string; name: string },
  key: readonly string[],
  skip: readonly string[],
  columns: readonly { name: string; as?: string }[],
  limit: number,
): string {
  const col = (c: string) => `t.${ident(c)}`;
  const keyJson = `pg_catalog.jsonb_build_array(${key.map(col).join(", ")})::text`;
  const rest = `pg_catalog.md5((pg_catalog.to_jsonb(t) - ARRAY[${skip.map(literal).join(", ")}]::text[])::text)`;
  const values = `pg_catalog.jsonb_build_array(${columns.map((c) => (c.as ? `${col(c.name)}::${c.as}` : col(c.name))).join(", ")})::text`;
  return `SELECT ${keyJson} AS key, ${rest} AS rest, ${values} AS "values" FROM ${qualified(table.schema, table.name)} t ORDER BY ${key.map(col).join(", ")} LIMIT ${Math.trunc(limit)}`;
}
