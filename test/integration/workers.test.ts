// The subscriber's logical replication workers: a subscription needs an apply worker and, for its
// initial copy, at least one table-sync worker beside those the subscriber already runs; otherwise
// it is created but never syncs. Check refuses it with the numbers, and concurrent creations (as
// Pulumi's parallel engine makes them) are serialized so they cannot both pass the count.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver, serializedProvider, type Created } from "../harness/driver";
import { Engine } from "../harness/engine";
import { startServer, type Major, type TestServer } from "../harness/postgres";
import { majors } from "../harness/matrix";
import { scenario } from "../harness/scenario";
import { eventually } from "../harness/util";

describe("worker limits on the subscriber (PG18)", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const sub = (name: string) => ({
    connection: replica.url(),
    name,
    publisher: primary.url(),
    publications: [`pub_${name}`],
    waitForSync: { timeoutSeconds: 30 },
    // What is counted is PostgreSQL's copy: a table-sync worker beside the apply worker.
    copyMethod: "postgres",
  });

  before(async () => {
    [primary, replica] = await Promise.all([
      startServer({ major: 18 }),
      // Room for one subscription and its copy: an apply worker and one table-sync worker.
      startServer({ major: 18, settings: { max_logical_replication_workers: 2 } }),
    ]);
    for (const n of ["a", "b", "c"]) {
      await primary.query(
        `CREATE TABLE t_${n} (id int PRIMARY KEY); INSERT INTO t_${n} VALUES (1); CREATE PUBLICATION pub_${n} FOR TABLE t_${n}`,
      );
      await replica.query(`CREATE TABLE t_${n} (id int PRIMARY KEY)`);
    }
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  scenario("worker limits: two at once, then a further one refused", [
    [
      "lets two creations at once through one at a time, refusing the one that would never sync",
      async () => {
        const driver = new Driver(engine, "Subscription");
        // Both checks pass while neither exists (what a preview of both shows) …
        for (const n of ["a", "b"]) assert.deepEqual((await driver.check(sub(n))).failures, []);
        // … and up creates them at once: the lock makes the second count the first.
        const results = await Promise.allSettled([driver.create(sub("a")), driver.create(sub("b"))]);
        const ok = results.filter((r) => r.status === "fulfilled");
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
        assert.equal(ok.length, 1);
        assert.equal(refused.length, 1);
        assert.match(
          String(refused[0]!.reason.message),
          /max_logical_replication_workers = 2, and 1 enabled subscription\(s\) already take 1 apply worker\(s\).*3 in all, or it never syncs. Raise max_logical_replication_workers to at least 6/,
        );
        assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM pg_subscription"), [{ n: 1 }]);
        assert.deepEqual(
          await replica.query("SELECT count(*)::int AS n FROM pg_subscription_rel WHERE srsubstate = 'r'"),
          [{ n: 1 }],
        );
      },
    ],

    [
      "refuses at check a further subscription, with the numbers and the setting to raise",
      async () => {
        const r = await new Driver(engine, "Subscription").check(sub("c"));
        assert.equal(r.failures.length, 1);
        assert.equal(r.failures[0]!.property, "connection");
        assert.match(
          r.failures[0]!.reason,
          /this one needs an apply worker and at least one table-sync worker/,
        );
      },
    ],
  ]);

  it("names the resource and the statement when a delete fails", async () => {
    await primary.query(
      "CREATE ROLE someone LOGIN PASSWORD 'someone-pw'; CREATE PUBLICATION theirs FOR TABLE t_c",
    );
    const url = `postgres://someone:someone-pw@127.0.0.1:${primary.port}/postgres`;
    await assert.rejects(
      new Driver(engine, "Publication").delete({
        urn: "urn:pulumi:test::driver::pulumi-nodejs:dynamic/pg-replication:Publication::x",
        id: "theirs",
        inputs: {},
        outputs: { connection: url, name: "theirs", __provider: await serializedProvider("Publication") },
      }),
      /Publication "theirs": DROP PUBLICATION failed: must be owner of publication theirs \(SQLSTATE 42501\)/,
    );
  });
});

/**
 * A limit on one of the servers that PostgreSQL's copy runs into: a describe with a fresh pair of
 * `major` (`settings` on the publisher and the replica, `seed` run on the publisher after table `t`
 * of 20 rows and its publication pub_t), whose one test sees the check with copyMethod "postgres"
 * refused on `property` with `reason`, then `method` (undefined: "auto") copy and stream, and
 * runs `then` on the subscription before deleting it.
 */
function copyLimit(
  title: string,
  test: string,
  o: {
    major: Major;
    publisher?: Record<string, number>;
    replica?: Record<string, number>;
    seed?: string;
    property: string;
    reason: RegExp;
    method?: string;
    then?: (driver: Driver, inputs: Record<string, unknown>, created: Created) => Promise<void>;
  },
): void {
  describe(title, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    before(async () => {
      [primary, replica] = await Promise.all([
        startServer({ major: o.major, ...(o.publisher ? { settings: o.publisher } : {}) }),
        startServer({ major: o.major, ...(o.replica ? { settings: o.replica } : {}) }),
      ]);
      await primary.query(
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 20); CREATE PUBLICATION pub_t FOR TABLE t",
      );
      if (o.seed) await primary.query(o.seed);
      await replica.query("CREATE TABLE t (id int PRIMARY KEY)");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it(test, async () => {
      const driver = new Driver(engine, "Subscription");
      const inputs = {
        connection: replica.url(),
        name: "t_sub",
        publisher: primary.url(),
        publications: ["pub_t"],
        waitForSync: { timeoutSeconds: 30 },
      };
      const refused = await driver.check({ ...inputs, copyMethod: "postgres" });
      assert.deepEqual(
        refused.failures.map((f) => f.property),
        [o.property],
      );
      assert.match(refused.failures[0]!.reason, o.reason);
      const made = { ...inputs, ...(o.method ? { copyMethod: o.method } : {}) };
      const created = await driver.create(made);
      await primary.query("INSERT INTO t VALUES (21)");
      await eventually(async () =>
        assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM t"), [{ n: 21 }]),
      );
      await o.then?.(driver, made, created);
      await driver.delete(created);
    });
  });
}

// Every running apply or table-sync worker holds a replication origin's state, bounded by
// max_active_replication_origins from 18 and max_replication_slots before. With room for one,
// PostgreSQL's copy failed and retried until the wait timed out (measured PG16 and PG18: 16 sync
// errors in 8 s, nothing copied); the snapshot copy needs only the apply worker's.
for (const major of majors([16, 18])) {
  const setting = major >= 18 ? "max_active_replication_origins" : "max_replication_slots";
  copyLimit(
    `replication origins on the subscriber (PG${major})`,
    `refuses PostgreSQL's copy with room for one origin, naming ${setting}; the snapshot copy copies and streams`,
    {
      major,
      replica: { [setting]: 1 },
      property: "connection",
      reason: new RegExp(
        `the subscriber has ${setting} = 1, which bounds the replication origins .*2 in all.*Raise ${setting} to at least 3`,
      ),
      method: "snapshot",
    },
  );
}

// Each table sync of PostgreSQL's copy streams from a slot and a WAL sender of its own on the
// publisher. With one slot left (another consumer holds the other), the syncs failed and retried
// until the wait timed out (measured PG16: nothing copied in 8 s); the snapshot copy needs one.
copyLimit(
  "replication slots on the publisher (PG18)",
  "refuses PostgreSQL's copy with one slot left, naming the setting; the snapshot copy copies and streams",
  {
    major: 18,
    publisher: { max_replication_slots: 2 },
    seed: "SELECT pg_create_logical_replication_slot('another_consumer', 'pgoutput')",
    property: "publisher",
    reason:
      /the publisher has max_replication_slots = 2 and 1 slot\(s\) exist: this subscription needs its own slot and, for PostgreSQL's copy, at least one more for its table syncs, 2 more in all.*`copyMethod: "snapshot"` needs only its own slot/,
    method: "snapshot",
    // Its own slot counts as taken now: a preview of the running subscription asks for nothing more.
    then: async (driver, inputs, created) =>
      assert.deepEqual((await driver.check(inputs, created.outputs, created.urn)).failures, []),
  },
);

// With max_sync_workers_per_subscription = 0 PostgreSQL's copy never starts: measured, the tables
// stayed "initializing" for the whole wait, with no error counted.
copyLimit(
  "no table-sync workers on the subscriber (PG18)",
  "refuses PostgreSQL's copy naming the setting; auto copies with this program and streams",
  {
    major: 18,
    replica: { max_sync_workers_per_subscription: 0 },
    property: "copyMethod",
    reason: /max_sync_workers_per_subscription = 0, so PostgreSQL's table synchronisation never starts/,
  },
);
