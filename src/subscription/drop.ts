// DROP SUBSCRIPTION, which also drops the slot on the publisher, made safe for a publisher that is
// down (https://www.postgresql.org/docs/current/sql-dropsubscription.html).

import * as log from "../kernel/log";
import { operationError } from "../kernel/errors";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { literal } from "../pg/quote";
import { withSession, type Session } from "../pg/session";
import { readSubscription } from "./catalog";
import * as sql from "./sql";
import { label } from "./types";

/**
 * When the publisher cannot be reached (08006 and friends), detach the slot (DISABLE,
 * slot_name = NONE), drop the subscription, then drop the orphaned slot from here if the
 * publisher is reachable, or name it with the command.
 */
export async function dropSafely(s: Session, name: string, publisher: ConnectionInfo): Promise<void> {
  const state = await readSubscription(s, name);
  if (!state) return;
  try {
    await s.exec(sql.dropSubscription(name));
    return;
  } catch (e) {
    const msg = String((e as Error).message);
    if (!/could not connect|connection to server|publisher/i.test(msg))
      throw operationError(label(name), "DROP SUBSCRIPTION", e);
  }
  const slot = state.slotName;
  await s.exec(sql.alterSubscriptionEnabled(name, false));
  await s.exec(sql.alterSubscriptionOptions(name, { slot_name: { none: true } }));
  await s.exec(sql.dropSubscription(name));
  if (!slot) return;
  try {
    await withSession(publisher, (p) => p.query(sql.dropReplicationSlotQuery(), [slot]));
    log.warn(
      `${label(name)}: the publisher refused the subscriber's connection; dropped replication slot "${slot}" directly.`,
    );
  } catch {
    log.warn(
      `${label(name)}: dropped while the publisher was unreachable. Replication slot "${slot}" is left on ${endpoint(publisher)} and retains WAL: run SELECT pg_drop_replication_slot(${literal(slot)}); there.`,
    );
  }
}
