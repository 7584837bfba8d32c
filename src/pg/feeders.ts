// Which of the replica's subscriptions stream from a given server: a subscription streams from
// the server its slot is on. Where it connects (subconninfo) is readable by superusers only; slot
// names on both sides by anyone. Used where a table's other writers matter: SchemaSync keeps a
// column another server's rows fill; a Subscription refuses a table another subscription already
// takes from the same publisher.

import type { ConnectionInfo } from "./connection";
import { withSession, type Session } from "./session";

/** The replication slot of each of these subscriptions of the current database (null: slot_name = NONE). */
export async function readSubscriptionSlots(
  s: Session,
  subscriptions: readonly string[],
): Promise<Map<string, string | null>> {
  const rows = await s.query<{ name: string; slot: string | null }>(
    `SELECT subname AS name, subslotname AS slot FROM pg_catalog.pg_subscription
      WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
        AND subname = ANY($1::text[])`,
    [[...subscriptions]],
  );
  return new Map(rows.map((r) => [r.name, r.slot]));
}

/** Which of these names are logical replication slots of the current database (pg_replication_slots is public). */
export async function readLogicalSlots(s: Session, names: readonly string[]): Promise<Set<string>> {
  const rows = await s.query<{ name: string }>(
    `SELECT slot_name AS name FROM pg_catalog.pg_replication_slots
      WHERE slot_type = 'logical' AND database = current_database() AND slot_name = ANY($1::text[])`,
    [[...names]],
  );
  return new Set(rows.map((r) => r.name));
}

/**
 * Which of `subscriptions` (of the replica, `replica`) stream from `publisher`'s database: their
 * slot is one of its logical slots. One without a slot (slot_name = NONE) streams from none.
 */
export async function feedersFrom(
  replica: Session,
  publisher: ConnectionInfo,
  subscriptions: readonly string[],
): Promise<Set<string>> {
  if (subscriptions.length === 0) return new Set();
  const slots = await readSubscriptionSlots(replica, subscriptions);
  const named = [...slots.values()].filter((v): v is string => v !== null);
  if (named.length === 0) return new Set();
  const there = await withSession(publisher, (s) => readLogicalSlots(s, named));
  return new Set(subscriptions.filter((sub) => there.has(slots.get(sub) ?? "")));
}
