// Types tying each resource's documented arguments to its Resource class: every argument may be
// a pulumi.Input (at every depth), and every field of the state is an output.

import type * as pulumi from "@pulumi/pulumi";

/** T where every value, at every depth (object fields, array items), may be a pulumi.Input. */
export type DeepInput<T> = pulumi.Input<Deep<T>>;
type Deep<T> = T extends readonly (infer U)[]
  ? DeepInput<U>[]
  : T extends string | number | boolean | null | undefined
    ? T
    : { [K in keyof T]: DeepInput<T[K]> };

/** A resource's arguments from its resolved fields: each may be an Input, optional ones stay optional. */
export type ArgsOf<F> = { [K in keyof F]: DeepInput<F[K]> };

/** A Resource class's outputs from the fields it reports (declared by merging: `interface X extends OutputsOf<…>`). */
export type OutputsOf<O> = { readonly [K in keyof O]-?: pulumi.Output<O[K]> };
