// Subscription operations that talk to servers: what the publisher publishes, what the subscriber
// lacks, bringing an existing subscription to its inputs, and dropping it safely.

import * as pulumi from "@pulumi/pulumi";
import {
  existingPublications,
  readPublishedTables,
  readSettings,
  readSlot,
  readSubscription,
  readTableFacts,
  type SubscriptionState,
} from "./catalog";
import {
  conninfo,
  endpoint,
  parseConnection,
  withSession,
  type ConnectionInfo,
  type Session,
} from "./connection";
import { operationError, sameSet } from "./provider";
import * as sql from "./sql";
import type { SubscriptionInputs } from "./subscription";
import { label, optionChanges, waitOptions } from "./subscriptionOptions";
import { tableKey } from "./tables";
import { waitForSync } from "./waitForSync";

/** What the publisher says, as the host reaches it; undefined when the host cannot reach it. */
export async function viewPublisher(
  inputs: SubscriptionInputs,
): Promise<{ missingPublications: string[]; tables: { schema: string; name: string }[] } | undefined> {
  try {
    return await withSession(parseConnection(inputs.publisher), async (s) => {
      const found = new Set(await existingPublications(s, inputs.publications));
      return {
        missingPublications: inputs.publications.filter((p) => !found.has(p)),
        tables: found.size > 0 ? await readPublishedTables(s, [...found]) : [],
      };
    });
  } catch {
    return undefined; // the publisher may be reachable from the subscriber only
  }
}

/** The published tables as "schema.name", when the host can see every publication. */
export async function publishedTables(inputs: SubscriptionInputs): Promise<string[] | undefined> {
  const view = await viewPublisher(inputs);
  return view && view.missingPublications.length === 0 ? view.tables.map(tableKey) : undefined;
}

/** The replication slot's health on the publisher, when the host can reach it. */
export async function slotHealth(
  publisher: ConnectionInfo,
  slot: string,
): Promise<{ name: string; active: boolean; retainedBytes: number } | undefined> {
  try {
    const health = await withSession(publisher, (p) => readSlot(p, slot));
    return health ? { name: slot, ...health } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Before CREATE SUBSCRIPTION: the publications exist, every published table exists on the
 * subscriber (else CREATE fails with 42P01), and the subscriber has logical replication workers
 * to spare. Throws one error listing every problem with its fix; warns about slow initial syncs.
 */
export async function createPreflight(s: Session, inputs: SubscriptionInputs): Promise<void> {
  const problems: string[] = [];
  const view = await viewPublisher(inputs);
  const where = endpoint(parseConnection(inputs.publisher));
  if (view && view.missingPublications.length > 0)
    problems.push(
      `publication(s) ${view.missingPublications.map((p) => JSON.stringify(p)).join(", ")} do not exist on the publisher ${where}: create them first (a Publication resource, and pass its name) or fix \`publications\``,
    );
  const tables = view?.tables ?? [];
  const found = new Set((await readTableFacts(s, tables)).map(tableKey));
  const missing = tables.filter((t) => !found.has(tableKey(t))).map(tableKey);
  if (missing.length > 0)
    problems.push(
      `published table(s) ${missing.join(", ")} do not exist on the subscriber ${endpoint(parseConnection(inputs.connection))}: add a SchemaSync for them and make the Subscription depend on it`,
    );
  const settings = (await readSettings(s)).settings;
  const workers = Number(settings["max_logical_replication_workers"] ?? 4);
  const perSync = Number(settings["max_sync_workers_per_subscription"] ?? 2);
  const rows = await s.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_catalog.pg_subscription WHERE subenabled",
  );
  const subscriptions = rows[0]!.n + (inputs.enabled === false ? 0 : 1);
  if (workers < subscriptions)
    problems.push(
      `the subscriber has max_logical_replication_workers = ${workers}, fewer than the ${subscriptions} enabled subscriptions it would run: raise it to at least ${subscriptions * (1 + perSync)} (and max_worker_processes with it) and restart the server`,
    );
  else if (workers < subscriptions * (1 + perSync))
    pulumi.log.warn(
      `${label(inputs.name)}: the subscriber has max_logical_replication_workers = ${workers}; ${subscriptions} subscriptions with max_sync_workers_per_subscription = ${perSync} want ${subscriptions * (1 + perSync)}, so the initial copy will run with fewer parallel table syncs.`,
    );
  if (problems.length > 0) throw new Error(`${label(inputs.name)}: ${problems.join("; ")}.`);
}

/** Brings an existing subscription to the inputs, statement by statement (each its own transaction). */
export async function reconcile(
  s: Session,
  state: SubscriptionState,
  inputs: SubscriptionInputs,
  refresh: boolean,
): Promise<void> {
  const run = (verb: string, statement: string) =>
    s.exec(statement).catch((e) => {
      throw operationError(label(inputs.name), verb, e);
    });
  const enabled = inputs.enabled ?? true;
  if (!enabled && state.enabled)
    await run("ALTER SUBSCRIPTION … DISABLE", sql.alterSubscriptionEnabled(inputs.name, false));
  const wanted = conninfo(parseConnection(inputs.publisher));
  if (state.conninfo !== wanted)
    await run("ALTER SUBSCRIPTION … CONNECTION", sql.alterSubscriptionConnection(inputs.name, wanted));
  const options = optionChanges(state, inputs, s.serverVersion);
  if (Object.keys(options).length > 0) {
    // failover and two_phase can only change while the subscription is disabled (PG17/18).
    const needsDisabled = ("failover" in options || "two_phase" in options) && state.enabled && enabled;
    if (needsDisabled)
      await run("ALTER SUBSCRIPTION … DISABLE", sql.alterSubscriptionEnabled(inputs.name, false));
    // DISABLE returns before the workers have exited, and two_phase cannot change until they have
    // (55000: cannot alter "two_phase" when logical replication worker is still running).
    if ("failover" in options || "two_phase" in options) await workersStopped(s, inputs.name);
    await run("ALTER SUBSCRIPTION … SET", sql.alterSubscriptionOptions(inputs.name, options));
    if (needsDisabled)
      await run("ALTER SUBSCRIPTION … ENABLE", sql.alterSubscriptionEnabled(inputs.name, true));
  }
  // REFRESH is not allowed on a disabled subscription; it then happens on the next enabled `up`.
  if (enabled && !state.enabled)
    await run("ALTER SUBSCRIPTION … ENABLE", sql.alterSubscriptionEnabled(inputs.name, true));
  if (!sameSet(state.publications, inputs.publications))
    await run(
      "ALTER SUBSCRIPTION … SET PUBLICATION",
      sql.alterSubscriptionSetPublication(inputs.name, inputs.publications, enabled),
    );
  else if (refresh && enabled)
    await run("ALTER SUBSCRIPTION … REFRESH PUBLICATION", sql.alterSubscriptionRefresh(inputs.name));
  const wait = waitOptions(inputs);
  if (wait && enabled) await waitForSync(s, inputs.name, wait);
}

/**
 * DROP SUBSCRIPTION, which also drops the slot on the publisher. When the publisher cannot be
 * reached (08006 and friends), detach the slot (DISABLE, slot_name = NONE), drop the subscription,
 * then drop the orphaned slot from here if the publisher is reachable, or name it with the command.
 */
export async function dropSafely(
  s: Session,
  props: SubscriptionInputs,
  publisher: ConnectionInfo,
): Promise<void> {
  const state = await readSubscription(s, props.name);
  if (!state) return;
  try {
    await s.exec(sql.dropSubscription(props.name));
    return;
  } catch (e) {
    const msg = String((e as Error).message);
    if (!/could not connect|connection to server|publisher/i.test(msg))
      throw operationError(label(props.name), "DROP SUBSCRIPTION", e);
  }
  const slot = state.slotName;
  await s.exec(sql.alterSubscriptionEnabled(props.name, false));
  await s.exec(sql.alterSubscriptionOptions(props.name, { slot_name: { none: true } }));
  await s.exec(sql.dropSubscription(props.name));
  if (!slot) return;
  try {
    await withSession(publisher, (p) => p.query(sql.dropReplicationSlotQuery(), [slot]));
    pulumi.log.warn(
      `${label(props.name)}: the publisher refused the subscriber's connection; dropped replication slot "${slot}" directly.`,
    );
  } catch {
    pulumi.log.warn(
      `${label(props.name)}: dropped while the publisher was unreachable. Replication slot "${slot}" is left on ${endpoint(publisher)} and retains WAL: run SELECT pg_drop_replication_slot(${sql.literal(slot)}); there.`,
    );
  }
}

/** Waits until no apply or sync worker of a (disabled) subscription is running. */
async function workersStopped(s: Session, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await s.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_catalog.pg_stat_subscription WHERE subname = $1 AND pid IS NOT NULL",
      [name],
    );
    if (rows[0]!.n === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `${label(name)}: its replication workers were still running ${timeoutMs / 1000} s after DISABLE; try again.`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
