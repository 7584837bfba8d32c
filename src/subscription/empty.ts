// Emptying a subscription's tables on the replica before they are copied again (a repair, an
// unfinished snapshot copy finished): bounded waits for their locks, and nothing changed on a
// give-up.

import { operationError } from "../kernel/errors";
import { valueOf } from "../kernel/fields";
import { truncateTables } from "../pg/emptying";
import { withLockTries } from "../pg/lock";
import type { Session } from "../pg/session";
import { readTableFacts } from "../pg/tableFacts";
import type { TableName } from "../pg/tables";
import { SUBSCRIPTION_FIELDS } from "./fields";
import { label, type SubscriptionInputs } from "./types";

/**
 * Empties `tables` on the replica (those that exist) in one transaction on `e`, each statement
 * waiting at most `lockTimeoutSeconds` for its lock (withLockTries); `then` runs in that transaction
 * before it commits ("dropped": the subscription is gone already).
 */
export async function emptyTables(
  e: Session,
  inputs: SubscriptionInputs,
  tables: readonly TableName[],
  then: "dropped" | (() => Promise<void>),
): Promise<void> {
  const seconds = valueOf(SUBSCRIPTION_FIELDS, "lockTimeoutSeconds", inputs.lockTimeoutSeconds) as number;
  const untouched =
    then === "dropped"
      ? "The subscription was dropped first (its table synchronisation was under way); the next up repairs again."
      : "Nothing was emptied or dropped.";
  await withLockTries(e, { label: label(inputs.name), seconds, where: "replica", tables }, async () => {
    const existing = await readTableFacts(e, tables);
    if (existing.length > 0)
      await e.exec(truncateTables(existing)).catch((err) => {
        throw Object.assign(err as Error, { emptying: true });
      });
    if (then !== "dropped") await then();
  }).catch((e) => {
    const { code, fix, emptying } = e as { code?: string; fix?: string; emptying?: boolean };
    // An error of the drop is its own, unless the tries for the locks ran out (`fix` says why).
    if (!emptying && fix === undefined) throw e;
    // 0A000: a table of the replica outside this subscription references one of them.
    const why =
      fix ??
      (code === "0A000"
        ? 'Tables on the replica that reference these (foreign keys from tables this subscription does not copy) prevent emptying them: drop those constraints or set `repair: "refuse"` and repair by hand.'
        : undefined);
    throw operationError(
      label(inputs.name),
      "TRUNCATE (before copying again)",
      e,
      why ? `${why} ${untouched}` : untouched,
    );
  });
}
