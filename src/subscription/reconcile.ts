// An existing subscription: whether it may be taken for this one (what an interrupted `up` left,
// or adopted), and bringing it to its inputs, statement by statement (each its own transaction:
// ALTER SUBSCRIPTION … REFRESH cannot run in a transaction block).

import { operationError } from "../kernel/errors";
import { sameSet } from "../kernel/values";
import {
  conninfo,
  conninfoMatches,
  conninfoMatchesExcept,
  endpoint,
  conninfoEndpoint,
  sameConnection,
  type ConnectionInfo,
} from "../pg/connection";
import { SESSION_TIMEOUTS, type Session } from "../pg/session";
import { readOwnerTransactionTimeout, type CatalogSubscription } from "./catalog";
import type { Ends } from "./fields";
import { ownerTimeoutSyncReason, timedOwner } from "./preflight";
import { alterableOptions, effective, optionChanges } from "./options";
import { estimateRows, slotHealth, wakeApplyWorker } from "./publisher";
import * as sql from "./sql";
import { feedConnection, handoverName, label, publicationNames, type SubscriptionInputs } from "./types";
import { waitForSync, workersStopped, type WaitOptions } from "./wait";

/**
 * A subscription with this name, this exact connection (password included), these options,
 * publications and slot can only be what an interrupted `up` left (the host killed mid-create, the
 * subscriber restarted during the wait): taking it over is how the next `up` converges.
 */
export function leftover(
  existing: CatalogSubscription,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  user: string,
  serverVersion: number,
): boolean {
  // A role that may not read the connection (a non-superuser) recognises its own subscription;
  // whichever of the publisher role's timeouts it turned off (they may have changed since).
  const sameConnection =
    existing.conninfo !== null
      ? conninfoMatchesExcept(existing.conninfo, publisher, SESSION_TIMEOUTS)
      : existing.owner === user;
  const sameOptions = alterableOptions(0).every(
    (k) =>
      existing.options[k] === undefined || existing.options[k] === effective(k, inputs[k], serverVersion),
  );
  const slot = inputs.slotName ?? inputs.name;
  // A snapshot copy killed right after creating it still points at its handover publication.
  const samePublications =
    sameSet(existing.publications, publicationNames(inputs.publications)) ||
    (existing.unfinishedCopy && sameSet(existing.publications, [handoverName(slot)]));
  return sameConnection && sameOptions && samePublications && existing.slotName === slot;
}

/**
 * Why a subscription of this name that exists on the replica, not adopted and not what an
 * interrupted `up` left (leftover), may not be taken for this one; undefined when it may. One that
 * streams from another publisher is another stack's or program's (a name is unique per database):
 * adopting it would turn it away from its own publisher.
 */
export function nameTakenReason(
  existing: CatalogSubscription,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  user: string,
  serverVersion: number,
): string | undefined {
  if (inputs.adopt || leftover(existing, inputs, publisher, user, serverVersion)) return undefined;
  const theirs = existing.conninfo !== null ? conninfoEndpoint(existing.conninfo) : undefined;
  const elsewhere = theirs !== undefined && theirs !== endpoint(publisher) ? theirs : undefined;
  const name = JSON.stringify(inputs.name);
  return elsewhere
    ? `subscription ${name} already exists on the replica and streams from another publisher, ${elsewhere}: another stack's or program's (a subscription's name is unique in its database). Give this one a name of its own (\`name\`; \`subscriptionName\` on LogicalReplication). \`adopt: true\` would take that one over and turn it to this publisher, ending its stream from ${elsewhere}.`
    : `subscription ${name} already exists on the replica with another definition: set \`adopt: true\` to take it over (the preview then shows what changes on it), or choose another name.`;
}

export function waitOptions(inputs: SubscriptionInputs, ends: Ends): WaitOptions | undefined {
  if (!inputs.waitForSync) return undefined;
  const given = inputs.waitForSync === true ? {} : inputs.waitForSync;
  const slot = inputs.slotName ?? inputs.name;
  const publisher = ends.publisher;
  return {
    timeoutSeconds: given.timeoutSeconds ?? 600,
    label: label(inputs.name),
    totals: () => estimateRows(publisher, inputs.publishedTables ?? []),
    // Its table-sync workers ended by the owner's transaction_timeout: no error is counted, the
    // tables stay in their data copy (preflight.ts, ownerTimeoutSyncReason).
    whyStuck: async (s) => {
      const owner = timedOwner(await readOwnerTransactionTimeout(s, inputs.name, ends.connection));
      return owner && ownerTimeoutSyncReason(owner, "");
    },
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
export function sameConnectionAs(
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
  if (!sameConnectionAs(current, feedConnection(publisher, inputs)))
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
  ends: Ends,
  refresh: boolean,
  applied?: ConnectionInfo,
): Promise<void> {
  const publisher = ends.publisher;
  const run = (verb: string, statement: string) =>
    s.exec(statement).catch((e) => {
      throw operationError(label(inputs.name), verb, e);
    });
  const enabled = inputs.enabled ?? true;
  if (!enabled && current.enabled)
    await run("ALTER SUBSCRIPTION … DISABLE", sql.alterSubscriptionEnabled(inputs.name, false));
  const wanted = feedConnection(publisher, inputs);
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
  const refreshed = enabled && (refresh || !sameSet(current.publications, publications));
  if (!sameSet(current.publications, publications))
    await run(
      "ALTER SUBSCRIPTION … SET PUBLICATION",
      sql.alterSubscriptionSetPublication(inputs.name, publications, enabled),
    );
  else if (refreshed)
    await run("ALTER SUBSCRIPTION … REFRESH PUBLICATION", sql.alterSubscriptionRefresh(inputs.name));
  // Tables the refresh added start their copy now, not at the apply worker's next look.
  if (refreshed) await wakeApplyWorker(publisher);
  const wait = waitOptions(inputs, ends);
  if (wait && enabled) await waitForSync(s, inputs.name, wait);
}
