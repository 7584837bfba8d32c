// The whole lifecycle with the roles a managed database gives you: a non-superuser admin role
// (LOGIN, CREATEDB, CREATEROLE; REPLICATION on the primary as RDS's rds_replication grants; a member
// of pg_create_subscription on the replica) owns the databases and the tables. Through the provider
// host on PG16, 17 and 18; refused at preview, before anything is created, on PG14 and 15 and for
// each missing privilege, with the statement that grants it.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../harness/capture";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import type { TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { CLOUD_ADMIN, cloudPair, queryAs, roleUrl } from "../harness/seed";
import { eventually } from "../harness/util";
import { majors } from "../harness/matrix";

const QUICKSTART = path.join(ROOT, "examples", "quickstart", "index.ts");
const { user, password } = CLOUD_ADMIN;
const count = async (server: TestServer, table: string) =>
  Number((await server.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], "app"))[0]!.n);

for (const major of majors([16, 17, 18]))
  describe(`the lifecycle as a managed cloud's admin role, PG${major} → PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const program = (primaryPassword = password) =>
      captureProgram(QUICKSTART, {
        primaryUrl: roleUrl(primary, user, primaryPassword),
        replicaUrl: roleUrl(replica, user, password),
      });

    before(async () => {
      [primary, replica] = await cloudPair(major, major);
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    scenario("the lifecycle: create, refresh, password rotation, delete with the publisher down", [
      [
        "previews three creates with no failure, and up replicates without a superuser anywhere",
        async () => {
          const plan = await engine.preview(await program());
          assert.deepEqual(
            plan.map((s) => [s.op, s.failures]),
            [
              ["create", undefined],
              ["create", undefined],
              ["create", undefined],
            ],
          );
          await engine.up(await program());
          assert.equal(await count(replica, "users"), 3);
          const owner = await replica.query<{ owner: string; rolsuper: boolean }>(
            "SELECT r.rolname AS owner, r.rolsuper FROM pg_subscription s JOIN pg_roles r ON r.oid = s.subowner",
            [],
            "app",
          );
          assert.deepEqual(owner, [{ owner: user, rolsuper: false }]);
          const tables = await replica.query<{ o: string }>(
            "SELECT DISTINCT tableowner AS o FROM pg_tables WHERE schemaname = 'public'",
            [],
            "app",
          );
          assert.deepEqual(tables, [{ o: user }]);
        },
      ],

      [
        "refreshes and previews no changes",
        async () => {
          await engine.refresh();
          assert.equal(engine.state.size, 3);
          assert.deepEqual(
            (await engine.preview(await program())).map((s) => s.op),
            ["same", "same", "same"],
          );
        },
      ],

      [
        "rotates the publisher password in place: same slot, rows keep flowing",
        async () => {
          const slots = await primary.query("SELECT slot_name FROM pg_replication_slots");
          await primary.query(`ALTER ROLE ${user} PASSWORD 'rotated-Pw-2'`);
          const resources = await program("rotated-Pw-2");
          assert.deepEqual(
            (await engine.preview(resources)).map((s) => s.op),
            ["update", "update", "update"],
          );
          await engine.up(resources);
          assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), slots);
          await queryAs(
            primary,
            user,
            "rotated-Pw-2",
            "INSERT INTO users (email) VALUES ('rotated@example.com')",
          );
          await eventually(async () => assert.equal(await count(replica, "users"), 4));
          assert.ok(!engine.log.includes("rotated-Pw-2") && !engine.log.includes(password));
        },
      ],

      [
        "deletes the subscription while the publisher is down, and names the slot left behind",
        async () => {
          const sub = [...engine.state.values()].find((s) => s.type.endsWith(":Subscription"))!;
          await primary.halt();
          try {
            await engine.delete(sub.urn, sub.id, sub.outputs);
            engine.state.delete(sub.urn);
            assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
            assert.match(
              engine.log,
              /Replication slot "postgresml_users" is left on .* pg_drop_replication_slot\('postgresml_users'\)/,
            );
          } finally {
            await primary.restart();
          }
          await primary.query("SELECT pg_drop_replication_slot('postgresml_users')");
          await engine.destroy();
          assert.deepEqual(await primary.query("SELECT pubname FROM pg_publication", [], "app"), []);
        },
      ],
    ]);
  });

for (const major of majors([14, 15]))
  describe(`a managed cloud's admin role on PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    before(async () => {
      [primary, replica] = await cloudPair(major, major);
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it("is refused at preview for the subscription, which needs a superuser before PostgreSQL 16", async () => {
      const resources = await captureProgram(QUICKSTART, {
        primaryUrl: roleUrl(primary, user, password),
        replicaUrl: roleUrl(replica, user, password),
      });
      const plan = await engine.preview(resources);
      assert.deepEqual(
        plan.slice(0, 2).map((s) => [s.op, s.failures]),
        [
          ["create", undefined],
          ["create", undefined],
        ],
      );
      const failures = plan[2]!.failures ?? [];
      assert.equal(failures.length, 1);
      assert.equal(failures[0]!.property, "connection");
      assert.match(
        failures[0]!.reason,
        new RegExp(
          `CREATE SUBSCRIPTION needs a superuser before PostgreSQL 16; the subscriber runs ${major}\\.\\d+ and role "${user}" is not one`,
        ),
      );
      await assert.rejects(engine.up(resources), /needs a superuser before PostgreSQL 16/);
      assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
      assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), []);
      await engine.destroy();
    });
  });

describe("privileges missing on PG18, each refused at preview with the statement that grants it", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  before(async () => {
    [primary, replica] = await cloudPair(18, 18);
    await primary.query("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'");
    await primary.query("CREATE TABLE others (id int PRIMARY KEY)", [], "app");
    await replica.query("CREATE ROLE plain LOGIN PASSWORD 'plain-pw'");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("a table the publishing role does not own", async () => {
    const r = await new Driver(engine, "Publication").check({
      connection: roleUrl(primary, user, password),
      name: "p",
      tables: ["users", "others"],
    });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["tables[1]"],
    );
    assert.match(
      r.failures[0]!.reason,
      /role "cloudadmin" does not own table "public.others" \(its owner is "postgres"\).*ALTER TABLE "public"."others" OWNER TO "cloudadmin";/,
    );
  });

  it("FOR ALL TABLES as a non-superuser", async () => {
    const r = await new Driver(engine, "Publication").check({
      connection: roleUrl(primary, user, password),
      name: "p",
      allTables: true,
      publish: ["insert"],
    });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["allTables"],
    );
    assert.match(r.failures[0]!.reason, /FOR ALL TABLES needs a superuser/);
  });

  it("a subscriber role without pg_create_subscription or CREATE on the database, and a publisher role without REPLICATION or SELECT", async () => {
    await primary.query("CREATE PUBLICATION pub FOR TABLE users", [], "app");
    const r = await new Driver(engine, "Subscription").check({
      connection: roleUrl(replica, "plain", "plain-pw"),
      name: "s",
      publisher: roleUrl(primary, "reader", "reader-pw"),
      publications: ["pub"],
    });
    const text = r.failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
    assert.match(
      text,
      /connection: role "plain" may not create subscriptions: run GRANT "pg_create_subscription" TO "plain";/,
    );
    assert.match(
      text,
      /connection: role "plain" needs CREATE on database "app".*GRANT CREATE ON DATABASE "app" TO "plain";/,
    );
    assert.match(
      text,
      /publisher: role "reader" on the publisher cannot stream changes.*ALTER ROLE "reader" WITH REPLICATION;/,
    );
    assert.match(
      text,
      /publisher: role "reader" on the publisher cannot read "public.users".*GRANT SELECT ON "public"."users" TO "reader";/,
    );
    assert.ok(!text.includes("reader-pw") && !text.includes("plain-pw"));
  });

  it("row-level security that hides rows from the publisher's role; with BYPASSRLS every row is copied", async () => {
    await primary.query(
      `CREATE TABLE secret (id int PRIMARY KEY, tenant int);
       INSERT INTO secret SELECT g, g % 3 FROM generate_series(1, 30) g;
       ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
       CREATE POLICY tenant_one ON secret FOR SELECT USING (tenant = 1);
       CREATE ROLE rls_repl LOGIN REPLICATION PASSWORD 'rls-pw'; GRANT SELECT ON secret TO rls_repl;
       CREATE PUBLICATION secret_pub FOR TABLE secret`,
      [],
      "app",
    );
    await replica.query("CREATE TABLE secret (id int PRIMARY KEY, tenant int)", [], "app");
    const driver = new Driver(engine, "Subscription");
    const inputs = {
      connection: replica.url("app"),
      name: "secret_sub",
      publisher: roleUrl(primary, "rls_repl", "rls-pw"),
      publications: ["secret_pub"],
    };
    // Both copies read as this role: PostgreSQL's (measured: 10 of 30 rows) and the snapshot copy.
    for (const copyMethod of ["postgres", "snapshot"]) {
      const r = await driver.check({ ...inputs, copyMethod });
      assert.deepEqual(
        r.failures.map((f) => f.property),
        ["publisher"],
      );
      assert.match(
        r.failures[0]!.reason,
        /row-level security applies to role "rls_repl" on the publisher for "public.secret": the initial copy would read only the rows its policies show.*ALTER ROLE "rls_repl" WITH BYPASSRLS;/,
      );
    }
    await primary.query("ALTER ROLE rls_repl BYPASSRLS");
    const checked = await driver.check(inputs);
    assert.deepEqual(checked.failures, []);
    const created = await driver.create(checked.inputs);
    assert.equal(await count(replica, "secret"), 30);
    await engine.delete(created.urn, created.id, created.outputs);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", []), []);
  });

  it("row-level security forced on a replica table: refused at preview, the stream's stop named, and without FORCE every row copied and streamed", async () => {
    await queryAs(
      primary,
      user,
      password,
      `CREATE TABLE guarded (id int PRIMARY KEY, tenant int);
       INSERT INTO guarded SELECT g, g % 3 FROM generate_series(1, 30) g;
       CREATE PUBLICATION guarded_pub FOR TABLE guarded`,
    );
    // Policies a colleague put on the replica's table, forced on its owner, the role that writes it.
    await queryAs(
      replica,
      user,
      password,
      `CREATE TABLE guarded (id int PRIMARY KEY, tenant int);
       ALTER TABLE guarded ENABLE ROW LEVEL SECURITY; ALTER TABLE guarded FORCE ROW LEVEL SECURITY;
       CREATE POLICY readers ON guarded USING (tenant = 1)`,
    );
    const driver = new Driver(engine, "Subscription");
    const inputs = {
      connection: roleUrl(replica, user, password),
      name: "guarded_sub",
      publisher: roleUrl(primary, user, password),
      publications: ["guarded_pub"],
    };
    const refusal =
      /row-level security applies on the replica to "public.guarded" for the role that writes their rows \("cloudadmin"\), and PostgreSQL refuses.*ALTER TABLE "public"."guarded" NO FORCE ROW LEVEL SECURITY;/;
    for (const [copyMethod, properties] of [
      ["postgres", ["connection"]],
      ["snapshot", ["connection", "copyMethod"]],
    ] as const) {
      const r = await driver.check({ ...inputs, copyMethod });
      assert.deepEqual(
        r.failures.map((f) => f.property),
        properties,
      );
      assert.match(r.failures[0]!.reason, refusal);
    }
    await queryAs(replica, user, password, "ALTER TABLE guarded NO FORCE ROW LEVEL SECURITY");
    const created = await driver.create(inputs);
    assert.equal(await count(replica, "guarded"), 30);
    // Forced again by hand: the stream stops at the next change, and the next preview says why.
    await queryAs(replica, user, password, "ALTER TABLE guarded FORCE ROW LEVEL SECURITY");
    await queryAs(primary, user, password, "INSERT INTO guarded VALUES (31, 1)");
    await eventually(async () => {
      const [stats] = await replica.query<{ n: number }>(
        "SELECT apply_error_count::int AS n FROM pg_stat_subscription_stats WHERE subname = 'guarded_sub'",
        [],
        "app",
      );
      assert.ok((stats?.n ?? 0) > 0);
    });
    assert.equal(await count(replica, "guarded"), 30);
    const again = await driver.check(inputs, created.outputs, created.urn);
    assert.deepEqual(
      again.failures.map((f) => f.property),
      ["connection"],
    );
    assert.match(again.failures[0]!.reason, refusal);
    await queryAs(replica, user, password, "ALTER TABLE guarded NO FORCE ROW LEVEL SECURITY");
    await eventually(async () => assert.equal(await count(replica, "guarded"), 31), 30_000);
    await driver.delete(created);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", []), []);
  });

  it("a publisher connection without a password for a non-superuser subscriber", async () => {
    const r = await new Driver(engine, "Subscription").check({
      connection: roleUrl(replica, user, password),
      name: "s",
      publisher: `host=${primary.host} port=${primary.port} dbname=app user=${user}`,
      publications: ["pub"],
    });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["publisher"],
    );
    assert.match(r.failures[0]!.reason, /no password, and a subscription owned by a non-superuser/);
  });

  it("a SchemaSync target role that may not create the schemas and tables", async () => {
    await queryAs(
      primary,
      user,
      password,
      "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int PRIMARY KEY)",
    );
    const r = await new Driver(engine, "SchemaSync").check({
      source: roleUrl(primary, user, password),
      target: roleUrl(replica, "plain", "plain-pw"),
      tables: ["users", "sales.orders"],
    });
    const text = r.failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
    assert.match(
      text,
      /target: role "plain" cannot create schema\(s\) "sales" on the target: run GRANT CREATE ON DATABASE "app" TO "plain";/,
    );
    assert.match(
      text,
      /target: role "plain" cannot create tables or types in schema "public" on the target: run GRANT USAGE, CREATE ON SCHEMA "public" TO "plain";/,
    );
    assert.deepEqual(
      await replica.query("SELECT nspname FROM pg_namespace WHERE nspname = 'sales'", [], "app"),
      [],
    );
  });
});
