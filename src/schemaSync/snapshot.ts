// A schema snapshot: the plain data SchemaSync reads from a server's catalogs, plans from and keeps
// in state.

export interface ColumnDefinition {
  name: string;
  /** pg_attribute.attnum on its server (never compared: dropped columns shift it). */
  attnum?: number;
  type: string;
  notNull: boolean;
  default?: string;
  identity?: "a" | "d";
  /** The identity sequence's options that differ from the defaults (SEQUENCE NAME, START WITH, …). */
  identityOptions?: string;
  generated?: string;
  /** A PG18 VIRTUAL generated column (STORED otherwise). */
  virtual?: boolean;
  collation?: string;
  /** attstorage where it differs from the type's: p, e, m or x. */
  storage?: string;
  /** attcompression: p (pglz) or l (lz4), when set. */
  compression?: string;
  /** attstattarget, when set. */
  statistics?: number;
  /**
   * What the rows older than the column hold in it, as the source's catalog tells (not part of the
   * definition: see definitionOf). `value`: the value PostgreSQL keeps for them (atthasmissing:
   * the column was added with a default that is not volatile; text in the portable forms);
   * `unknown`: written row by row (a volatile default, identity, a table rewritten since), which
   * only the rows themselves can tell. Absent: NULL, or the source's rows all newer than it.
   */
  olderRows?: { value: string } | { unknown: true };
}

/** A column's definition: without its number and what its older rows hold (both differ by server). */
export function definitionOf(c: ColumnDefinition): Omit<ColumnDefinition, "attnum" | "olderRows"> {
  const { attnum: _a, olderRows: _o, ...definition } = c;
  return definition;
}

export interface TableDefinition {
  schema: string;
  name: string;
  /** `PARTITION BY …` clause of a partitioned table. */
  partitionKey?: string;
  /** For a partition: its parent and bound (`FOR VALUES …`). */
  partitionOf?: { schema: string; name: string; bound: string };
  /** Columns (empty for a partition: it takes its parent's). */
  columns: ColumnDefinition[];
  /** Constraint name → definition; primary/unique/check/exclusion/foreign, not inherited ones. */
  constraints: Record<string, { type: string; definition: string }>;
  /** Index name → definition, excluding those backing constraints and those inherited from a parent. */
  indexes: Record<string, string>;
  /**
   * Sequences its columns' defaults use that it does not own (a shared id sequence, another
   * table's): each with its parameters and the table whose column owns it, if any. Not part of the
   * definition's signature (a default naming another sequence changes the default itself).
   */
  uses?: {
    schema: string;
    name: string;
    type: string;
    options: string;
    owner?: { schema: string; name: string };
  }[];
  /** Sequences owned by a column; `serial` when serial/bigserial/smallserial would recreate it exactly. */
  sequences: {
    schema: string;
    name: string;
    type: string;
    column: string;
    serial?: boolean;
    /** Its parameters as CREATE SEQUENCE takes them (not part of the signature). */
    options?: string;
  }[];
  /** Constraint or index name → the columns it uses (null: expressions or a predicate); column-listed tables only. */
  columnUse?: Record<string, string[] | null>;
  /** d (default), n (nothing), f (full) or i (index, then `identityIndex`). */
  replicaIdentity: string;
  identityIndex?: string;
}

export interface TypeDefinition {
  /** Qualified and quoted, as format_type prints it. */
  name: string;
  /** Its schema, unquoted. */
  schema: string;
  kind: "enum" | "domain" | "composite" | "range";
  labels?: string[];
  base?: string;
  notNull?: boolean;
  default?: string;
  /** Domain constraint name → definition. */
  checks?: Record<string, string>;
  attributes?: { name: string; type: string }[];
  subtype?: string;
}

export interface CollationDefinition {
  /** Qualified and quoted. */
  name: string;
  schema: string;
  provider: "icu" | "libc" | "builtin";
  locale?: string;
  lcCollate?: string;
  lcCtype?: string;
  deterministic: boolean;
}

export interface SchemaSnapshot {
  /** Collations of their own (not pg_catalog's) that the tables' columns use. */
  collations?: CollationDefinition[];
  /** Extensions that own a type or an index operator class the tables use. */
  extensions: { name: string; schema: string }[];
  /** User-defined types in creation order. */
  types: TypeDefinition[];
  /** Tables in creation order (a parent before its partitions). */
  tables: TableDefinition[];
}

export const EMPTY_SNAPSHOT: SchemaSnapshot = { extensions: [], types: [], tables: [] };
