// Emptying replica tables for a re-copy: the agreement between SchemaSync (a column re-added loses
// its values) and the Subscription (a broken stream). Both empty tables only through here, in one
// TRUNCATE so that foreign keys among the tables hold — and only tables whose rows all come from
// the one subscription that copies them again: a table the replica itself publishes (two-way
// replication, a cascade: the TRUNCATE would be replicated onward) or that another subscription
// also writes into cannot be restored from one primary, and is refused instead.

import { qualified } from "./quote";
import type { Session } from "./session";
import { tableId, tableKey, type TableName } from "./tables";

/** Empties tables whose rows are copied again (one statement: foreign keys among them hold). */
export function truncateTables(tables: readonly TableName[]): string {
  return `TRUNCATE ${tables.map((t) => qualified(t.schema, t.name)).join(", ")}`;
}

/**
 * The position (0-based) of each of `tables` that holds a row: a probe before an initial copy that
 * would collide. One statement for all of them (each probe stops at its first row).
 */
export function nonEmptyQuery(tables: readonly TableName[]): string {
  return tables
    .map((t, i) => `SELECT ${i} AS i WHERE EXISTS (SELECT 1 FROM ${qualified(t.schema, t.name)})`)
    .join(" UNION ALL ");
}

/**
 * $1, $2: schemas and names: the position (0-based) of each that may hold rows. A table whose main
 * fork has no pages holds none (a table just created, or emptied by TRUNCATE); a partitioned table
 * and a table with inheritance children (relhassubclass is never false while it has some) are
 * probed. No plan per table: a few milliseconds for hundreds of tables, where probing each costs
 * tens (every table and its indexes opened and planned).
 */
const MAY_HOLD_ROWS = `SELECT (w.i - 1)::int AS i
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(schema, name, i)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
   WHERE c.relkind <> 'r' OR c.relhassubclass OR pg_catalog.pg_relation_size(c.oid) > 0
   ORDER BY w.i`;

/** Those of `tables` that hold rows: those that may (MAY_HOLD_ROWS) probed, 500 at a time. */
export async function nonEmpty<T extends TableName>(s: Session, tables: readonly T[]): Promise<T[]> {
  if (tables.length === 0) return [];
  const candidates = (
    await s.query<{ i: number }>(MAY_HOLD_ROWS, [tables.map((t) => t.schema), tables.map((t) => t.name)])
  ).map((r) => tables[r.i]!);
  const out: T[] = [];
  for (let at = 0; at < candidates.length; at += 500) {
    const chunk = candidates.slice(at, at + 500);
    for (const r of await s.query<{ i: number }>(nonEmptyQuery(chunk))) out.push(chunk[r.i]!);
  }
  return out;
}

/** Who else has a stake in a replica table's rows. */
export interface TableStakes extends TableName {
  /** Publications of the replica's database that publish it (itself or a partitioned table above it). */
  publishedBy: string[];
  /** Subscriptions of the replica, other than the one asking, that write into it. */
  fedBy: string[];
  /**
   * The publications those subscriptions subscribe to (on their publishers): where their rows may
   * come from, as far as a name tells. Absent from stakes made by hand.
   */
  fedFrom?: string[];
  /** Other tables of the replica whose foreign keys reference it (TRUNCATE empties them too, or refuses). */
  referencedBy: TableName[];
}

/** The stakes in each of `tables` on the replica (`s`), for the subscription `subscription`. */
export async function readStakes(
  s: Session,
  tables: readonly TableName[],
  subscription?: string,
): Promise<TableStakes[]> {
  // The foreign keys in one pass over pg_constraint (it has no index on the referenced table: a
  // lookup per table scans it once per table, seconds at thousands of tables), and the published
  // tables in one pass over pg_publication_tables (a view: per table, the planner scanned pg_class
  // whole each time). test/integration/catalogScale.test.ts holds every read to linear growth.
  return s.query<TableStakes>(
    `WITH w AS MATERIALIZED (
       SELECT c.oid, n.nspname AS schema, c.relname AS name
         FROM unnest($1::text[], $2::text[]) AS u(schema, name)
         JOIN pg_catalog.pg_namespace n ON n.nspname = u.schema
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = u.name AND c.relkind IN ('r', 'p')),
     -- Each table, and the partitioned tables it is a partition of (pg_partition_ancestors lists
     -- nothing for a table that is not a partition).
     lineage AS (
       SELECT w.oid AS table_oid, w.oid AS relid FROM w
       UNION
       SELECT w.oid, a.relid FROM w, pg_catalog.pg_partition_ancestors(w.oid) AS a(relid)),
     published AS (
       SELECT l.table_oid AS oid, pg_catalog.array_agg(DISTINCT pt.pubname::text ORDER BY pt.pubname::text) AS pubs
         FROM pg_catalog.pg_publication_tables pt
         JOIN pg_catalog.pg_namespace pn ON pn.nspname = pt.schemaname
         JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.oid AND pc.relname = pt.tablename
         JOIN lineage l ON l.relid = pc.oid
        GROUP BY l.table_oid),
     refs AS (
       SELECT k.confrelid AS oid,
              pg_catalog.jsonb_agg(DISTINCT pg_catalog.jsonb_build_object('schema', rn.nspname, 'name', rc.relname)) AS tables
         FROM pg_catalog.pg_constraint k
         JOIN pg_catalog.pg_class rc ON rc.oid = k.conrelid
         JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE k.contype = 'f' AND k.conrelid <> k.confrelid AND k.conparentid = 0
          AND k.confrelid IN (SELECT oid FROM w)
        GROUP BY k.confrelid)
     SELECT w.schema, w.name,
            COALESCE(published.pubs, '{}') AS "publishedBy",
            ARRAY(SELECT DISTINCT sub.subname::text
                    FROM pg_catalog.pg_subscription_rel sr
                    JOIN pg_catalog.pg_subscription sub ON sub.oid = sr.srsubid
                   WHERE sr.srrelid = w.oid AND sub.subname IS DISTINCT FROM $3
                   ORDER BY 1) AS "fedBy",
            ARRAY(SELECT DISTINCT p.name::text
                    FROM pg_catalog.pg_subscription_rel sr
                    JOIN pg_catalog.pg_subscription sub ON sub.oid = sr.srsubid,
                         pg_catalog.unnest(sub.subpublications) AS p(name)
                   WHERE sr.srrelid = w.oid AND sub.subname IS DISTINCT FROM $3
                   ORDER BY 1) AS "fedFrom",
            COALESCE(refs.tables, '[]') AS "referencedBy"
       FROM w LEFT JOIN refs ON refs.oid = w.oid LEFT JOIN published ON published.oid = w.oid`,
    [tables.map((t) => t.schema), tables.map((t) => t.name), subscription ?? null],
  );
}

/**
 * Why each of these tables may not be emptied for a re-copy, one sentence each (none: all may).
 * `together`: the ids (tableId) of all the tables emptied in the same statement. `subscription`:
 * the one that copies them again (its stake is the only one allowed); without it (SchemaSync, which
 * does not know it), one subscription's stake is allowed.
 */
export function emptyingRefusals(
  stakes: readonly TableStakes[],
  together: ReadonlySet<string>,
  subscription?: string,
): string[] {
  const reasons: string[] = [];
  for (const t of stakes) {
    const key = JSON.stringify(tableKey(t));
    const referencing = (t.referencedBy ?? []).filter((r) => !together.has(tableId(r)));
    if (referencing.length > 0)
      reasons.push(
        `${referencing.map((r) => JSON.stringify(tableKey(r))).join(", ")} on the replica ${referencing.length > 1 ? "have foreign keys" : "has a foreign key"} to ${key} and ${referencing.length > 1 ? "are" : "is"} not copied with it, so emptying ${key} would have to empty ${referencing.length > 1 ? "them" : "it"} too, and ${referencing.length > 1 ? "their" : "its"} rows could not be restored from this primary (drop that constraint by hand, or copy ${referencing.length > 1 ? "those tables" : "that table"} too)`,
      );
    const others = t.fedBy.filter((f) => f !== subscription);
    const allowed = subscription === undefined ? 1 : 0;
    if (t.publishedBy.length > 0)
      reasons.push(
        `the replica publishes ${key} itself (publication ${t.publishedBy.map((p) => JSON.stringify(p)).join(", ")}: two-way replication or a cascade), so emptying it would be replicated to the servers subscribed to it and its own rows could not be restored from this primary`,
      );
    if (others.length > allowed)
      reasons.push(
        `subscription${others.length > 1 ? "s" : ""} ${others.map((p) => JSON.stringify(p)).join(", ")} write${others.length > 1 ? "" : "s"} into ${key} on the replica, and ${others.length > 1 ? "their" : "its"} rows could not be restored from one primary`,
      );
  }
  return reasons;
}

/**
 * `tables` split by whether other subscriptions of the replica write into them (fan-in: shards
 * consolidated into one table), whose rows PostgreSQL's initial copy adds this publisher's beside.
 */
export function byFeeding<T extends TableName>(
  tables: readonly T[],
  stakes: readonly TableStakes[],
): { fed: T[]; unfed: T[] } {
  const feeding = new Set(stakes.filter((t) => t.fedBy.length > 0).map(tableId));
  return {
    fed: tables.filter((t) => feeding.has(tableId(t))),
    unfed: tables.filter((t) => !feeding.has(tableId(t))),
  };
}
