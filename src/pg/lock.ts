// Advisory locks that serialize this package's own operations on one server (Pulumi runs
// independent resources at once): creating subscriptions (each counts the workers the others take),
// and copying schemas into one target (each sees the types the others created). And table locks
// other sessions hold: a change waits for one a bounded time, in tries (withLockTries).

import * as log from "../kernel/log";
import { LOCK_TRIES } from "../kernel/lockWaits";
import { describeHolders, HOLDERS_OF_TABLES, type Holder } from "./holders";
import type { Session } from "./session";
import type { TableName } from "./tables";

/** What a lock serializes; its key is the hash of this text, the same for every version of the package. */
export type LockPurpose = "create subscription" | "schema copy";

const key = (purpose: LockPurpose) => `pg_catalog.hashtext('pulumi-pg-replication: ${purpose}')`;

/** Runs `fn` holding the session lock for `purpose`, released whatever happens. */
export async function withLock<T>(s: Session, purpose: LockPurpose, fn: () => Promise<T>): Promise<T> {
  await s.query(`SELECT pg_catalog.pg_advisory_lock(${key(purpose)})`);
  try {
    return await fn();
  } finally {
    await s.query(`SELECT pg_catalog.pg_advisory_unlock(${key(purpose)})`);
  }
}

/** Takes the lock for `purpose` until the caller's transaction ends. */
async function lockForTransaction(s: Session, purpose: LockPurpose): Promise<void> {
  await s.query(`SELECT pg_catalog.pg_advisory_xact_lock(${key(purpose)})`);
}

/** How long a statement waits for a table lock before it fails (55P03): for the transaction ("SET LOCAL") or the session ("SET"). */
export function lockTimeout(seconds: number, set: "SET LOCAL" | "SET" = "SET LOCAL"): string {
  return `${set} lock_timeout = '${Math.max(1, Math.trunc(seconds))}s'`;
}

/**
 * Why a try of withLockTries lost its transaction to another session's lock: it waited longer than
 * lock_timeout (55P03), or PostgreSQL chose it as a deadlock's victim (40P01: a subscription's apply
 * worker, mid-transaction on one of these tables, waits for another this one locked already).
 * Either way the transaction was rolled back whole, and trying it again is safe.
 */
function lockLoss(e: unknown): "timeout" | "deadlock" | undefined {
  const code = (e as { code?: string }).code;
  return code === "55P03" ? "timeout" : code === "40P01" ? "deadlock" : undefined;
}

/**
 * Runs `fn` in one transaction on `s` whose statements wait at most `what.seconds` for a lock
 * (lockTimeout, set after this package's own lock for `what.serialize`, if any: that one must not
 * time out). When one could not have its lock in time (55P03), or was a deadlock's victim (40P01),
 * the transaction is rolled back and tried again after a pause, LOCK_TRIES times in all; when the
 * tries run out, the error carries `fix`: who holds locks on `what.tables`, what to do.
 */
export async function withLockTries<T>(
  s: Session,
  what: {
    label: string;
    seconds: number;
    where: string;
    tables: readonly TableName[];
    serialize?: LockPurpose;
  },
  fn: () => Promise<T>,
): Promise<T> {
  const attempt = () =>
    s.transaction(async () => {
      if (what.serialize) await lockForTransaction(s, what.serialize);
      await s.exec(lockTimeout(what.seconds));
      return fn();
    });
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (e) {
      const loss = lockLoss(e);
      if (!loss) throw e;
      if (tries >= LOCK_TRIES)
        throw Object.assign(e as Error, { fix: await lockTriesFix(s, what.tables, what.seconds, loss) });
      const why =
        loss === "timeout"
          ? `a table lock on the ${what.where} was not free within ${what.seconds} s (another session holds it)`
          : `a table lock on the ${what.where} deadlocked with another session's (one writing to these tables, such as a subscription's apply worker), and PostgreSQL chose this change to give way`;
      log.warn(`${what.label}: ${why}; rolled back, trying again (${tries + 1} of ${LOCK_TRIES}).`);
      await new Promise((r) => setTimeout(r, 1000 * tries));
    }
  }
}

/** The fix for a change whose tries ran out (55P03, or 40P01 last): who holds locks on `tables`, what to do. */
async function lockTriesFix(
  s: Session,
  tables: readonly TableName[],
  seconds: number,
  loss: "timeout" | "deadlock",
): Promise<string> {
  const holders = await s
    .query<Holder>(HOLDERS_OF_TABLES, [tables.map((t) => t.schema), tables.map((t) => t.name)])
    .catch(() => []);
  const who = describeHolders(holders);
  const held = who.length > 0 ? ` (${who.join("; ")})` : "";
  if (loss === "deadlock")
    return `${LOCK_TRIES} tries could not lock the tables this changes: the last deadlocked with another session writing to them${held}. Run up again once those writes settle (for a subscription's apply worker: once its backlog is applied).`;
  return `${LOCK_TRIES} tries of ${seconds} s each could not lock a table this changes: another session holds it${held}. Run up again once it is released, or raise \`lockTimeoutSeconds\`.`;
}
