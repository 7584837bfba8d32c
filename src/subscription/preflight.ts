// Before CREATE SUBSCRIPTION: the publications exist, every published table exists on the
// subscriber (else CREATE fails with 42P01), and the subscriber has logical replication workers to
// spare.

import * as log from "../kernel/log";
import { endpoint, parseConnection } from "../pg/connection";
import type { Session } from "../pg/session";
import { readSettings } from "../pg/settings";
import { readTableFacts } from "../pg/tableFacts";
import { tableKey } from "../pg/tables";
import { countEnabledSubscriptions } from "./catalog";
import { viewPublisher } from "./publisher";
import { label, type SubscriptionInputs } from "./types";

/** Throws one error listing every problem with its fix; warns about slow initial syncs. */
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
  const subscriptions = (await countEnabledSubscriptions(s)) + (inputs.enabled === false ? 0 : 1);
  if (workers < subscriptions)
    problems.push(
      `the subscriber has max_logical_replication_workers = ${workers}, fewer than the ${subscriptions} enabled subscriptions it would run: raise it to at least ${subscriptions * (1 + perSync)} (and max_worker_processes with it) and restart the server`,
    );
  else if (workers < subscriptions * (1 + perSync))
    log.warn(
      `${label(inputs.name)}: the subscriber has max_logical_replication_workers = ${workers}; ${subscriptions} subscriptions with max_sync_workers_per_subscription = ${perSync} want ${subscriptions * (1 + perSync)}, so the initial copy will run with fewer parallel table syncs.`,
    );
  if (problems.length > 0) throw new Error(`${label(inputs.name)}: ${problems.join("; ")}.`);
}
