// When a subscription's stream is broken in a way PostgreSQL does not heal (a publication dropped
// or re-created under it, its slot dropped, the subscription itself dropped while the replica keeps
// the rows), the rows written meanwhile never arrive. The repair that loses nothing is a re-copy:
// empty the subscription's tables on the replica and subscribe again with a new slot, whose initial
// copy is consistent with the changes it streams. This module decides, from what check observed,
// whether a repair is due, why, and which tables it empties. Pure.

import type { Binding } from "../pg/binding";
import { sortedTables, tableId, tableKey, type TableName } from "../pg/tables";
import type { PendingRepair } from "./types";

export interface Observed {
  /** The subscription's previous inputs (none for a new subscription). */
  previous?: { bindings?: Binding[]; publishedTables?: TableName[] };
  /**
   * The publications as they will be after this `up` (an absent oid: created or re-created), or
   * undefined when this host cannot see them all (then gaps in the stream cannot be judged).
   */
  bindings?: Binding[];
  /** The tables the subscription will receive. */
  publishedTables: TableName[];
  /** Whether the subscription exists on the replica now. */
  subscriptionExists: boolean;
  /** Whether its slot exists on the publisher (undefined: this host cannot tell). */
  slotExists?: boolean;
  slotName: string;
  /** Tables to be copied that already hold rows on the replica (only looked at when subscribing anew). */
  nonEmpty: TableName[];
  /** Tables SchemaSync re-creates (or re-creates a column of) on the replica, with why. */
  recopyRequests: (TableName & { reason: string })[];
}

const list = (tables: readonly TableName[]) => tables.map(tableKey).join(", ");

export function pendingRepair(o: Observed): PendingRepair | undefined {
  const reasons: string[] = [];
  const prev = o.previous;
  if (prev && o.subscriptionExists && o.bindings && prev.bindings) {
    // A table whose publishing catalog row does not continue (its publication dropped, re-created
    // or replaced; the table removed from it and added again) had a gap in the stream, unless
    // another publication kept carrying it.
    const before = new Map<string, Set<number>>();
    for (const b of prev.bindings)
      for (const m of b.members ?? [])
        before.set(tableId(m), (before.get(tableId(m)) ?? new Set()).add(m.id));
    const continues = (t: TableName) =>
      o.bindings!.some((b) =>
        (b.members ?? []).some((m) => tableId(m) === tableId(t) && before.get(tableId(t))!.has(m.id)),
      );
    const wanted = new Set(o.publishedTables.map(tableId));
    const atRisk = (prev.publishedTables ?? []).filter(
      (t) => wanted.has(tableId(t)) && before.has(tableId(t)) && !continues(t),
    );
    if (atRisk.length > 0)
      reasons.push(
        `what publishes ${list(atRisk)} is dropped, re-created or replaced in this update or was outside Pulumi (a publication, or the tables' membership in it), so the changes made in between are not in the stream`,
      );
  }
  if (prev && o.subscriptionExists && o.slotExists === false)
    reasons.push(
      `replication slot ${JSON.stringify(o.slotName)} no longer exists on the publisher, so the changes since it was dropped are lost`,
    );
  if (prev && !o.subscriptionExists)
    reasons.push(
      "the subscription was dropped outside Pulumi, and the changes made since never reached the replica",
    );
  if (!o.subscriptionExists && o.nonEmpty.length > 0)
    reasons.push(
      `${list(o.nonEmpty)} already hold rows on the replica, which the initial copy would collide with (duplicate keys)`,
    );
  const published = new Set(o.publishedTables.map(tableId));
  if (o.subscriptionExists)
    for (const r of o.recopyRequests.filter((x) => published.has(tableId(x))))
      reasons.push(`${tableKey(r)}: ${r.reason}`);
  if (reasons.length === 0) return undefined;
  return { reasons, tables: sortedTables(o.publishedTables) };
}
