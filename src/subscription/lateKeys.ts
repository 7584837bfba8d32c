// Primary keys built after the rows (the snapshot copy): a whole table's key is dropped and added
// back inside its COPY's transaction (snapshotCopy.ts); a table copied in page ranges (several
// transactions) has its key dropped before its first range and built after its last, so for that
// while the table exists without it. The subscription's mark records those keys (sql.ts's
// CopyMark): whatever ends the copy — its end, its undo, the next `up` finishing or redoing it —
// puts back any that is missing, exactly as the replica defined it.

import type { Session } from "../pg/session";
import { tableId } from "../pg/tables";
import type { LateKey } from "./snapshotCatalog";
import type { CopyItem } from "./snapshotPlan";
import * as sql from "./sql";

type Client = { query(text: string): Promise<unknown> };

/**
 * The keys of the tables copied in page ranges, shared by the copy's connections: the first range
 * of a table to start drops its key (the others wait for that), the last to finish builds it.
 */
export class RangedKeys {
  private readonly keys: Map<string, LateKey>;
  private readonly left = new Map<string, number>();
  private readonly dropped = new Map<string, Promise<unknown>>();

  constructor(keys: readonly LateKey[], items: readonly CopyItem[]) {
    this.keys = new Map(keys.map((k) => [tableId(k), k]));
    for (const i of items)
      if (i.range && this.keys.has(tableId(i.table)))
        this.left.set(tableId(i.table), (this.left.get(tableId(i.table)) ?? 0) + 1);
  }

  /** Before a range's COPY, on the replica connection that copies it (set up by copyInSession: its lock wait bounded). */
  async before(rep: Client, item: CopyItem): Promise<void> {
    const key = item.range && this.keys.get(tableId(item.table));
    if (!key) return;
    const id = tableId(key);
    if (!this.dropped.has(id)) this.dropped.set(id, this.run(rep, sql.dropKey(key)));
    await this.dropped.get(id);
  }

  /** After a range's COPY committed: the table's last builds its key. */
  async after(rep: Client, item: CopyItem): Promise<void> {
    const key = item.range && this.keys.get(tableId(item.table));
    if (!key) return;
    const left = this.left.get(tableId(key))! - 1;
    this.left.set(tableId(key), left);
    if (left === 0) await this.run(rep, sql.addKey(key));
  }

  /**
   * In a transaction committed by a round trip of its own: a statement that waits for a lock while
   * the program is killed then dies with its connection, instead of running once the lock is free.
   */
  private async run(rep: Client, statement: string): Promise<void> {
    await rep.query(sql.beginWith(statement));
    await rep.query("COMMIT");
  }
}

/** Adds back each of `keys` its table lacks (the table's rows, if any, were copied under one snapshot). */
export async function restoreKeys(s: Session, keys: readonly LateKey[]): Promise<void> {
  for (const k of keys) {
    const [row] = await s.query<{ present: boolean }>(sql.KEY_EXISTS_QUERY, [k.schema, k.name, k.key]);
    if (row?.present === false) await s.exec(sql.addKey(k));
  }
}
