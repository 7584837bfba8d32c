// What the Subscription learns from the publisher, as this host reaches it: which publications
// exist (with their oids and tables), whether its slot exists, what the replication role may do.
// The publisher may be reachable from the subscriber's server only, so every read here may come
// back undefined.

import { randomInt } from "node:crypto";
import { bytes } from "../kernel/units";
import { membersOf, upgradeBinding, type Binding } from "../pg/binding";
import type { ConnectionInfo } from "../pg/connection";
import { publicationBindings, readPublishedGenerated, type PublishedColumn } from "../pg/published";
import { readRoleFacts, type RoleFacts } from "../pg/roles";
import { reachOf } from "../pg/reach";
import { withSession, type Session } from "../pg/session";
import { readEncoding } from "../pg/settings";
import { readTableFacts, type TableFacts } from "../pg/tableFacts";
import { qualified } from "../pg/quote";
import { sortedTables, storedTableKey, tableId, type TableName } from "../pg/tables";
import {
  readColumnListConflicts,
  readRowEstimates,
  readPublisherLimits,
  readSlot,
  readSubscribedTables,
  type SlotFacts,
  type SubscribedTable,
  type PublisherLimits,
} from "./catalog";
import * as sql from "./sql";
import type { CreatedMark } from "./sql";
import { publicationNames, type SlotHealth, type SubscriptionInputs } from "./types";

export interface PublisherView {
  /** The named publications that exist, with oid and tables. */
  bindings: Binding[];
  missingPublications: string[];
  /** Every table they publish. */
  tables: TableName[];
  /** Whether the replication slot exists (undefined when no slot name was asked about). */
  slotExists?: boolean;
  /** That slot, when it exists. */
  slot?: SlotFacts;
  /** The role the subscription connects as, and what it may do with the published tables. */
  role: RoleFacts;
  tableFacts: TableFacts[];
  /**
   * Published tables the publisher's own subscriptions write into (it replicates them from
   * elsewhere), and whether those take only changes that originate on their publisher.
   */
  subscribedTables: SubscribedTable[];
  /** Tables two of the publications publish with different column lists (PostgreSQL refuses those). */
  columnConflicts: TableName[];
  /** Stored generated columns whose values they publish (PG18). */
  generated: PublishedColumn[];
  /** Replication slots and WAL senders the publisher allows and has taken; the role's statement_timeout. */
  limits: PublisherLimits;
  /** Leaf partitions ("schema.name") of the tables published through the root (sql.ts ROOT_PARTITIONS). */
  rootPartitions: string[];
  /** The publisher database's encoding (pg/settings.ts readEncoding). */
  encoding: string;
}

async function slotOf(s: Session, name: string): Promise<Pick<PublisherView, "slotExists" | "slot">> {
  const slot = await readSlot(s, name);
  return slot ? { slotExists: true, slot } : { slotExists: false };
}

/**
 * What the publisher says, as the host reaches it; undefined when the host cannot reach it. A read
 * a table lock stopped fails (what it would have found is unknown).
 */
export async function viewPublisher(
  publisher: ConnectionInfo,
  publications: string[],
  slot?: string,
): Promise<PublisherView | undefined> {
  const seen = await readPublisher(publisher, publications, slot);
  if (seen.blocked) throw seen.blocked;
  return seen.view;
}

/**
 * The publisher's view, or why there is none: it refused this program (wrong credentials, no such
 * database: the subscriber's server would be refused too), a table lock another session holds
 * there outlasted the read's bound (55P03: kernel/lockWaits.ts), or this program cannot reach it
 * (the subscriber's server may: a private network).
 */
export async function readPublisher(
  publisher: ConnectionInfo,
  publications: string[],
  slot?: string,
  declared: readonly TableName[] = [],
): Promise<{ view?: PublisherView; refused?: string; blocked?: Error; unreachable?: string }> {
  try {
    const view = await withSession(publisher, async (s) => {
      const bindings = await publicationBindings(s, publications);
      const found = new Set(bindings.map((b) => b.name));
      const tables = sortedTables(bindings.flatMap((b) => b.tables));
      const [
        slotView,
        role,
        tableFacts,
        subscribedTables,
        columnConflicts,
        generated,
        limits,
        rootPartitions,
        encoding,
      ] = await s.concurrently([
        () => (slot !== undefined ? slotOf(s, slot) : Promise.resolve({})),
        () => readRoleFacts(s),
        () => readTableFacts(s, tables),
        // With the tables of publications still to be made (a first preview): feeds of those too.
        () => readSubscribedTables(s, sortedTables([...tables, ...declared])),
        () => readColumnListConflicts(s, publications),
        () => readPublishedGenerated(s, publications),
        () => readPublisherLimits(s),
        () => readRootPartitions(s, publications),
        () => readEncoding(s),
      ]);
      return {
        bindings,
        missingPublications: publications.filter((p) => !found.has(p)),
        tables,
        ...slotView,
        role,
        tableFacts,
        subscribedTables,
        columnConflicts,
        generated,
        limits,
        rootPartitions,
        encoding,
      };
    });
    return { view };
  } catch (e) {
    if ((e as { code?: string }).code === "55P03") return { blocked: e as Error };
    const message = (e as Error).message;
    return reachOf(e) === "refused" ? { refused: message } : { unreachable: message };
  }
}

/**
 * Each publication of the subscription as it will be after this `up` — from the Publication
 * resource given (its check computed it), else as the publisher has it now — or undefined when
 * not all are known.
 */
/** The Publications given as wired outputs (not names); one from before this version in today's form. */
export function givenBindings(inputs: Pick<SubscriptionInputs, "publications">): Binding[] {
  return inputs.publications.filter((p): p is Binding => typeof p !== "string").map(upgradeBinding);
}

export function bindingsOf(
  inputs: SubscriptionInputs,
  view: PublisherView | undefined,
): Binding[] | undefined {
  const bound = new Map(givenBindings(inputs).map((b) => [b.name, b]));
  const result: Binding[] = [];
  for (const name of publicationNames(inputs.publications)) {
    const b = bound.get(name) ?? view?.bindings.find((v) => v.name === name);
    if (!b) return undefined;
    result.push(b);
  }
  return result;
}

/**
 * The mark of a subscription created now (sql.ts's CreatedMark): what it is bound to, the ids of
 * the catalog rows publishing its tables as `view` read them; nothing when this host could not.
 */
export function boundMark(view: PublisherView | undefined): CreatedMark {
  if (!view) return {};
  return {
    bound: [...new Set(view.bindings.flatMap((b) => membersOf(b).map((m) => m.id)))].sort((a, b) => a - b),
  };
}

/**
 * What an existing subscription's slot puts at risk, one sentence each: past
 * max_slot_wal_keep_size (the next checkpoint invalidates it: a re-copy), or held by a subscription
 * the program keeps disabled (its WAL grows on the publisher with every write there).
 */
export function slotWarnings(slot: string, facts: SlotFacts, keptDisabled: boolean): string[] {
  const out: string[] = [];
  if (facts.unreserved)
    out.push(
      `replication slot ${JSON.stringify(slot)} has fallen more than max_slot_wal_keep_size behind on the publisher (wal_status "unreserved"): unless the subscriber catches up first, the publisher's next checkpoint invalidates it — the changes it has not sent would be lost, and the next up would copy every table again.`,
    );
  if (keptDisabled && !facts.active && !facts.invalidated)
    out.push(
      `the subscription is disabled, and its replication slot ${JSON.stringify(slot)} holds ${bytes(facts.retainedBytes)} of WAL on the publisher, more with every write there until it is enabled again or dropped: PostgreSQL removes no WAL a slot still needs, so the publisher's disk fills (unless max_slot_wal_keep_size bounds it — by invalidating the slot, which costs a re-copy).`,
    );
  return out;
}

/** The replication slot's health on the publisher, when the host can reach it (none for no slot: a detached subscription). */
export async function slotHealth(
  publisher: ConnectionInfo,
  slot: string | null | undefined,
): Promise<SlotHealth | undefined> {
  if (!slot) return undefined;
  try {
    const facts = await withSession(publisher, (p) => readSlot(p, slot));
    return facts
      ? { name: slot, active: facts.active, retainedBytes: facts.retainedBytes, lagBytes: facts.lagBytes }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * After a refresh that added tables for PostgreSQL's copy: wakes the subscription's idle apply
 * worker, which otherwise starts their table synchronisation only when its next one-second wait for
 * the publisher ends (sql.WAKE_APPLY_WORKER). Best effort: a publisher out of reach or a refusal
 * costs that second, nothing else.
 */
export async function wakeApplyWorker(publisher: ConnectionInfo): Promise<void> {
  await withSession(publisher, (p) => p.query(sql.WAKE_APPLY_WORKER)).catch(() => undefined);
}

/** The publisher's row estimate (reltuples) of each table (tableId), or nothing when it cannot be read from here. */
export async function estimateRows(
  publisher: ConnectionInfo,
  tables: readonly TableName[],
): Promise<Map<string, number>> {
  try {
    const rows = await withSession(publisher, (p) => readRowEstimates(p, tables));
    return new Map(rows.map((r) => [tableId(r), r.rows]));
  } catch {
    return new Map();
  }
}

/**
 * Whether `publisher` is the cluster `s` runs on (another database of it, or the same one): a lock
 * `s` holds under random keys is seen there. False when the publisher cannot be read from here.
 */
export async function onSameCluster(s: Session, publisher: ConnectionInfo): Promise<boolean> {
  const keys = [randomInt(2 ** 31), randomInt(2 ** 31)];
  const [taken] = await s.query<{ pid: number }>(sql.TAKE_TOKEN, keys);
  try {
    const [seen] = await withSession(publisher, (p) =>
      p.query<{ same: boolean }>(sql.SEES_TOKEN, [...keys, taken!.pid]),
    );
    return seen?.same === true;
  } catch {
    return false;
  } finally {
    await s.query(sql.DROP_TOKEN, keys);
  }
}

/** Drops `slot` on the publisher if it exists and nothing streams from it; the rows of those dropped. */
export function dropIdleSlot(publisher: ConnectionInfo, slot: string): Promise<unknown[]> {
  return withSession(publisher, (p) => p.query(sql.dropReplicationSlotQuery(), [slot]));
}

/** The leaf partitions of the tables `publications` publish through the root, as "schema.name". */
async function readRootPartitions(s: Session, publications: readonly string[]): Promise<string[]> {
  const rows = await s.query<TableName>(sql.ROOT_PARTITIONS, [publications]);
  return rows.map(storedTableKey).sort();
}

/**
 * Of `partitions` (attached under a root published through it since the last write), those whose
 * first pages hold rows no newer than the attach (sql.ts OLDER_THAN_ATTACH), and those that could
 * not be read.
 */
export async function attachedWithRows(
  publisher: ConnectionInfo,
  partitions: readonly TableName[],
): Promise<{ found: TableName[]; unread: TableName[] }> {
  const found: TableName[] = [];
  const unread: TableName[] = [];
  await withSession(publisher, async (p) => {
    for (const t of partitions) {
      const rows = await p
        .query<{ older: boolean }>(sql.olderThanAttach(t), [qualified(t.schema, t.name)])
        .catch(() => undefined);
      if (!rows) unread.push(t);
      else if (rows[0]?.older) found.push(t);
    }
  }).catch(() => unread.push(...partitions.filter((t) => !found.includes(t) && !unread.includes(t))));
  return { found, unread };
}
