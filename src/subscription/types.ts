// The Subscription's inputs (one zod schema, the TypeScript types inferred from it) and state.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { bindingSchema } from "../pg/binding";
import { connectionSchema } from "../pg/connection";
import { optionShape } from "./options";

/** The checked inputs (built by a factory called in check: module-level schemas break serialization). */
export function subscriptionSchema() {
  return z.object({
    connection: connectionSchema(),
    name: identifier("the subscription name"),
    publisher: connectionSchema(),
    /** Publication names, or what a Publication given in their place contributes (pg/binding.ts). */
    publications: z
      .array(z.union([identifier("a publication name"), bindingSchema()]))
      .min(1, "subscribe to at least one publication"),
    enabled: z.boolean().optional(),
    ...optionShape(),
    waitForSync: z
      .union([
        z.boolean(),
        z
          .object({
            timeoutSeconds: z.number().positive().optional(),
            /** Also wait until the publisher's WAL is at most this many bytes past what the subscription confirmed. */
            maxLagBytes: z.number().int().min(0, "maxLagBytes must not be negative").optional(),
          })
          .strict(),
      ])
      .optional(),
    adopt: z.boolean().optional(),
    repair: z.enum(["recopy", "refuse"]).optional(),
    // Computed by check, never given by a program:
    /** What the publications publish, as check saw it on the publisher (drives REFRESH PUBLICATION). */
    publishedTables: z.array(z.string()).optional(),
    /** Each publication with its oid and tables, as bound at the last create/update. */
    bindings: z.array(bindingSchema()).optional(),
    /** The subscriber's identity (system identifier and database), whatever spelling reaches it. */
    serverId: z.string().optional(),
    /** A repair the next `up` makes, and why (see drift.ts). */
    pendingRepair: z.object({ reasons: z.array(z.string()), tables: z.array(z.string()) }).optional(),
    /** Tables SchemaSync re-creates on the replica (wired from a SchemaSync in dependsOn). */
    recopyRequests: z.array(z.object({ table: z.string(), reason: z.string(), id: z.string() })).optional(),
    /** The ids of the re-copy requests already served (a request is served once). */
    recopyServed: z.array(z.string()).optional(),
  });
}

export interface RecopyRequest {
  /** "schema.name". */
  table: string;
  reason: string;
  /** Which apply made it ("next" in a preview). */
  id: string;
}

/** Inputs that check computes or that wiring provides. */
export type ComputedInputs =
  "publishedTables" | "bindings" | "serverId" | "pendingRepair" | "recopyRequests" | "recopyServed";

/** The publication names of `publications` (names, or bindings from Publications). */
export function publicationNames(publications: readonly (string | { name: string })[]): string[] {
  return publications.map((p) => (typeof p === "string" ? p : p.name));
}

export type SubscriptionInputs = z.infer<ReturnType<typeof subscriptionSchema>>;

/** The replication slot on the publisher, when the host can reach it. */
export interface SlotHealth {
  name: string;
  /** Whether a walsender is streaming from it. */
  active: boolean;
  /** WAL the slot holds back on the publisher, in bytes. */
  retainedBytes: number;
  /** The publisher's current WAL position minus what the subscription confirmed (confirmed_flush_lsn), in bytes. */
  lagBytes: number;
}

/** How far behind the replica is, when last looked at. */
export interface Lag {
  /** Bytes of the publisher's WAL the subscription has not confirmed; null when this host cannot reach the publisher. */
  bytes: number | null;
  /** When the subscription's apply worker last received a message (ISO 8601); null when it is not running. */
  lastMessageAt: string | null;
}

/** What a Subscription reports: its arguments and what the servers say. */
export interface SubscriptionOutputs extends Omit<SubscriptionInputs, ComputedInputs | "publications"> {
  /** The publication names. */
  publications: string[];
  /** host:port/database of the subscriber (no credentials). */
  endpoint: string;
  /** server_version_num of the subscriber. */
  serverVersion: number;
  /** The replication slot the subscription uses on the publisher (null when detached). */
  actualSlotName: string | null;
  /** Per-table sync state: i, d, f, s or r (ready). */
  tableStates: Record<string, string>;
  /** Whether the subscription is enabled on the subscriber. */
  actualEnabled: boolean;
  /** Apply errors the subscriber counted (PG15+). */
  applyErrors?: number;
  /** Initial-sync errors the subscriber counted (PG15+). */
  syncErrors?: number;
  /** The slot on the publisher, when this program can reach it. */
  slot?: SlotHealth;
  /** How far behind the replica is (create, update and refresh measure it). */
  lag: Lag;
  /** Differences found by refresh that the inputs cannot show (e.g. the connection changed by hand). */
  drift: string[];
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface SubscriptionState extends SubscriptionOutputs, Pick<SubscriptionInputs, ComputedInputs> {}

/** Outputs that hold credentials. */
export const SUBSCRIPTION_SECRET_OUTPUTS = ["connection", "publisher"];

export function label(name: string): string {
  return `Subscription ${JSON.stringify(name)}`;
}
