// What the Subscription learns from the publisher, as this host reaches it: which publications
// exist, what they publish, and the health of its slot. The publisher may be reachable from the
// subscriber's server only, so every read here may come back undefined.

import { parseConnection, type ConnectionInfo } from "../pg/connection";
import { existingPublications, readPublishedTables } from "../pg/published";
import { readRoleFacts, type RoleFacts } from "../pg/roles";
import { withSession } from "../pg/session";
import { readTableFacts, type TableFacts } from "../pg/tableFacts";
import { tableKey } from "../pg/tables";
import { readSlot } from "./catalog";
import type { SlotHealth, SubscriptionInputs } from "./types";

export interface PublisherView {
  missingPublications: string[];
  tables: { schema: string; name: string }[];
  /** The role the subscription connects as, and what it may do with the published tables. */
  role: RoleFacts;
  tableFacts: TableFacts[];
}

/** What the publisher says, as the host reaches it; undefined when the host cannot reach it. */
export async function viewPublisher(
  inputs: Pick<SubscriptionInputs, "publisher" | "publications">,
): Promise<PublisherView | undefined> {
  try {
    return await withSession(parseConnection(inputs.publisher), async (s) => {
      const found = new Set(await existingPublications(s, inputs.publications));
      const tables = found.size > 0 ? await readPublishedTables(s, [...found]) : [];
      return {
        missingPublications: inputs.publications.filter((p) => !found.has(p)),
        tables,
        role: await readRoleFacts(s),
        tableFacts: await readTableFacts(s, tables),
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
