// Table references as users write them (one zod schema for every resource), and the one canonical
// form everything else compares.

/**
 * A table as a program names it: `"name"` (schema public) or `"schema.name"`, taken literally; the
 * object form serves names with dots, column lists and row filters (PostgreSQL 15+).
 */
export type TableRef =
  | string
  | {
      /** The table's schema ("public" when left out). */
      schema?: string;
      name: string;
      /** Publish only these columns (a column list). */
      columns?: string[];
      /** Publish only the rows this SQL expression about the table holds for (a row filter). */
      where?: string;
    };

/** A table's qualified name: what identifies it on a server. */
export interface TableName {
  schema: string;
  name: string;
}

/** A fully resolved table reference. */
export interface TableSpec extends TableName {
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

/** `schema.name`, for people (messages, previews); never parsed back, never SQL (see quote.ts). */
export function tableKey(t: TableName): string {
  return `${t.schema}.${t.name}`;
}

/** A key that tells any two tables apart (names may hold dots): for maps and sets, never shown. */
export function tableId(t: TableName): string {
  // JSON.stringify([schema, name]), spelled out where neither needs escaping (the usual case: it
  // runs for every table in every map of a check).
  return NEEDS_ESCAPE.test(t.schema) || NEEDS_ESCAPE.test(t.name)
    ? JSON.stringify([t.schema, t.name])
    : `["${t.schema}","${t.name}"]`;
}

/** What JSON.stringify escapes in a string: quote, backslash, control characters, lone surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Just the name of a table (columns and filters dropped). */
export function nameOf(t: TableName): TableName {
  return { schema: t.schema, name: t.name };
}

/** Tables by schema then name, without repeats. */
export function sortedTables<T extends TableName>(tables: Iterable<T>): T[] {
  const unique = new Map<string, T>();
  for (const t of tables) if (!unique.has(tableId(t))) unique.set(tableId(t), t);
  return [...unique.values()].sort((a, b) =>
    a.schema !== b.schema ? (a.schema < b.schema ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/** Whether two lists hold the same tables (by name), whatever their order. */
export function sameTableNames(a: readonly TableName[] = [], b: readonly TableName[] = []): boolean {
  const ka = a.map(tableId).sort();
  const kb = b.map(tableId).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/**
 * The legacy form of a table in state written by 0.x ("schema.name"): split at the first dot, as
 * those versions did. Only upgradeState uses it.
 */
export function legacyTableName(key: string): TableName {
  const dot = key.indexOf(".");
  return { schema: key.slice(0, dot), name: key.slice(dot + 1) };
}

/**
 * A table's name as state keeps it and the provider host carries it: `"schema.name"` when neither
 * part holds a dot (then splitting at the dot gives it back), else the object. Thousands of tables
 * cross the host in every check, diff and read as protobuf Structs, where a string costs about a
 * tenth of an object. Read back with tableFromStored.
 */
export type StoredTableName = string | TableName;

/** Whether `"schema.name"` split at its dot gives this table back (no dot in either part, neither empty). */
function splitsBack(t: TableName): boolean {
  return !t.schema.includes(".") && !t.name.includes(".") && t.schema !== "" && t.name !== "";
}

export function storedTableName(t: TableName): StoredTableName {
  return splitsBack(t) ? `${t.schema}.${t.name}` : { schema: t.schema, name: t.name };
}

/** A stored table name (storedTableName's, or 0.2's "schema.name", split at the first dot likewise). */
export function tableFromStored(t: StoredTableName): TableName {
  return typeof t === "string" ? legacyTableName(t) : nameOf(t);
}

/**
 * A key naming a table in a record state keeps (e.g. `{"public.users": …}`): storedTableName's
 * string, or tableId's JSON for a name with a dot (or a schema starting with "["). Read back with
 * tableFromStoredKey.
 */
export function storedTableKey(t: TableName): string {
  const stored = storedTableName(t);
  return typeof stored === "string" && !stored.startsWith("[") ? stored : tableId(t);
}

export function tableFromStoredKey(key: string): TableName {
  if (!key.startsWith("[")) return legacyTableName(key);
  const [schema, name] = JSON.parse(key) as [string, string];
  return { schema, name };
}

/**
 * The canonical form kept in state: `"schema.name"` when that string parses back to the same table,
 * the object form otherwise. Column lists are kept in the order given.
 */
export function canonicalTableRef(t: TableSpec): TableRef {
  if (splitsBack(t) && t.columns === undefined && t.where === undefined) return `${t.schema}.${t.name}`;
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
