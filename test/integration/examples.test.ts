// The examples and the LogicalReplication component, run the way `pulumi up` runs them: captured
// from the installed package, their dynamic resources driven through the provider host against
// real servers. (The @pulumi/postgresql plugin cannot be downloaded here: what its Role and Grant
// would do is done by hand, and the resource graph is checked in test/program/examples.test.ts.)

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../harness/capture";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import { startServer, type TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { seedPrimary } from "../harness/seed";
import { eventually } from "../harness/util";

const example = (name: string) => path.join(ROOT, "examples", name, "index.ts");

describe("examples/production-to-analytics, PG15 primary → PG18 analytics", () => {
  let primary: TestServer;
  let analytics: TestServer;
  let engine: Engine;
  const program = () =>
    captureProgram(
      example("production-to-analytics"),
      {
        primaryHost: "127.0.0.1",
        primaryPort: String(primary.port),
        primaryDatabase: "shop",
        primaryAdminUser: "postgres",
        primaryAdminPassword: primary.password,
        replicationPassword: "Repl-Secret-9",
        analyticsUrl: analytics.url("warehouse"),
        sslMode: "disable",
      },
      "production-to-analytics",
    );

  before(async () => {
    [primary, analytics] = await Promise.all([startServer({ major: 15 }), startServer({ major: 18 })]);
    await Promise.all([primary.createDatabase("shop"), analytics.createDatabase("warehouse")]);
    await primary.query(
      `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, country char(2), created_at timestamptz NOT NULL DEFAULT now());
       CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2) NOT NULL, status text NOT NULL);
       ALTER TABLE orders REPLICA IDENTITY FULL;
       INSERT INTO customers (id, email, name, country) VALUES (1, 'ada@example.com', 'Ada', 'GB'), (2, 'grace@example.com', 'Grace', 'US');
       INSERT INTO orders VALUES (10, 1, 99.50, 'paid'), (11, 2, 5.00, 'test'), (12, 2, 12.00, 'paid');
       -- What postgresql.Role and postgresql.Grant declare:
       CREATE ROLE analytics_replicator LOGIN REPLICATION PASSWORD 'Repl-Secret-9';
       GRANT SELECT ON customers, orders TO analytics_replicator;`,
      [],
      "shop",
    );
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), analytics?.stop()]);
  });

  scenario("filtered, column-listed replication, kept through updates and deletes, then torn down", [
    [
      "replicates only the listed columns and the rows the filter lets through",
      async () => {
        await engine.up(await program());
        const columns = await analytics.query<{ c: string }>(
          "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_name = 'customers'",
          [],
          "warehouse",
        );
        assert.deepEqual(columns, [{ c: "id,country,created_at" }], "email and name stay on the primary");
        assert.deepEqual(
          await analytics.query("SELECT id, status FROM orders ORDER BY id", [], "warehouse"),
          [
            { id: 10, status: "paid" },
            { id: 12, status: "paid" },
          ],
        );
        const sub = await analytics.query<{ c: string }>(
          "SELECT subconninfo AS c FROM pg_subscription",
          [],
          "warehouse",
        );
        assert.match(
          sub[0]!.c,
          /user='analytics_replicator'/,
          "the subscription connects as the replication role",
        );
      },
    ],

    [
      "keeps replicating updates and deletes through the filter and the column list",
      async () => {
        await primary.query(
          `INSERT INTO customers (id, email, name, country) VALUES (3, 'linus@example.com', 'Linus', 'FI');
       UPDATE orders SET total = 100 WHERE id = 10; DELETE FROM orders WHERE id = 12;
       INSERT INTO orders VALUES (13, 3, 1, 'test'), (14, 3, 2, 'paid');`,
          [],
          "shop",
        );
        await eventually(async () => {
          assert.deepEqual(
            await analytics.query("SELECT id, total::text AS total FROM orders ORDER BY id", [], "warehouse"),
            [
              { id: 10, total: "100.00" },
              { id: 14, total: "2.00" },
            ],
          );
          assert.deepEqual(
            await analytics.query("SELECT id, country FROM customers ORDER BY id", [], "warehouse"),
            [
              { id: 1, country: "GB" },
              { id: 2, country: "US" },
              { id: 3, country: "FI" },
            ],
          );
        });
        assert.deepEqual(
          (await engine.preview(await program())).map((s) => s.op),
          ["same", "same", "same", "same"],
        );
      },
    ],

    [
      "tears down cleanly",
      async () => {
        await engine.destroy();
        assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "shop"), []);
        assert.deepEqual(await analytics.query("SELECT subname FROM pg_subscription", [], "warehouse"), []);
      },
    ],
  ]);
});

describe("examples/fan-out, PG18 → two PG18 replicas", () => {
  let primary: TestServer;
  let a: TestServer;
  let b: TestServer;
  let engine: Engine;

  before(async () => {
    [primary, a, b] = await Promise.all([
      startServer({ major: 18 }),
      startServer({ major: 18 }),
      startServer({ major: 18 }),
    ]);
    await Promise.all([primary.createDatabase("app"), a.createDatabase("app"), b.createDatabase("app")]);
    await seedPrimary(primary);
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), a?.stop(), b?.stop()]);
  });

  it("feeds the shared publication to both replicas and the audit one to the second only", async () => {
    const resources = await captureProgram(
      example("fan-out"),
      { primaryUrl: primary.url("app"), replicaAUrl: a.url("app"), replicaBUrl: b.url("app") },
      "fan-out",
    );
    await engine.up(resources);
    const tables = (s: TestServer) =>
      s.query<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        [],
        "app",
      );
    assert.deepEqual(
      (await tables(a)).map((r) => r.t),
      ["blog_posts", "users"],
    );
    assert.deepEqual(
      (await tables(b)).map((r) => r.t),
      ["blog_posts", "comments", "users"],
    );
    await primary.query(
      "INSERT INTO users (email) VALUES ('fan@example.com'); INSERT INTO comments (post_id, body) VALUES (1, 'fan')",
      [],
      "app",
    );
    await eventually(async () => {
      for (const s of [a, b])
        assert.deepEqual(await s.query("SELECT count(*)::int AS n FROM users", [], "app"), [{ n: 4 }]);
      assert.deepEqual(await b.query("SELECT count(*)::int AS n FROM comments", [], "app"), [{ n: 4 }]);
    });
    const slots = await primary.query<{ s: string }>(
      "SELECT slot_name AS s FROM pg_replication_slots ORDER BY 1",
      [],
      "app",
    );
    assert.deepEqual(
      slots.map((r) => r.s),
      ["replica_a", "replica_b"],
    );
    await engine.destroy();
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), []);
  });
});
