// Table references as users write them (one zod schema for every resource), and the one canonical
// form everything else compares.

import { z } from "zod";
import { identifier } from "../kernel/identifier";

/** A table reference as every resource accepts it (a factory: see kernel/identifier.ts). */
export function tableRefSchema() {
  return z.union([
    z.string().min(1, "a table name must not be empty"),
    z
      .object({
        schema: identifier("a schema name").optional(),
        name: identifier("a table name"),
        columns: z
          .array(identifier("a column name"))
          .min(1, "a column list must name at least one column")
          .optional(),
        where: z.string().min(1, "a row filter must not be empty").optional(),
      })
      .strict(),
  ]);
}

/** `"name"` (schema public) or `"schema.name"`, taken literally; the object form serves names with dots and filters. */
export type TableRef = z.infer<ReturnType<typeof tableRefSchema>>;

/** A fully resolved table reference. */
export interface TableSpec {
  schema: string;
  name: string;
  columns?: string[];
  where?: string;
}

/** Parses a TableRef; throws a sentence naming the fix when the string form is ambiguous or too long. */
export function parseTableRef(ref: TableRef): TableSpec {
  const spec = parseParts(ref);
  for (const part of [spec.schema, spec.name, ...(spec.columns ?? [])]) {
    const bytes = Buffer.byteLength(part, "utf8");
    if (bytes > 63)
      throw new Error(
        `${JSON.stringify(part)} is ${bytes} bytes; PostgreSQL names are at most 63 bytes (longer ones are silently truncated): shorten it.`,
      );
    if (part === "" || part.includes("\u0000"))
      throw new Error(`table reference ${JSON.stringify(ref)} has an empty name or a NUL byte.`);
  }
  return spec;
}

function parseParts(ref: TableRef): TableSpec {
  if (typeof ref !== "string") {
    const spec: TableSpec = { schema: ref.schema ?? "public", name: ref.name };
    if (ref.columns !== undefined) spec.columns = [...ref.columns];
    if (ref.where !== undefined) spec.where = ref.where;
    return spec;
  }
  const parts = ref.split(".");
  if (parts.length === 1) return { schema: "public", name: ref };
  if (parts.length === 2 && parts[0] !== "" && parts[1] !== "") return { schema: parts[0]!, name: parts[1]! };
  throw new Error(
    `table ${JSON.stringify(ref)} is ambiguous: write it as { schema: "…", name: "…" } when a name contains a dot.`,
  );
}

/** `schema.name`, for messages and as a map key (never SQL: see quote.ts). */
export function tableKey(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`;
}

/** The reverse of tableKey for keys the server built ("schema.name": the first dot separates, as schema names here have none). */
export function splitTableKey(key: string): { schema: string; name: string } {
  const dot = key.indexOf(".");
  return { schema: key.slice(0, dot), name: key.slice(dot + 1) };
}

/**
 * The canonical form kept in state: `"schema.name"` when that string parses back to the same table,
 * the object form otherwise. Column lists are kept in the order given.
 */
export function canonicalTableRef(t: TableSpec): TableRef {
  const plain = !t.schema.includes(".") && !t.name.includes(".") && t.schema !== "" && t.name !== "";
  if (plain && t.columns === undefined && t.where === undefined) return `${t.schema}.${t.name}`;
  const obj: { schema: string; name: string; columns?: string[]; where?: string } = {
    schema: t.schema,
    name: t.name,
  };
  if (t.columns !== undefined) obj.columns = t.columns;
  if (t.where !== undefined) obj.where = t.where;
  return obj;
}

/** A comparable key covering everything that matters about a published table (column order ignored). */
export function tableIdentity(t: TableSpec): string {
  return JSON.stringify([t.schema, t.name, t.columns ? [...t.columns].sort() : null, t.where ?? null]);
}

export function sameTableSets(a: readonly TableSpec[], b: readonly TableSpec[]): boolean {
  const ka = a.map(tableIdentity).sort();
  const kb = b.map(tableIdentity).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}
