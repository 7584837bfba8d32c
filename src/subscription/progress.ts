// What a person watching a long initial copy wants to read: how many tables are ready, and for
// each table being copied the rows and bytes so far, the rate, and an estimate of the time left
// (from the publisher's row estimate, when this program can read it); for a snapshot copy, the
// tables done, rows, bytes sent, rate and the share of the size done. And which of PostgreSQL's
// copies started over (CopyRestarts). Pure, but for the clock it is given.

import { tableId, tableKey, type TableName } from "../pg/tables";
import type { CopyProgress, TableSyncState } from "./catalog";
import type { CopyItem, SnapshotPlan } from "./snapshotPlan";
import { bytes, duration, number } from "../kernel/units";

const STATE_NAMES: Record<string, string> = {
  i: "initializing",
  d: "copying data",
  f: "finished copy",
  s: "synchronized",
  r: "ready",
};

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

/**
 * The last look at each table's copy. A COPY of a table showing fewer bytes than that look is a
 * new one — its table-sync worker ended and started again — and the one compared with from then on.
 */
export class CopyRestarts {
  private readonly last = new Map<string, { bytes: number; rows: number }>();

  /** The tables of `copies` whose copy started over since the last look, with the rows it had reached. */
  see(copies: readonly CopyProgress[]): { table: CopyProgress; reached: number }[] {
    const over: { table: CopyProgress; reached: number }[] = [];
    for (const c of copies) {
      const before = this.last.get(tableId(c));
      if (before && c.bytes < before.bytes) over.push({ table: c, reached: before.rows });
      this.last.set(tableId(c), { bytes: c.bytes, rows: c.rows });
    }
    return over;
  }
}

/** Progress of a snapshot copy, for a person: tables done, rows, bytes, rate, time left. Pure but for the clock given. */
export class SnapshotMeter {
  private readonly started: number;
  private doneTables = new Set<string>();
  private rows = 0;
  private copied = 0;
  /** The on-disk bytes of the COPYs finished (the plan's measure of size). */
  private doneBytes = 0;
  private readonly remainingParts = new Map<string, number>();
  private readonly running = new Map<CopyItem, number>();

  constructor(
    private readonly plan: SnapshotPlan,
    now: number,
  ) {
    this.started = now;
    for (const i of plan.items)
      this.remainingParts.set(tableId(i.table), (this.remainingParts.get(tableId(i.table)) ?? 0) + 1);
  }

  start(item: CopyItem): void {
    this.running.set(item, 0);
  }

  flowed(item: CopyItem, n: number): void {
    this.copied += n;
    this.running.set(item, (this.running.get(item) ?? 0) + n);
  }

  finish(item: CopyItem, rows: number): void {
    this.running.delete(item);
    this.rows += rows;
    this.doneBytes += item.bytes;
    const id = tableId(item.table);
    const left = (this.remainingParts.get(id) ?? 1) - 1;
    this.remainingParts.set(id, left);
    if (left === 0) this.doneTables.add(id);
  }

  line(name: string, now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const finished = this.doneTables.size === this.plan.tables.length;
    // The share done is measured in the tables' size on disk; the time left follows from it.
    const share = this.plan.bytes > 0 ? Math.min(this.doneBytes / this.plan.bytes, 1) : 0;
    const left =
      !finished && share > 0
        ? `, ${Math.round(share * 100)}% of their size, about ${duration((seconds * (1 - share)) / share)} left`
        : "";
    const running = [...this.running]
      .slice(0, 4)
      .map(
        ([i, n]) => `${tableKey(i.table)}${i.range ? ` (pages from ${i.range.fromPage})` : ""}: ${bytes(n)}`,
      );
    return `${name}: snapshot copy: ${this.doneTables.size}/${this.plan.tables.length} tables copied, ${number(this.rows)} rows, ${bytes(this.copied)} sent in ${duration(seconds)} (${bytes(this.copied / seconds)}/s)${left}${running.length > 0 ? `; copying ${running.join(", ")}` : ""}`;
  }
}
