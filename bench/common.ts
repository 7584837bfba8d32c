// Shared pieces of the benchmarks: medians, query counting, and an alternating runner.

import * as os from "node:os";
import { recordQueries } from "../test/harness/util";

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A time in ms as a table cell in seconds ("1.23 s"), "n/a" for a method that did not run. */
export const seconds = (ms?: number): string => (ms === undefined ? "n/a" : `${(ms / 1000).toFixed(2)} s`);

/** `a` ÷ `b` as a table cell ("0.42"), "n/a" when either is missing. */
export const ratio = (a?: number, b?: number): string => (a && b ? (a / b).toFixed(2) : "n/a");

/** Runs `fn` counting every query any pg client sends meanwhile. */
export async function countQueries<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const [result, texts] = await recordQueries(fn);
  return [result, texts.length];
}

/** CPU time every core of the machine has been busy since it started (user, nice, system, interrupts), in ms. */
function busyMs(): number {
  return os.cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

/**
 * The machine's busy CPU time during the last `timed` call, in ms: every process's (both servers,
 * the provider host, pgcopydb, this bench), counted by the kernel in 10 ms ticks. Divided by the
 * wall time it is how many cores were busy on average; a run whose cores were all busy is bound by
 * the CPU work it does, not by waits.
 */
export let lastBusyMs = 0;

/** Wall time of `fn` in milliseconds (its CPU time: lastBusyMs). */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const b0 = busyMs();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  lastBusyMs = busyMs() - b0;
  return ms;
}

/**
 * Runs every method once untimed (warm-up: caches, WAL segments), then once per round, the order
 * reversed every other round; returns each method's times, round by round.
 */
export async function alternateRounds(
  rounds: number,
  methods: Record<string, (round: number) => Promise<number>>,
): Promise<Record<string, number[]>> {
  for (const fn of Object.values(methods)) await fn(-1);
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    const order = Object.keys(methods);
    if (round % 2 === 1) order.reverse();
    for (const name of order) times[name]!.push(await methods[name]!(round));
  }
  return times;
}

/** Each method's median of its rounds (alternateRounds' times). */
export const medians = (times: Record<string, number[]>): Record<string, number> =>
  Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));

/** alternateRounds' medians. */
export async function alternate(
  rounds: number,
  methods: Record<string, (round: number) => Promise<number>>,
): Promise<Record<string, number>> {
  return medians(await alternateRounds(rounds, methods));
}

/**
 * `a` ÷ `b` round by round (both ran in the same round, minutes apart: the machine's slower and
 * faster hours fall on both), e.g. "0.52 0.58 0.61 (median 0.58)"; undefined when either is missing.
 */
export function pairedRatios(a?: readonly number[], b?: readonly number[]): string | undefined {
  if (!a || !b || a.length === 0 || a.length !== b.length) return undefined;
  const ratios = a.map((x, i) => x / b[i]!);
  return `${ratios.map((r) => r.toFixed(2)).join(" ")} (median ${median(ratios).toFixed(2)})`;
}

/**
 * What a new PostgreSQL connection costs on this machine: `count` in a row from node-postgres to
 * `url` (connect, `SELECT 1`, close), the mean in ms. Processes are most of it (the server forks a
 * backend per connection), and their price differs several times between VMs: every per-table
 * method (PostgreSQL's own copy, pgcopydb) moves with it, so a run's ratios read with it.
 */
export async function connectionCost(url: string, count = 50): Promise<number> {
  const { Client } = await import("pg");
  const ms = await timed(async () => {
    for (let i = 0; i < count; i++) {
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        await c.query("SELECT 1");
      } finally {
        await c.end();
      }
    }
  });
  return ms / count;
}

export const env = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  majors: (process.env.BENCH_MAJORS ?? "15,18").split(",").map(Number) as (14 | 15 | 16 | 17 | 18)[],
};
