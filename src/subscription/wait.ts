// Waits until every table of a subscription is ready (pg_subscription_rel.srsubstate = 'r') and,
// when asked, until its lag is under a bound, logging progress a person can follow, and failing
// with each table's state (or the lag) on timeout.

import * as log from "../kernel/log";
import { poll } from "../kernel/poll";
import type { Session } from "../pg/session";
import { readSubscriptionErrors, readSyncStates, runningWorkers } from "./catalog";
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
}

const STATE_NAMES: Record<string, string> = {
  i: "initializing",
  d: "copying data",
  f: "finished copy",
  s: "synchronized",
  r: "ready",
};

export async function waitForSync(s: Session, subscription: string, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const busy = (states: { table: string; state: string }[]) =>
    states.filter((t) => t.state !== "r").map((t) => `${t.table} (${STATE_NAMES[t.state] ?? t.state})`);
  const states = await poll({
    read: () => readSyncStates(s, subscription),
    done: (states) => states.every((t) => t.state === "r"),
    timeoutMs: opts.timeoutSeconds * 1000,
    ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
    report: (states) => {
      const waiting = busy(states);
      return `${opts.label}: ${states.length - waiting.length}/${states.length} tables ready; waiting for ${waiting.slice(0, 5).join(", ")}${waiting.length > 5 ? ", …" : ""}`;
    },
    log: log.info,
    timeout: async (states) => {
      const errors = await readSubscriptionErrors(s, subscription);
      const errorText = errors
        ? ` The server counts ${errors.syncErrors} sync error(s) and ${errors.applyErrors} apply error(s) for it; its log has the messages.`
        : "";
      return new Error(
        `${opts.label}: initial sync did not finish within ${opts.timeoutSeconds} s. Not ready: ${busy(states).join(", ")}.${errorText} Check the subscriber's log, that each table's columns match the publisher's, and max_logical_replication_workers; or raise waitForSync.timeoutSeconds.`,
      );
    },
  });
  if (states.length > 0) log.info(`${opts.label}: ${states.length}/${states.length} tables ready.`);
  if (opts.maxLagBytes !== undefined) await waitForLag(opts, deadline);
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
