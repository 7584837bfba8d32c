// The Subscription's six handlers, loaded by the provider host (see kernel/provider.ts).
// CREATE SUBSCRIPTION never runs in a transaction block (25001 with create_slot).

import { validate, type CheckFailure } from "../kernel/check";
import { dropComputed, fieldChanges, inputsOf, schemaOf } from "../kernel/fields";
import * as log from "../kernel/log";
import { withBoundedReads, withStoredForm, type Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { clean, sameSet, sameValue } from "../kernel/values";
import { conninfoMatches, endpoint, parseConnection, resolve, type ConnectionInfo } from "../pg/connection";
import { pooler } from "../pg/pooler";
import { withSession } from "../pg/session";
import { sortedTables, tableKey } from "../pg/tables";
import { createSubscription, recopy, stateAfterWrite, subscribe } from "./apply";
import { settleBinary } from "./binary";
import { slotInvalidatedReason } from "./drift";
import { readSubscription, readSubscriptionErrors } from "./catalog";
import { deleteSubscription } from "./drop";
import { alterableOptions, differsFromDefault, SLOT_NAME } from "./options";
import { newlyAttached, observeReplica } from "./observe";
import { recordTimeoutsOff, timeoutsOffLine } from "./preflight";
import { publisherRoleFailures } from "./privileges";
import { bindingsOf, givenBindings, readPublisher, slotHealth, viewPublisher } from "./publisher";
import { applyStall, disabledOnError, watchEnabled } from "./stall";
import { reconcile, sameConnectionAs } from "./reconcile";
import { SUBSCRIPTION_FIELDS, upgradeState, storeState } from "./fields";
import {
  feedConnection,
  label,
  publicationNames,
  sameTables,
  type SubscriptionInputs,
  type SubscriptionState,
} from "./types";

/**
 * The subscription's connection the last up set (state: the publisher connection and the timeouts
 * it turned off); one this version cannot read is set again.
 */
function appliedConnection(state: Partial<SubscriptionState>): ConnectionInfo | undefined {
  try {
    return state.publisher === undefined
      ? undefined
      : feedConnection(parseConnection(state.publisher), state);
  } catch {
    return undefined;
  }
}

/** The slot is named after the subscription unless slotName says otherwise, and slot names are restricted. */
function slotNameFailure(inputs: SubscriptionInputs, unknown: Set<string>): CheckFailure | undefined {
  if (unknown.has("name") || inputs.slotName !== undefined || inputs.createSlot === false) return undefined;
  if (SLOT_NAME.test(inputs.name)) return undefined;
  const suggestion = inputs.name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 63);
  return {
    property: "slotName",
    reason: `the subscription name ${JSON.stringify(inputs.name)} is not a valid replication slot name (lower-case letters, digits and underscores only): set \`slotName\`, e.g. ${JSON.stringify(suggestion)}.`,
  };
}

/**
 * What the publisher tells check before anything is created: credentials it refuses (a failure:
 * the subscriber's server would be refused too), a read stopped by a table lock held there,
 * publications that neither exist nor are given as
 * Publication resources of this program; a publisher this program cannot reach is a warning (the
 * subscriber's server may reach it), and those checks wait for `up`.
 */
function publisherFailures(
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  seen: Awaited<ReturnType<typeof readPublisher>>,
): CheckFailure[] {
  const viaPooler = pooler(publisher);
  if (viaPooler)
    return [
      {
        property: "publisher",
        reason: `points at ${viaPooler}: a connection pooler cannot serve logical replication, whose connections must reach the database server itself.`,
      },
    ];
  if (seen.refused)
    return [
      {
        property: "publisher",
        reason: `the publisher refused the connection (${seen.refused}): check the user, password and database in \`publisher\`.`,
      },
    ];
  // Reached, but a lock held there stopped the read: what it would have checked is unknown.
  if (seen.blocked)
    return [{ property: "publisher", reason: `reading the publisher failed: ${seen.blocked.message}.` }];
  if (seen.unreachable) {
    log.warn(
      `${label(inputs.name)}: this program cannot reach the publisher (${seen.unreachable}); the subscriber's server may. The preview cannot check its publications, slot and privileges: \`up\` does, from the subscriber.`,
    );
    return [];
  }
  const created = new Set([
    ...inputs.publications.filter((p) => typeof p !== "string").map((b) => (b as { name: string }).name),
    ...(Array.isArray(inputs.declaredPublications) ? inputs.declaredPublications : []),
  ]);
  const missing = (seen.view?.missingPublications ?? []).filter((p) => !created.has(p));
  if (missing.length === 0) return [];
  return [
    {
      property: "publications",
      reason: `publication(s) ${missing.map((p) => JSON.stringify(p)).join(", ")} do not exist on the publisher, and no Publication of this program creates them: fix the name, or pass the Publication resource itself in \`publications\`.`,
    },
  ];
}

/** The drift refresh records for a subscription that no longer exists on the replica. */
const DROPPED = "the subscription was dropped outside Pulumi";

/** Whether the refreshed state found differences the arguments cannot show. */
const drifted = (olds: SubscriptionState) => (olds.drift?.length ?? 0) > 0;

/** The apply error count a state last saw (stall.ts); state from before applyErrorsSeen: its last write's. */
const stallBaseline = (state: SubscriptionState) => state.applyErrorsSeen ?? state.applyErrors;

const handlers: Provider<SubscriptionInputs, SubscriptionState> = {
  async check(olds, news) {
    const { value, failures, unknown } = validate(schemaOf(SUBSCRIPTION_FIELDS), news);
    if (!value) return { inputs: news, failures };
    const inputs = value as unknown as SubscriptionInputs;
    const checked = value as Record<string, unknown>;
    const badSlot = slotNameFailure(inputs, unknown);
    if (badSlot) return { inputs: checked, failures: [badSlot] };
    dropComputed(SUBSCRIPTION_FIELDS, inputs);
    const last = olds as Partial<SubscriptionState>;
    if (unknown.has("publisher") || unknown.has("publications") || unknown.has("name")) {
      checked.publishedTables = UNKNOWN;
      if (last.publisherTimeoutsOff) inputs.publisherTimeoutsOff = last.publisherTimeoutsOff;
      return { inputs: checked, failures: [] };
    }
    // What the publications will publish: from the Publications given, else from the publisher.
    const publisher = parseConnection(inputs.publisher);
    const seen = await readPublisher(
      publisher,
      publicationNames(inputs.publications),
      inputs.slotName ?? inputs.name,
      givenBindings(inputs).flatMap((b) => b.tables),
    );
    const view = seen.view;
    const early = publisherFailures(inputs, publisher, seen);
    const bindings = bindingsOf(inputs, view);
    if (bindings) {
      inputs.bindings = bindings;
      inputs.publishedTables = sortedTables(bindings.flatMap((b) => b.tables));
    }
    inputs.publications = publicationNames(inputs.publications);
    recordTimeoutsOff(inputs, view, last.publisherTimeoutsOff);
    const said = timeoutsOffLine(inputs, view, last.name === undefined ? undefined : last);
    if (said) log.info(said);
    if (unknown.has("connection")) return { inputs: checked, failures: early };
    try {
      const ends = { connection: parseConnection(inputs.connection), publisher };
      const problems = await observeReplica(inputs, ends, last, view, appliedConnection(last));
      if (view) problems.push(...publisherRoleFailures(view.role, view.tableFacts));
      return { inputs: checked, failures: [...early, ...problems] };
    } catch (e) {
      return { inputs: checked, failures: [{ property: "connection", reason: (e as Error).message }] };
    }
  },

  async diff(_id, olds, news) {
    const version = olds.serverVersion ?? 0;
    const { updates, replaces } = fieldChanges(SUBSCRIPTION_FIELDS, olds, news, version);
    // The subscriber is its system identifier and database: another spelling of the same one is in place.
    const sameServer =
      olds.serverId !== undefined && news.serverId !== undefined
        ? olds.serverId === news.serverId
        : olds.endpoint === endpoint(parseConnection(news.connection));
    if (!sameServer) replaces.push("connection");
    const changes =
      replaces.length > 0 ||
      updates.length > 0 ||
      news.pendingRepair !== undefined ||
      news.stalled !== undefined ||
      news.skipped !== undefined ||
      drifted(olds) ||
      (news.publishedTables !== undefined && !sameTables(olds.publishedTables, news.publishedTables)) ||
      // A partition attached or detached under a root published through it: recorded by an update.
      (olds.rootPartitions !== undefined &&
        news.rootPartitions !== undefined &&
        !sameValue(olds.rootPartitions, news.rootPartitions));
    // A new subscription under the same name (or slot) cannot exist beside the old one.
    const sameSlot = (olds.slotName ?? olds.name) === (news.slotName ?? news.name);
    return {
      changes,
      replaces,
      deleteBeforeReplace: replaces.length > 0 && (olds.name === news.name || sameSlot),
    };
  },

  async create(inputs) {
    const ends = resolve(inputs, "connection", "publisher");
    const outs = await withSession(ends.connection, async (s) => {
      await settleBinary(s, inputs, ends.publisher, undefined, true);
      await createSubscription(s, inputs, ends);
      return stateAfterWrite(s, inputs, ends);
    });
    return { id: inputs.name, outs };
  },

  async read(id, props) {
    const ends = resolve(props, "connection", "publisher");
    return withSession(ends.connection, async (s) => {
      const state = await readSubscription(s, props.name);
      // Dropped outside Pulumi: kept in the state, as drift, so that the next `up` knows the
      // replica's rows came from it and repairs the stream (a re-copy) instead of meeting rows of
      // unknown origin (which a new subscription refuses to empty).
      if (!state) {
        const gone = {
          ...props,
          actualEnabled: false,
          actualSlotName: null,
          tableStates: {},
          drift: [DROPPED],
        };
        return {
          id,
          props: clean(gone),
          inputs: clean(inputsOf<SubscriptionInputs>(SUBSCRIPTION_FIELDS, props)),
        };
      }
      const drift: string[] = [];
      if (state.unfinishedCopy)
        drift.push(
          "the snapshot copy of an earlier up did not finish: the next up keeps the tables it finished and lets PostgreSQL copy the rest (or, when the stream broke too, empties its tables and copies them again)",
        );
      if (state.conninfo !== null && !conninfoMatches(state.conninfo, feedConnection(ends.publisher, props)))
        drift.push("the publisher connection was changed outside Pulumi");
      const view = await viewPublisher(ends.publisher, state.publications, state.slotName ?? undefined);
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
        if (state.slotName && view.slot?.invalidated)
          drift.push(slotInvalidatedReason(state.slotName, view.slot.invalidated));
      }
      // A stream that stopped (stall.ts): the counter's last record is kept, so that the next check
      // sees it (check knows whether a SchemaSync this depends on changes first).
      const baseline = stallBaseline(props);
      const offOnError = !state.enabled && props.enabled !== false && state.options.disableOnError === true;
      const stalled =
        drift.length > 0
          ? undefined
          : state.enabled
            ? (
                await applyStall(s, props.name, baseline, view?.slot, () =>
                  slotHealth(ends.publisher, state.slotName),
                )
              ).stalled
            : offOnError
              ? (await disabledOnError(s, props.name, baseline, view?.slot?.lagBytes)).stalled
              : undefined;
      if (stalled && offOnError) drift.push(stalled);
      const inputs: SubscriptionInputs = {
        ...inputsOf<SubscriptionInputs>(SUBSCRIPTION_FIELDS, props),
        publications: sameSet(state.publications, props.publications)
          ? props.publications
          : state.publications,
      };
      if (props.enabled !== undefined || !state.enabled) inputs.enabled = state.enabled;
      // Partitions attached since the last write are recorded unless one holds rows from before its
      // attach: those are kept unrecorded, for the next check to repair.
      // State from before this version has none: recorded now (what was attached before is not judged).
      if (view && props.rootPartitions === undefined) inputs.rootPartitions = view.rootPartitions;
      else if (view) {
        const attached = await newlyAttached(props.name, ends, view, props, true);
        if (attached.length === 0) inputs.rootPartitions = view.rootPartitions;
        else
          drift.push(
            `${attached.map(tableKey).join(", ")} attached as partitions with rows the stream never carried`,
          );
      }
      // Every option is read back: one the program sets, and one the server holds at another value
      // than PostgreSQL's default (left by hand, or by an earlier program) — the next preview shows it.
      const read = inputs as unknown as Record<string, unknown>;
      for (const key of alterableOptions(s.serverVersion)) {
        const v = state.options[key];
        if (v !== undefined && (props[key] !== undefined || differsFromDefault(key, v, s.serverVersion)))
          read[key] = v;
      }
      const outs: SubscriptionState = {
        ...(await stateAfterWrite(s, inputs, ends, false)),
        ...(stalled ? { applyErrorsSeen: baseline ?? 0 } : {}),
        // Skipped updates are acknowledged by an up only: a refreshed preview still says so.
        ...(props.skippedSeen !== undefined ? { skippedSeen: props.skippedSeen } : {}),
        drift,
      };
      // The next check's baseline (the engine keeps these inputs): stall.ts.
      if (outs.applyErrorsSeen !== undefined) inputs.applyErrorsSeen = outs.applyErrorsSeen;
      if (outs.skippedSeen !== undefined) inputs.skippedSeen = outs.skippedSeen;
      return { id, props: clean(outs), inputs: clean(inputs) };
    });
  },

  async update(_id, olds, news) {
    const ends = resolve(news, "connection", "publisher");
    const applied = appliedConnection(olds);
    const outs = await withSession(ends.connection, async (s) => {
      await settleBinary(s, news, ends.publisher, undefined, true);
      const state = await readSubscription(s, news.name);
      // Disabled by PostgreSQL on an error: enabled below, then watched (stall.ts watchEnabled).
      const offOnError = news.stalled !== undefined && state?.enabled === false;
      const errorsBefore = offOnError ? ((await readSubscriptionErrors(s, news.name))?.applyErrors ?? 0) : 0;
      // Looked at again before anything is written (a SchemaSync applied since may have removed the
      // cause), or, when this up sets a new publisher connection (a worker that cannot log in with
      // the old password after a rotation), once that is set.
      const reconnects =
        state !== undefined && !sameConnectionAs(state, feedConnection(ends.publisher, news), applied);
      const stillStalled = async (since = "") => {
        const look = () => slotHealth(ends.publisher, olds.actualSlotName);
        const { stalled } = await applyStall(s, news.name, stallBaseline(olds), await look(), look);
        if (stalled) throw new Error(`${label(news.name)}: ${since}${stalled}`);
      };
      if (news.stalled && !offOnError && !reconnects) await stillStalled();
      if (news.pendingRepair) await recopy(s, news, ends, news.pendingRepair);
      // Dropped outside Pulumi since the preview: subscribe again (check saw nothing to repair).
      else if (!state) await subscribe(s, news, ends);
      else {
        const refresh =
          news.publishedTables !== undefined && !sameTables(olds.publishedTables, news.publishedTables);
        await reconcile(s, state, news, ends, refresh || drifted(olds), applied);
        if (offOnError && news.enabled !== false) await watchEnabled(s, news.name, errorsBefore);
        else if (news.stalled && reconnects && news.enabled !== false)
          await stillStalled("with the publisher connection this up has just set, ");
      }
      return stateAfterWrite(s, news, ends);
    });
    return { outs };
  },

  async delete(_id, props) {
    const ends = resolve(props, "connection", "publisher");
    // The slot the subscription was last seen with (none: NONE); state before that field, by name.
    const slot = props.actualSlotName !== undefined ? props.actualSlotName : (props.slotName ?? props.name);
    await deleteSubscription(props.name, slot, ends);
  },
};

/** What the host calls: the handlers, their reads bounded (kernel/provider.ts), state in its stored form (fields.ts). */
export const provider = withStoredForm(withBoundedReads(handlers), {
  store: storeState,
  load: upgradeState,
});
