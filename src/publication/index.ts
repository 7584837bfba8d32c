// Publication: CREATE PUBLICATION on the primary, altered in place, read back from the catalogs.

import * as pulumi from "@pulumi/pulumi";
import { unset } from "../kernel/fields";
import type { ArgsOf, OutputsOf } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { TableRef } from "../pg/tables";
import {
  PUBLICATION_SECRET_OUTPUTS,
  PUBLICATION_STATE_KEYS,
  type PublicationFields,
  type PublicationOutputs,
} from "./types";

/** The Publication's arguments (each documented in PublicationFields). */
export type PublicationArgs = ArgsOf<PublicationFields>;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const publicationProvider = delegatingProvider("publication");

/** Every argument and what the server reports are outputs (see PublicationOutputs). */
export interface Publication extends OutputsOf<Omit<PublicationOutputs, "tables">> {
  /** The listed tables in canonical form ("schema.name", or an object with columns/where or dotted names); undefined with `allTables`. */
  readonly tables: pulumi.Output<TableRef[]>;
}

/** A PostgreSQL publication on the primary. */
export class Publication extends pulumi.dynamic.Resource {
  constructor(name: string, args: PublicationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      publicationProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        declaredBy: `${pulumi.getProject()}/${pulumi.getStack()}`,
        // The binding is read by a Subscription given this publication (`publications: [pub]`).
        ...unset(Object.keys(PUBLICATION_STATE_KEYS) as (keyof typeof PUBLICATION_STATE_KEYS)[]),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: PUBLICATION_SECRET_OUTPUTS }),
      "pg-replication",
      "Publication",
    );
  }
}

export type { PublicationFields, PublicationOutputs, PublishOperation } from "./types";
export { PUBLICATION_SECRET_OUTPUTS } from "./types";
