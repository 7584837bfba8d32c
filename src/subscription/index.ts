// Subscription: CREATE SUBSCRIPTION on the replica (never in a transaction block), changed in place
// where PostgreSQL allows, waited on until every table is ready, dropped safely even when the
// publisher is down.

import * as pulumi from "@pulumi/pulumi";
import { unset } from "../kernel/fields";
import type { ArgsOf, OutputsOf } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { StoredBinding } from "../pg/binding";
import type { RecopyRequest } from "../pg/recopy";
import {
  SUBSCRIPTION_SECRET_OUTPUTS,
  SUBSCRIPTION_STATE_KEYS,
  type SubscriptionFields,
  type SubscriptionOutputs,
} from "./types";

/** A Publication resource (or anything with a `name` output) given in `publications`. */
export interface PublicationLike {
  readonly name: pulumi.Output<string>;
}

/** The Subscription's arguments (each documented in SubscriptionFields and OptionInputs). */
export type SubscriptionArgs = Omit<ArgsOf<SubscriptionFields>, "publications"> & {
  /**
   * Publications to subscribe to: names, or the Publication resources themselves (then the preview
   * also knows what they will publish, and when one is re-created under the subscription). Changed
   * in place; newly published tables are copied.
   */
  publications: pulumi.Input<(pulumi.Input<string> | PublicationLike)[]>;
};

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const subscriptionProvider = delegatingProvider("subscription");

/** Every argument and what the servers report are outputs (see SubscriptionOutputs). */
export interface Subscription extends OutputsOf<SubscriptionOutputs> {}

/** A PostgreSQL subscription on the replica. */
export class Subscription extends pulumi.dynamic.Resource {
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
        declaredPublications: Array.isArray(args.publications) ? declaredNames(args.publications) : undefined,
        ...unset(Object.keys(SUBSCRIPTION_STATE_KEYS) as (keyof typeof SUBSCRIPTION_STATE_KEYS)[]),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SUBSCRIPTION_SECRET_OUTPUTS }),
      "pg-replication",
      "Subscription",
    );
  }
}

/** A Publication given in `publications`: its binding (pg/binding.ts), or its name. */
function bindingOf(p: pulumi.Input<string> | PublicationLike): pulumi.Input<string | StoredBinding> {
  if (p === null || typeof p !== "object" || pulumi.Output.isInstance(p) || !("name" in p)) return p;
  const binding = (p as { binding?: pulumi.Output<StoredBinding | undefined> }).binding;
  if (!pulumi.Output.isInstance(binding)) return p.name;
  // State written before bindings existed has none: the name alone then.
  return pulumi.all([binding, p.name]).apply(([b, n]) => b ?? n);
}

/** The names of the publications given as Publication resources (this program creates them). */
function declaredNames(publications: readonly (pulumi.Input<string> | PublicationLike)[]) {
  const resources = publications.filter(
    (p): p is PublicationLike =>
      p !== null && typeof p === "object" && !pulumi.Output.isInstance(p) && "name" in p,
  );
  return pulumi.all(resources.map((p) => p.name));
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

export type {
  Lag,
  OptionInputs,
  SlotHealth,
  SubscriptionFields,
  SubscriptionOutputs,
  WaitForSync,
} from "./types";
export { SUBSCRIPTION_SECRET_OUTPUTS } from "./types";
