// The subscriber's logical replication workers: a subscription needs an apply worker and, for its
// initial copy, at least one table-sync worker beside those the subscriber already runs; otherwise
// it is created but never syncs. Check refuses it with the numbers, and concurrent creations (as
// Pulumi's parallel engine makes them) are serialized so they cannot both pass the count.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver, serializedProvider } from "../harness/driver";
import { Engine } from "../harness/engine";
import { startServer, type TestServer } from "../harness/postgres";
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

// Every running apply or table-sync worker holds a replication origin's state, bounded by
// max_active_replication_origins from 18 and max_replication_slots before. With room for one,
// PostgreSQL's copy failed and retried until the wait timed out (measured PG16 and PG18: 16 sync
// errors in 8 s, nothing copied); the snapshot copy needs only the apply worker's.
for (const major of majors([16, 18]))
  describe(`replication origins on the subscriber (PG${major})`, () => {
    const setting = major >= 18 ? "max_active_replication_origins" : "max_replication_slots";
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    before(async () => {
      [primary, replica] = await Promise.all([
        startServer({ major }),
        startServer({ major, settings: { [setting]: 1 } }),
      ]);
      await primary.query(
        "CREATE TABLE o (id int PRIMARY KEY); INSERT INTO o SELECT generate_series(1, 20); CREATE PUBLICATION pub_o FOR TABLE o",
      );
      await replica.query("CREATE TABLE o (id int PRIMARY KEY)");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it(`refuses PostgreSQL's copy with room for one origin, naming ${setting}; the snapshot copy copies and streams`, async () => {
      const driver = new Driver(engine, "Subscription");
      const inputs = {
        connection: replica.url(),
        name: "o_sub",
        publisher: primary.url(),
        publications: ["pub_o"],
        waitForSync: { timeoutSeconds: 30 },
      };
      const refused = await driver.check({ ...inputs, copyMethod: "postgres" });
      assert.deepEqual(
        refused.failures.map((f) => f.property),
        ["connection"],
      );
      assert.match(
        refused.failures[0]!.reason,
        new RegExp(
          `the subscriber has ${setting} = 1, which bounds the replication origins .*2 in all.*Raise ${setting} to at least 3`,
        ),
      );
      const created = await driver.create({ ...inputs, copyMethod: "snapshot" });
      await primary.query("INSERT INTO o VALUES (21)");
      await eventually(async () =>
        assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM o"), [{ n: 21 }]),
      );
      await driver.delete(created);
    });
  });

// Each table sync of PostgreSQL's copy streams from a slot and a WAL sender of its own on the
// publisher. With one slot left (another consumer holds the other), the syncs failed and retried
// until the wait timed out (measured PG16: nothing copied in 8 s); the snapshot copy needs one.
describe("replication slots on the publisher (PG18)", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  before(async () => {
    [primary, replica] = await Promise.all([
      startServer({ major: 18, settings: { max_replication_slots: 2 } }),
      startServer({ major: 18 }),
    ]);
    await primary.query(
      "CREATE TABLE s (id int PRIMARY KEY); INSERT INTO s SELECT generate_series(1, 20); CREATE PUBLICATION pub_s FOR TABLE s",
    );
    await primary.query("SELECT pg_create_logical_replication_slot('another_consumer', 'pgoutput')");
    await replica.query("CREATE TABLE s (id int PRIMARY KEY)");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("refuses PostgreSQL's copy with one slot left, naming the setting; the snapshot copy copies and streams", async () => {
    const driver = new Driver(engine, "Subscription");
    const inputs = {
      connection: replica.url(),
      name: "s_sub",
      publisher: primary.url(),
      publications: ["pub_s"],
      waitForSync: { timeoutSeconds: 30 },
    };
    const refused = await driver.check({ ...inputs, copyMethod: "postgres" });
    assert.deepEqual(
      refused.failures.map((f) => f.property),
      ["publisher"],
    );
    assert.match(
      refused.failures[0]!.reason,
      /the publisher has max_replication_slots = 2 and 1 slot\(s\) exist: this subscription needs its own slot and, for PostgreSQL's copy, at least one more for its table syncs, 2 more in all.*`copyMethod: "snapshot"` needs only its own slot/,
    );
    const created = await driver.create({ ...inputs, copyMethod: "snapshot" });
    await primary.query("INSERT INTO s VALUES (21)");
    await eventually(async () =>
      assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM s"), [{ n: 21 }]),
    );
    // Its own slot counts as taken now: a preview of the running subscription asks for nothing more.
    assert.deepEqual(
      (await driver.check({ ...inputs, copyMethod: "snapshot" }, created.outputs, created.urn)).failures,
      [],
    );
    await driver.delete(created);
  });
});

// With max_sync_workers_per_subscription = 0 PostgreSQL's copy never starts: measured, the tables
// stayed "initializing" for the whole wait, with no error counted.
describe("no table-sync workers on the subscriber (PG18)", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  before(async () => {
    [primary, replica] = await Promise.all([
      startServer({ major: 18 }),
      startServer({ major: 18, settings: { max_sync_workers_per_subscription: 0 } }),
    ]);
    await primary.query(
      "CREATE TABLE w (id int PRIMARY KEY); INSERT INTO w SELECT generate_series(1, 20); CREATE PUBLICATION pub_w FOR TABLE w",
    );
    await replica.query("CREATE TABLE w (id int PRIMARY KEY)");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("refuses PostgreSQL's copy naming the setting; auto copies with this program and streams", async () => {
    const driver = new Driver(engine, "Subscription");
    const inputs = {
      connection: replica.url(),
      name: "w_sub",
      publisher: primary.url(),
      publications: ["pub_w"],
      waitForSync: { timeoutSeconds: 30 },
    };
    const refused = await driver.check({ ...inputs, copyMethod: "postgres" });
    assert.deepEqual(
      refused.failures.map((f) => f.property),
      ["copyMethod"],
    );
    assert.match(
      refused.failures[0]!.reason,
      /max_sync_workers_per_subscription = 0, so PostgreSQL's table synchronisation never starts/,
    );
    const created = await driver.create(inputs);
    await primary.query("INSERT INTO w VALUES (21)");
    await eventually(async () =>
      assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM w"), [{ n: 21 }]),
    );
    await driver.delete(created);
  });
});
