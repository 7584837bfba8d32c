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
  /** Sequences owned by a column; `serial` when serial/bigserial/smallserial would recreate it exactly. */
  sequences: { schema: string; name: string; type: string; column: string; serial?: boolean }[];
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
