// What a Subscription learns from the Publication it is given (`publications: [pub]`): the
// publication's name, the tables it will publish once this `up` has run, and — when the publication
// exists and keeps existing — its oid. A Publication's check computes it, so a preview knows it; the
// oid is absent when the publication is to be created or re-created, which is how a Subscription
// sees at preview that its stream will break.

import { z } from "zod";

export function bindingSchema() {
  return z
    .object({
      name: z.string(),
      /** pg_publication.oid on the publisher, when the publication exists and is not replaced. */
      oid: z.number().int().optional(),
      /** "schema.name" of every table it names or covers, sorted. */
      tables: z.array(z.string()),
      /**
       * For each table, the id of the catalog row that publishes it now and keeps doing so: its
       * pg_publication_rel row, its schema's pg_publication_namespace row, or the publication (FOR
       * ALL TABLES). A table without one is (re-)added in this update: its stream had a gap.
       */
      members: z.record(z.string(), z.number()).optional(),
    })
    .strict();
}

export type Binding = z.infer<ReturnType<typeof bindingSchema>>;
