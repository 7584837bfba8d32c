// What the Subscription learns from the publisher, as this host reaches it: which publications
// exist, what they publish, and the health of its slot. The publisher may be reachable from the
// subscriber's server only, so every read here may come back undefined.

import { parseConnection, type ConnectionInfo } from "../pg/connection";
import { existingPublications, readPublishedTables } from "../pg/published";
import { withSession } from "../pg/session";
import { tableKey } from "../pg/tables";
import { readSlot } from "./catalog";
import type { SlotHealth, SubscriptionInputs } from "./types";

/** What the publisher says, as the host reaches it; undefined when the host cannot reach it. */
export async function viewPublisher(
  inputs: Pick<SubscriptionInputs, "publisher" | "publications">,
): Promise<{ missingPublications: string[]; tables: { schema: string; name: string }[] } | undefined> {
  try {
    return await withSession(parseConnection(inputs.publisher), async (s) => {
      const found = new Set(await existingPublications(s, inputs.publications));
      return {
        missingPublications: inputs.publications.filter((p) => !found.has(p)),
        tables: found.size > 0 ? await readPublishedTables(s, [...found]) : [],
      };
    });
  } catch {
    return undefined; // the publisher may be reachable from the subscriber only
  }
}

/** The published tables as "schema.name", when the host can see every publication. */
export async function publishedTables(
  inputs: Pick<SubscriptionInputs, "publisher" | "publications">,
): Promise<string[] | undefined> {
  const view = await viewPublisher(inputs);
  return view && view.missingPublications.length === 0 ? view.tables.map(tableKey) : undefined;
}

/** The replication slot's health on the publisher, when the host can reach it. */
export async function slotHealth(publisher: ConnectionInfo, slot: string): Promise<SlotHealth | undefined> {
  try {
    const health = await withSession(publisher, (p) => readSlot(p, slot));
    return health ? { name: slot, ...health } : undefined;
  } catch {
    return undefined;
  }
}
