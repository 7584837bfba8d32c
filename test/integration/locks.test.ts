// Table locks another session holds while a change needs them (pg/lock.ts withLockTries): a
// deadlock with a writer is given way to and tried again, as a lock timeout is.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { parseConnection } from "../../src/pg/connection";
import { withSession } from "../../src/pg/session";
import { emptyTables } from "../../src/subscription/empty";
import type { SubscriptionInputs } from "../../src/subscription/types";
import { eventually } from "../harness/util";
import { startServer, type TestServer } from "../harness/postgres";

describe("table locks of a change, against a writer (PG18)", () => {
  let server: TestServer;
  before(async () => (server = await startServer({ major: 18 })));
  after(() => server?.stop());

  const inputs = { name: "repair_sub", lockTimeoutSeconds: 30 } as SubscriptionInputs;
  const tables = [
    { schema: "public", name: "t_a" },
    { schema: "public", name: "t_b" },
  ];
  const counts = () =>
    server.query<{ a: number; b: number }>(
      "SELECT (SELECT count(*)::int FROM t_a) AS a, (SELECT count(*)::int FROM t_b) AS b",
    );
  const deadlocks = async () =>
    (
      await server.query<{ n: number }>(
        "SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()",
      )
    )[0]!.n;

  /**
   * The CI failure this reproduces: the apply worker, applying a transaction that writes to t_b and
   * then t_a, held t_b when the repair's TRUNCATE of (t_a, t_b) had locked t_a; each waited for the
   * other and PostgreSQL rolled the TRUNCATE back (40P01). Here a writer does that `times` times,
   * each time to the change's next try. It never looks for the deadlock itself (its
   * deadlock_timeout is a minute): the change does, after its own second, and is the one rolled back.
   */
  async function deadlockWith<T>(change: () => Promise<T>, times: number): Promise<T> {
    const writer = new pg.Client({ connectionString: server.url() });
    await writer.connect();
    try {
      const hold = async (id: number) => {
        await writer.query("BEGIN");
        await writer.query("SET LOCAL deadlock_timeout = '60s'");
        await writer.query(`INSERT INTO t_b VALUES (${id})`);
      };
      await hold(100);
      const result = change();
      result.catch(() => {});
      for (let i = 0; i < times; i++) {
        // The change holds t_a and waits for t_b; the writer now writes to t_a too.
        await eventually(async () => {
          const waiting = await server.query<{ rel: string }>(
            "SELECT relation::regclass::text AS rel FROM pg_locks WHERE NOT granted AND locktype = 'relation'",
          );
          assert.deepEqual(waiting, [{ rel: "t_b" }]);
        });
        await writer.query(`INSERT INTO t_a VALUES (${100 + i})`);
        await writer.query("COMMIT");
        if (i + 1 < times) await hold(101 + i);
      }
      return await result;
    } finally {
      await writer.end();
    }
  }

  before(() => server.query("CREATE TABLE t_a (id int PRIMARY KEY); CREATE TABLE t_b (id int PRIMARY KEY)"));

  it("empties the tables of a repair after a deadlock with a writer in the middle of a transaction, as a subscription's apply worker is", async () => {
    await server.query(
      "INSERT INTO t_a SELECT generate_series(1, 5); INSERT INTO t_b SELECT generate_series(1, 5)",
    );
    const before = await deadlocks();
    let ran = 0;
    const change = () =>
      withSession(parseConnection(server.url()), (e) =>
        emptyTables(e, inputs, tables, async () => {
          ran++;
        }),
      );
    await deadlockWith(change, 1);
    assert.equal(ran, 1, "what runs in the emptying's transaction ran once, in the try that committed");
    assert.equal(await deadlocks(), before + 1, "PostgreSQL saw the deadlock");
    assert.deepEqual(
      await counts(),
      [{ a: 0, b: 0 }],
      "both emptied, the writer's rows too (they committed first)",
    );
  });

  it("after three deadlocks, changes nothing and says why and what to do", async () => {
    await server.query("INSERT INTO t_a VALUES (1), (2); INSERT INTO t_b VALUES (1)");
    const before = await deadlocks();
    const change = () =>
      withSession(parseConnection(server.url()), (e) => emptyTables(e, inputs, tables, async () => {}));
    await assert.rejects(deadlockWith(change, 3), (e: Error) => {
      assert.match(
        e.message,
        /Subscription "repair_sub": TRUNCATE \(before copying again\) failed: deadlock detected/,
      );
      assert.match(
        e.message,
        /3 tries could not lock the tables this changes: the last deadlocked with another session writing to them/,
      );
      assert.match(e.message, /Run up again once those writes settle/);
      assert.match(e.message, /Nothing was emptied or dropped\./);
      return true;
    });
    assert.equal(await deadlocks(), before + 3);
    // Nothing emptied: the rows before, and the writer's three transactions (t_a 100-102, t_b 100-102).
    assert.deepEqual(await counts(), [{ a: 5, b: 4 }]);
  });
});
