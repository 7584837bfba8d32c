// Subscription changes through the provider host: publisher password rotation in place (no
// re-copy, same slot) and delete with the publisher down (the orphaned slot is named).

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../support/capture";
import { Engine } from "../support/engine";
import { ROOT } from "../support/install";
import { startServer, type TestServer } from "../support/postgres";
import { seedPrimary } from "../support/seed";
import { eventually } from "../support/util";

const QUICKSTART = path.join(ROOT, "examples", "quickstart", "index.ts");

describe("subscription lifecycle through the provider host, PG15 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const roleUrl = (password: string) => `postgres://replicator:${password}@127.0.0.1:${primary.port}/app`;
  const program = (password: string) =>
    captureProgram(QUICKSTART, { primaryUrl: roleUrl(password), replicaUrl: replica.url("app") });
  const count = async (server: TestServer, table: string) =>
    Number((await server.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], "app"))[0]!.n);

  before(async () => {
    [primary, replica] = await Promise.all([startServer({ major: 15 }), startServer({ major: 18 })]);
    await Promise.all([primary.createDatabase("app"), replica.createDatabase("app")]);
    await seedPrimary(primary);
    await primary.query("CREATE ROLE replicator LOGIN SUPERUSER PASSWORD 'first-Secret-1'");
    engine = await Engine.start();
    await engine.up(program("first-Secret-1"));
  });

  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("rotates the publisher password in place: same slot, no re-copy, rows keep flowing", async () => {
    const slot = await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app");
    await primary.query("ALTER ROLE replicator PASSWORD 'second-Secret-2'");
    const resources = program("second-Secret-2");
    assert.deepEqual(
      (await engine.preview(resources)).map((s) => s.op),
      ["update", "update", "update"],
    );
    await engine.up(resources);
    const conninfo = await replica.query<{ c: string }>(
      "SELECT subconninfo AS c FROM pg_subscription",
      [],
      "app",
    );
    assert.match(conninfo[0]!.c, /password='second-Secret-2'/);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), slot);
    await primary.query("INSERT INTO users (email) VALUES ('after-rotation@example.com')", [], "app");
    await eventually(async () => assert.equal(await count(replica, "users"), 4));
    assert.equal(await count(replica, "blog_posts"), 2);
    assert.ok(!engine.log.includes("second-Secret-2") && !engine.log.includes("first-Secret-1"));
  });

  it("deletes the subscription while the publisher is down and names the orphaned slot", async () => {
    const sub = [...engine.state.values()].find((s) => s.type.endsWith(":Subscription"))!;
    await primary.halt();
    await engine.delete(sub.urn, sub.id, sub.outputs);
    engine.state.delete(sub.urn);
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
    assert.match(
      engine.log,
      /Replication slot "postgresml_users" is left on 127\.0\.0\.1:\d+\/app.*pg_drop_replication_slot\('postgresml_users'\)/,
    );
    await primary.restart();
    // The slot really is there, retaining WAL, until someone drops it.
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), [
      { slot_name: "postgresml_users" },
    ]);
    assert.ok(!engine.log.includes("second-Secret-2"));
  });
});
