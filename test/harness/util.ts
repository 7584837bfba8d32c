import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pg from "pg";

// Small helpers for tests that wait on replication.

/** Whether process `pid` is running (another user's too: signalling it is refused, EPERM). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** The file in an ownedTempDir naming the process that made it. */
export const OWNER_FILE = ".pgrepl-owner";

/**
 * A new directory under the temp directory (`prefix` + random), removed when this process exits,
 * and marked with its pid so that a later run removes it if this one was killed first
 * (reapStaleTempDirs): a test run's cache alone holds an initdb cluster per PostgreSQL build.
 */
export function ownedTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Removes the ownedTempDirs whose process is gone (killed before its exit handlers ran). */
export function reapStaleTempDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith("pgrepl-")) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
      if (owner > 0 && !alive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // not one of them (no owner file), or removed meanwhile
    }
  }
}

/** Kills process `pid` at once, if it still runs. */
export function killNow(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Polls `probe` until it returns true (or throws the last assertion error after `timeoutMs`). */
export async function eventually(probe: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Watches the logical messages written on `db` of `server` from now on, through a pgoutput slot of
 * its own that asks for them (with an empty publication of its own, made first: pgoutput reads the
 * publications as of each change it decodes): `count(prefix)` is how many carry that prefix so far;
 * `drop()` removes both. (What a walsender decodes, as a subscription's would.)
 */
export async function messageProbe(
  server: { query<R>(text: string, values?: unknown[], db?: string): Promise<R[]> },
  db: string,
): Promise<{ count(prefix: string): Promise<number>; drop(): Promise<void> }> {
  const name = `message_probe_${process.pid}`;
  await server.query(`CREATE PUBLICATION ${name}`, [], db);
  await server.query("SELECT pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')", [name], db);
  return {
    async count(prefix) {
      const changes = await server.query<{ data: Buffer }>(
        "SELECT data FROM pg_catalog.pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2, 'messages', 'true')",
        [name, name],
        db,
      );
      const tag = Buffer.from(`${prefix}\0`);
      // 'M': a logical message (flags, LSN, then the prefix as a C string).
      return changes.filter((c) => c.data[0] === 0x4d && c.data.includes(tag)).length;
    },
    async drop() {
      await server.query("SELECT pg_catalog.pg_drop_replication_slot($1)", [name], db);
      await server.query(`DROP PUBLICATION ${name}`, [], db);
    },
  };
}

/** Every output that is not listed as secret, serialized: what a state file shows in plain text. */
export function plainOutputs(outputs: Record<string, unknown>, secretKeys: readonly string[]): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(outputs).filter(([k]) => !secretKeys.includes(k) && k !== "__provider"),
    ),
  );
}

/** A connection's version read (with its timeouts turned off) and a kept one's liveness probe. */
const connectionQuery = (text: string) =>
  text === "SELECT 1" || text.startsWith("SELECT current_setting('server_version_num') AS v");

/** Runs `fn` recording the text of every query any pg client sends meanwhile (but a connection's own). */
export async function recordQueries<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const original = pg.Client.prototype.query;
  const texts: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const a = args[0] as string | { text: string };
    const text = typeof a === "string" ? a : a.text;
    // A connection's own round trips — its version read at connect, the kept connections'
    // liveness probe — depend on whether the pool had one, and how recently: not counted.
    if (!connectionQuery(text)) texts.push(text);
    return (original as (...x: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return [await fn(), texts];
  } finally {
    pg.Client.prototype.query = original;
  }
}

/**
 * A session holding a lock on `table` with its transaction left open, as a long report or a VACUUM
 * would: `statement` takes the lock (a SELECT: ACCESS SHARE; LOCK TABLE … IN … MODE: any).
 */
export async function holdTableLock(
  url: string,
  application: string,
  statement: string,
): Promise<{ pid: number; release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`SET application_name = '${application}'`);
  await c.query("BEGIN");
  await c.query(statement);
  const [{ pid }] = (await c.query("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }];
  return {
    pid,
    async release() {
      await c.query("COMMIT");
      await c.end();
    },
  };
}

/** The error of a change whose lock tries ran out (pg/lock.ts): the tries, who holds the lock, the fix, no secret. */
export function assertLockTriesError(
  e: Error,
  holder: { pid: number; application: string; mode: string; table: string },
  secrets: string[],
): true {
  assert.match(e.message, /3 tries of 1 s each could not lock a table this changes/);
  assert.match(
    e.message,
    new RegExp(
      `pid ${holder.pid} \\(user postgres, application "${holder.application}", idle in transaction, transaction open \\d+ s\\) holds ${holder.mode} on ${holder.table.replace(".", "\\.")}`,
    ),
  );
  assert.match(e.message, /raise `lockTimeoutSeconds`/);
  for (const s of secrets) assert.ok(!e.message.includes(s), "no secret in the error");
  return true;
}
