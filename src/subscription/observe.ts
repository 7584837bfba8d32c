// What the Subscription's check learns from the replica, in one session: its identity, the
// version gates, `binary: "auto"` settled, the subscriber role's privileges, whether the
// subscription exists, room for its workers, and the repair the next `up` makes (or refuses).

import type { CheckFailure } from "../kernel/check";
import { versionFailures } from "../kernel/versions";
import { parseConnection } from "../pg/connection";
import { hasRowsQuery } from "../pg/emptying";
import { readRoleFacts, readServerId } from "../pg/roles";
import { withSession, type Session } from "../pg/session";
import { readSettings } from "../pg/settings";
import { readTableFacts } from "../pg/tableFacts";
import { nameOf, sortedTables, tableKey, type TableName } from "../pg/tables";
import { settleBinary } from "./binary";
import { countEnabledSubscriptions, readSubscription } from "./catalog";
import { pendingRepair } from "./drift";
import { versionGates } from "./options";
import { workerFailures } from "./preflight";
import { subscriberFailures } from "./privileges";
import type { PublisherView } from "./publisher";
import type { SubscriptionInputs, SubscriptionState } from "./types";

/** The tables of the replica among `tables` that hold rows. */
async function nonEmptyTables(s: Session, tables: readonly TableName[]): Promise<TableName[]> {
  const present = await readTableFacts(s, tables);
  const full: TableName[] = [];
  for (const t of present) if ((await s.query(hasRowsQuery(t))).length > 0) full.push(nameOf(t));
  return sortedTables(full);
}

/**
 * Reads the replica and completes `inputs` (serverId, binary, recopyServed, pendingRepair);
 * returns the failures. `previous`: this resource's state, when it has one.
 */
export async function observeReplica(
  inputs: SubscriptionInputs,
  previous: Partial<SubscriptionState>,
  view: PublisherView | undefined,
): Promise<CheckFailure[]> {
  return withSession(parseConnection(inputs.connection), async (s) => {
    const serverId = await readServerId(s);
    if (serverId) inputs.serverId = serverId;
    const failures: CheckFailure[] = versionFailures(s.serverVersion, versionGates(inputs), "subscriber");
    if (inputs.publishedTables) await settleBinary(s, inputs, inputs.publishedTables, false);
    failures.push(
      ...subscriberFailures(
        await readRoleFacts(s),
        s.serverVersion,
        inputs,
        parseConnection(inputs.publisher),
        await readTableFacts(s, view?.tables ?? []),
      ),
    );
    const existing = await readSubscription(s, inputs.name);
    // Unknown at preview when a SchemaSync this depends on has no such output yet (older state).
    const requests = Array.isArray(inputs.recopyRequests) ? inputs.recopyRequests : [];
    if (requests.length > 0) inputs.recopyServed = requests.map((r) => r.id);
    else if (previous.recopyServed) inputs.recopyServed = previous.recopyServed;
    if (!existing)
      failures.push(
        ...workerFailures((await readSettings(s)).settings, await countEnabledSubscriptions(s), inputs),
      );
    const slotName = inputs.slotName ?? inputs.name;
    const ours = previous.name === inputs.name;
    const repair = pendingRepair({
      ...(ours
        ? { previous: { bindings: previous.bindings, publishedTables: previous.publishedTables } }
        : {}),
      ...(inputs.bindings ? { bindings: inputs.bindings } : {}),
      publishedTables: inputs.publishedTables ?? [],
      subscriptionExists: existing !== undefined,
      ...(existing?.slotName && view?.slotExists !== undefined && existing.slotName === slotName
        ? { slotExists: view.slotExists }
        : {}),
      slotName,
      nonEmpty:
        !existing && inputs.copyData !== false ? await nonEmptyTables(s, inputs.publishedTables ?? []) : [],
      recopyRequests: requests.filter((r) => !(previous.recopyServed ?? []).includes(r.id)),
    });
    if (repair && inputs.repair === "refuse")
      failures.push({
        property: "repair",
        reason: `the replication stream is broken (${repair.reasons.join("; ")}). Repairing it without losing rows empties ${repair.tables.map(tableKey).join(", ")} on the replica and copies them again; \`repair: "refuse"\` forbids that: set \`repair: "recopy"\` (the default) to let \`up\` do it, or repair by hand (drop the subscription and its slot, empty the tables, and run up).`,
      });
    else if (repair) inputs.pendingRepair = repair;
    return failures;
  });
}
