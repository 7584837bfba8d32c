// The Subscription's six handlers, loaded by the provider host (see kernel/provider.ts).
// CREATE SUBSCRIPTION never runs in a transaction block (25001 with create_slot).

import { validate, type CheckFailure } from "../kernel/check";
import { alreadyExists, operationError } from "../kernel/errors";
import * as log from "../kernel/log";
import type { Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { clean, sameSet, sameValue } from "../kernel/values";
import { versionFailures } from "../kernel/versions";
import type { Binding } from "../pg/binding";
import { conninfo, conninfoMatches, endpoint, parseConnection, sameConnection } from "../pg/connection";
import { readRoleFacts, readServerId } from "../pg/roles";
import { withSession, type Session } from "../pg/session";
import { readSettings } from "../pg/settings";
import { readPublishedTables } from "../pg/published";
import { readTableFacts } from "../pg/tableFacts";
import { splitTableKey, tableKey } from "../pg/tables";
import { chooseBinary } from "./binary";
import {
  countEnabledSubscriptions,
  readColumnIO,
  readSubscription,
  readSubscriptionErrors,
  readLastMessage,
  readSyncStates,
  type CatalogSubscription,
} from "./catalog";
import { pendingRepair, type PendingRepair } from "./drift";
import { dropSafely } from "./drop";
import {
  alterableOptions,
  createOptions,
  effective,
  replacingOptions,
  SLOT_NAME,
  versionGates,
} from "./options";
import { createPreflight, workerFailures } from "./preflight";
import { publisherRoleFailures, subscriberFailures } from "./privileges";
import { slotHealth, viewPublisher, type PublisherView } from "./publisher";
import { reconcile, waitOptions } from "./reconcile";
import * as sql from "./sql";
import {
  label,
  publicationNames,
  subscriptionSchema,
  type SubscriptionInputs,
  type SubscriptionState,
} from "./types";
import { waitForSync } from "./wait";

async function outputs(s: Session, inputs: SubscriptionInputs): Promise<SubscriptionState> {
  const state = await readSubscription(s, inputs.name);
  if (!state) throw new Error(`${label(inputs.name)} vanished right after it was written.`);
  const states = await readSyncStates(s, inputs.name);
  const errors = await readSubscriptionErrors(s, inputs.name);
  const slot = state.slotName
    ? await slotHealth(parseConnection(inputs.publisher), state.slotName)
    : undefined;
  // The repair is done: it is not part of the state.
  const { pendingRepair: _done, ...kept } = inputs;
  return clean({
    ...kept,
    publications: publicationNames(inputs.publications),
    endpoint: endpoint(parseConnection(inputs.connection)),
    serverVersion: s.serverVersion,
    actualSlotName: state.slotName,
    tableStates: Object.fromEntries(states.map((t) => [t.table, t.state])),
    actualEnabled: state.enabled,
    ...(errors ?? {}),
    ...(slot ? { slot } : {}),
    lag: { bytes: slot?.lagBytes ?? null, lastMessageAt: await readLastMessage(s, inputs.name) },
    drift: [],
  });
}

/**
 * `binary: "auto"` settled to true or false on this subscriber for the replicated tables: those
 * given ("schema.name", as check knows them), else what the publications publish now. Other values
 * are left as given. At check, a choice that needs the replica's tables waits for apply; at apply
 * it is made (false when unsure) and logged.
 */
async function settleBinary(
  s: Session,
  inputs: SubscriptionInputs,
  tables: readonly string[] | undefined,
  atApply: boolean,
): Promise<void> {
  if (inputs.binary !== "auto") return;
  const publisher = await withSession(parseConnection(inputs.publisher), async (p) => {
    const specs = tables
      ? tables.map(splitTableKey)
      : await readPublishedTables(p, publicationNames(inputs.publications));
    return { serverVersion: p.serverVersion, specs, columns: await readColumnIO(p, specs) };
  }).catch(() => undefined);
  const specs = publisher?.specs ?? [];
  const choice = chooseBinary(
    publisher,
    { serverVersion: s.serverVersion, columns: await readColumnIO(s, specs) },
    specs.map(tableKey),
  );
  if (choice.binary === undefined && !atApply) return;
  inputs.binary = choice.binary ?? false;
  if (atApply) log.info(`${label(inputs.name)}: binary "auto" is ${inputs.binary}: ${choice.why}.`);
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
    sameSet(existing.publications, publicationNames(inputs.publications)) &&
    existing.slotName === (inputs.slotName ?? inputs.name)
  );
}

/**
 * CREATE SUBSCRIPTION, serialized with other creations on the subscriber (an advisory lock) so
 * that the worker count it checks includes them; then the wait for the initial copy, dropping
 * everything again if it does not finish.
 */
async function subscribe(
  s: Session,
  inputs: SubscriptionInputs,
  view: PublisherView | undefined,
  copy?: boolean,
) {
  await s.query(sql.LOCK_CREATE);
  try {
    await createPreflight(s, inputs, view);
    const options = createOptions(inputs);
    if (copy) options["copy_data"] = true;
    await s
      .exec(
        sql.createSubscription(
          inputs.name,
          conninfo(parseConnection(inputs.publisher)),
          publicationNames(inputs.publications),
          options,
        ),
      )
      .catch((e) => {
        throw createError(inputs, e);
      });
  } finally {
    await s.query(sql.UNLOCK_CREATE);
  }
  const wait = waitOptions(inputs);
  if (wait && inputs.enabled !== false) {
    try {
      await waitForSync(s, inputs.name, wait);
    } catch (e) {
      // Leave nothing behind: the next `up` starts clean instead of hitting "already exists".
      await dropSafely(s, inputs.name, parseConnection(inputs.publisher)).catch(() => undefined);
      throw e;
    }
  }
}

/** The repair drift.ts planned: empty the tables on the replica and subscribe again with a new slot. */
async function recopy(s: Session, inputs: SubscriptionInputs, repair: PendingRepair): Promise<void> {
  log.info(
    `${label(inputs.name)}: repairing a broken stream (${repair.reasons.join("; ")}): emptying ${repair.tables.join(", ")} on the replica and copying them again.`,
  );
  await dropSafely(s, inputs.name, parseConnection(inputs.publisher));
  const existing = await readTableFacts(s, repair.tables.map(splitTableKey));
  if (existing.length > 0)
    await s.exec(sql.truncateTables(existing)).catch((e) => {
      throw operationError(
        label(inputs.name),
        "TRUNCATE (before the re-copy)",
        e,
        'Tables on the replica that reference these (foreign keys from tables this subscription does not copy) prevent emptying them: drop those constraints or set `repair: "refuse"` and repair by hand.',
      );
    });
  await subscribe(
    s,
    inputs,
    await viewPublisher(inputs.publisher, publicationNames(inputs.publications)),
    true,
  );
}

/** Each publication of the subscription as it will be after this `up`, or undefined when not all are known. */
function bindingsOf(inputs: SubscriptionInputs, view: PublisherView | undefined): Binding[] | undefined {
  const bound = new Map(
    inputs.publications.filter((p): p is Binding => typeof p !== "string").map((b) => [b.name, b]),
  );
  const result: Binding[] = [];
  for (const name of publicationNames(inputs.publications)) {
    const b = bound.get(name) ?? view?.bindings.find((v) => v.name === name);
    if (!b) return undefined;
    result.push(b);
  }
  return result;
}

/** "schema.name" of the tables of the given publications on the replica that hold rows. */
async function nonEmptyTables(s: Session, tables: readonly string[]): Promise<string[]> {
  const present = await readTableFacts(s, tables.map(splitTableKey));
  const full: string[] = [];
  for (const t of present)
    if ((await s.query(sql.hasRowsQuery(t.schema, t.name))).length > 0) full.push(tableKey(t));
  return full.sort();
}

export const provider: Provider<SubscriptionInputs, SubscriptionState> = {
  async check(olds, news) {
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
    for (const k of ["publishedTables", "bindings", "serverId", "pendingRepair", "recopyServed"] as const)
      delete inputs[k];
    if (unknown.has("publisher") || unknown.has("publications") || unknown.has("name")) {
      checked.publishedTables = UNKNOWN;
      return { inputs: checked, failures: [] };
    }
    const names = publicationNames(inputs.publications);
    const slotName = inputs.slotName ?? inputs.name;
    const view = await viewPublisher(inputs.publisher, names, slotName);
    const bindings = bindingsOf(inputs, view);
    if (bindings) {
      inputs.bindings = bindings;
      inputs.publishedTables = [...new Set(bindings.flatMap((b) => b.tables))].sort();
    }
    inputs.publications = names;
    if (unknown.has("connection")) return { inputs: checked, failures: [] };
    const previous = olds as Partial<SubscriptionInputs>;
    try {
      const problems = await withSession(parseConnection(inputs.connection), async (s) => {
        const serverId = await readServerId(s);
        if (serverId) inputs.serverId = serverId;
        const problems: CheckFailure[] = versionFailures(s.serverVersion, versionGates(inputs), "subscriber");
        const targets = await readTableFacts(s, view?.tables ?? []);
        if (inputs.publishedTables) await settleBinary(s, inputs, inputs.publishedTables, false);
        problems.push(
          ...subscriberFailures(
            await readRoleFacts(s),
            s.serverVersion,
            inputs,
            parseConnection(inputs.publisher),
            targets,
          ),
        );
        const existing = await readSubscription(s, inputs.name);
        const ours = previous.name === inputs.name;
        // Unknown at preview when a SchemaSync this depends on has no such output yet (older state).
        const requests = Array.isArray(inputs.recopyRequests) ? inputs.recopyRequests : [];
        if (requests.length > 0) inputs.recopyServed = requests.map((r) => r.id);
        else if (previous.recopyServed) inputs.recopyServed = previous.recopyServed;
        if (!existing)
          problems.push(
            ...workerFailures((await readSettings(s)).settings, await countEnabledSubscriptions(s), inputs),
          );
        const repair = pendingRepair({
          ...(ours
            ? { previous: { bindings: previous.bindings, publishedTables: previous.publishedTables } }
            : {}),
          bindings,
          publishedTables: inputs.publishedTables ?? [],
          subscriptionExists: existing !== undefined,
          ...(existing?.slotName && view?.slotExists !== undefined && existing.slotName === slotName
            ? { slotExists: view.slotExists }
            : {}),
          slotName,
          nonEmpty:
            !existing && inputs.copyData !== false
              ? await nonEmptyTables(s, inputs.publishedTables ?? [])
              : [],
          recopyRequests: requests.filter((r) => !(previous.recopyServed ?? []).includes(r.id)),
        });
        if (repair && inputs.repair === "refuse")
          problems.push({
            property: "repair",
            reason: `the replication stream is broken (${repair.reasons.join("; ")}). Repairing it without losing rows empties ${repair.tables.join(", ")} on the replica and copies them again; \`repair: "refuse"\` forbids that: set \`repair: "recopy"\` (the default) to let \`up\` do it, or repair by hand (drop the subscription and its slot, empty the tables, and run up).`,
          });
        else if (repair) inputs.pendingRepair = repair;
        return problems;
      });
      if (view) problems.push(...publisherRoleFailures(view.role, view.tableFacts));
      return { inputs: checked, failures: problems };
    } catch (e) {
      return { inputs: checked, failures: [{ property: "connection", reason: (e as Error).message }] };
    }
  },

  async diff(_id, olds, news) {
    const version = olds.serverVersion ?? 0;
    const replaces: string[] = [];
    if (olds.name !== news.name) replaces.push("name");
    // The subscriber is its system identifier and database: another spelling of the same one is in place.
    const sameServer =
      olds.serverId !== undefined && news.serverId !== undefined
        ? olds.serverId === news.serverId
        : olds.endpoint === endpoint(parseConnection(news.connection));
    if (!sameServer) replaces.push("connection");
    for (const key of replacingOptions(version))
      if (effective(key, olds[key], version) !== effective(key, news[key], version)) replaces.push(key);
    const publications = publicationNames(news.publications);
    const changes =
      replaces.length > 0 ||
      news.pendingRepair !== undefined ||
      (olds.drift?.length ?? 0) > 0 ||
      !sameSet(olds.publications, publications) ||
      (news.publishedTables !== undefined && !sameSet(olds.publishedTables, news.publishedTables)) ||
      (olds.enabled ?? true) !== (news.enabled ?? true) ||
      alterableOptions(version).some(
        (k) => effective(k, olds[k], version) !== effective(k, news[k], version),
      ) ||
      !sameConnection(parseConnection(olds.connection), parseConnection(news.connection)) ||
      !sameConnection(parseConnection(olds.publisher), parseConnection(news.publisher)) ||
      !sameValue(olds.waitForSync ?? null, news.waitForSync ?? null) ||
      (olds.repair ?? "recopy") !== (news.repair ?? "recopy");
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
      await settleBinary(s, inputs, undefined, true);
      const existing = await readSubscription(s, inputs.name);
      if (existing && !inputs.adopt && !leftover(existing, inputs, info.user, s.serverVersion))
        throw alreadyExists(label(inputs.name), endpoint(info));
      if (existing && inputs.pendingRepair) await recopy(s, inputs, inputs.pendingRepair);
      else if (existing) {
        if (!inputs.adopt)
          log.warn(
            `${label(inputs.name)}: an identical subscription already exists (left by an interrupted run); continuing with it.`,
          );
        await reconcile(s, existing, inputs, inputs.publishedTables !== undefined);
      } else if (inputs.pendingRepair) await recopy(s, inputs, inputs.pendingRepair);
      else
        await subscribe(
          s,
          inputs,
          await viewPublisher(inputs.publisher, publicationNames(inputs.publications)),
        );
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
      const view = await viewPublisher(props.publisher, state.publications, state.slotName ?? undefined);
      if (view) {
        for (const b of props.bindings ?? []) {
          const now = view.bindings.find((v) => v.name === b.name);
          if (b.oid !== undefined && !now)
            drift.push(`publication ${JSON.stringify(b.name)} no longer exists on the publisher`);
          else if (b.oid !== undefined && now && now.oid !== b.oid)
            drift.push(
              `publication ${JSON.stringify(b.name)} was dropped and created again on the publisher`,
            );
        }
        if (state.slotName && view.slotExists === false)
          drift.push(`replication slot ${JSON.stringify(state.slotName)} no longer exists on the publisher`);
      }
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
      const outs = { ...(await outputs(s, inputs)), drift };
      return { id, props: clean(outs), inputs: clean(inputs) };
    });
  },

  async update(_id, olds, news) {
    const info = parseConnection(news.connection);
    const outs = await withSession(info, async (s) => {
      await settleBinary(s, news, undefined, true);
      const state = await readSubscription(s, news.name);
      if (news.pendingRepair) await recopy(s, news, news.pendingRepair);
      else if (!state)
        // Dropped outside Pulumi since the preview: subscribe again (check saw nothing to repair).
        await subscribe(s, news, await viewPublisher(news.publisher, publicationNames(news.publications)));
      else {
        const refresh =
          news.publishedTables !== undefined && !sameSet(olds.publishedTables, news.publishedTables);
        await reconcile(s, state, news, refresh || (olds.drift?.length ?? 0) > 0, olds.publisher);
      }
      return outputs(s, news);
    });
    return { outs };
  },

  async delete(_id, props) {
    const info = parseConnection(props.connection);
    await withSession(info, (s) => dropSafely(s, props.name, parseConnection(props.publisher)));
  },
};

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
    lag: _l,
    drift: _d,
    ...inputs
  } = props;
  return inputs;
}
