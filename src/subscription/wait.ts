// Waits until every table of a subscription is ready (pg_subscription_rel.srsubstate = 'r') and,
// when asked, until its lag is under a bound, logging progress a person can follow, and failing
// with each table's state (or the lag) on timeout.

import * as log from "../kernel/log";
import { poll } from "../kernel/poll";
import { number } from "../kernel/units";
import type { Session } from "../pg/session";
import { tableKey } from "../pg/tables";
import { readCopyProgress, readSubscriptionErrors, readSyncStates, runningWorkers } from "./catalog";
import { CopyMeter, CopyRestarts } from "./progress";
import { label } from "./types";

export interface WaitOptions {
  timeoutSeconds: number;
  label: string;
  /** Fixed poll interval in milliseconds; by default it starts at 20 ms and grows to 250 ms. */
  intervalMs?: number;
  /** Then wait until `lag()` is at most this many bytes. */
  maxLagBytes?: number;
  /** The lag in bytes as the publisher sees it; undefined when the publisher cannot be reached from here. */
  lag?: () => Promise<number | undefined>;
  /** The publisher's row estimate per table (tableId), for the time left; empty when unknown. */
  totals?: () => Promise<ReadonlyMap<string, number>>;
  /**
   * A known reason PostgreSQL's copy of the tables cannot finish: asked at the deadline, and as soon
   * as a table's copy is seen starting over (its COPY's progress going back), which with such a
   * reason ends the wait there.
   */
  whyStuck?: (s: Session) => Promise<string | undefined>;
}

/** How often a long wait reports its progress. */
const REPORT_EVERY_MS = 10_000;

/**
 * Waits for every table to be ready, reporting the copy's progress at most every 10 s. At the
 * deadline it fails, and the copy goes on on the server: the next `up` waits again from there. A
 * table whose copy is seen starting over, where `whyStuck` knows why it cannot finish, ends the
 * wait at once with that reason (the copy, which would start over until the deadline, goes on).
 */
export async function waitForSync(s: Session, subscription: string, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  let meter: CopyMeter | undefined;
  const restarts = new CopyRestarts();
  const read = async () => {
    meter ??= new CopyMeter(await (opts.totals?.() ?? Promise.resolve(new Map<string, number>())));
    const states = await readSyncStates(s, subscription);
    const copying = states.some((t) => t.state === "d");
    const copies = copying ? await readCopyProgress(s, subscription) : [];
    const at = Date.now();
    const over = restarts.see(copies);
    if (over.length > 0 && opts.whyStuck) {
      const stuck = await opts.whyStuck(s).catch(() => undefined);
      if (stuck) {
        const what = over.map((o) => `${tableKey(o.table)}, after ${number(o.reached)} row(s)`).join("; ");
        const where = meter.line(opts.label, states, copies, at);
        throw await stuckError(
          s,
          subscription,
          opts,
          `PostgreSQL's copy started over (${what})`,
          where,
          stuck,
        );
      }
    }
    return { states, copies, at };
  };
  const { states } = await poll({
    read,
    done: ({ states }) => states.every((t) => t.state === "r"),
    timeoutMs: opts.timeoutSeconds * 1000,
    ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
    report: ({ states, copies, at }) => meter!.line(opts.label, states, copies, at),
    reportEveryMs: REPORT_EVERY_MS,
    reportOnChange: false,
    log: log.info,
    timeout: async ({ states, copies, at }) =>
      stuckError(
        s,
        subscription,
        opts,
        `the initial copy did not finish within ${opts.timeoutSeconds} s`,
        (meter ?? new CopyMeter()).line(opts.label, states, copies, at),
        // A courtesy: the timeout stands without it.
        await opts.whyStuck?.(s).catch(() => undefined),
      ),
  });
  if (states.length > 0) log.info(`${opts.label}: ${states.length}/${states.length} tables ready.`);
  if (opts.maxLagBytes !== undefined) await waitForLag(opts, deadline);
}

/**
 * The error that ends a wait with tables not ready: `what` happened, `where` the copy is (a
 * CopyMeter line), why it may never finish (`stuck`), and what to do next.
 */
async function stuckError(
  s: Session,
  subscription: string,
  opts: WaitOptions,
  what: string,
  where: string,
  stuck: string | undefined,
): Promise<Error> {
  const errors = await readSubscriptionErrors(s, subscription);
  const errorText = errors
    ? ` The server counts ${errors.syncErrors} sync error(s) and ${errors.applyErrors} apply error(s) for it; its log has the messages.`
    : "";
  const [outlook, next] = stuck
    ? [
        `It may never finish: ${stuck}.`,
        "Once lifted, run up again: it waits for the copy from where it is (nothing is emptied or copied again).",
      ]
    : [
        "It goes on on the subscriber: run up again to wait for it from where it is (nothing is emptied or copied again), or raise waitForSync.timeoutSeconds.",
        "If it makes no progress, check the subscriber's log, that each table's columns match the publisher's, and max_logical_replication_workers.",
      ];
  return new Error(
    `${opts.label}: ${what} (${where.slice(opts.label.length + 2)}). ${outlook}${errorText} ${next}`,
  );
}

/** Polls the lag until it is at most `maxLagBytes`, within the same deadline. */
async function waitForLag(opts: WaitOptions, deadline: number): Promise<void> {
  const bound = opts.maxLagBytes!;
  const lag = await poll({
    read: async () => {
      const lag = await opts.lag?.();
      if (lag === undefined)
        throw new Error(
          `${opts.label}: waitForSync.maxLagBytes needs the publisher's WAL position, and this program cannot reach the publisher with \`publisher\`: run it where the publisher is reachable, or leave maxLagBytes out.`,
        );
      return lag;
    },
    done: (lag) => lag <= bound,
    timeoutMs: Math.max(0, deadline - Date.now()),
    intervalMs: opts.intervalMs ?? 100,
    report: (lag) => `${opts.label}: ${lag} byte(s) behind the publisher; waiting for at most ${bound}.`,
    reportEveryMs: 5_000,
    log: log.info,
    timeout: (lag) =>
      new Error(
        `${opts.label}: still ${lag} byte(s) behind the publisher after waitForSync.timeoutSeconds (at most ${bound} wanted). Writes on the publisher may not have stopped, or the apply worker is failing (see applyErrors and the subscriber's log); raise timeoutSeconds or maxLagBytes.`,
      ),
  });
  log.info(`${opts.label}: ${lag} byte(s) behind the publisher (at most ${bound} wanted).`);
}

/** Waits until no apply or sync worker of a (disabled) subscription is running. */
export async function workersStopped(s: Session, name: string, timeoutMs = 30_000): Promise<void> {
  await poll({
    read: () => runningWorkers(s, name),
    done: (n) => n === 0,
    timeoutMs,
    intervalMs: 50,
    timeout: () =>
      new Error(
        `${label(name)}: its replication workers were still running ${timeoutMs / 1000} s after DISABLE; try again.`,
      ),
  });
}
