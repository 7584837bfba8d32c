// Writers on the primary, and the comparison of primary and replica that proves nothing was lost.

import pg from "pg";
import type { TestServer } from "../postgres";

export interface WriterStats {
  inserts: number;
  updates: number;
  deletes: number;
  /** Statements that failed for another reason than the server being away (must stay 0). */
  errors: number;
  /** Statements retried because the primary restarted under them. */
  retries: number;
  /** The last error that counted in `errors`, for the report. */
  lastError?: string;
}

export const DRILL_TABLE = (name: string) =>
  `CREATE TABLE ${name} (id bigint PRIMARY KEY, n int NOT NULL, v text NOT NULL)`;

let pace: number | undefined;

/**
 * Caps each writer at `perSecond` statements a second from now on in this process. The test files
 * set it: unpaced, four writers take every core the other lane of the test runner would use (about
 * 8 000 statements a second here), where a few hundred a second keep writes flowing through every
 * change a drill makes. `npm run drill` runs them unpaced.
 */
export function paceWriters(perSecond: number): void {
  pace = perSecond;
}

/** Four (by default) writers inserting, updating and deleting at random across `tables` until stopped. */
export function startWriters(server: TestServer, database: string, tables: string[], count = 4) {
  const stats: WriterStats = { inserts: 0, updates: 0, deletes: 0, errors: 0, retries: 0 };
  let running = true;
  const gap = pace ? 1000 / pace : 0;
  const writer = async (w: number) => {
    let next = 0;
    let due = Date.now();
    let client: pg.Client | undefined;
    while (running) {
      if (gap > 0) {
        due += gap;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        else due = Date.now(); // behind (a restart, a slow statement): no burst to catch up
      }
      try {
        if (!client) {
          client = new pg.Client({ connectionString: server.url(database) });
          client.on("error", () => undefined);
          await client.connect();
        }
        const table = tables[Math.floor(Math.random() * tables.length)]!;
        const r = Math.random();
        if (r < 0.5) {
          await client.query(`INSERT INTO ${table} VALUES ($1, $2, md5(random()::text))`, [
            (w + 1) * 1e9 + next++,
            w,
          ]);
          stats.inserts++;
        } else if (r < 0.85) {
          await client.query(
            `UPDATE ${table} SET n = n + 1, v = md5(random()::text) WHERE id = (SELECT id FROM ${table} TABLESAMPLE SYSTEM (5) LIMIT 1)`,
          );
          stats.updates++;
        } else {
          await client.query(
            `DELETE FROM ${table} WHERE id = (SELECT id FROM ${table} TABLESAMPLE SYSTEM (5) LIMIT 1)`,
          );
          stats.deletes++;
        }
      } catch (e) {
        const code = (e as { code?: string }).code ?? "";
        // The server going away (restart drills) is retried with a fresh connection; anything else counts.
        const text = `${String(e)} ${(e as { errors?: unknown[] }).errors?.map(String).join(" ") ?? ""}`;
        if (
          /^(57P|08)/.test(code) ||
          /terminat|ECONNREFUSED|ECONNRESET|not queryable|shutting down|starting up/i.test(text)
        )
          stats.retries++;
        else {
          stats.errors++;
          stats.lastError = text.slice(0, 200);
        }
        await client?.end().catch(() => undefined);
        client = undefined;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    await client?.end().catch(() => undefined);
  };
  const done = Promise.all(Array.from({ length: count }, (_, w) => writer(w)));
  return {
    stats,
    async stop() {
      running = false;
      await done;
    },
  };
}

export interface Comparison {
  table: string;
  primaryRows: number;
  replicaRows: number;
  lost: number;
  duplicated: number;
  differing: number;
  md5Equal: boolean;
}

async function rowsOf(server: TestServer, database: string, table: string): Promise<Map<string, string>> {
  const rows = await server.query<{ id: string; h: string }>(
    // jsonb orders keys by name: a column re-added on the replica (last there) compares equal.
    `SELECT id::text AS id, md5(to_jsonb(t)::text) AS h FROM ${table} t`,
    [],
    database,
  );
  return new Map(rows.map((r) => [r.id, r.h]));
}

interface Digest {
  md5: string;
  rows: number;
}

/** The comparison of a table whose digests are equal on both sides. */
const equalRows = (table: string, p: Digest, r: Digest): Comparison => ({
  table,
  primaryRows: p.rows,
  replicaRows: r.rows,
  lost: 0,
  duplicated: 0,
  differing: 0,
  md5Equal: true,
});

/** An md5 over the table's rows ordered by id, and their count, in one scan. */
async function digestOf(server: TestServer, database: string, table: string): Promise<Digest> {
  const r = await server.query<Digest>(
    `SELECT md5(string_agg(to_jsonb(t)::text, ',' ORDER BY id)) AS md5, count(*)::int AS rows FROM ${table} t`,
    [],
    database,
  );
  return r[0]!;
}

/**
 * Row counts and an md5 over the ordered rows on both sides, and what differs, per table. Equal
 * md5s over the rows ordered by id mean the same rows: nothing lost, doubled or different; only
 * when they differ are the rows fetched and compared one by one, to say which.
 */
export async function compare(
  primary: TestServer,
  replica: TestServer,
  database: string,
  tables: string[],
): Promise<Comparison[]> {
  const out: Comparison[] = [];
  for (const table of tables) {
    const [dp, dr] = await Promise.all([
      digestOf(primary, database, table),
      digestOf(replica, database, table),
    ]);
    if (dp.md5 === dr.md5) {
      out.push(equalRows(table, dp, dr));
      continue;
    }
    const [p, r] = await Promise.all([rowsOf(primary, database, table), rowsOf(replica, database, table)]);
    let lost = 0;
    let differing = 0;
    for (const [id, h] of p) {
      const other = r.get(id);
      if (other === undefined) lost++;
      else if (other !== h) differing++;
    }
    const duplicated = [...r.keys()].filter((id) => !p.has(id)).length;
    out.push({
      table,
      primaryRows: p.size,
      replicaRows: r.size,
      lost,
      duplicated,
      differing,
      md5Equal: false,
    });
  }
  return out;
}

/** Waits until the replica equals the primary for `tables` (or the timeout), then compares. */
export async function converge(
  primary: TestServer,
  replica: TestServer,
  database: string,
  tables: string[],
  timeoutMs = 120_000,
): Promise<{ comparisons: Comparison[]; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const digests = await Promise.all(
      tables.map((t) => Promise.all([digestOf(primary, database, t), digestOf(replica, database, t)])),
    );
    // Equal everywhere: the digests just taken are the comparison (compare would take them again).
    if (digests.every(([p, r]) => p.md5 === r.md5))
      return { comparisons: digests.map(([p, r], i) => equalRows(tables[i]!, p, r)), ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  return { comparisons: await compare(primary, replica, database, tables), ms: Date.now() - t0 };
}
