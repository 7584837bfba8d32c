// The Subscription's field table (see kernel/fields.ts): validation, defaults and what a change
// does, for every argument (options.ts's table included) and computed input of types.ts; and state
// of earlier versions read into today's form. Provider-side only: the public declarations
// (types.ts) never import zod.

import { z } from "zod";
import type { FieldTable } from "../kernel/fields";
import { identifier } from "../kernel/identifier";
import { storedBinding, upgradeBinding, type Binding } from "../pg/binding";
import { parseConnection, type Resolved } from "../pg/connection";
import { upgradeRequests } from "../pg/recopy";
import { SESSION_TIMEOUTS } from "../pg/session";
import {
  bindingSchema,
  connectionSchema,
  lockTimeoutField,
  recopyRequestSchema,
  storedTableNameSchema,
  tableNameSchema,
} from "../pg/schemas";
import { storedTableName, tableFromStored, type StoredTableName, type TableName } from "../pg/tables";
import { optionFields } from "./options";
import { publicationNames, type SubscriptionInputs, type SubscriptionState } from "./types";

const names = (p: readonly (string | { name: string })[]) => publicationNames(p).sort();

export const SUBSCRIPTION_FIELDS = {
  // Another spelling of the same server (serverId) changes in place: compared by meaning.
  connection: { kind: "arg", schema: () => connectionSchema(), compare: (c) => parseConnection(c) },
  name: { kind: "arg", schema: () => identifier("the subscription name"), change: "replace" },
  publisher: { kind: "arg", schema: () => connectionSchema(), compare: (c) => parseConnection(c) },
  publications: {
    kind: "arg",
    schema: () =>
      z
        .array(z.union([identifier("a publication name"), bindingSchema()]))
        .min(1, "subscribe to at least one publication"),
    compare: names,
  },
  enabled: { kind: "arg", schema: () => z.boolean().optional(), default: true },
  waitForSync: {
    kind: "arg",
    schema: () =>
      z
        .union([
          z.boolean(),
          z
            .object({
              timeoutSeconds: z.number().positive().optional(),
              maxLagBytes: z.number().int().min(0, "maxLagBytes must not be negative").optional(),
            })
            .strict(),
        ])
        .optional(),
    default: false,
  },
  adopt: { kind: "arg", schema: () => z.boolean().optional(), change: "none" },
  repair: { kind: "arg", schema: () => z.enum(["recopy", "refuse"]).optional(), default: "recopy" },
  recopy: { kind: "arg", schema: () => z.string().min(1, "recopy is a non-empty token").optional() },
  copyMethod: {
    kind: "arg",
    schema: () => z.enum(["postgres", "snapshot", "auto"]).optional(),
    default: "auto",
    change: "none",
  },
  copyJobs: {
    kind: "arg",
    schema: () =>
      z.number().int().min(1, "copyJobs must be at least 1").max(64, "copyJobs may be at most 64").optional(),
    default: 4,
    change: "none",
  },
  lockTimeoutSeconds: lockTimeoutField,
  ...optionFields(),
  publishedTables: { kind: "computed", schema: () => z.array(storedTableNameSchema()).optional() },
  bindings: { kind: "computed", schema: () => z.array(bindingSchema()).optional() },
  serverId: { kind: "computed", schema: () => z.string().optional() },
  pendingRepair: {
    kind: "computed",
    schema: () =>
      z
        .object({
          reasons: z.array(z.string()),
          tables: z.array(tableNameSchema()),
          resume: z.object({ kept: z.array(tableNameSchema()) }).optional(),
        })
        .optional(),
  },
  // Why the stream looks stopped at check (stall.ts): update looks again, after SchemaSync, and fails if it still is.
  stalled: { kind: "computed", schema: () => z.string().optional() },
  // The apply error count the last look saw (stall.ts's baseline): no change of its own.
  applyErrorsSeen: { kind: "computed", schema: () => z.number().int().optional(), change: "none" },
  // Updates skipped for lack of the row (PG18), the last up's count (skipped.ts): no change of its own.
  skippedSeen: { kind: "computed", schema: () => z.number().int().optional(), change: "none" },
  // Why the replica differs by skipped updates (skipped.ts): an update that records the count.
  skipped: { kind: "computed", schema: () => z.string().optional() },
  recopyRequests: { kind: "wired", schema: () => z.array(recopyRequestSchema()).optional() },
  declaredPublications: { kind: "wired", schema: () => z.array(z.string()).optional() },
  recopyServed: { kind: "computed", schema: () => z.array(z.string()).optional() },
  oid: { kind: "computed", schema: () => z.number().int().optional() },
  // Compared by diff only once recorded (state from before this version has none).
  rootPartitions: { kind: "computed", schema: () => z.array(z.string()).optional(), change: "none" },
  // Shown by a create's preview; no change of its own.
  adoption: { kind: "computed", schema: () => z.array(z.string()).optional(), change: "none" },
  // The publisher role's timeouts its connection turns off: an update sets the connection again.
  publisherTimeoutsOff: {
    kind: "computed",
    schema: () => z.array(z.enum(SESSION_TIMEOUTS)).optional(),
    change: "update",
  },
} as const satisfies FieldTable<SubscriptionInputs>;

/**
 * State as earlier versions wrote it, in today's form. 0.1.0 has no bindings, serverId or
 * recopyServed (each compared only once known); before 0.3.0 tables were "schema.name" strings
 * (publishedTables, the bindings', the re-copy requests'). Drop the conversions once no stack holds
 * such state (the first 1.x).
 */
export function upgradeState(state: SubscriptionState): SubscriptionState {
  const requests = upgradeRequests(state.recopyRequests);
  return {
    ...state,
    ...(Array.isArray(state.publishedTables)
      ? { publishedTables: (state.publishedTables as StoredTableName[]).map(tableFromStored) }
      : {}),
    ...(Array.isArray(state.bindings) ? { bindings: state.bindings.map(upgradeBinding) } : {}),
    ...(requests ? { recopyRequests: requests } : {}),
  };
}

/** The state (or checked inputs) in the form the host carries: tables as stored names (pg/tables.ts). */
export function storeState(value: Record<string, unknown>): Record<string, unknown> {
  const { publishedTables, bindings } = value;
  return {
    ...value,
    ...(Array.isArray(publishedTables)
      ? { publishedTables: (publishedTables as TableName[]).map(storedTableName) }
      : {}),
    ...(Array.isArray(bindings) ? { bindings: (bindings as Binding[]).map(storedBinding) } : {}),
  };
}

/** The subscriber (`connection`) and the publisher, resolved once at a handler's start. */
export type Ends = Resolved<"connection" | "publisher">;
