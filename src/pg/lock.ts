// Advisory locks that serialize this package's own operations on one server (Pulumi runs
// independent resources at once): creating subscriptions (each counts the workers the others take),
// and copying schemas into one target (each sees the types the others created).

import type { Session } from "./session";

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
export async function lockForTransaction(s: Session, purpose: LockPurpose): Promise<void> {
  await s.query(`SELECT pg_catalog.pg_advisory_xact_lock(${key(purpose)})`);
}
