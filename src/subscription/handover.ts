// The handover between the snapshot copy and PostgreSQL's own. A subscription created with
// copy_data = false knows every published table as ready: PostgreSQL never copies them. To let
// PostgreSQL copy some tables (`copyMethod: "auto"`'s big ones, or the tables an interrupted
// snapshot copy did not finish) in the same subscription, it is created through a publication on
// the publisher that lists only the tables this program copied (the handover publication, dropped
// again right after), then pointed at the user's publications without a refresh; once enabled, a
// refresh with copy_data adds the other tables in state 'i', and PostgreSQL's table
// synchronisation copies each under a snapshot of its own. Until then the stream skips their
// changes (PostgreSQL applies changes only to tables it knows), which that later copy contains.
//
// The handover publication is never streamed from; it needs CREATE on the publisher's database and
// ownership of the listed tables (membership in their owner), which `auto` checks before it plans one.

import { operationError } from "../kernel/errors";
import * as log from "../kernel/log";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { truncateTables } from "../pg/emptying";
import { withLock } from "../pg/lock";
import { withSession, type Session } from "../pg/session";
import { readTableFacts } from "../pg/tableFacts";
import { tableKey, type TableName } from "../pg/tables";
import { readSubscription } from "./catalog";
import { restoreKeys } from "./lateKeys";
import type { LateKey } from "./snapshotCatalog";
import { dropSafely } from "./drop";
import { emptyTables } from "./empty";
import type { Ends } from "./fields";
import { createOptions } from "./options";
import { createConnection, createPreflight } from "./preflight";
import { dropIdleSlot, viewPublisher, wakeApplyWorker, type PublisherView } from "./publisher";
import { waitOptions } from "./reconcile";
import * as sql from "./sql";
import { handoverName, label, publicationNames, type PendingRepair, type SubscriptionInputs } from "./types";
import { waitForSync } from "./wait";

async function openHandover(publisher: ConnectionInfo, name: string, tables: readonly TableName[]) {
  await withSession(publisher, async (p) => {
    const [found] = await p.query<{ ours: boolean }>(sql.HANDOVER_QUERY, [name, sql.HANDOVER_MARK]);
    if (found && !found.ours)
      throw new Error(
        `publication ${JSON.stringify(name)} exists on ${endpoint(publisher)} and is not this program's: the snapshot copy hands its tables to the subscription through a publication of that name. Rename that publication, or set \`slotName\` to another name.`,
      );
    // One an interrupted run left behind.
    if (found) await p.exec(sql.dropHandover(name));
    await p.transaction(() =>
      p.concurrently(sql.createHandover(name, tables).map((statement) => () => p.exec(statement))),
    );
  });
}

/**
 * CREATE SUBSCRIPTION on `slot` (made beforehand, where the copied rows' snapshot starts),
 * disabled, without a copy, marked unfinished (`mark`: the tables copied in page ranges, their keys).
 * It knows every published table, or only `copied` when given (through the handover publication):
 * the others are then PostgreSQL's to copy when the stream starts (startStream).
 */
export async function createOnSlot(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  view: PublisherView | undefined,
  slot: string,
  copied: readonly TableName[] | undefined,
  mark: sql.CopyMark,
): Promise<void> {
  const publications = publicationNames(inputs.publications);
  const handover = copied ? handoverName(slot) : undefined;
  if (handover) await openHandover(ends.publisher, handover, copied!);
  try {
    await withLock(s, "create subscription", async () => {
      // PostgreSQL copies nothing now (copy_data = false): no table-sync worker is needed yet.
      await createPreflight(s, { ...inputs, copyData: false }, ends, view);
      const create = sql.createSubscription(
        inputs.name,
        createConnection(inputs, ends.publisher, view),
        handover ? [handover] : publications,
        {
          ...createOptions(inputs),
          create_slot: false,
          slot_name: slot,
          copy_data: false,
          enabled: false,
        },
      );
      await s.transaction(() =>
        s.concurrently([() => s.exec(create), () => s.exec(sql.markUnfinishedCopy(inputs.name, mark))]),
      );
    });
  } catch (e) {
    if (handover) await dropHandoverAt(ends.publisher, handover);
    throw e;
  }
  if (!handover) return;
  // Pointed at the user's publications while the handover goes (it is never streamed from).
  await s.concurrently([
    () => s.exec(sql.alterSubscriptionSetPublication(inputs.name, publications, false)),
    () => dropHandoverAt(ends.publisher, handover),
  ]);
}

function dropHandoverAt(publisher: ConnectionInfo, name: string): Promise<void> {
  return withSession(publisher, (p) => p.exec(sql.dropHandover(name)));
}

/**
 * Starts the stream of a subscription createOnSlot made: enabled (unless `enabled: false`), and
 * when it was handed only some tables, the others added for PostgreSQL's copy; the snapshot copy's
 * mark replaced last by the one any subscription an unfinished write created bears (sql.ts).
 */
export async function startStream(
  s: Session,
  inputs: SubscriptionInputs,
  handedOver: boolean,
  mark: sql.CreatedMark,
  publisher: ConnectionInfo,
): Promise<void> {
  if (!handedOver) {
    await s.transaction(() =>
      s.concurrently([
        () =>
          inputs.enabled !== false
            ? s.exec(sql.alterSubscriptionEnabled(inputs.name, true))
            : Promise.resolve(),
        () => s.exec(sql.markCreatedUnfinished(inputs.name, mark)),
      ]),
    );
    return;
  }
  // A refresh needs an enabled subscription (and runs outside a transaction block): sent together,
  // the refresh fails when the enabling did. The mark is replaced once the refresh is done.
  await s.concurrently([
    () => s.exec(sql.alterSubscriptionEnabled(inputs.name, true)),
    () => s.exec(sql.alterSubscriptionRefresh(inputs.name, true)),
  ]);
  await Promise.all([wakeApplyWorker(publisher), s.exec(sql.markCreatedUnfinished(inputs.name, mark))]);
}

/**
 * Finishes a snapshot copy an interrupted `up` left (drift.ts planned it: the subscription disabled
 * and marked, its slot never read from). The tables it finished hold the rows of the slot's
 * snapshot and stay; the subscription is created again on that slot knowing only them, the tables
 * holding part of their rows (page ranges) are emptied, and PostgreSQL copies the rest. On an error
 * the slot is dropped and the kept tables emptied: the next `up` copies everything again.
 */
export async function resumeCopy(
  s: Session,
  inputs: SubscriptionInputs,
  ends: Ends,
  repair: PendingRepair & { resume: { kept: TableName[] } },
): Promise<void> {
  const name = label(inputs.name);
  const existing = await readSubscription(s, inputs.name);
  const slot = existing?.slotName;
  if (!existing || !slot || existing.enabled)
    throw new Error(
      `${name}: the unfinished snapshot copy changed since the preview (the subscription is gone, enabled or without its slot); run preview and up again.`,
    );
  const kept = repair.resume.kept;
  log.info(
    `${name}: finishing the snapshot copy an earlier up left: ${kept.length} table(s) it finished stay; ${repair.tables.length > 0 ? `${repair.tables.map(tableKey).join(", ")} emptied; ` : ""}PostgreSQL's table synchronisation copies the others.`,
  );
  // The slot stays (its start is where the kept rows are); the subscription goes while the tables
  // copied in part are emptied (a bounded wait for their locks; a give-up changes nothing).
  await emptyTables(s, inputs, repair.tables, async () => {
    await s.exec(sql.alterSubscriptionOptions(inputs.name, { slot_name: { none: true } }));
    await s.exec(sql.dropSubscription(inputs.name));
  });
  try {
    await restoreKeys(s, existing.copyMark?.keys ?? []);
    const view = await viewPublisher(ends.publisher, publicationNames(inputs.publications));
    // The stream starts from the same slot: what it was bound to is what the copy's mark says.
    const bound = existing.copyMark?.bound;
    const mark: sql.CreatedMark = bound ? { bound } : {};
    await createOnSlot(s, inputs, ends, view, slot, kept, { ranged: [], keys: [], ...mark });
    await startStream(s, inputs, true, mark, ends.publisher);
  } catch (e) {
    await abandonCopy(s, inputs, ends.publisher, slot, kept, []).catch((u) =>
      log.warn(`${name}: undoing the failed resume failed too (${(u as Error).message}).`),
    );
    throw operationError(name, "finishing the unfinished snapshot copy", e);
  }
  const wait = waitOptions(inputs, ends);
  if (wait) await waitForSync(s, inputs.name, wait);
}

/**
 * Undoes a snapshot copy that failed (snapshotCopy.ts) or a failed finishing of one (above): the
 * subscription dropped if it exists (its slot with it), else `slot` if given (one this run made)
 * while nothing uses it; the tables it `filled` emptied; any of `keys` their tables lack put back.
 * `slot: "taken"`: the slot the subscription names is another subscriber's, so the subscription
 * lets go of it before it is dropped (DROP SUBSCRIPTION would drop the slot too).
 */
export async function abandonCopy(
  s: Session,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  slot: string | "taken" | undefined,
  filled: readonly TableName[],
  keys: readonly LateKey[],
): Promise<void> {
  if (slot === "taken" && (await readSubscription(s, inputs.name)))
    await s.exec(sql.alterSubscriptionOptions(inputs.name, { slot_name: { none: true } }));
  await dropSafely(s, inputs.name, publisher);
  if (slot && slot !== "taken") await dropIdleSlot(publisher, slot);
  const present = await readTableFacts(s, filled);
  if (present.length > 0) await s.exec(truncateTables(present));
  await restoreKeys(s, keys);
}
