// The Publication's inputs (one zod schema, the TypeScript types inferred from it) and state.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { bindingSchema } from "../pg/binding";
import { connectionSchema } from "../pg/connection";
import { tableRefSchema } from "../pg/tables";

export const PUBLISH_OPERATIONS = ["insert", "update", "delete", "truncate"] as const;
export type PublishOperation = (typeof PUBLISH_OPERATIONS)[number];

/** The checked inputs (built by a factory called in check: module-level schemas break serialization). */
export function publicationSchema() {
  return z.object({
    connection: connectionSchema(),
    name: identifier("the publication name"),
    tables: z.array(tableRefSchema()).optional(),
    allTables: z.boolean().optional(),
    schemas: z.array(identifier("a schema name")).optional(),
    publish: z.array(z.enum(PUBLISH_OPERATIONS)).optional(),
    publishViaPartitionRoot: z.boolean().optional(),
    publishGeneratedColumns: z.enum(["none", "stored"]).optional(),
    owner: identifier("the owner").optional(),
    adopt: z.boolean().optional(),
    // Computed by check, never given by a program:
    /** The publisher's identity (system identifier and database), whatever spelling reaches it. */
    serverId: z.string().optional(),
    /** What subscriptions given this publication need to know (see pg/binding.ts). */
    binding: bindingSchema().optional(),
  });
}

/** Inputs that check computes. */
export type ComputedInputs = "serverId" | "binding";

/** Resolved, checked inputs (tables in canonical form). */
export type PublicationInputs = z.infer<ReturnType<typeof publicationSchema>>;

/** What a Publication reports: its arguments (tables in canonical form) and what the server says. */
export interface PublicationOutputs extends Omit<PublicationInputs, ComputedInputs> {
  /** host:port/database of the publisher (no credentials). */
  endpoint: string;
  /** The owner as the catalog reports it. */
  actualOwner: string;
  /** server_version_num of the publisher. */
  serverVersion: number;
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface PublicationState extends PublicationOutputs, Pick<PublicationInputs, ComputedInputs> {
  /** Row filters as the server deparsed them at the last create/update, by table; keeps refresh exact. */
  appliedFilters: Record<string, string>;
}

/** Outputs that hold credentials. */
export const PUBLICATION_SECRET_OUTPUTS = ["connection"];
