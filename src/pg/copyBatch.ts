// Many small COPYs in one round trip per side. Piping one table at a time costs each table a round
// trip on the source (COPY … TO) and two on the target (COPY … FROM waits for the server's
// CopyInResponse before the rows go, then for the commit), with a Node.js stream pair around them:
// for thousands of small tables that fixed cost is most of the copy. Here a batch of tables is read
// with one simple query of several `COPY … TO STDOUT` statements, and written with one simple query
// of as many `COPY … FROM STDIN`, sent in one write together with every table's rows (the server
// reads them in order, each COPY its own; after an error it ignores the copy data that follows).
// A simple query of several statements is one implicit transaction: the batch is written whole or
// not at all.
//
// These are pg "submittables": pg hands each the connection when it is the client's turn, and the
// server's messages until ReadyForQuery. The base class and the wire's shape serve copyRelay.ts too.

import type { Client } from "pg";

/** The part of pg's Connection a submittable uses. */
export interface Wire {
  stream: WireStream;
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** The connection's socket (plain or TLS). */
export interface WireStream {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  pause(): void;
  resume(): void;
  on(event: "data", listener: (chunk: Buffer) => void): void;
  once(event: "drain", listener: () => void): void;
  listeners(event: "data"): ((chunk: Buffer) => void)[];
  removeListener(event: "data", listener: (chunk: Buffer) => void): void;
  destroy(error?: Error): void;
}

/**
 * What pg calls on the query it runs (a "submittable"): `submit` when it is the client's turn, then
 * a handler per message of the server's until ReadyForQuery; `callback` is pg's hook for
 * query_timeout. `done` settles at ReadyForQuery, or at the first error.
 */
export abstract class Submittable<T> {
  callback: () => void = () => undefined;
  readonly done: Promise<T>;
  private settle!: (error: unknown, value?: T) => void;
  private failed = false;

  constructor() {
    this.done = new Promise<T>((resolve, reject) => {
      this.settle = (error, value) => (error ? reject(error) : resolve(value as T));
    });
  }

  abstract submit(connection: Wire): void;
  protected abstract result(): T;

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(_msg: { chunk: Buffer }): void {}
  handleCommandComplete(_msg: { text?: string }): void {}
  handleError(error: unknown): void {
    this.failed = true;
    this.callback();
    this.settle(error);
  }
  handleReadyForQuery(): void {
    this.callback();
    if (!this.failed) this.settle(undefined, this.result());
  }
}

class CopyOutBatch extends Submittable<Buffer[]> {
  private readonly out: Buffer[] = [];
  private current: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly text: string,
    private readonly cap: number,
  ) {
    super();
  }

  submit(connection: Wire): void {
    connection.query(this.text);
  }

  override handleCopyData(msg: { chunk: Buffer }): void {
    this.size += msg.chunk.length;
    // pg's parser reuses its buffer: the bytes are copied out of it. Past the cap they are dropped.
    if (this.size <= this.cap) this.current.push(Buffer.from(msg.chunk));
  }

  override handleCommandComplete(): void {
    if (this.size <= this.cap) this.out.push(Buffer.concat(this.current));
    this.current = [];
  }

  protected result(): Buffer[] {
    return this.out;
  }
}

class CopyInBatch extends Submittable<number[]> {
  private readonly rows: number[] = [];

  constructor(
    private readonly text: string,
    private readonly data: readonly Buffer[],
  ) {
    super();
  }

  submit(connection: Wire): void {
    connection.stream.cork();
    connection.query(this.text);
    for (const d of this.data) {
      if (d.length > 0) connection.sendCopyFromChunk(d);
      connection.endCopyFrom();
    }
    connection.stream.uncork();
  }

  override handleCommandComplete(msg: { text?: string }): void {
    this.rows.push(Number(/^COPY (\d+)/.exec(msg.text ?? "")?.[1] ?? 0));
  }

  protected result(): number[] {
    return this.rows;
  }
}

/**
 * Runs `text`, a simple query of `COPY … TO STDOUT` statements, and returns each one's output in
 * order, up to the one during which together they passed `cap` bytes: that one's and the later
 * ones' are read to the end and dropped (fewer buffers than statements: the caller copies the
 * rest otherwise).
 */
export function copyOutBatch(client: Client, text: string, cap: number): Promise<Buffer[]> {
  const q = new CopyOutBatch(text, cap);
  client.query(q as never);
  return q.done;
}

/**
 * Runs `text`, a simple query of `COPY … FROM STDIN` statements, with `data[i]` as the i-th one's
 * rows, all in one write; returns the rows each wrote. One transaction: all or nothing.
 */
export function copyInBatch(client: Client, text: string, data: readonly Buffer[]): Promise<number[]> {
  const q = new CopyInBatch(text, data);
  client.query(q as never);
  return q.done;
}
