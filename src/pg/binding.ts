// What a Subscription learns from the Publication it is given (`publications: [pub]`): the
// publication's name, the tables it will publish once this `up` has run, and — when the publication
// exists and keeps existing — its oid. A Publication's check computes it, so a preview knows it; the
// oid is absent when the publication is to be created or re-created, which is how a Subscription
// sees at preview that its stream will break. Both sides import this module: it is their agreement.

import {
  legacyTableName,
  storedTableName,
  tableFromStored,
  tableId,
  type StoredTableName,
  type TableName,
} from "./tables";

/** A published table and the catalog row that publishes it (see Binding.memberIds). */
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
   * For each of `tables`, in the same order, the id of the catalog row that publishes it now and
   * keeps doing so: its pg_publication_rel row, its schema's pg_publication_namespace row, or the
   * publication (FOR ALL TABLES); 0 for a table without one, (re-)added in this update: its stream
   * had a gap. Numbers beside the tables, not objects naming each table again: with thousands of
   * tables a binding travels in every check, diff and read of both resources.
   */
  memberIds?: number[];
  /**
   * false when the publication does not publish TRUNCATE; absent when it does (PostgreSQL's
   * default). A subscription filling a table other subscriptions fill too must not carry one.
   */
  truncate?: false;
  /**
   * false when the publication publishes neither UPDATE nor DELETE (inserts only, say); absent
   * when it publishes either. A replica finds the row such a change touches by its identity.
   */
  rowChanges?: false;
}

/** The binding's marks for a publication publishing these operations (all four when not given). */
export function publishMark(publish: readonly string[] | undefined): {
  truncate?: false;
  rowChanges?: false;
} {
  const all = publish === undefined;
  return {
    ...(all || publish.includes("truncate") ? {} : { truncate: false as const }),
    ...(all || publish.includes("update") || publish.includes("delete")
      ? {}
      : { rowChanges: false as const }),
  };
}

/** Each table of a binding that has a member, with its id. */
export function membersOf(b: Binding): Member[] {
  const ids = b.memberIds ?? [];
  return b.tables.flatMap((t, i) => (ids[i] ? [{ ...t, id: ids[i]! }] : []));
}

/** A binding as state keeps it and the host carries it: its tables as stored names (pg/tables.ts). */
export interface StoredBinding extends Omit<Binding, "tables"> {
  tables: StoredTableName[];
}

export function storedBinding(b: Binding): StoredBinding {
  return { ...b, tables: b.tables.map(storedTableName) };
}

/**
 * A binding as state keeps it (storedBinding), or as earlier versions wrote it, in today's form:
 * 0.2 kept tables as "schema.name" strings and members as a record by that key; earlier builds of
 * 0.3 kept members as objects naming their table ({schema, name, id}). Drop the conversions once
 * no stack holds such state (the first 1.x).
 */
export function upgradeBinding(b: unknown): Binding {
  const old = b as {
    name: string;
    oid?: number;
    tables: (string | TableName)[];
    members?: unknown;
    memberIds?: number[];
    truncate?: false;
    rowChanges?: false;
  };
  const tables = old.tables.map(tableFromStored);
  let memberIds = old.memberIds;
  if (memberIds === undefined && old.members !== undefined) {
    const listed = Array.isArray(old.members)
      ? (old.members as Member[])
      : Object.entries(old.members as Record<string, number>).map(([k, id]) => ({
          ...legacyTableName(k),
          id,
        }));
    const byTable = new Map(listed.map((m) => [tableId(m), m.id]));
    memberIds = tables.map((t) => byTable.get(tableId(t)) ?? 0);
  }
  return {
    name: old.name,
    ...(old.oid !== undefined ? { oid: old.oid } : {}),
    tables,
    ...(memberIds ? { memberIds } : {}),
    ...(old.truncate === false ? { truncate: false as const } : {}),
    ...(old.rowChanges === false ? { rowChanges: false as const } : {}),
  };
}
