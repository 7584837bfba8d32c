// A replica table with columns of its own (values the publisher does not send: an analytics
// replica's load time) under the publisher's REPLICA IDENTITY FULL. The replica finds the row an
// UPDATE or DELETE changes by comparing every column of its own table with the old row the
// publisher sent, which lacks those columns: no row matches, and PostgreSQL skips the change —
// measured on 14, 16, 17 and 18 (PG18 counts update_missing and delete_missing; none fails). The
// replica keeps the old rows, silently. A primary key or identity index of the replica's table is
// used instead of the comparison, so such a table is safe.
//
// The same comparison fails outright on a column whose type has no equality operator (json, xml,
// point …): "could not identify an equality operator", the stream stopped, retried without end.
// The publisher's table may have a primary key while keeping FULL for full old rows (as
// change-data-capture tools ask); the replica's table then finds rows by its own key — measured on
// 14 and 18 — and only a replica table without one is at risk.

import type { CheckFailure } from "../kernel/check";
import type { Binding } from "../pg/binding";
import type { ConnectionInfo } from "../pg/connection";
import { withSession, type Session } from "../pg/session";
import type { TableFacts } from "../pg/tableFacts";
import { tableId, tableKey } from "../pg/tables";
import { readStoredColumns } from "./catalog";
import type { PublisherView } from "./publisher";

/**
 * The tables whose published updates or deletes the replica would skip or stop on (see above),
 * a failure for each kind naming the tables, columns and fixes. `bindings`: what the subscription receives
 * (a publication of inserts only is no risk). Reads columns only where the identities put a
 * table at risk.
 */
export async function fullIdentityFailures(
  s: Session,
  publisher: ConnectionInfo,
  view: PublisherView | undefined,
  bindings: readonly Binding[],
  onReplica: readonly TableFacts[],
  /** A SchemaSync this depends on changes the replica's tables in this `up` (its outputs unknown to a preview). */
  schemaChanging = false,
): Promise<CheckFailure[]> {
  if (!view) return [];
  const changing = new Set(
    bindings.filter((b) => b.rowChanges !== false).flatMap((b) => b.tables.map(tableId)),
  );
  const full = new Set(view.tableFacts.filter((t) => t.replicaIdentity === "f").map(tableId));
  const atRisk = onReplica.filter(
    (t) => full.has(tableId(t)) && changing.has(tableId(t)) && !t.hasPrimaryKey && !t.hasIdentityIndex,
  );
  return [
    ...uncomparableFailures(view, changing, onReplica, schemaChanging),
    ...(atRisk.length === 0 ? [] : await notSentFailures(s, publisher, view, atRisk)),
  ];
}

/**
 * The tables received with their updates or deletes whose publisher identity is FULL with columns
 * of types without equality, and whose replica table has no key to find rows by: one failure. A
 * table not on the replica yet is at risk when the publisher's has no primary key (a copy of it
 * has none). Not judged while a SchemaSync this depends on changes the replica's tables in this
 * `up` (it may add the key): `up`'s check judges them once it has.
 */
function uncomparableFailures(
  view: PublisherView,
  changing: ReadonlySet<string>,
  onReplica: readonly TableFacts[],
  schemaChanging: boolean,
): CheckFailure[] {
  if (schemaChanging) return [];
  const there = new Map(onReplica.map((t) => [tableId(t), t]));
  const atRisk = view.tableFacts.filter((f) => {
    if (f.replicaIdentity !== "f" || f.unequalColumns.length === 0 || !changing.has(tableId(f))) return false;
    const r = there.get(tableId(f));
    return r ? !r.hasPrimaryKey && !r.hasIdentityIndex : !f.hasPrimaryKey;
  });
  if (atRisk.length === 0) return [];
  const list = atRisk
    .map(
      (f) =>
        `${JSON.stringify(tableKey(f))} (${f.unequalColumns.map((c, i) => `${JSON.stringify(c)} ${f.unequalTypes[i]}`).join(", ")})`,
    )
    .join(", ");
  return [
    {
      property: "publications",
      reason: `${list}: REPLICA IDENTITY FULL on the publisher with columns of a type that has no equality operator, and no primary key or identity index on the replica's table. The replica finds the row an UPDATE or DELETE changes by comparing every column, cannot compare these, and its stream would stop at the first such change (retried without end). Give the replica's table a primary key (the primary's, or REPLICA IDENTITY USING INDEX on a unique index there), change the column's type on the primary to one with equality (json → jsonb), or publish inserts only.`,
    },
  ];
}

/** The tables of `atRisk` with replica columns the publisher does not send (see the top): one failure. */
async function notSentFailures(
  s: Session,
  publisher: ConnectionInfo,
  view: PublisherView,
  atRisk: readonly TableFacts[],
): Promise<CheckFailure[]> {
  const mine = await readStoredColumns(s, atRisk);
  const sent = await withSession(publisher, (p) => readStoredColumns(p, atRisk));
  // PG18 publishes stored generated columns' values where asked: the replica's copies are plain.
  for (const g of view.generated) sent.set(tableId(g), [...(sent.get(tableId(g)) ?? []), g.column]);
  const own = atRisk
    .map((t) => ({
      t,
      columns: (mine.get(tableId(t)) ?? []).filter((c) => !sent.get(tableId(t))?.includes(c)),
    }))
    .filter((x) => x.columns.length > 0);
  if (own.length === 0) return [];
  const list = own
    .map(
      ({ t, columns }) =>
        `${JSON.stringify(tableKey(t))} (${columns.map((c) => JSON.stringify(c)).join(", ")})`,
    )
    .join(", ");
  return [
    {
      property: "publications",
      reason: `${list}: REPLICA IDENTITY FULL on the publisher, and on the replica column(s) the publisher does not send. The replica finds the row an UPDATE or DELETE changes by comparing every column of its own table, these included, with the publisher's old row, finds none, and skips the change without an error: it would keep the old rows. Give the replica's table a primary key (or REPLICA IDENTITY USING INDEX on a unique index there) or the primary's one, drop those columns on the replica, or publish inserts only.`,
    },
  ];
}
