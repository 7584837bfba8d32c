// The Subscription's inputs (one zod schema, the TypeScript types inferred from it) and state.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { connectionSchema } from "../pg/connection";
import { optionShape } from "./options";

/** The checked inputs (built by a factory called in check: module-level schemas break serialization). */
export function subscriptionSchema() {
  return z.object({
    connection: connectionSchema(),
    name: identifier("the subscription name"),
    publisher: connectionSchema(),
    publications: z.array(identifier("a publication name")).min(1, "subscribe to at least one publication"),
    enabled: z.boolean().optional(),
    ...optionShape(),
    waitForSync: z
      .union([z.boolean(), z.object({ timeoutSeconds: z.number().positive() }).strict()])
      .optional(),
    adopt: z.boolean().optional(),
    /** What the publications publish, as check saw it on the publisher (drives REFRESH PUBLICATION). */
    publishedTables: z.array(z.string()).optional(),
  });
}

export type SubscriptionInputs = z.infer<ReturnType<typeof subscriptionSchema>>;

/** The replication slot on the publisher, when the host can reach it. */
export interface SlotHealth {
  name: string;
  /** Whether a walsender is streaming from it. */
  active: boolean;
  /** WAL the slot holds back on the publisher, in bytes. */
  retainedBytes: number;
}

export interface SubscriptionOutputs extends SubscriptionInputs {
  endpoint: string;
  serverVersion: number;
  actualSlotName: string | null;
  /** Per-table sync state: i, d, f, s or r (ready). */
  tableStates: Record<string, string>;
  actualEnabled: boolean;
  applyErrors?: number;
  syncErrors?: number;
  slot?: SlotHealth;
  /** Differences found by refresh that the inputs cannot show (e.g. the connection changed by hand). */
  drift: string[];
}

/** Outputs that hold credentials. */
export const SUBSCRIPTION_SECRET_OUTPUTS = ["connection", "publisher"];

export function label(name: string): string {
  return `Subscription ${JSON.stringify(name)}`;
}
