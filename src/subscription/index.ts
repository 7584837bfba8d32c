// Subscription: CREATE SUBSCRIPTION on the replica (never in a transaction block), changed in place
// where PostgreSQL allows, waited on until every table is ready, dropped safely even when the
// publisher is down.

import * as pulumi from "@pulumi/pulumi";
import type { DeepInput, SameKeys } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { Connection } from "../pg/connection";
import type { OptionArgs } from "./options";
import { SUBSCRIPTION_SECRET_OUTPUTS, type SlotHealth, type SubscriptionInputs } from "./types";

interface SubscriptionBaseArgs {
  /** The replica (subscriber) database. Stored as a secret. Changing the server replaces. */
  connection: DeepInput<Connection>;
  /** The subscription's name, taken literally; also the default slot name. Changing it replaces. */
  name: pulumi.Input<string>;
  /** The publisher as the subscriber server reaches it. Changed in place (ALTER … CONNECTION): no re-copy. */
  publisher: DeepInput<Connection>;
  /** Publications to subscribe to; changed in place, newly published tables are copied. */
  publications: DeepInput<string[]>;
  /** Whether the subscription is active (default true). Changed in place. */
  enabled?: pulumi.Input<boolean>;
  /** Wait for the initial copy: true (10 minutes) or { timeoutSeconds }. Default false. */
  waitForSync?: DeepInput<boolean | { timeoutSeconds: number }>;
  /** Take over an existing subscription of the same name instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

/** The arguments: the base ones above and every option of options.ts (documented there). */
export type SubscriptionArgs = SubscriptionBaseArgs & OptionArgs;

// Every argument is an input of the schema, and the reverse (publishedTables is check's own).
const argsMatchSchema: SameKeys<SubscriptionArgs, Omit<SubscriptionInputs, "publishedTables">> = true;
void argsMatchSchema;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const subscriptionProvider = delegatingProvider("subscription");

/** A PostgreSQL subscription on the replica. */
export class Subscription extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly publications: pulumi.Output<string[]>;
  declare readonly tableStates: pulumi.Output<Record<string, string>>;
  declare readonly actualEnabled: pulumi.Output<boolean>;
  declare readonly actualSlotName: pulumi.Output<string | null>;
  declare readonly applyErrors: pulumi.Output<number | undefined>;
  declare readonly syncErrors: pulumi.Output<number | undefined>;
  declare readonly publishedTables: pulumi.Output<string[] | undefined>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly slot: pulumi.Output<SlotHealth | undefined>;

  constructor(name: string, args: SubscriptionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      subscriptionProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        publisher: pulumi.secret(args.publisher),
        publishedTables: undefined,
        endpoint: undefined,
        serverVersion: undefined,
        actualSlotName: undefined,
        tableStates: undefined,
        actualEnabled: undefined,
        applyErrors: undefined,
        syncErrors: undefined,
        slot: undefined,
        drift: undefined,
      },
      { ...opts, additionalSecretOutputs: SUBSCRIPTION_SECRET_OUTPUTS },
      "pg-replication",
      "Subscription",
    );
  }
}

export type { SlotHealth, SubscriptionInputs, SubscriptionOutputs } from "./types";
export { SUBSCRIPTION_SECRET_OUTPUTS } from "./types";
