// How long this package waits for table locks other sessions hold. A change waits
// `lockTimeoutSeconds` per try, LOCK_TRIES tries (pg/lock.ts). The reads of a check, diff or read
// (a preview, a refresh, the checks of an up) wait as long as those tries together: a catalog
// function such as pg_get_expr takes ACCESS SHARE on the table it describes, so behind another
// session's ACCESS EXCLUSIVE (an ALTER TABLE left in an open transaction, a VACUUM FULL, a long
// migration) a read would otherwise wait as long as that session, and a preview in CI hang without
// a word. The provider wrapper (provider.ts withBoundedReads) sets the bound for the call; every
// session the call opens takes it (pg/session.ts).

import { AsyncLocalStorage } from "node:async_hooks";

/** Tries of a change whose statement could not have its table lock in time. */
export const LOCK_TRIES = 3;

/** `lockTimeoutSeconds` when a resource does not say. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 5;

const bound = new AsyncLocalStorage<number>();

/** Runs `fn` with its sessions' lock waits bounded to `seconds`. */
export function withReadWait<T>(seconds: number, fn: () => Promise<T>): Promise<T> {
  return bound.run(seconds, fn);
}

/** The bound of the call in progress, if it is a check, diff or read. */
export function readWait(): number | undefined {
  return bound.getStore();
}

/** How long the reads of a check, diff or read of a resource whose inputs or state are `v` wait for a table lock. */
export function readWaitSeconds(v: Record<string, unknown> | undefined): number {
  const given = v?.lockTimeoutSeconds;
  return LOCK_TRIES * (typeof given === "number" && given > 0 ? given : DEFAULT_LOCK_TIMEOUT_SECONDS);
}
