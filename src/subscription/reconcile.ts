// Bringing an existing subscription to its inputs, statement by statement (each its own
// transaction: ALTER SUBSCRIPTION … REFRESH cannot run in a transaction block).

import { operationError } from "../kernel/errors";
import { sameSet } from "../kernel/values";
import { conninfo, conninfoMatches, sameConnection, type ConnectionInfo } from "../pg/connection";
import type { Session } from "../pg/session";
import type { CatalogSubscription } from "./catalog";
import { optionChanges } from "./options";
import { estimateRows, slotHealth } from "./publisher";
import * as sql from "./sql";
import { label, publicationNames, type SubscriptionInputs } from "./types";
import { waitForSync, workersStopped, type WaitOptions } from "./wait";

export function waitOptions(inputs: SubscriptionInputs, publisher: ConnectionInfo): WaitOptions | undefined {
  if (!inputs.waitForSync) return undefined;
  const given = inputs.waitForSync === true ? {} : inputs.waitForSync;
  const slot = inputs.slotName ?? inputs.name;
  return {
    timeoutSeconds: given.timeoutSeconds ?? 600,
    label: label(inputs.name),
    totals: () => estimateRows(publisher, inputs.publishedTables ?? []),
    ...(given.maxLagBytes !== undefined
      ? {
          maxLagBytes: given.maxLagBytes,
          lag: async () => (await slotHealth(publisher, slot))?.lagBytes,
        }
      : {}),
  };
}

/**
 * Whether the subscription's publisher connection is `wanted`: read from the catalog, or, when this
 * role may not read it (non-superusers), taken as `applied` (what the last create/update set; none
 * known means it is set again).
 */
function sameConnectionAs(
  current: CatalogSubscription,
  wanted: ConnectionInfo,
  applied?: ConnectionInfo,
): boolean {
  return current.conninfo !== null
    ? conninfoMatches(current.conninfo, wanted)
    : applied !== undefined && sameConnection(applied, wanted);
}

/**
 * What reconcile changes on `current` to make it the declared one, in words for a preview (an
 * adopted subscription's create); ["nothing"] when it already matches. A connection this role may
 * not read is said to be set again.
 */
export function adoptionChanges(
  current: CatalogSubscription,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  serverVersion: number,
): string[] {
  const changes: string[] = [];
  const enabled = inputs.enabled ?? true;
  if (enabled !== current.enabled) changes.push(enabled ? "enable it" : "disable it");
  if (!sameConnectionAs(current, publisher))
    changes.push(
      current.conninfo === null
        ? "set its publisher connection (this role cannot read it)"
        : "set its publisher connection",
    );
  const options = optionChanges(current.options, inputs, serverVersion).set;
  for (const [k, v] of Object.entries(options)) changes.push(`set ${k} = ${String(v)}`);
  const publications = publicationNames(inputs.publications);
  if (!sameSet(current.publications, publications))
    changes.push(
      `subscribe to ${JSON.stringify(publications)} (now ${JSON.stringify(current.publications)}), copying what is newly published`,
    );
  if (current.slotName !== (inputs.slotName ?? inputs.name))
    changes.push(`keep its slot ${JSON.stringify(current.slotName)} (slotName is a create-time choice)`);
  return changes.length > 0 ? changes : ["nothing"];
}

/**
 * `applied`: the publisher connection the last create/update set, from state. When this role may
 * not read the subscription's connection (non-superusers), it decides whether to set it again.
 */
export async function reconcile(
  s: Session,
  current: CatalogSubscription,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  refresh: boolean,
  applied?: ConnectionInfo,
): Promise<void> {
  const run = (verb: string, statement: string) =>
    s.exec(statement).catch((e) => {
      throw operationError(label(inputs.name), verb, e);
    });
  const enabled = inputs.enabled ?? true;
  if (!enabled && current.enabled)
    await run("ALTER SUBSCRIPTION … DISABLE", sql.alterSubscriptionEnabled(inputs.name, false));
  const wanted = publisher;
  if (!sameConnectionAs(current, wanted, applied))
    await run(
      "ALTER SUBSCRIPTION … CONNECTION",
      sql.alterSubscriptionConnection(inputs.name, conninfo(wanted)),
    );
  const options = optionChanges(current.options, inputs, s.serverVersion);
  if (Object.keys(options.set).length > 0) {
    // failover and two_phase can only change while the subscription is disabled (PG17/18).
    const disableAround = options.whileDisabled && current.enabled && enabled;
    if (disableAround)
      await run("ALTER SUBSCRIPTION … DISABLE", sql.alterSubscriptionEnabled(inputs.name, false));
    // DISABLE returns before the workers have exited, and two_phase cannot change until they have
    // (55000: cannot alter "two_phase" when logical replication worker is still running).
    if (options.whileDisabled) await workersStopped(s, inputs.name);
    await run("ALTER SUBSCRIPTION … SET", sql.alterSubscriptionOptions(inputs.name, options.set));
    if (disableAround)
      await run("ALTER SUBSCRIPTION … ENABLE", sql.alterSubscriptionEnabled(inputs.name, true));
  }
  // REFRESH is not allowed on a disabled subscription; it then happens on the next enabled `up`.
  if (enabled && !current.enabled)
    await run("ALTER SUBSCRIPTION … ENABLE", sql.alterSubscriptionEnabled(inputs.name, true));
  const publications = publicationNames(inputs.publications);
  if (!sameSet(current.publications, publications))
    await run(
      "ALTER SUBSCRIPTION … SET PUBLICATION",
      sql.alterSubscriptionSetPublication(inputs.name, publications, enabled),
    );
  else if (refresh && enabled)
    await run("ALTER SUBSCRIPTION … REFRESH PUBLICATION", sql.alterSubscriptionRefresh(inputs.name));
  const wait = waitOptions(inputs, publisher);
  if (wait && enabled) await waitForSync(s, inputs.name, wait);
}
