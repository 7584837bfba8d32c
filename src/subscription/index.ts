// Subscription: CREATE SUBSCRIPTION on the replica (never in a transaction block), changed in place
// where PostgreSQL allows, waited on until every table is ready, dropped safely even when the
// publisher is down.

import * as pulumi from "@pulumi/pulumi";
import type { DeclaredOutputs, DeepInput, SameKeys } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { Connection } from "../pg/connection";
import type { Binding } from "../pg/binding";
import type { OptionArgs, OptionOutputs } from "./options";
import {
  SUBSCRIPTION_SECRET_OUTPUTS,
  type ComputedInputs,
  type RecopyRequest,
  type Lag,
  type SlotHealth,
  type SubscriptionInputs,
  type SubscriptionOutputs,
} from "./types";

interface SubscriptionBaseArgs {
  /** The replica (subscriber) database. Stored as a secret. Changing the server replaces. */
  connection: DeepInput<Connection>;
  /** The subscription's name, taken literally; also the default slot name. Changing it replaces. */
  name: pulumi.Input<string>;
  /** The publisher as the subscriber server reaches it. Changed in place (ALTER … CONNECTION): no re-copy. */
  publisher: DeepInput<Connection>;
  /**
   * Publications to subscribe to: names, or the Publication resources themselves (then the preview
   * also knows what they will publish, and when one is re-created under the subscription). Changed
   * in place; newly published tables are copied.
   */
  publications: pulumi.Input<(pulumi.Input<string> | PublicationLike)[]>;
  /** Whether the subscription is active (default true). Changed in place. */
  enabled?: pulumi.Input<boolean>;
  /**
   * Wait for the initial copy: true (10 minutes) or { timeoutSeconds, maxLagBytes }. With
   * maxLagBytes, also wait until the publisher's WAL is at most that many bytes past what the
   * subscription confirmed (0 after writes stopped: caught up; needs the publisher reachable from
   * the program). Default false.
   */
  waitForSync?: DeepInput<boolean | { timeoutSeconds?: number; maxLagBytes?: number }>;
  /** Take over an existing subscription of the same name instead of failing. */
  adopt?: pulumi.Input<boolean>;
  /**
   * What `up` does when the stream is broken in a way PostgreSQL does not heal (a publication or the
   * slot dropped or re-created, the subscription dropped by hand, tables SchemaSync re-creates):
   * "recopy" (default) empties the subscription's tables on the replica and copies them again with a
   * new slot, losing nothing; "refuse" fails the preview with the reason and the tables instead.
   */
  repair?: pulumi.Input<"recopy" | "refuse">;
}

/** A Publication resource (or anything with a `name` output) given in `publications`. */
export interface PublicationLike {
  readonly name: pulumi.Output<string>;
}

/** The arguments: the base ones above and every option of options.ts (documented there). */
export type SubscriptionArgs = SubscriptionBaseArgs & OptionArgs;

// Every argument is an input of the schema, and the reverse (publishedTables is check's own).
const argsMatchSchema: SameKeys<SubscriptionArgs, Omit<SubscriptionInputs, ComputedInputs>> = true;
void argsMatchSchema;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const subscriptionProvider = delegatingProvider("subscription");

/** A PostgreSQL subscription on the replica. */
export class Subscription extends pulumi.dynamic.Resource {
  /** The replica, as given (secret). */
  declare readonly connection: pulumi.Output<Connection>;
  /** The subscription's name. */
  declare readonly name: pulumi.Output<string>;
  /** The publisher as the replica's server reaches it (secret). */
  declare readonly publisher: pulumi.Output<Connection>;
  /** The publication names. */
  declare readonly publications: pulumi.Output<string[]>;
  declare readonly enabled: pulumi.Output<boolean | undefined>;
  declare readonly waitForSync: pulumi.Output<
    boolean | { timeoutSeconds?: number; maxLagBytes?: number } | undefined
  >;
  declare readonly adopt: pulumi.Output<boolean | undefined>;
  declare readonly repair: pulumi.Output<"recopy" | "refuse" | undefined>;
  /** host:port/database of the subscriber (no credentials). */
  declare readonly endpoint: pulumi.Output<string>;
  /** server_version_num of the subscriber. */
  declare readonly serverVersion: pulumi.Output<number>;
  /** The replication slot in use on the publisher (null when detached). */
  declare readonly actualSlotName: pulumi.Output<string | null>;
  /** Per-table sync state: i initializing, d copying, f finished copy, s synchronized, r ready. */
  declare readonly tableStates: pulumi.Output<Record<string, string>>;
  /** Whether the subscription is enabled on the subscriber. */
  declare readonly actualEnabled: pulumi.Output<boolean>;
  /** Apply errors the subscriber counted (PG15+). */
  declare readonly applyErrors: pulumi.Output<number | undefined>;
  /** Initial-sync errors the subscriber counted (PG15+). */
  declare readonly syncErrors: pulumi.Output<number | undefined>;
  /** The slot on the publisher, when this program can reach it. */
  declare readonly slot: pulumi.Output<SlotHealth | undefined>;
  /** How far behind the replica is: bytes of the publisher's WAL not yet confirmed (null when unreachable from here), and when the last message arrived. */
  declare readonly lag: pulumi.Output<Lag>;
  /** Differences found by refresh that the arguments cannot show. */
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: SubscriptionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      subscriptionProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        publisher: pulumi.secret(args.publisher),
        publications: Array.isArray(args.publications) ? args.publications.map(bindingOf) : args.publications,
        recopyRequests: recopyRequestsOf(opts?.dependsOn),
        publishedTables: undefined,
        bindings: undefined,
        serverId: undefined,
        pendingRepair: undefined,
        endpoint: undefined,
        serverVersion: undefined,
        actualSlotName: undefined,
        tableStates: undefined,
        actualEnabled: undefined,
        applyErrors: undefined,
        syncErrors: undefined,
        slot: undefined,
        lag: undefined,
        drift: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SUBSCRIPTION_SECRET_OUTPUTS }),
      "pg-replication",
      "Subscription",
    );
  }
}

/** A Publication given in `publications`: its binding (pg/binding.ts), or its name. */
function bindingOf(p: pulumi.Input<string> | PublicationLike): pulumi.Input<string | Binding> {
  if (p === null || typeof p !== "object" || pulumi.Output.isInstance(p) || !("name" in p)) return p;
  const binding = (p as { binding?: pulumi.Output<Binding | undefined> }).binding;
  if (!pulumi.Output.isInstance(binding)) return p.name;
  // State written before bindings existed has none: the name alone then.
  return pulumi.all([binding, p.name]).apply(([b, n]) => b ?? n);
}

/** What SchemaSyncs this subscription depends on re-create on the replica (to re-copy). */
function recopyRequestsOf(dependsOn: pulumi.CustomResourceOptions["dependsOn"]) {
  if (!Array.isArray(dependsOn)) return undefined;
  const requests = dependsOn
    .map((r) => (r as { recopyRequests?: unknown }).recopyRequests)
    .filter((o): o is pulumi.Output<RecopyRequest[] | undefined> => pulumi.Output.isInstance(o));
  if (requests.length === 0) return undefined;
  return pulumi.all(requests).apply((lists) => lists.flatMap((l) => l ?? []));
}

/** Every option of options.ts is an output too. */
export interface Subscription extends OptionOutputs {}

// The class declares every output, and nothing else.
const outputsDeclared: SameKeys<DeclaredOutputs<Subscription>, Required<SubscriptionOutputs>> = true;
void outputsDeclared;

export type { Lag, SlotHealth, SubscriptionOutputs } from "./types";
export { SUBSCRIPTION_SECRET_OUTPUTS } from "./types";
