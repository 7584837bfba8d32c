// A sync that cannot finish, through the provider host: waitForSync times out naming the table,
// and create leaves nothing behind (no subscription on the replica, no slot on the primary).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { startServer, type Major, type TestServer } from "../harness/postgres";
import { eventually } from "../harness/util";

const PAIRS: [Major, Major][] = [
  [15, 15],
  [18, 18],
  [15, 18],
];

for (const [pubMajor, subMajor] of PAIRS)
  describe(`Subscription waitForSync through the provider host, PG${pubMajor} → PG${subMajor}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;

    before(async () => {
      [primary, replica] = await Promise.all([
        startServer({ major: pubMajor }),
        startServer({ major: subMajor }),
      ]);
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

    it("times out naming the table that is not ready, and drops what it created", async () => {
      const sub = new Driver(engine, "Subscription");
      const inputs = {
        connection: replica.url(),
        name: "sub",
        publisher: primary.url(),
        publications: ["pub"],
        waitForSync: { timeoutSeconds: 4 },
      };
      await assert.rejects(sub.create(inputs), (e: Error) => {
        assert.match(e.message, /initial sync did not finish within 4 s\. Not ready: public\.broken/);
        assert.ok(!e.message.includes("public.good ("), "the ready table is not listed as waiting");
        assert.ok(!e.message.includes(primary.password));
        return true;
      });
      assert.match(engine.log, /0\/2 tables ready|1\/2 tables ready/, "progress was logged while waiting");
      assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription"), []);
      await eventually(async () =>
        assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), []),
      );
    });
  });
