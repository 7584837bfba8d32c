// Waiting for a server to reach a state: one loop for every wait in the package (a subscription's
// initial copy, its lag, its workers stopping), with a report at most every `reportEveryMs` and a
// deadline that ends in an error saying what was still missing.

export interface PollOptions<T> {
  /** Reads the state; `done` says whether it is reached. */
  read: () => Promise<T>;
  done: (state: T) => boolean;
  /** Milliseconds until the deadline. */
  timeoutMs: number;
  /** The error at the deadline, from the last state read. */
  timeout: (state: T) => Promise<Error> | Error;
  /** A progress line from the state (logged first, then when it changes and at least every reportEveryMs). */
  report?: (state: T, elapsedMs: number) => string | undefined;
  reportEveryMs?: number;
  /** Log a changed line at once (default); false: at most every reportEveryMs. */
  reportOnChange?: boolean;
  /** Milliseconds between reads: fixed, or growing from 20 ms to 250 ms (most waits end in seconds). */
  intervalMs?: number;
  log?: (line: string) => void;
}

/** Polls until `done`; returns the state that was. Throws the timeout's error at the deadline. */
export async function poll<T>(o: PollOptions<T>): Promise<T> {
  const started = Date.now();
  let lastLine: string | undefined;
  let lastAt = 0;
  for (;;) {
    const state = await o.read();
    if (o.done(state)) return state;
    const elapsed = Date.now() - started;
    const due = Date.now() - lastAt >= (o.reportEveryMs ?? 10_000);
    const onChange = o.reportOnChange ?? true;
    const line = due || onChange ? o.report?.(state, elapsed) : undefined;
    if (line !== undefined && (due || line !== lastLine)) {
      o.log?.(line);
      lastLine = line;
      lastAt = Date.now();
    }
    if (elapsed > o.timeoutMs) throw await o.timeout(state);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? Math.min(250, 20 + elapsed / 50)));
  }
}
