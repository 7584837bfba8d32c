// Types tying each resource's documented Args to the inputs its zod schema accepts.

import type * as pulumi from "@pulumi/pulumi";

/** T where every value, at every depth (object fields, array items), may be a pulumi.Input. */
export type DeepInput<T> = pulumi.Input<Deep<T>>;
type Deep<T> = T extends readonly (infer U)[]
  ? DeepInput<U>[]
  : T extends string | number | boolean | null | undefined
    ? T
    : { [K in keyof T]: DeepInput<T[K]> };

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/**
 * `true` when A and B have the same keys, optional in both or required in both; use as
 * `const _: SameKeys<Args, Inputs> = true` so that an argument added to the schema but not to the
 * documented Args (or the reverse) fails to compile.
 */
export type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never]
  ? [Exclude<OptionalKeys<A>, OptionalKeys<B>> | Exclude<OptionalKeys<B>, OptionalKeys<A>>] extends [never]
    ? true
    : {
        optionalityDiffers:
          Exclude<OptionalKeys<A>, OptionalKeys<B>> | Exclude<OptionalKeys<B>, OptionalKeys<A>>;
      }
  : { keysDiffer: Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A> };

/** The `pulumi.Output` properties a Resource class declares (its outputs), without `urn` and `id`. */
export type DeclaredOutputs<R> = {
  [K in keyof R as K extends "urn" | "id" ? never : R[K] extends pulumi.Output<unknown> ? K : never]: R[K];
};
