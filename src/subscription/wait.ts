// Waits until every table of a subscription is ready (pg_subscription_rel.srsubstate = 'r'),
// logging progress a person can follow, and failing with each table's state on timeout.

import * as log from "../kernel/log";
import type { Session } from "../pg/session";
import { readSubscriptionErrors, readSyncStates } from "./catalog";

export interface WaitOptions {
  timeoutSeconds: number;
  label: string;
  /** Fixed poll interval in milliseconds; by default it starts at 20 ms and grows to 250 ms. */
  intervalMs?: number;
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
