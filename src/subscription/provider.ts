// The Subscription's six handlers, loaded by the provider host (see kernel/provider.ts).
// CREATE SUBSCRIPTION never runs in a transaction block (25001 with create_slot).

import * as log from "../kernel/log";
import { validate } from "../kernel/check";
import { alreadyExists, operationError, vanished } from "../kernel/errors";
import type { Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { clean, sameSet } from "../kernel/values";
import { versionFailures } from "../kernel/versions";
import { conninfo, conninfoMatches, endpoint, parseConnection } from "../pg/connection";
import { readRoleFacts } from "../pg/roles";
import { withSession, type Session } from "../pg/session";
import { readTableFacts } from "../pg/tableFacts";
import { tableKey } from "../pg/tables";
import {
  readSubscription,
  readSubscriptionErrors,
  readSyncStates,
  type CatalogSubscription,
} from "./catalog";
import { dropSafely } from "./drop";
import {
  alterableOptions,
  createOptions,
  effective,
  replacingOptions,
  SLOT_NAME,
  versionGates,
} from "./options";
import { createPreflight } from "./preflight";
import { subscriberFailures, publisherRoleFailures } from "./privileges";
import { publishedTables, slotHealth, viewPublisher } from "./publisher";
import { reconcile, waitOptions } from "./reconcile";
import * as sql from "./sql";
import { label, subscriptionSchema, type SubscriptionInputs, type SubscriptionState } from "./types";
import { waitForSync } from "./wait";

async function outputs(s: Session, inputs: SubscriptionInputs): Promise<SubscriptionState> {
  const state = await readSubscription(s, inputs.name);
  if (!state) throw new Error(`${label(inputs.name)} vanished right after it was written.`);
  const states = await readSyncStates(s, inputs.name);
  const errors = await readSubscriptionErrors(s, inputs.name);
  const slot = state.slotName
    ? await slotHealth(parseConnection(inputs.publisher), state.slotName)
    : undefined;
  return clean({
    ...inputs,
    endpoint: endpoint(parseConnection(inputs.connection)),
    serverVersion: s.serverVersion,
    actualSlotName: state.slotName,
    tableStates: Object.fromEntries(states.map((t) => [t.table, t.state])),
    actualEnabled: state.enabled,
    ...(errors ?? {}),
    ...(slot ? { slot } : {}),
    drift: [],
  });
}

function createError(inputs: SubscriptionInputs, e: unknown): Error {
  const code = (e as { code?: string }).code;
  const msg = String((e as Error).message);
  let fix: string | undefined;
  if (/wal_level/.test(msg)) fix = "Set wal_level = logical on the publisher and restart it.";
  else if (code === "42P01")
    fix =
      "Create the tables on the subscriber first: add a SchemaSync and make the Subscription depend on it.";
  else if (/could not connect|connection to server/.test(msg))
    fix =
      "Check `publisher`: it must be reachable from the subscriber server itself, with its host, port and credentials.";
  return operationError(label(inputs.name), "CREATE SUBSCRIPTION", e, fix);
}

/**
 * A subscription with this name, this exact connection (password included), these options,
 * publications and slot can only be what an interrupted `up` left (the host killed mid-create, the
 * subscriber restarted during the wait): taking it over is how the next `up` converges.
 */
function leftover(
  existing: CatalogSubscription,
  inputs: SubscriptionInputs,
  user: string,
  serverVersion: number,
): boolean {
  // A role that may not read the connection (a non-superuser) recognises its own subscription.
  const sameConnection =
    existing.conninfo !== null
      ? conninfoMatches(existing.conninfo, parseConnection(inputs.publisher))
      : existing.owner === user;
  const sameOptions = alterableOptions(0).every(
    (k) =>
      existing.options[k] === undefined || existing.options[k] === effective(k, inputs[k], serverVersion),
  );
  return (
    sameConnection &&
    sameOptions &&
    sameSet(existing.publications, inputs.publications) &&
    existing.slotName === (inputs.slotName ?? inputs.name)
  );
}

/** The inputs part of a state (what refresh hands back as inputs). */
function inputsOf(props: SubscriptionState): SubscriptionInputs {
  const {
    endpoint: _e,
    serverVersion: _v,
    actualSlotName: _a,
    tableStates: _t,
    actualEnabled: _n,
    applyErrors: _x,
    syncErrors: _y,
    slot: _s,
    drift: _d,
    ...inputs
  } = props;
  return inputs;
}

export const provider: Provider<SubscriptionInputs, SubscriptionState> = {
  async check(_olds, news) {
    const { value: inputs, failures, unknown } = validate(subscriptionSchema(), news);
    if (!inputs) return { inputs: news, failures };
    // The slot is named after the subscription unless slotName says otherwise, and slot names are
    // restricted (ERROR: replication slot name contains invalid character).
    if (
      !unknown.has("name") &&
      inputs.slotName === undefined &&
      inputs.createSlot !== false &&
      !SLOT_NAME.test(inputs.name)
    )
      return {
        inputs,
        failures: [
          {
            property: "slotName",
            reason: `the subscription name ${JSON.stringify(inputs.name)} is not a valid replication slot name (lower-case letters, digits and underscores only): set \`slotName\`, e.g. ${JSON.stringify(
              inputs.name
                .toLowerCase()
                .replace(/[^a-z0-9_]/g, "_")
                .slice(0, 63),
            )}.`,
          },
        ],
      };
    const checked: Record<string, unknown> = inputs;
    const view =
      unknown.has("publisher") || unknown.has("publications") ? undefined : await viewPublisher(inputs);
    if (unknown.has("publisher") || unknown.has("publications")) checked.publishedTables = UNKNOWN;
    else if (view && view.missingPublications.length === 0)
      inputs.publishedTables = view.tables.map(tableKey);
    else delete inputs.publishedTables;
    if (unknown.has("connection")) return { inputs: checked, failures: [] };
    try {
      const failures = await withSession(parseConnection(inputs.connection), async (s) => {
        const problems = versionFailures(s.serverVersion, versionGates(inputs), "subscriber");
        if (!unknown.has("publisher")) {
          const targets = await readTableFacts(s, view?.tables ?? []);
          problems.push(
            ...subscriberFailures(
              await readRoleFacts(s),
              s.serverVersion,
              inputs,
              parseConnection(inputs.publisher),
              targets,
            ),
          );
        }
        return problems;
      });
      if (view) failures.push(...publisherRoleFailures(view.role, view.tableFacts));
      return { inputs: checked, failures };
    } catch (e) {
      return { inputs: checked, failures: [{ property: "connection", reason: (e as Error).message }] };
    }
  },

  async diff(_id, olds, news) {
    const version = olds.serverVersion ?? 0;
    const replaces: string[] = [];
    if (olds.name !== news.name) replaces.push("name");
    if (olds.endpoint !== endpoint(parseConnection(news.connection))) replaces.push("connection");
    for (const key of replacingOptions(version))
      if (effective(key, olds[key], version) !== effective(key, news[key], version)) replaces.push(key);
    const differs = (k: keyof SubscriptionInputs) =>
      JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null);
    const changes =
      replaces.length > 0 ||
      (olds.drift?.length ?? 0) > 0 ||
      !sameSet(olds.publications, news.publications) ||
      (news.publishedTables !== undefined && !sameSet(olds.publishedTables, news.publishedTables)) ||
      (olds.enabled ?? true) !== (news.enabled ?? true) ||
      alterableOptions(version).some(
        (k) => effective(k, olds[k], version) !== effective(k, news[k], version),
      ) ||
      differs("connection") ||
      differs("publisher") ||
      differs("waitForSync");
    // A new subscription under the same name (or slot) cannot exist beside the old one.
    const sameSlot = (olds.slotName ?? olds.name) === (news.slotName ?? news.name);
    return {
      changes,
      replaces,
      deleteBeforeReplace: replaces.length > 0 && (olds.name === news.name || sameSlot),
    };
  },

  async create(inputs) {
    const info = parseConnection(inputs.connection);
    const outs = await withSession(info, async (s) => {
      const existing = await readSubscription(s, inputs.name);
      if (existing && !inputs.adopt && !leftover(existing, inputs, info.user, s.serverVersion))
        throw alreadyExists(label(inputs.name), endpoint(info));
      if (existing) {
        if (!inputs.adopt)
          log.warn(
            `${label(inputs.name)}: an identical subscription already exists (left by an interrupted run); continuing with it.`,
          );
        await reconcile(s, existing, inputs, inputs.publishedTables !== undefined);
        return outputs(s, inputs);
      }
      await createPreflight(s, inputs);
      const publisher = parseConnection(inputs.publisher);
      await s
        .exec(
          sql.createSubscription(
            inputs.name,
            conninfo(publisher),
            inputs.publications,
            createOptions(inputs),
          ),
        )
        .catch((e) => {
          throw createError(inputs, e);
        });
      const wait = waitOptions(inputs);
      if (wait && inputs.enabled !== false) {
        try {
          await waitForSync(s, inputs.name, wait);
        } catch (e) {
          // Leave nothing behind: the next `up` starts clean instead of hitting "already exists".
          await dropSafely(s, inputs.name, publisher).catch(() => undefined);
          throw e;
        }
      }
      return outputs(s, inputs);
    });
    return { id: inputs.name, outs };
  },

  async read(id, props) {
    const info = parseConnection(props.connection);
    return withSession(info, async (s) => {
      const state = await readSubscription(s, props.name);
      if (!state) return {};
      const drift: string[] = [];
      if (state.conninfo !== null && !conninfoMatches(state.conninfo, parseConnection(props.publisher)))
        drift.push("the publisher connection was changed outside Pulumi");
      const inputs: SubscriptionInputs = {
        ...inputsOf(props),
        publications: sameSet(state.publications, props.publications)
          ? props.publications
          : state.publications,
      };
      if (props.enabled !== undefined || !state.enabled) inputs.enabled = state.enabled;
      // Options the program sets are read back; unset ones are left to the server (its defaults vary by version).
      const read: Record<string, unknown> = inputs;
      for (const key of alterableOptions(s.serverVersion)) {
        const v = state.options[key];
        if (v !== undefined && props[key] !== undefined) read[key] = v;
      }
      const published = await publishedTables(props);
      if (published) inputs.publishedTables = published;
      const outs = { ...(await outputs(s, inputs)), drift };
      return { id, props: clean(outs), inputs: clean(inputs) };
    });
  },

  async update(_id, olds, news) {
    const info = parseConnection(news.connection);
    const outs = await withSession(info, async (s) => {
      const state = await readSubscription(s, news.name);
      if (!state) throw vanished(label(news.name), endpoint(info));
      const refresh =
        news.publishedTables !== undefined && !sameSet(olds.publishedTables, news.publishedTables);
      await reconcile(s, state, news, refresh || (olds.drift?.length ?? 0) > 0, olds.publisher);
      return outputs(s, news);
    });
    return { outs };
  },

  async delete(_id, props) {
    const info = parseConnection(props.connection);
    await withSession(info, (s) => dropSafely(s, props.name, parseConnection(props.publisher)));
  },
};
