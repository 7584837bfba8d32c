// When a subscription's stream is broken in a way PostgreSQL does not heal (a publication dropped
// or re-created under it, its slot dropped, the subscription itself dropped while the replica keeps
// the rows), the rows written meanwhile never arrive. The repair that loses nothing is a re-copy:
// empty the subscription's tables on the replica and subscribe again with a new slot, whose initial
// copy is consistent with the changes it streams. This module decides, from what check observed,
// whether a repair is due, why, and which tables it empties — or why it must not: a table whose
// rows do not all come from this subscription (the replica publishes it, another subscription
// writes into it, or it held rows before this subscription existed) is never emptied. Pure.

import { membersOf, type Binding } from "../pg/binding";
import { byFeeding, emptyingRefusals, type TableStakes } from "../pg/emptying";
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
  /**
   * It exists, created by an `up` that did not finish (interrupted, or its copy outlasted the
   * wait) after the previous inputs were recorded: a re-copy or a replacement. What broke the old
   * stream is repaired by it.
   */
  recreated?: boolean;
  /**
   * For a `recreated` one whose mark says what that `up` bound it to: those member ids (any
   * publication's; sql.ts's CreatedMark) and the tables the subscription knows. A table whose
   * members now are none of them had a gap since.
   */
  bound?: { ids: number[]; tables: TableName[] };
  /** Whether its slot exists on the publisher (undefined: this host cannot tell). */
  slotExists?: boolean;
  /** Why PostgreSQL invalidated that slot, when it did (catalog.ts SlotFacts.invalidated). */
  slotInvalidated?: string;
  slotName: string;
  /**
   * Tables this `up` copies (all of them for a new subscription, the newly published ones for an
   * existing one) that already hold rows on the replica.
   */
  nonEmpty: TableName[];
  /** Tables SchemaSync re-creates (or re-creates a column of) on the replica, with why. */
  recopyRequests: (TableName & { reason: string })[];
  /** The program's `recopy` token, when no `up` has served it yet. */
  asked?: string;
  /** Who else has a stake in the tables' rows on the replica (see pg/emptying.ts). */
  stakes: TableStakes[];
  /** The subscription's name (its own stake does not count). */
  name: string;
  /**
   * Partitions attached under a root its publications publish through the root since the last
   * write, holding rows from before the attach: the stream never carried them as the root's.
   */
  attachedRows?: TableName[];
  /** It exists, marked by a snapshot copy that did not finish (the program stopped mid-copy). */
  unfinishedCopy?: boolean;
  /**
   * That copy can be finished rather than redone (its subscription disabled, its slot never read
   * from): the tables it finished, and those holding part of their rows (page ranges).
   */
  resumable?: { kept: TableName[]; partial: TableName[] };
}

/** What the next `up` does about a broken stream: repair it, or nothing; or why it may not. */
export interface RepairDecision {
  repair?: PendingRepair;
  /** Why `up` must not go on (nothing is emptied): the reason, the tables, the choices. */
  refusal?: { property: string; reason: string };
}

const list = (tables: readonly TableName[]) => tables.map(tableKey).join(", ");

/**
 * The decision: a new subscription meeting rows on the replica is refused (they did not come from
 * it), unless another subscription writes them (fan-in: copied in beside them, never emptied); a
 * repair that would empty a table others have a stake in is refused; else the repair, if any.
 */
export function decideRepair(o: Observed): RepairDecision {
  // Rows this subscription copied before it was dropped by hand are repaired (below); any others
  // did not come from it.
  const droppedByHand = o.previous !== undefined && !o.subscriptionExists;
  const foreign = byFeeding(o.nonEmpty, o.stakes).unfed;
  if (foreign.length > 0 && !droppedByHand)
    return {
      refusal: {
        property: "copyData",
        reason: `${list(foreign)} already hold rows on the replica that did not come from this subscription, which has yet to copy them (the replica's own rows, another node's in two-way replication, or a copy from elsewhere): its initial copy would collide with them, and emptying them could lose rows no primary has. If they already equal the primary's (the second direction of two-way replication, a replica seeded from a dump) and nothing was written since, set \`copyData: false\`; if they are a copy that may be discarded, empty them by hand (TRUNCATE) and run up again.`,
      },
    };
  const repair = pendingRepair(o);
  if (!repair) return {};
  const wanted = new Set(repair.tables.map(tableId));
  const refusals = emptyingRefusals(
    o.stakes.filter((t) => wanted.has(tableId(t))),
    wanted,
    o.name,
  );
  if (refusals.length > 0)
    return {
      refusal: {
        property: "repair",
        reason: `the replication stream is broken (${repair.reasons.join("; ")}), and the repair that loses nothing here would empty ${list(repair.tables)} on the replica and copy them again, which is refused: ${refusals.join("; ")}. Repair by hand: see the README's "Two-way replication and cascades".`,
      },
    };
  return { repair };
}

/** The ids of the catalog rows publishing each table (tableId), across `bindings`. */
function idsByTable(bindings: readonly Binding[]): Map<string, Set<number>> {
  const ids = new Map<string, Set<number>>();
  for (const b of bindings)
    for (const m of membersOf(b)) {
      const key = tableId(m);
      (ids.get(key) ?? ids.set(key, new Set()).get(key)!).add(m.id);
    }
  return ids;
}

/**
 * What the stream was bound to, per table (tableId → member ids), and the tables it carried: the
 * recorded inputs', or for a subscription an unfinished `up` created (they predate it), its mark's.
 */
function boundBefore(o: Observed): { ids: Map<string, Set<number>>; tables: TableName[] } | undefined {
  if (o.recreated) {
    if (!o.bound) return undefined;
    const ids = new Set(o.bound.ids);
    return { ids: new Map(o.bound.tables.map((t) => [tableId(t), ids])), tables: o.bound.tables };
  }
  if (!o.previous?.bindings) return undefined;
  return { ids: idsByTable(o.previous.bindings), tables: o.previous.publishedTables ?? [] };
}

export function pendingRepair(o: Observed): PendingRepair | undefined {
  const reasons: string[] = [];
  const prev = o.recreated ? undefined : o.previous;
  const before = o.subscriptionExists && o.bindings ? boundBefore(o) : undefined;
  if (before && o.bindings) {
    // A table whose publishing catalog row does not continue (its publication dropped, re-created
    // or replaced; the table removed from it and added again) had a gap in the stream, unless
    // another publication kept carrying it.
    const now = idsByTable(o.bindings);
    const continues = (t: TableName) => {
      const key = tableId(t);
      return [...(now.get(key) ?? [])].some((id) => before.ids.get(key)!.has(id));
    };
    const wanted = new Set(o.publishedTables.map(tableId));
    const atRisk = before.tables.filter(
      (t) => wanted.has(tableId(t)) && before.ids.has(tableId(t)) && !continues(t),
    );
    if (atRisk.length > 0)
      reasons.push(
        `what publishes ${list(atRisk)} is dropped, re-created or replaced in this update or was outside Pulumi (a publication, or the tables' membership in it), so the changes made in between are not in the stream`,
      );
  }
  if (o.previous && o.subscriptionExists && o.slotExists === false)
    reasons.push(
      `replication slot ${JSON.stringify(o.slotName)} no longer exists on the publisher, so the changes since it was dropped are lost`,
    );
  if (o.previous && o.subscriptionExists && o.slotExists !== false && o.slotInvalidated)
    reasons.push(slotInvalidatedReason(o.slotName, o.slotInvalidated));
  const unfinished =
    "the snapshot copy an earlier `up` started did not finish (the program stopped mid-copy): the subscription is disabled, its slot holds WAL on the publisher, and its tables hold part of the rows";
  if (o.subscriptionExists && o.unfinishedCopy) reasons.push(unfinished);
  if (prev && !o.subscriptionExists)
    reasons.push(
      "the subscription was dropped outside Pulumi, and the changes made since never reached the replica",
    );
  if (o.subscriptionExists && (o.attachedRows?.length ?? 0) > 0)
    reasons.push(
      `${list(o.attachedRows!)} ${o.attachedRows!.length > 1 ? "were" : "was"} attached as a partition on the publisher holding rows written before the attach, which the stream (through the partition root) never carried`,
    );
  // A new subscription's copy adds its rows beside those other subscriptions write (fan-in).
  const colliding = prev ? o.nonEmpty : byFeeding(o.nonEmpty, o.stakes).unfed;
  if (!o.subscriptionExists && colliding.length > 0)
    reasons.push(
      `${list(colliding)} already hold rows on the replica, which the initial copy would collide with (duplicate keys)`,
    );
  const published = new Set(o.publishedTables.map(tableId));
  // A re-created subscription copied everything after the requests were made.
  if (o.subscriptionExists && !o.recreated)
    for (const r of o.recopyRequests.filter((x) => published.has(tableId(x))))
      reasons.push(`${tableKey(r)}: ${r.reason}`);
  if (o.subscriptionExists && !o.recreated && o.asked !== undefined)
    reasons.push(`the program asks for its tables to be copied again (recopy: ${JSON.stringify(o.asked)})`);
  if (reasons.length === 0) return undefined;
  // Nothing else broke the stream: finish the copy.
  if (o.resumable && reasons.length === 1 && reasons[0] === unfinished) {
    const { kept, partial } = o.resumable;
    const rest = o.publishedTables.length - kept.length;
    return {
      reasons: [
        `${unfinished}; up keeps the ${kept.length} table(s) it finished (their rows are those of the slot's start) and lets PostgreSQL's table synchronisation copy the other ${rest}${partial.length > 0 ? `, emptying ${list(partial)} first (copied in part)` : ""}`,
      ],
      tables: sortedTables(partial),
      resume: { kept: sortedTables(kept) },
    };
  }
  return { reasons, tables: sortedTables(o.publishedTables) };
}

/**
 * A slot PostgreSQL invalidated streams nothing again: the changes it had not sent yet are gone
 * with the WAL, and the apply worker fails on it without end (`can no longer get changes`).
 */
export function slotInvalidatedReason(slot: string, reason: string): string {
  const why: Record<string, string> = {
    wal_removed:
      "the WAL it still needed was removed: it fell more than max_slot_wal_keep_size behind, the subscriber down, disabled or too slow",
    idle_timeout: "it stayed unused longer than idle_replication_slot_timeout",
    wal_level_insufficient: "wal_level was lowered below logical on the publisher",
    rows_removed: "rows it still needed were vacuumed away",
  };
  return `replication slot ${JSON.stringify(slot)} was invalidated by the publisher (${why[reason] ?? reason}), so the changes it had not sent are lost and it streams nothing again`;
}
