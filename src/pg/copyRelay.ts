// One COPY's rows from one connection into another, relayed as they arrive. The source's
// `COPY … TO STDOUT` sends each row as a CopyData message, and CopyData messages are exactly what
// the target's `COPY … FROM STDIN` reads: so the bytes the source's socket delivers are written to
// the target's socket unchanged, a received chunk at a time. Only the five-byte message headers are
// read (to find where the rows end); no row is parsed, framed again or copied into a buffer of its
// own, which is what the program's CPU went to when rows were streamed through a Node.js stream
// pair (pg-copy-streams copies each row out of the socket's buffer).
//
// Like pg-copy-streams, the source side takes the connection's socket from pg while the rows
// flow and hands it back at CopyDone (or at an error), so that pg reads the rest of the answer.
// The target's COPY ends only after the source's COPY completed: if the source fails, the target
// is sent CopyFail instead and writes nothing.

import type { Client } from "pg";
import { Submittable, type Wire, type WireStream } from "./copyBatch";

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** A message's type byte and its length (which counts itself but not the type byte). */
const HEADER = 5;

/** The target side: `COPY … FROM STDIN`, whose rows the source side writes to its socket. */
class CopyIn extends Submittable<number> {
  private rows = 0;
  private wire?: Wire;
  private sent!: () => void;
  /** Settles once the query is on its way: the rows may follow it. */
  readonly submitted = new Promise<void>((resolve) => (this.sent = resolve));

  constructor(private readonly text: string) {
    super();
  }

  submit(connection: Wire): void {
    this.wire = connection;
    connection.query(this.text);
    this.sent();
  }

  /** The socket the rows go to (the server reads them after the query, in order). */
  get stream(): WireStream {
    return this.wire!.stream;
  }

  end(): void {
    this.wire!.endCopyFrom();
  }

  fail(reason: string): void {
    this.wire!.sendCopyFail(reason);
  }

  /** Ends the connection: a row was cut short, so no message can follow it. */
  abort(error: unknown): void {
    this.wire!.stream.destroy(error as Error);
  }

  override handleCommandComplete(msg: { text?: string }): void {
    this.rows = Number(/^COPY (\d+)/.exec(msg.text ?? "")?.[1] ?? 0);
  }

  protected result(): number {
    return this.rows;
  }
}

/** The source side: `COPY … TO STDOUT`, its CopyData messages written to `into`'s socket. */
class CopyOut extends Submittable<void> {
  /** Body bytes left of the message the last chunk ended in, and whether it is a row. */
  private left = 0;
  private inRow = false;
  /** The start of a message whose header the last chunk cut. */
  private cut?: Buffer;
  private stopped = false;
  /** Once stopped, the bytes still owed of the row the target was in the middle of. */
  private owed = 0;
  private paid?: () => void;
  private paused = false;
  private source?: WireStream;
  private pgReader?: (chunk: Buffer) => void;

  constructor(
    private readonly text: string,
    private readonly into: CopyIn,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }

  submit(connection: Wire): Error | undefined {
    const stream = connection.stream;
    const readers = stream.listeners("data");
    if (readers.length !== 1)
      return new Error(`the COPY relay expected one reader of the connection, found ${readers.length}`);
    this.source = stream;
    this.pgReader = readers[0]!;
    stream.removeListener("data", this.pgReader);
    stream.on("data", this.read);
    connection.query(this.text);
    return undefined;
  }

  /**
   * Stops writing to the target (which failed) once the row it is in the middle of is whole: its
   * server reads on, dropping rows, and would take a cut row's missing bytes from the next query.
   * Settles when the target's connection is at a message's end again (or closed, if the source's
   * failed first); the rows the source still sends are dropped.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.owed = this.inRow ? this.left : 0;
    if (this.paused) this.source!.resume();
    return this.owed === 0 ? Promise.resolve() : new Promise((resolve) => (this.paid = resolve));
  }

  private readonly read = (chunk: Buffer): void => {
    const buf = this.cut ? Buffer.concat([this.cut, chunk]) : chunk;
    this.cut = undefined;
    let i = 0;
    // Where the run of rows to write starts (-1: none open).
    let from = this.left > 0 && this.inRow ? 0 : -1;
    let bytes = 0;
    while (i < buf.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, buf.length - i);
        i += n;
        this.left -= n;
        continue;
      }
      if (buf.length - i < HEADER) {
        this.cut = Buffer.from(buf.subarray(i));
        break;
      }
      const type = buf[i]!;
      const body = buf.readUInt32BE(i + 1) - 4;
      if (type === COPY_DATA) {
        if (from < 0) from = i;
        bytes += body;
        this.inRow = true;
        this.left = body;
        i += HEADER;
        continue;
      }
      this.write(buf, from, i);
      from = -1;
      if (type === ERROR_RESPONSE || type === COPY_DONE) return this.handBack(buf.subarray(i), bytes);
      // CopyOutResponse, and the notices and parameter changes that may come between rows.
      this.inRow = false;
      this.left = body;
      i += HEADER;
    }
    this.write(buf, from, i);
    if (bytes > 0) this.onBytes(bytes);
  };

  private write(buf: Buffer, from: number, to: number): void {
    if (from < 0 || to <= from) return;
    if (this.stopped) {
      const n = Math.min(this.owed, to - from);
      if (n > 0) this.into.stream.write(buf.subarray(from, from + n));
      this.owed -= n;
      if (this.owed === 0) this.paid?.();
      return;
    }
    if (this.into.stream.write(buf.subarray(from, to)) || this.paused) return;
    // The target reads slower than the source sends: the source waits.
    this.paused = true;
    this.source!.pause();
    this.into.stream.once("drain", () => {
      this.paused = false;
      this.source!.resume();
    });
  }

  /** pg reads the connection again, from `rest` (CopyDone or the error, and what follows). */
  private handBack(rest: Buffer, bytes: number): void {
    if (bytes > 0) this.onBytes(bytes);
    const source = this.source!;
    source.removeListener("data", this.read);
    source.on("data", this.pgReader!);
    this.pgReader!(rest);
  }

  override handleCommandComplete(): void {
    // The source's COPY completed: only now does the target's.
    if (!this.stopped) this.into.end();
  }

  override handleError(error: unknown): void {
    // The source's error (or its connection lost): the target's COPY fails too, writing nothing. A
    // row cut short cannot be followed by any message: then the target's connection is closed.
    const cut = this.stopped ? this.owed > 0 : this.inRow && this.left > 0;
    if (cut) this.into.abort(error);
    else if (!this.stopped) this.into.fail(`the source of the copy failed: ${(error as Error).message}`);
    this.paid?.();
    super.handleError(error);
  }

  protected result(): void {}
}

/**
 * Copies the rows of `outText` (a `COPY … TO STDOUT` run on `from`) into `inText` (a `COPY … FROM
 * STDIN` run on `to`), both in the same format; `onBytes` is told the bytes of rows as they pass.
 * Returns the rows written. Rejects with the first failure: the source's (the target's COPY then
 * failed, nothing written; its connection closed if a row was cut short), or the target's (both
 * connections then take the next query once the source's COPY has been read to its end).
 */
export async function copyRelay(
  from: Client,
  to: Client,
  outText: string,
  inText: string,
  onBytes: (n: number) => void = () => undefined,
): Promise<number> {
  const into = new CopyIn(inText);
  const out = new CopyOut(outText, into, onBytes);
  to.query(into as never);
  // The rows go to the target's socket only once its COPY is sent (`to` may be finishing a query).
  await Promise.race([into.submitted, into.done]);
  from.query(out as never);
  // The target's failure ends the relay without waiting for the source's COPY to end (it is read
  // and dropped), once the target's connection can take the next query.
  const written = into.done.catch(async (e: unknown) => {
    await out.stop();
    throw e;
  });
  const [rows] = await Promise.all([written, out.done]);
  return rows;
}
