// Waits until every table of a subscription is ready (pg_subscription_rel.srsubstate = 'r') and,
// when asked, until its lag is under a bound, logging progress a person can follow, and failing
// with each table's state (or the lag) on timeout.

import * as log from "../kernel/log";
import type { Session } from "../pg/session";
import { readSubscriptionErrors, readSyncStates } from "./catalog";

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
  let lastReport = "";
  let lastReportAt = 0;
  for (;;) {
    const states = await readSyncStates(s, subscription);
    const ready = states.filter((t) => t.state === "r").length;
    if (ready === states.length) {
      if (states.length > 0) log.info(`${opts.label}: ${ready}/${states.length} tables ready.`);
      if (opts.maxLagBytes !== undefined) await waitForLag(opts, deadline);
      return;
    }
    const busy = states
      .filter((t) => t.state !== "r")
      .map((t) => `${t.table} (${STATE_NAMES[t.state] ?? t.state})`);
    const report = `${opts.label}: ${ready}/${states.length} tables ready; waiting for ${busy.slice(0, 5).join(", ")}${busy.length > 5 ? ", …" : ""}`;
    if (report !== lastReport || Date.now() - lastReportAt > 10_000) {
      log.info(report);
      lastReport = report;
      lastReportAt = Date.now();
    }
    if (Date.now() > deadline) {
      const errors = await readSubscriptionErrors(s, subscription);
      const errorText = errors
        ? ` The server counts ${errors.syncErrors} sync error(s) and ${errors.applyErrors} apply error(s) for it; its log has the messages.`
        : "";
      throw new Error(
        `${opts.label}: initial sync did not finish within ${opts.timeoutSeconds} s. Not ready: ${busy.join(", ")}.${errorText} Check the subscriber's log, that each table's columns match the publisher's, and max_logical_replication_workers; or raise waitForSync.timeoutSeconds.`,
      );
    }
    // A poll is one cheap catalog query: poll often while a copy is young (most finish in seconds),
    // less often as it goes on.
    const elapsed = Date.now() - (deadline - opts.timeoutSeconds * 1000);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? Math.min(250, 20 + elapsed / 50)));
  }
}

/** Polls the lag until it is at most `maxLagBytes`, within the same deadline. */
async function waitForLag(opts: WaitOptions, deadline: number): Promise<void> {
  const bound = opts.maxLagBytes!;
  let lastReportAt = 0;
  for (;;) {
    const lag = await opts.lag?.();
    if (lag === undefined)
      throw new Error(
        `${opts.label}: waitForSync.maxLagBytes needs the publisher's WAL position, and this program cannot reach the publisher with \`publisher\`: run it where the publisher is reachable, or leave maxLagBytes out.`,
      );
    if (lag <= bound) {
      log.info(`${opts.label}: ${lag} byte(s) behind the publisher (at most ${bound} wanted).`);
      return;
    }
    if (Date.now() - lastReportAt > 5_000) {
      log.info(`${opts.label}: ${lag} byte(s) behind the publisher; waiting for at most ${bound}.`);
      lastReportAt = Date.now();
    }
    if (Date.now() > deadline)
      throw new Error(
        `${opts.label}: still ${lag} byte(s) behind the publisher after waitForSync.timeoutSeconds (at most ${bound} wanted). Writes on the publisher may not have stopped, or the apply worker is failing (see applyErrors and the subscriber's log); raise timeoutSeconds or maxLagBytes.`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
