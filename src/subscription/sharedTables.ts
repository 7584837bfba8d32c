// Tables this subscription shares with other writers of the replica: other subscriptions filling
// the same table (fan-in: shards consolidated), and the publisher's own subscriptions feeding what
// it publishes (a cascade, two-way replication, a mesh). What would go wrong there without a word
// is refused at preview: a cascade's changes skipped by `origin: "none"`, one source's TRUNCATE
// emptying the others' rows, keys two sources share stopping the initial copy (or rows of a table
// without a key copied twice), a second subscription of a table from the same publisher. A
// TRUNCATE the replica would refuse (a table of its own references the table) is warned of.

import type { CheckFailure } from "../kernel/check";
import * as log from "../kernel/log";
import { number } from "../kernel/units";
import type { Binding } from "../pg/binding";
import type { ConnectionInfo } from "../pg/connection";
import type { TableStakes } from "../pg/emptying";
import { feedersFrom } from "../pg/feeders";
import type { Session } from "../pg/session";
import { tableId, tableKey, type TableName } from "../pg/tables";
import type { SubscribedTable } from "./catalog";
import type { Ends } from "./fields";
import { KEY_CHECK_MAX, readKeyOverlaps } from "./keyOverlap";
import { label, publicationNames, type SubscriptionInputs } from "./types";

/**
 * `origin: "none"` takes only the changes made on the publisher itself. The rows the publisher's
 * own subscriptions write there carry their origin and are skipped: right in two-way replication
 * (they came from this replica) and in a mesh (the replica subscribes to their source as well),
 * wrong in a cascade — the initial copy takes those rows, their later changes never come, and the
 * replica falls behind its publisher without a word. A feed whose publications the replica neither
 * publishes nor subscribes to (by name: where a subscription connects is readable by superusers
 * only) cannot be either: refused.
 */
export function unreachedFailures(
  subscribed: readonly SubscribedTable[],
  stakes: readonly TableStakes[],
): CheckFailure[] {
  const byId = new Map(stakes.map((t) => [tableId(t), t]));
  const unreached = new Map<string, TableName[]>();
  for (const t of subscribed) {
    // A table the replica lacks yet (SchemaSync makes it in this `up`) has no stake at all.
    const stake = byId.get(tableId(t));
    const known = new Set([...(stake?.publishedBy ?? []), ...(stake?.fedFrom ?? [])]);
    for (const feed of t.feeds)
      if (!feed.publications.some((p) => known.has(p)))
        unreached.set(feed.subscription, [...(unreached.get(feed.subscription) ?? []), t]);
  }
  return [...unreached].map(([subscription, tables]) => {
    const list = tables.map(tableKey).join(", ");
    const plural = tables.length > 1;
    return {
      property: "origin",
      reason: `${list} ${plural ? "are" : "is"} written on the publisher by its subscription ${JSON.stringify(subscription)}, which takes ${plural ? "them" : "it"} from another server (this replica neither publishes ${plural ? "them" : "it"} nor subscribes to its publications): with \`origin: "none"\` every change arriving that way would be skipped — the initial copy takes those rows, their later changes would never reach the replica, which would fall behind its publisher without a word. Set \`origin: "any"\` (a cascade), or subscribe the replica to that server's publication too (a mesh).`,
    };
  });
}

/**
 * Fan-in: a TRUNCATE this subscription applies empties the replica's table whole, the rows other
 * subscriptions write into it too — rows no publisher of this one can restore, whose later updates
 * and deletes then find nothing. Refused while a publication publishing such a table publishes
 * TRUNCATE. Not in two-way replication or a mesh, where the publisher takes the table back from
 * the replica (its own subscription subscribes to a publication the replica publishes it under):
 * every node takes the same TRUNCATE. A table consolidated from shards and published onward is
 * guarded like any other. `subscribed`: the publisher's feeds (PublisherView); without them (the
 * publisher out of reach), a table the replica publishes is taken for two-way.
 */
export function truncateFailures(
  bindings: readonly Binding[],
  stakes: readonly TableStakes[],
  subscribed?: readonly SubscribedTable[],
): CheckFailure[] {
  const feeds = new Map((subscribed ?? []).map((t) => [tableId(t), t.feeds]));
  const takesBack = (t: TableStakes) =>
    subscribed
      ? (feeds.get(tableId(t)) ?? []).some((f) => f.publications.some((p) => t.publishedBy.includes(p)))
      : t.publishedBy.length > 0;
  const shared = new Map(
    stakes.filter((t) => t.fedBy.length > 0 && !takesBack(t)).map((t) => [tableId(t), t]),
  );
  if (shared.size === 0) return [];
  const failures: CheckFailure[] = [];
  for (const b of bindings) {
    if (b.truncate === false) continue;
    const hit = b.tables.filter((t) => shared.has(tableId(t))).map((t) => shared.get(tableId(t))!);
    if (hit.length === 0) continue;
    const feeders = [...new Set(hit.flatMap((t) => t.fedBy))].map((f) => JSON.stringify(f)).join(", ");
    const plural = hit.length > 1;
    failures.push({
      property: "publications",
      reason: `publication ${JSON.stringify(b.name)} publishes TRUNCATE of ${hit.map(tableKey).join(", ")}, which subscription(s) ${feeders} also fill on the replica: a TRUNCATE on this publisher would empty ${plural ? "them" : "it"} there, the other subscriptions' rows with ${plural ? "them" : "it"} — rows this publisher cannot restore, whose later updates and deletes would find nothing. Publish without it: \`publish: ["insert", "update", "delete"]\` on that Publication (and on every other source filling ${plural ? "these tables" : "this table"}).`,
    });
  }
  return failures;
}

/**
 * Tables another subscription of the replica already takes from this same publisher (its slot is
 * there, pg/feeders.ts): a second subscription would apply every change to them twice — inserts
 * colliding (the stream stops), deletes finding their row gone — and its copy would add the rows
 * again. Refused: one table, one subscription per publisher. `same`: the feeding subscriptions
 * streaming from this publisher.
 */
export function sameSourceFailures(
  stakes: readonly TableStakes[],
  same: ReadonlySet<string>,
): CheckFailure[] {
  const bySub = new Map<string, TableName[]>();
  for (const t of stakes)
    for (const sub of t.fedBy.filter((f) => same.has(f))) bySub.set(sub, [...(bySub.get(sub) ?? []), t]);
  return [...bySub].map(([sub, tables]) => {
    const plural = tables.length > 1;
    return {
      property: "publications",
      reason: `${tables.map(tableKey).join(", ")} ${plural ? "are" : "is"} already replicated into the replica from this same publisher by subscription ${JSON.stringify(sub)} (its slot is there): a second subscription would apply every change to ${plural ? "them" : "it"} twice — inserts colliding with the first's rows (the stream stops), deletes finding the row gone — and its copy would add the rows again. Replicate each table from one subscription only: leave ${plural ? "them" : "it"} out of this one's publications, or move ${plural ? "them" : "it"} into the other's.`,
    };
  });
}

/**
 * The other subscriptions filling these tables that stream from this same `publisher`, refused
 * (sameSourceFailures), and the tables they fill (their keys are this publisher's own: no fan-in
 * key check). Read only where another subscription fills a table; `replaced`: the name of the
 * subscription this one replaces, not counted.
 */
export async function sameSource(
  s: Session,
  publisher: ConnectionInfo,
  stakes: readonly TableStakes[],
  replaced: string | undefined,
): Promise<{ failures: CheckFailure[]; tables: Set<string> }> {
  const others = [...new Set(stakes.flatMap((t) => t.fedBy))].filter((f) => f !== replaced);
  const same = others.length > 0 ? await feedersFrom(s, publisher, others) : new Set<string>();
  return {
    failures: sameSourceFailures(stakes, same),
    tables: new Set(stakes.filter((t) => t.fedBy.some((f) => same.has(f))).map(tableId)),
  };
}

/** Warns of truncateBlocked's tables, with the fixes. */
export function warnTruncateBlocked(
  name: string,
  bindings: readonly Binding[],
  stakes: readonly TableStakes[],
  published: readonly TableName[],
): void {
  const blocked = truncateBlocked(bindings, stakes, published);
  if (blocked.length > 0)
    log.warn(
      `${label(name)}: ${blocked.join(", ")}: a table of the replica's own has a foreign key to it, and its publication publishes TRUNCATE, which the replica applies without CASCADE — so a TRUNCATE of it on the primary would stop the whole stream (every table of this subscription), retried until that constraint is dropped. Publish without it (\`publish: ["insert", "update", "delete"]\`), copy the referencing table too, or drop the constraint.`,
    );
}

/**
 * A replica table of its own (not filled by this subscription) with a foreign key to a table a
 * publication of this one publishes TRUNCATE of: PostgreSQL applies a replicated TRUNCATE without
 * CASCADE and refuses to empty a table others reference, so the first TRUNCATE on the primary
 * stops the whole stream (every table of the subscription), retried without end. One warning line
 * per table ("x (referenced by y, z)"); none when every referencing table is copied with it.
 */
export function truncateBlocked(
  bindings: readonly Binding[],
  stakes: readonly TableStakes[],
  published: readonly TableName[],
): string[] {
  const ours = new Set(published.map(tableId));
  const truncated = new Set(
    bindings.filter((b) => b.truncate !== false).flatMap((b) => b.tables.map(tableId)),
  );
  return stakes.flatMap((t) => {
    if (!truncated.has(tableId(t))) return [];
    const others = (t.referencedBy ?? []).filter((r) => !ours.has(tableId(r)));
    return others.length > 0 ? [`${tableKey(t)} (referenced by ${others.map(tableKey).join(", ")})`] : [];
  });
}

/**
 * Fan-in: replica rows whose unique key the publisher's rows have too would stop PostgreSQL's copy
 * of that table on a duplicate key, retried without end; in a table without one, rows equal to the
 * publisher's would be there twice (keyOverlap.ts). Refused at preview.
 */
export async function overlapFailures(
  inputs: SubscriptionInputs,
  ends: Ends,
  fanIn: readonly TableName[],
): Promise<CheckFailure[]> {
  const read = await readKeyOverlaps(
    ends.connection,
    ends.publisher,
    publicationNames(inputs.publications),
    fanIn,
  );
  if (read.partly.length > 0)
    log.warn(
      `${label(inputs.name)}: ${read.partly.map(tableKey).join(", ")}: only the first ${KEY_CHECK_MAX} key values (or rows, in a table without a unique key) of the replica were looked up on the publisher; a duplicate beyond them would stop that table's copy, or be there twice.`,
    );
  for (const u of read.unchecked)
    log.warn(
      `${label(inputs.name)}: the rows of ${tableKey(u)} could not be looked up on the publisher (${u.reason}); a duplicate key would stop that table's copy, a row equal to one already there would be there twice.`,
    );
  const doubled = read.rowOverlaps.map((o) => ({
    property: "copyData",
    reason: `${tableKey(o)} has no unique key, and ${number(o.shared)} of the publisher's rows the copy would send are equal (${o.columns.join(", ")}) to rows the replica already holds: PostgreSQL's copy would add them beside those, each then there twice, without an error. If these are rows an earlier subscription from this publisher left (its stack destroyed, then deployed again), delete them on the replica first; if other sources hold the same rows (a table every shard has), subscribe to it from one source only; or set \`copyData: false\` (the publisher's existing rows are then not copied).`,
  }));
  const taken = read.overlaps.map((o) => ({
    property: "copyData",
    reason: `${tableKey(o)} holds ${number(o.shared)} row(s) on the replica whose key (${o.columns.join(", ")}: ${o.index}) the publisher's rows have too, e.g. ${o.sample.join(", ")}: PostgreSQL's copy of the publisher's rows would stop on the first duplicate key and retry without end, holding a table-sync slot (WAL) on the publisher. Rows other subscriptions write into a table must not share its keys with this publisher's: if these are rows an earlier subscription from this publisher left (its stack destroyed, then deployed again), delete them on the replica first; if the sources' keys overlap, make the key include a column that tells them apart; or set \`copyData: false\` (the publisher's existing rows are then not copied).`,
  }));
  return [...taken, ...doubled];
}
