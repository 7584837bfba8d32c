// A sync that cannot finish: waitForSync times out naming the table, and create leaves nothing
// behind (no subscription on the replica, no slot on the primary).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { providers } from "../../src";
import { startServer, type TestServer } from "../support/postgres";
import { eventually } from "../support/util";

describe("Subscription waitForSync on PG18", () => {
  let primary: TestServer;
  let replica: TestServer;

  before(async () => {
    [primary, replica] = await Promise.all([startServer({ major: 18 }), startServer({ major: 18 })]);
    await primary.query(`CREATE TABLE good (id int PRIMARY KEY); INSERT INTO good VALUES (1);
      CREATE TABLE broken (id int PRIMARY KEY, extra text); INSERT INTO broken VALUES (1, 'x');
      CREATE PUBLICATION pub FOR TABLE good, broken`);
    // The replica's copy of "broken" lacks a column: its table sync fails over and over.
    await replica.query("CREATE TABLE good (id int PRIMARY KEY); CREATE TABLE broken (id int PRIMARY KEY)");
  });
  after(() => Promise.all([primary?.stop(), replica?.stop()]));

  it("times out naming the table that is not ready, and drops what it created", async () => {
    const { inputs } = await providers.subscription.check!(
      {},
      {
        connection: replica.url(),
        name: "sub",
        publisher: primary.url(),
        publications: ["pub"],
        waitForSync: { timeoutSeconds: 4 },
      },
    );
    await assert.rejects(providers.subscription.create!(inputs), (e: Error) => {
      assert.match(e.message, /initial sync did not finish within 4 s\. Not ready: public\.broken/);
      assert.ok(!e.message.includes("public.good ("), "the ready table is not listed as waiting");
      assert.ok(!e.message.includes(primary.password));
      return true;
    });
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription"), []);
    await eventually(async () =>
      assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), []),
    );
  });
});
