// When a subscription's stream is broken in a way PostgreSQL does not heal (a publication dropped
// or re-created under it, its slot dropped, the subscription itself dropped while the replica keeps
// the rows), the rows written meanwhile never arrive. The repair that loses nothing is a re-copy:
// empty the subscription's tables on the replica and subscribe again with a new slot, whose initial
// copy is consistent with the changes it streams. This module decides, from what check observed,
// whether a repair is due, why, and which tables it empties. Pure.

import type { Binding } from "../pg/binding";

/** A repair the next `up` makes, as the preview shows it. */
export interface PendingRepair {
  /** Why, one sentence each. */
  reasons: string[];
  /** The tables emptied on the replica and copied again, "schema.name". */
  tables: string[];
}

export interface Observed {
  /** The subscription's previous inputs (none for a new subscription). */
  previous?: { bindings?: Binding[]; publishedTables?: string[] };
  /**
   * The publications as they will be after this `up` (an absent oid: created or re-created), or
   * undefined when this host cannot see them all (then gaps in the stream cannot be judged).
   */
  bindings?: Binding[];
  /** The tables the subscription will receive. */
  publishedTables: string[];
  /** Whether the subscription exists on the replica now. */
  subscriptionExists: boolean;
  /** Whether its slot exists on the publisher (undefined: this host cannot tell). */
  slotExists?: boolean;
  slotName: string;
  /** Tables to be copied that already hold rows on the replica (only looked at when subscribing anew). */
  nonEmpty: string[];
  /** Tables SchemaSync re-creates (or re-creates a column of) on the replica, with why. */
  recopyRequests: { table: string; reason: string }[];
}

export function pendingRepair(o: Observed): PendingRepair | undefined {
  const reasons: string[] = [];
  const prev = o.previous;
  if (prev && o.subscriptionExists && o.bindings && prev.bindings) {
    // A table whose publishing catalog row does not continue (its publication dropped, re-created
    // or replaced; the table removed from it and added again) had a gap in the stream, unless
    // another publication kept carrying it.
    const before = new Map<string, Set<number>>();
    for (const b of prev.bindings)
      for (const [t, id] of Object.entries(b.members ?? {}))
        before.set(t, (before.get(t) ?? new Set()).add(id));
    const continues = (t: string) =>
      o.bindings!.some((b) => b.members?.[t] !== undefined && before.get(t)!.has(b.members[t]!));
    const wanted = new Set(o.publishedTables);
    const atRisk = (prev.publishedTables ?? []).filter(
      (t) => wanted.has(t) && before.has(t) && !continues(t),
    );
    if (atRisk.length > 0)
      reasons.push(
        `what publishes ${atRisk.join(", ")} is dropped, re-created or replaced in this update or was outside Pulumi (a publication, or the tables' membership in it), so the changes made in between are not in the stream`,
      );
  }
  if (prev && o.subscriptionExists) {
    if (o.slotExists === false)
      reasons.push(
        `replication slot ${JSON.stringify(o.slotName)} no longer exists on the publisher, so the changes since it was dropped are lost`,
      );
  }
  if (prev && !o.subscriptionExists)
    reasons.push(
      "the subscription was dropped outside Pulumi, and the changes made since never reached the replica",
    );
  if (!o.subscriptionExists && o.nonEmpty.length > 0)
    reasons.push(
      `${o.nonEmpty.join(", ")} already hold rows on the replica, which the initial copy would collide with (duplicate keys)`,
    );
  const requested = o.recopyRequests.filter((r) => o.publishedTables.includes(r.table));
  if (o.subscriptionExists) for (const r of requested) reasons.push(`${r.table}: ${r.reason}`);
  if (reasons.length === 0) return undefined;
  return { reasons, tables: [...o.publishedTables].sort() };
}
