// DROP SUBSCRIPTION, which also drops the slot on the publisher, made safe for a publisher that is
// down (https://www.postgresql.org/docs/current/sql-dropsubscription.html).

import * as log from "../kernel/log";
import { operationError } from "../kernel/errors";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { literal } from "../pg/quote";
import { failedToConnect, withSession, type Session } from "../pg/session";
import { bytes } from "../kernel/units";
import { readSubscription } from "./catalog";
import type { Ends } from "./fields";
import * as sql from "./sql";
import { label } from "./types";
import { dropIdleSlot, slotHealth } from "./publisher";

/**
 * DROP SUBSCRIPTION drops the slot through the publisher. When it cannot (SQLSTATE class 08: the
 * publisher is down, or the slot could not be dropped through it), detach the slot (DISABLE, slot_name = NONE) and
 * drop the subscription alone; then drop a slot left behind from here if the publisher is
 * reachable, or name it with the command to run.
 */
export async function dropSafely(s: Session, name: string, publisher: ConnectionInfo): Promise<void> {
  const run = (verb: string, statement: string) =>
    s.exec(statement).catch((e) => {
      throw operationError(label(name), verb, e);
    });
  const state = await readSubscription(s, name);
  if (!state) return;
  try {
    await s.exec(sql.dropSubscription(name));
    return;
  } catch (e) {
    // Class 08 (connection exception): the subscriber could not reach the publisher, or could not
    // drop the slot through it. Decided by SQLSTATE, not by the (translated) message.
    if (!String((e as { code?: string }).code ?? "").startsWith("08"))
      throw operationError(label(name), "DROP SUBSCRIPTION", e);
  }
  const slot = state.slotName;
  if (state.enabled) await run("ALTER SUBSCRIPTION … DISABLE", sql.alterSubscriptionEnabled(name, false));
  if (slot)
    await run(
      "ALTER SUBSCRIPTION … SET (slot_name = NONE)",
      sql.alterSubscriptionOptions(name, { slot_name: { none: true } }),
    );
  await run("DROP SUBSCRIPTION", sql.dropSubscription(name));
  if (!slot) return;
  try {
    // Dropped only if it is still there (the publisher may have dropped it already).
    const dropped = await dropIdleSlot(publisher, slot);
    if (dropped.length > 0)
      log.warn(
        `${label(name)}: the publisher refused the subscriber's connection; dropped replication slot "${slot}" directly.`,
      );
  } catch {
    log.warn(
      `${label(name)}: dropped while the publisher was unreachable. Replication slot "${slot}" is left on ${endpoint(publisher)} and retains WAL: run SELECT pg_drop_replication_slot(${literal(slot)}); there.`,
    );
  }
}

/**
 * `pulumi destroy` (or a replacement's delete): the subscription dropped on its subscriber. When
 * the subscriber cannot be reached, the error says what stays on the publisher meanwhile — the
 * slot and the WAL it holds — and how to let go of it if the replica is gone for good.
 */
export async function deleteSubscription(name: string, slot: string | null, ends: Ends): Promise<void> {
  try {
    await withSession(ends.connection, (s) => dropSafely(s, name, ends.publisher));
  } catch (e) {
    if (!failedToConnect(e) || !slot) throw e;
    const held = await slotHealth(ends.publisher, slot);
    if (!held) throw e;
    throw new Error(
      `${(e as Error).message}. ${label(name)} cannot be dropped while its subscriber is unreachable, and its replication slot ${JSON.stringify(slot)} stays on ${endpoint(ends.publisher)} meanwhile (${held.active ? "in use" : "not in use"}, holding ${bytes(held.retainedBytes)} of WAL, which grows until it is dropped). Bring the subscriber back and run destroy again; or, if the replica is gone for good, drop the slot on the publisher (SELECT pg_drop_replication_slot(${literal(slot)});) and remove this resource from the stack (pulumi state delete).`,
    );
  }
}
