// Which subscriptions of the target fill the copied tables from another server than this
// SchemaSync's source. A column the source lacks on such a table holds that server's values (a
// migration rolled out shard by shard, the lagging shard's stack the first to run on that table)
// and is kept, not dropped: dropping it would lose them and stop that subscription's stream. A
// subscription streams from the server its slot is on (pg/feeders.ts).

import type { ConnectionInfo } from "../pg/connection";
import type { TableStakes } from "../pg/emptying";
import { feedersFrom } from "../pg/feeders";
import type { Session } from "../pg/session";
import { tableId } from "../pg/tables";
import type { SchemaSnapshot } from "./snapshot";

/**
 * The subscriptions among the only feeders of tables that would lose a column (a column of the
 * target's table the source's lacks) whose slot is not on `source`: another server fills those
 * tables. Nothing is read when no such table exists (the common case: one subscription, from this
 * source, and no column to drop). A subscription without a slot (slot_name = NONE) is counted as
 * another server's: its column is kept, not guessed away.
 */
export async function otherSourceFeeders(
  target: Session,
  source: ConnectionInfo,
  desired: SchemaSnapshot,
  actual: SchemaSnapshot,
  stakes: readonly TableStakes[],
): Promise<Set<string>> {
  const wanted = new Map(desired.tables.map((t) => [tableId(t), new Set(t.columns.map((c) => c.name))]));
  const losing = new Set(
    actual.tables
      .filter((t) => {
        const keep = wanted.get(tableId(t));
        return keep !== undefined && t.columns.some((c) => !keep.has(c.name));
      })
      .map(tableId),
  );
  // Two or more feeders keep such a column anyway (planTable.ts): only a lone one is asked about.
  const lone = [
    ...new Set(stakes.filter((t) => losing.has(tableId(t)) && t.fedBy.length === 1).map((t) => t.fedBy[0]!)),
  ];
  if (lone.length === 0) return new Set();
  const here = await feedersFrom(target, source, lone);
  return new Set(lone.filter((sub) => !here.has(sub)));
}
