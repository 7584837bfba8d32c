// The Subscription provider's implementation. The provider object in subscription.ts only delegates here, so
// its serialized closure is a require of this module (a few hundred bytes), not this code.

import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { readSubscription, readSubscriptionErrors, readSyncStates, type SubscriptionState } from "./catalog";
import {
  connectionSchema,
  conninfo,
  endpoint,
  parseConnection,
  withSession,
  type Session,
} from "./connection";
import {
  identifier,
  alreadyExists,
  clean,
  operationError,
  sameSet,
  UNKNOWN,
  validate,
  vanished,
  versionFailures,
} from "./provider";
import * as sql from "./sql";
import { createPreflight, dropSafely, publishedTables, reconcile, slotHealth } from "./subscriptionOps";
import {
  ALTERABLE,
  createOptions,
  currentOption,
  DEFAULTS,
  label,
  OPTIONS,
  waitOptions,
} from "./subscriptionOptions";
import { waitForSync } from "./waitForSync";

import type { SubscriptionInputs, SubscriptionOutputs } from "./subscription";

function argsSchema() {
  return z.object({
    connection: connectionSchema(),
    name: identifier("the subscription name"),
    publisher: connectionSchema(),
    publications: z.array(identifier("a publication name")).min(1, "subscribe to at least one publication"),
    enabled: z.boolean().optional(),
    copyData: z.boolean().optional(),
    createSlot: z.boolean().optional(),
    slotName: z
      .string()
      .regex(
        SLOT_NAME,
        "a replication slot name may only contain lower-case letters, digits and underscores (at most 63)",
      )
      .optional(),
    binary: z.boolean().optional(),
    streaming: z.union([z.boolean(), z.literal("parallel")]).optional(),
    synchronousCommit: z.enum(["on", "off", "local", "remote_write", "remote_apply"]).optional(),
    twoPhase: z.boolean().optional(),
    disableOnError: z.boolean().optional(),
    origin: z.enum(["any", "none"]).optional(),
    runAsOwner: z.boolean().optional(),
    passwordRequired: z.boolean().optional(),
    failover: z.boolean().optional(),
    waitForSync: z
      .union([z.boolean(), z.object({ timeoutSeconds: z.number().positive() }).strict()])
      .optional(),
    adopt: z.boolean().optional(),
    publishedTables: z.array(z.string()).optional(),
  });
}

async function outputs(s: Session, inputs: SubscriptionInputs): Promise<SubscriptionOutputs> {
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

/** What PostgreSQL accepts as a replication slot name. */
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

/**
 * A subscription with this name, this exact connection (password included), these publications
 * and this slot can only be what an interrupted `up` left (the host killed mid-create, the
 * subscriber restarted during the wait): taking it over is how the next `up` converges.
 */
function leftover(existing: SubscriptionState, inputs: SubscriptionInputs): boolean {
  return (
    existing.conninfo === conninfo(parseConnection(inputs.publisher)) &&
    sameSet(existing.publications, inputs.publications) &&
    existing.slotName === (inputs.slotName ?? inputs.name)
  );
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { value, failures, unknown } = validate(argsSchema(), news);
    if (!value) return { inputs: news, failures };
    const inputs = value as unknown as SubscriptionInputs;
    // The slot is named after the subscription unless slotName says otherwise, and slot names are
    // restricted (ERROR: replication slot name contains invalid character).
    if (
      !unknown.has("name") &&
      inputs.slotName === undefined &&
      inputs.createSlot !== false &&
      !SLOT_NAME.test(inputs.name)
    )
      return {
        inputs: inputs as never,
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
    if (unknown.has("publisher") || unknown.has("publications")) inputs.publishedTables = UNKNOWN as never;
    else {
      const published = await publishedTables(inputs);
      if (published) inputs.publishedTables = published;
      else delete inputs.publishedTables;
    }
    if (unknown.has("connection")) return { inputs: inputs as never, failures: [] };
    try {
      const version = await withSession(parseConnection(inputs.connection), async (s) => s.serverVersion);
      const gates = Object.fromEntries(Object.entries(OPTIONS).map(([k, [, v]]) => [k, v]));
      const problems = versionFailures(
        version,
        gates,
        (o) => inputs[o as keyof SubscriptionInputs] !== undefined,
        "subscriber",
      );
      if (inputs.streaming === "parallel" && version < 160000)
        problems.push({
          property: "streaming",
          reason: `streaming: "parallel" needs PostgreSQL 16 or later; use true.`,
        });
      return { inputs: inputs as never, failures: problems };
    } catch (e) {
      return {
        inputs: inputs as never,
        failures: [{ property: "connection", reason: (e as Error).message }],
      };
    }
  },

  async diff(_id: string, olds: SubscriptionOutputs, news: SubscriptionInputs) {
    const replaces: string[] = [];
    if (olds.name !== news.name) replaces.push("name");
    if (olds.endpoint !== endpoint(parseConnection(news.connection))) replaces.push("connection");
    if ((olds.slotName ?? null) !== (news.slotName ?? null)) replaces.push("slotName");
    if ((olds.twoPhase ?? false) !== (news.twoPhase ?? false) && (olds.serverVersion ?? 0) < 180000)
      replaces.push("twoPhase");
    const differs = (k: keyof SubscriptionInputs) =>
      JSON.stringify(olds[k] ?? DEFAULTS[k] ?? null) !== JSON.stringify(news[k] ?? DEFAULTS[k] ?? null);
    const changes =
      replaces.length > 0 ||
      (olds.drift?.length ?? 0) > 0 ||
      !sameSet(olds.publications, news.publications) ||
      (news.publishedTables !== undefined && !sameSet(olds.publishedTables, news.publishedTables)) ||
      (olds.enabled ?? true) !== (news.enabled ?? true) ||
      ALTERABLE.some(differs) ||
      differs("twoPhase") ||
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

  async create(inputs: SubscriptionInputs) {
    const info = parseConnection(inputs.connection);
    const outs = await withSession(info, async (s) => {
      const existing = await readSubscription(s, inputs.name);
      if (existing && !inputs.adopt && !leftover(existing, inputs))
        throw alreadyExists(label(inputs.name), endpoint(info));
      if (existing) {
        if (!inputs.adopt)
          pulumi.log.warn(
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
          await dropSafely(s, inputs, publisher).catch(() => undefined);
          throw e;
        }
      }
      return outputs(s, inputs);
    });
    return { id: inputs.name, outs };
  },

  async read(id: string, props: SubscriptionOutputs) {
    const info = parseConnection(props.connection);
    return withSession(info, async (s) => {
      const state = await readSubscription(s, props.name);
      if (!state) return {};
      const drift: string[] = [];
      if (state.conninfo !== conninfo(parseConnection(props.publisher)))
        drift.push("the publisher connection was changed outside Pulumi");
      const inputs: SubscriptionInputs = {
        ...stripOutputs(props),
        publications: sameSet(state.publications, props.publications)
          ? props.publications
          : state.publications,
      };
      if (props.enabled !== undefined || !state.enabled) inputs.enabled = state.enabled;
      // Options the program sets are read back; unset ones are left to the server (its defaults vary by version).
      for (const key of ALTERABLE) {
        const v = currentOption(state, key);
        if (v !== undefined && props[key] !== undefined)
          (inputs as unknown as Record<string, unknown>)[key] = v;
      }
      const published = await publishedTables(props);
      if (published) inputs.publishedTables = published;
      const outs = { ...(await outputs(s, inputs)), drift };
      return { id, props: clean(outs), inputs: clean(inputs) };
    });
  },

  async update(_id: string, olds: SubscriptionOutputs, news: SubscriptionInputs) {
    const info = parseConnection(news.connection);
    const outs = await withSession(info, async (s) => {
      const state = await readSubscription(s, news.name);
      if (!state) throw vanished(label(news.name), endpoint(info));
      const refresh =
        news.publishedTables !== undefined && !sameSet(olds.publishedTables, news.publishedTables);
      await reconcile(s, state, news, refresh || (olds.drift?.length ?? 0) > 0);
      return outputs(s, news);
    });
    return { outs };
  },

  async delete(_id: string, props: SubscriptionOutputs) {
    const info = parseConnection(props.connection);
    await withSession(info, (s) => dropSafely(s, props, parseConnection(props.publisher)));
  },
};

function stripOutputs(props: SubscriptionOutputs): SubscriptionInputs {
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
