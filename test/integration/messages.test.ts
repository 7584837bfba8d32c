// Servers that speak another language (lc_messages = de_DE.UTF-8): every decision this package makes
// on a server's error is made on SQLSTATE and on its own checks, never on the English wording. Create,
// the refusal of a name taken, the drop of a subscription whose publisher is down (class 08: the
// slot detached, the subscription dropped, the slot named), and its re-creation (refused on rows it
// did not copy, then copied again once they are emptied), and the repair of a slot dropped by hand,
// through the provider host, against Debian's PostgreSQL 15 with its German translations.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { startServer, type TestServer } from "../harness/postgres";
import { seedPair } from "../harness/seed";
import { eventually } from "../harness/util";

describe("servers whose messages are German (PG15, lc_messages = de_DE.UTF-8)", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const count = async () =>
    (await replica.query<{ n: number }>("SELECT count(*)::int AS n FROM users", [], "app"))[0]!.n;

  before(async () => {
    [primary, replica] = await Promise.all([
      startServer({ major: 15, messagesLocale: "de_DE.UTF-8" }),
      startServer({ major: 15, messagesLocale: "de_DE.UTF-8" }),
    ]);
    await seedPair(primary, replica);
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("the servers really answer in German", async () => {
    await assert.rejects(
      primary.query("SELECT * FROM nirgends", [], "app"),
      /Relation »nirgends« existiert nicht|Relation >>nirgends<< existiert nicht/,
    );
  });

  it("creates, refuses a taken name, drops with the publisher down, re-creates and repairs, each decided by SQLSTATE", async () => {
    const publication = new Driver(engine, "Publication");
    const subscription = new Driver(engine, "Subscription");
    const pub = await publication.create({
      connection: primary.url("app"),
      name: "de_pub",
      tables: ["users", "blog_posts"],
    });
    await new Driver(engine, "SchemaSync").create({
      source: primary.url("app"),
      target: replica.url("app"),
      tables: pub.outputs.tables as string[],
    });
    const subInputs = {
      connection: replica.url("app"),
      name: "de_sub",
      publisher: primary.url("app"),
      publications: ["de_pub"],
      waitForSync: { timeoutSeconds: 60 },
    };
    const sub = await subscription.create(subInputs);
    assert.equal(await count(), 3);

    // A publication of that name made by hand: refused at check (preview), in our own sentence.
    await primary.query("CREATE PUBLICATION de_taken FOR TABLE comments", [], "app");
    await assert.rejects(
      publication.create({ connection: primary.url("app"), name: "de_taken", tables: ["users"] }),
      /name: publication "de_taken" already exists on the publisher with another definition: set `adopt: true`/,
    );

    // The publisher down: DROP SUBSCRIPTION fails in class 08 (a German message); the subscription
    // is dropped without it and the slot is named for later.
    await primary.halt();
    await subscription.delete(sub);
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
    assert.match(engine.log, /Replication slot "de_sub" is left on 127\.0\.0\.1:\d+\/app and retains WAL/);
    await primary.restart();
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), [
      { slot_name: "de_sub" },
    ]);
    await primary.query("SELECT pg_drop_replication_slot('de_sub')");

    // Created again on tables that already hold rows it did not copy: refused at check (they could
    // be rows no primary has); emptied by hand as the refusal says, the copy runs again.
    await primary.query("INSERT INTO users (email) VALUES ('nach@example.com')", [], "app");
    await assert.rejects(subscription.create(subInputs), /copyData: .*already hold rows on the replica/);
    await replica.query("TRUNCATE users, blog_posts", [], "app");
    const again = await subscription.create(subInputs);
    assert.ok(again.outputs);
    await eventually(async () => assert.equal(await count(), 4));

    // Repair: the slot dropped by hand (the apply worker's errors are German); the next preview
    // announces a re-copy, up makes it, and rows written meanwhile arrive once.
    for (let i = 0; i < 50; i++)
      try {
        await primary.query(
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL",
        );
        await primary.query("SELECT pg_drop_replication_slot('de_sub')");
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    await primary.query("INSERT INTO users (email) VALUES ('waehrend@example.com')", [], "app");
    const planned = await subscription.diff(again, subInputs);
    assert.equal(planned.changes, true);
    assert.ok(planned.checked.pendingRepair, "the preview announces the re-copy");
    const repaired = await subscription.update(again, subInputs);
    await eventually(async () => assert.equal(await count(), 5));
    assert.deepEqual(await replica.query("SELECT count(DISTINCT email)::int AS n FROM users", [], "app"), [
      { n: 5 },
    ]);
    await subscription.delete(repaired);
    await publication.delete(pub);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), []);
  });
});
