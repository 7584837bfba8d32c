// What a Subscription learns from the Publication it is given (`publications: [pub]`): the
// publication's name, the tables it will publish once this `up` has run, and — when the publication
// exists and keeps existing — its oid. A Publication's check computes it, so a preview knows it; the
// oid is absent when the publication is to be created or re-created, which is how a Subscription
// sees at preview that its stream will break. Both sides import this module: it is their agreement.

import { legacyTableName, type TableName } from "./tables";

/** A published table and the catalog row that publishes it (see Binding.members). */
export interface Member extends TableName {
  id: number;
}

export interface Binding {
  name: string;
  /** pg_publication.oid on the publisher, when the publication exists and is not replaced. */
  oid?: number;
  /** Every table it publishes, as pg_publication_tables lists them, sorted by schema and name. */
  tables: TableName[];
  /**
   * For each table, the id of the catalog row that publishes it now and keeps doing so: its
   * pg_publication_rel row, its schema's pg_publication_namespace row, or the publication (FOR
   * ALL TABLES). A table without one is (re-)added in this update: its stream had a gap.
   */
  members?: Member[];
}

/**
 * A binding as state written before tables were kept structurally holds it ("schema.name" strings
 * and a record of members by that key; 0.x, until 0.3): read into today's form.
 */
export function upgradeBinding(b: unknown): Binding {
  const old = b as { name: string; oid?: number; tables: (string | TableName)[]; members?: unknown };
  const tables = old.tables.map((t) => (typeof t === "string" ? legacyTableName(t) : t));
  const members =
    old.members === undefined
      ? undefined
      : Array.isArray(old.members)
        ? (old.members as Member[])
        : Object.entries(old.members as Record<string, number>).map(([k, id]) => ({
            ...legacyTableName(k),
            id,
          }));
  return {
    name: old.name,
    ...(old.oid !== undefined ? { oid: old.oid } : {}),
    tables,
    ...(members ? { members } : {}),
  };
}
