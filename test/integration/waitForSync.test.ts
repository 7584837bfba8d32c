// A sync that cannot finish in time, through the provider host: waitForSync times out naming the
// table, and the copy goes on on the server — the next `up` takes the subscription over and waits
// from where it is, copying nothing twice.
// Lag: create, update and refresh report the bytes the subscription has not confirmed and when its
// last message arrived; waitForSync.maxLagBytes waits until it is under the bound, and says how
// far behind it still is when it is not (the apply worker held up by a lock on the replica).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import type { Major, TestServer } from "../harness/postgres";
import { startPair } from "../harness/seed";
import { eventually } from "../harness/util";
import { pairs } from "../harness/matrix";

const PAIRS: [Major, Major][] = [
  [15, 15],
  [18, 18],
  [15, 18],
];

for (const [pubMajor, subMajor] of pairs(PAIRS))
  describe(`Subscription waitForSync through the provider host, PG${pubMajor} → PG${subMajor}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;

    before(async () => {
      [primary, replica] = await startPair(pubMajor, subMajor);
      await primary.query(`CREATE TABLE good (id int PRIMARY KEY); INSERT INTO good VALUES (1);
        CREATE TABLE broken (id int PRIMARY KEY, extra text); INSERT INTO broken VALUES (1, 'x');
        CREATE PUBLICATION pub FOR TABLE good, broken`);
      // The replica's copy of "broken" lacks a column: its table sync fails over and over.
      await replica.query("CREATE TABLE good (id int PRIMARY KEY); CREATE TABLE broken (id int PRIMARY KEY)");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it("times out naming the table that is not ready, leaves the copy going, and the next up finishes it", async () => {
      const sub = new Driver(engine, "Subscription");
      const inputs = {
        connection: replica.url(),
        name: "sub",
        publisher: primary.url(),
        publications: ["pub"],
        waitForSync: { timeoutSeconds: 4 },
      };
      await assert.rejects(sub.create(inputs), (e: Error) => {
        assert.match(e.message, /the initial copy did not finish within 4 s \(.*public\.broken.*\)/);
        assert.match(e.message, /It goes on on the subscriber: run up again/);
        assert.ok(!/public\.good \(/.test(e.message), "the ready table is not listed as waiting");
        assert.ok(!e.message.includes(primary.password));
        return true;
      });
      assert.match(engine.log, /[01]\/2 tables ready/, "progress was logged while waiting");
      // Left as it is: the subscription and its slot, the ready table's rows.
      assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription"), [{ subname: "sub" }]);
      assert.deepEqual(
        await primary.query("SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'sub'"),
        [{ slot_name: "sub" }],
      );
      // What held the copy up is fixed; the next up takes the subscription over and waits for it.
      await replica.query("ALTER TABLE broken ADD COLUMN extra text");
      const done = await sub.create({ ...inputs, waitForSync: { timeoutSeconds: 60 } });
      assert.deepEqual(done.outputs.tableStates, { "public.broken": "r", "public.good": "r" });
      assert.deepEqual(await replica.query("SELECT id, extra FROM broken"), [{ id: 1, extra: "x" }]);
      // The statistics arrive a moment after the copy: once they do, the ready table shows one copy.
      await eventually(async () =>
        assert.deepEqual(
          await replica.query("SELECT n_tup_ins::int AS n FROM pg_stat_user_tables WHERE relname = 'good'"),
          [{ n: 1 }],
          "the ready table was copied once",
        ),
      );
      await sub.delete(done);
    });
  });

for (const [pubMajor, subMajor] of [
  [14, 14],
  [15, 18],
] as [Major, Major][])
  describe(`Subscription lag through the provider host, PG${pubMajor} → PG${subMajor}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const inputs = (waitForSync: unknown) => ({
      connection: replica.url(),
      name: "lagging",
      publisher: primary.url(),
      publications: ["lagpub"],
      waitForSync,
    });
    type Lag = { bytes: number | null; lastMessageAt: string | null };

    before(async () => {
      [primary, replica] = await startPair(pubMajor, subMajor);
      await primary.query(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'x' FROM generate_series(1, 100) g;
        CREATE PUBLICATION lagpub FOR TABLE t`);
      await replica.query("CREATE TABLE t (id int PRIMARY KEY, v text)");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it("reports the lag, waits for it to fall under maxLagBytes, and says how far behind it is when it does not", async () => {
      const sub = new Driver(engine, "Subscription");
      let state = await sub.create(inputs(true));
      assert.equal(typeof (state.outputs.lag as Lag).bytes, "number", "measured on create");
      await eventually(async () => {
        const lag = (await sub.refresh(state))!.outputs.lag as Lag;
        assert.equal(lag.bytes, 0, "caught up once idle");
        assert.ok(lag.lastMessageAt && Date.parse(lag.lastMessageAt) > Date.now() - 60_000);
      });
      // Hold the apply worker up: a lock on the replica's table, then changes on the primary.
      const blocker = new pg.Client({ connectionString: replica.url() });
      await blocker.connect();
      try {
        await blocker.query("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
        await primary.query("INSERT INTO t SELECT g, 'y' FROM generate_series(101, 2000) g");
        await eventually(async () => {
          const lag = (await sub.refresh(state))!.outputs.lag as Lag;
          assert.ok(lag.bytes! > 0, "refresh sees the lag");
        });
        await assert.rejects(sub.update(state, inputs({ timeoutSeconds: 2, maxLagBytes: 0 })), (e: Error) => {
          assert.match(
            e.message,
            /still \d+ byte\(s\) behind the publisher after waitForSync\.timeoutSeconds \(at most 0 wanted\)/,
          );
          assert.ok(!e.message.includes(primary.password));
          return true;
        });
      } finally {
        await blocker.query("COMMIT").catch(() => undefined);
        await blocker.end();
      }
      state = await sub.update(state, inputs({ timeoutSeconds: 60, maxLagBytes: 0 }));
      assert.equal((state.outputs.lag as Lag).bytes, 0, "update waited until caught up");
      assert.equal(
        (await sub.diff(state, inputs({ maxLagBytes: 0, timeoutSeconds: 60 }))).changes,
        false,
        "the same waitForSync with its keys in another order is no change",
      );
      assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM t"), [{ n: 2000 }]);
      assert.match(engine.log, /0 byte\(s\) behind the publisher \(at most 0 wanted\)/);
      await sub.delete(state);
    });

    it("refuses a negative bound at check", async () => {
      const failures = (await new Driver(engine, "Subscription").check(inputs({ maxLagBytes: -1 }))).failures;
      assert.equal(failures[0]?.property, "waitForSync.maxLagBytes");
      assert.match(failures[0]!.reason, /maxLagBytes must not be negative/);
    });
  });
