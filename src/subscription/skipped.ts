// Changes PostgreSQL skips without an error: an UPDATE of a row the replica lacks (deleted there by
// hand, or by a job of the replica's) is dropped — the primary has the row, the replica does not,
// and nothing stops or fails. PostgreSQL 18 counts them (pg_stat_subscription_stats'
// confl_update_missing); the count the last `up` saw is kept, and a look that finds more plans an
// update with the warning, so that a drift alarm (preview --expect-no-changes) reports it until an
// `up` acknowledges it. Before 18 nothing counts them.

import type { Session } from "../pg/session";
import { readConflictCounts } from "./catalog";

/** The number of updates the subscriber skipped for lack of the row (PG18); undefined before 18. */
export async function readSkippedUpdates(s: Session, name: string): Promise<number | undefined> {
  if (s.serverVersion < 180000) return undefined;
  return (await readConflictCounts(s, name)).update_missing ?? 0;
}

/** Why the replica differs when `now` skipped updates exceed `seen` (the last `up`'s count), else undefined. */
export function skippedWarning(now: number | undefined, seen: number | undefined): string | undefined {
  if (now === undefined || seen === undefined || now <= seen) return undefined;
  return `PostgreSQL skipped ${now - seen} update(s) of rows the replica lacks since the last up (update_missing): the primary has those rows, the replica does not, and nothing failed. The subscriber's log names each table and key ("conflict detected … update_missing"). Unless the replica removes rows on purpose (a retention job), copy those rows from the primary, or set the Subscription's \`recopy\` to a new value to have up copy its tables again; up records this count and stops saying so.`;
}
