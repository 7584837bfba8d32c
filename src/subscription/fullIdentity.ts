// A replica table with columns of its own (values the publisher does not send: an analytics
// replica's load time) under the publisher's REPLICA IDENTITY FULL. The replica finds the row an
// UPDATE or DELETE changes by comparing every column of its own table with the old row the
// publisher sent, which lacks those columns: no row matches, and PostgreSQL skips the change —
// measured on 14, 16, 17 and 18 (PG18 counts update_missing and delete_missing; none fails). The
// replica keeps the old rows, silently. A primary key or identity index of the replica's table is
// used instead of the comparison, so such a table is safe.

import type { CheckFailure } from "../kernel/check";
import type { Binding } from "../pg/binding";
import type { ConnectionInfo } from "../pg/connection";
import { withSession, type Session } from "../pg/session";
import type { TableFacts } from "../pg/tableFacts";
import { tableId, tableKey } from "../pg/tables";
import { readStoredColumns } from "./catalog";
import type { PublisherView } from "./publisher";

/**
 * The tables whose published updates or deletes the replica would skip (see above), as one
 * failure naming each with the columns and the fixes. `bindings`: what the subscription receives
 * (a publication of inserts only is no risk). Reads columns only where the identities put a
 * table at risk.
 */
export async function fullIdentityFailures(
  s: Session,
  publisher: ConnectionInfo,
  view: PublisherView | undefined,
  bindings: readonly Binding[],
  onReplica: readonly TableFacts[],
): Promise<CheckFailure[]> {
  if (!view) return [];
  const changing = new Set(
    bindings.filter((b) => b.rowChanges !== false).flatMap((b) => b.tables.map(tableId)),
  );
  const full = new Set(view.tableFacts.filter((t) => t.replicaIdentity === "f").map(tableId));
  const atRisk = onReplica.filter(
    (t) => full.has(tableId(t)) && changing.has(tableId(t)) && !t.hasPrimaryKey && !t.hasIdentityIndex,
  );
  if (atRisk.length === 0) return [];
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
