// What a person watching a long initial copy wants to read: how many tables are ready, and for
// each table being copied the rows and bytes so far, the rate, and an estimate of the time left
// (from the publisher's row estimate, when this program can read it). Pure, but for the clock it
// is given.

import { tableId, tableKey, type TableName } from "../pg/tables";
import type { CopyProgress, TableSyncState } from "./catalog";

const STATE_NAMES: Record<string, string> = {
  i: "initializing",
  d: "copying data",
  f: "finished copy",
  s: "synchronized",
  r: "ready",
};

export const number = (n: number) => Math.round(n).toLocaleString("en-US");
export function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) ((n /= 1024), i++);
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Keeps the last sample of each table's copy, to tell its rate. */
export class CopyMeter {
  private readonly last = new Map<string, { rows: number; at: number }>();

  constructor(
    /** The publisher's row estimate per table (tableId), when known. */
    private readonly totals: ReadonlyMap<string, number> = new Map(),
  ) {}

  /** One line: tables ready, then each table not ready with its state or its copy's progress. */
  line(
    label: string,
    states: readonly TableSyncState[],
    copies: readonly CopyProgress[],
    now: number,
  ): string {
    const copying = new Map(copies.map((c) => [tableId(c), c]));
    const waiting = states.filter((t) => t.state !== "r");
    const parts = waiting.slice(0, 5).map((t) => {
      const c = copying.get(tableId(t));
      return c ? this.progress(t, c, now) : `${t.table} (${STATE_NAMES[t.state] ?? t.state})`;
    });
    const more = waiting.length > 5 ? `, and ${waiting.length - 5} more` : "";
    return `${label}: ${states.length - waiting.length}/${states.length} tables ready; ${parts.join(", ")}${more}`;
  }

  private progress(t: TableName, c: CopyProgress, now: number): string {
    const id = tableId(t);
    const prev = this.last.get(id);
    this.last.set(id, { rows: c.rows, at: now });
    let text = `${tableKey(t)}: ${number(c.rows)} rows (${bytes(c.bytes)}) copied`;
    if (prev && now > prev.at && c.rows >= prev.rows) {
      const rate = ((c.rows - prev.rows) * 1000) / (now - prev.at);
      text += ` at ${number(rate)} rows/s`;
      const total = this.totals.get(id);
      if (total !== undefined && total > c.rows && rate > 0)
        text += `, about ${duration((total - c.rows) / rate)} left of ~${number(total)}`;
    }
    return text;
  }
}
