// Subscription through the provider host: health outputs, publisher password rotation in place (no
// re-copy, same slot), tables added to the publication outside the program, enable/disable, every
// option in place, version gates, preflight, adopt, and delete with the publisher or the
// subscriber out of reach.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../harness/capture";
import { Driver, type Created } from "../harness/driver";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import { startServer, type Major, type TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { seededPair } from "../harness/seed";
import { eventually, messageProbe } from "../harness/util";
import { majors, pairs } from "../harness/matrix";

const QUICKSTART = path.join(ROOT, "examples", "quickstart", "index.ts");
const PAIRS: [Major, Major][] = [
  [15, 15],
  [18, 18],
  [15, 18],
];
const count = async (server: TestServer, table: string) =>
  Number((await server.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], "app"))[0]!.n);

for (const [pubMajor, subMajor] of pairs(PAIRS)) {
  describe(`subscription lifecycle through the provider host, PG${pubMajor} → PG${subMajor}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const roleUrl = (password: string) => `postgres://replicator:${password}@127.0.0.1:${primary.port}/app`;
    const program = (password: string) =>
      captureProgram(QUICKSTART, { primaryUrl: roleUrl(password), replicaUrl: replica.url("app") });
    const subscription = (): Created => {
      const s = [...engine.state.values()].find((r) => r.type.endsWith(":Subscription"))!;
      return { urn: s.urn, id: s.id, inputs: s.inputs, outputs: s.outputs };
    };

    before(async () => {
      [primary, replica] = await seededPair(pubMajor, subMajor);
      await primary.query("CREATE ROLE replicator LOGIN SUPERUSER PASSWORD 'first-Secret-1'");
      engine = await Engine.start();
      await engine.up(await program("first-Secret-1"));
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it("reports health after create: every table ready, enabled, the slot active", () => {
      const out = subscription().outputs;
      assert.deepEqual(out.tableStates, { "public.blog_posts": "r", "public.users": "r" });
      assert.equal(out.actualEnabled, true);
      const slot = out.slot as { name: string; active: boolean; retainedBytes: number };
      assert.equal(slot.name, "postgresml_users");
      assert.equal(typeof slot.retainedBytes, "number");
      if (subMajor >= 15) assert.deepEqual([out.applyErrors, out.syncErrors], [0, 0]);
    });

    scenario(
      "a subscription's life: created healthy, password rotated, a table added by hand, disabled and enabled, deleted with the publisher down",
      [
        [
          "rotates the publisher password in place: same slot, no re-copy, rows keep flowing",
          async () => {
            const slot = await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app");
            await primary.query("ALTER ROLE replicator PASSWORD 'second-Secret-2'");
            const resources = await program("second-Secret-2");
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
            assert.deepEqual(
              await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"),
              slot,
            );
            await primary.query("INSERT INTO users (email) VALUES ('after-rotation@example.com')", [], "app");
            await eventually(async () => assert.equal(await count(replica, "users"), 4));
            assert.equal(await count(replica, "blog_posts"), 2);
            assert.ok(!engine.log.includes("second-Secret-2") && !engine.log.includes("first-Secret-1"));
          },
        ],

        [
          "shows a table added to the publication outside the program in preview, and up copies its rows",
          async () => {
            await replica.query(
              "CREATE TABLE comments (id bigint PRIMARY KEY, post_id bigint, body text NOT NULL)",
              [],
              "app",
            );
            await primary.query("ALTER PUBLICATION postgresml_users ADD TABLE comments", [], "app");
            const resources = await program("second-Secret-2");
            assert.deepEqual(
              (await engine.preview(resources)).map((s) => s.op),
              ["same", "same", "update"],
            );
            // After the refresh the idle apply worker is woken through the publisher's WAL, so the
            // new table's copy starts at once rather than at its next one-second look.
            const messages = await messageProbe(primary, "app");
            await engine.up(resources);
            const wakes = await messages.count("pulumi-pg-replication");
            await messages.drop();
            assert.equal(wakes, 1);
            assert.equal(await count(replica, "comments"), 3);
            assert.equal(await count(replica, "users"), 4, "users were not copied again");
            assert.equal(
              (subscription().outputs.tableStates as Record<string, string>)["public.comments"],
              "r",
            );
          },
        ],

        [
          "disables and enables in place",
          async () => {
            const sub = new Driver(engine, "Subscription");
            const state = subscription();
            const off = await sub.update(state, { ...state.inputs, enabled: false });
            assert.deepEqual(await replica.query("SELECT subenabled FROM pg_subscription", [], "app"), [
              { subenabled: false },
            ]);
            await primary.query("INSERT INTO users (email) VALUES ('while-disabled@example.com')", [], "app");
            await sub.update(off, { ...state.inputs, enabled: true });
            await eventually(async () => assert.equal(await count(replica, "users"), 5));
          },
        ],

        [
          "deletes the subscription while the publisher is down and names the orphaned slot",
          async () => {
            const sub = subscription();
            await primary.halt();
            await engine.delete(sub.urn, sub.id, sub.outputs);
            engine.state.delete(sub.urn);
            assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
            assert.match(
              engine.log,
              /Replication slot "postgresml_users" is left on 127\.0\.0\.1:\d+\/app.*pg_drop_replication_slot\('postgresml_users'\)/,
            );
            await primary.restart();
            assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), [
              { slot_name: "postgresml_users" },
            ]);
          },
        ],
      ],
    );
  });
}

describe("Subscription options, gates, preflight and adopt through the provider host", () => {
  let primary: TestServer;
  let replica18: TestServer;
  let replica15: TestServer;
  let engine: Engine;
  let sub: Driver;
  const base = (replica: TestServer, extra: Record<string, unknown> = {}) => ({
    connection: replica.url("app"),
    name: "s",
    publisher: primary.url("app"),
    publications: ["pub"],
    ...extra,
  });

  before(async () => {
    [primary, replica18, replica15] = await Promise.all([
      startServer({ major: 18 }),
      startServer({ major: 18 }),
      startServer({ major: 15 }),
    ]);
    await Promise.all([
      primary.createDatabase("app"),
      replica18.createDatabase("app"),
      replica15.createDatabase("app"),
    ]);
    await primary.query(
      "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'); CREATE PUBLICATION pub FOR TABLE t",
      [],
      "app",
    );
    await replica18.query("CREATE TABLE t (id int PRIMARY KEY, v text)", [], "app");
    await replica15.query("CREATE TABLE t (id int PRIMARY KEY, v text)", [], "app");
    engine = await Engine.start();
    sub = new Driver(engine, "Subscription");
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica18?.stop(), replica15?.stop()]);
  });

  it("refuses at preview options newer than the subscriber, naming the version", async () => {
    const r = await sub.check(base(replica15, { origin: "none", failover: true, runAsOwner: true }));
    assert.deepEqual(r.failures.map((f) => f.property).sort(), ["failover", "origin", "runAsOwner"]);
    assert.match(
      r.failures.find((f) => f.property === "failover")!.reason,
      /PostgreSQL 17 or later; the subscriber runs 15\./,
    );
    const par = await sub.check(base(replica15, { streaming: "parallel" }));
    assert.match(par.failures[0]!.reason, /PostgreSQL 16/);
  });

  it("creates with every PG18 option and changes each in place, with an exact refresh", async () => {
    const all = {
      binary: true,
      streaming: "parallel",
      synchronousCommit: "remote_apply",
      disableOnError: true,
      origin: "none",
      runAsOwner: true,
      passwordRequired: true,
      failover: true,
      twoPhase: true,
      waitForSync: { timeoutSeconds: 60 },
    };
    let state = await sub.create(base(replica18, all));
    const row = () =>
      replica18.query(
        "SELECT subbinary, substream, subsynccommit, subdisableonerr, suborigin, subrunasowner, subfailover, subtwophasestate FROM pg_subscription",
        [],
        "app",
      );
    // two_phase goes from pending to enabled once the apply worker restarts after the initial copy.
    await eventually(async () =>
      assert.deepEqual(await row(), [
        {
          subbinary: true,
          substream: "p",
          subsynccommit: "remote_apply",
          subdisableonerr: true,
          suborigin: "none",
          subrunasowner: true,
          subfailover: true,
          subtwophasestate: "e",
        },
      ]),
    );
    const slot = await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app");
    assert.equal((await sub.diff((await sub.refresh(state))!, base(replica18, all))).changes, false);
    const changed = {
      ...all,
      binary: false,
      streaming: true,
      synchronousCommit: "off",
      disableOnError: false,
      origin: "any",
      runAsOwner: false,
      failover: false,
    };
    const d = await sub.diff(state, base(replica18, changed));
    assert.deepEqual([d.changes, d.replaces], [true, []]);
    state = await sub.update(state, base(replica18, changed));
    assert.deepEqual(await row(), [
      {
        subbinary: false,
        substream: "t",
        subsynccommit: "off",
        subdisableonerr: false,
        suborigin: "any",
        subrunasowner: false,
        subfailover: false,
        subtwophasestate: "e",
      },
    ]);
    assert.deepEqual(
      await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"),
      slot,
      "same slot: not replaced",
    );
    assert.equal((await sub.diff((await sub.refresh(state))!, base(replica18, changed))).changes, false);
    // two_phase is alterable in PG18: in place (disable, set, enable), not a replacement.
    const noTwoPhase = { ...changed, twoPhase: false };
    assert.deepEqual((await sub.diff(state, base(replica18, noTwoPhase))).replaces, []);
    state = await sub.update(state, base(replica18, noTwoPhase));
    assert.deepEqual(
      await replica18.query("SELECT subtwophasestate, subenabled FROM pg_subscription", [], "app"),
      [{ subtwophasestate: "d", subenabled: true }],
    );
    assert.deepEqual(
      await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"),
      slot,
      "same slot: not replaced",
    );
    const renamed = await sub.diff(state, base(replica18, { ...changed, slotName: "other" }));
    assert.deepEqual([renamed.replaces, renamed.deleteBeforeReplace], [["slotName"], true]);
    await sub.delete(state);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), []);
  });

  it("refuses a missing publication before creating anything, naming it", async () => {
    await assert.rejects(
      sub.create(base(replica18, { publications: ["pub", "nope"] })),
      /publication\(s\) "nope" do not exist on the publisher/,
    );
    assert.deepEqual(await replica18.query("SELECT subname FROM pg_subscription", [], "app"), []);
  });

  it("fails clearly when the subscriber cannot reach the publisher, leaving nothing behind", async () => {
    const unreachable = `postgres://postgres:${primary.password}@127.0.0.1:1/app`;
    await assert.rejects(sub.create(base(replica18, { publisher: unreachable })), (e: Error) => {
      assert.match(
        e.message,
        /CREATE SUBSCRIPTION failed: .*could not connect to the publisher.*Check `publisher`/s,
      );
      assert.ok(!e.message.includes(primary.password));
      return true;
    });
    assert.deepEqual(await replica18.query("SELECT subname FROM pg_subscription", [], "app"), []);
  });

  it("takes over an existing subscription only with adopt", async () => {
    await replica18.query(
      `CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=${primary.port} dbname=app user=postgres password=${primary.password}' PUBLICATION pub WITH (binary = true)`,
      [],
      "app",
    );
    await assert.rejects(sub.create(base(replica18)), /already exists.*adopt: true/);
    // The create's preview says what adopting changes on it.
    const previewed = await sub.check(base(replica18, { adopt: true, binary: false }));
    assert.deepEqual(previewed.failures, []);
    assert.ok(
      (previewed.inputs.adoption as string[]).includes("set binary = false"),
      JSON.stringify(previewed.inputs.adoption),
    );
    const state = await sub.create(base(replica18, { adopt: true, binary: false }));
    assert.deepEqual(
      (await sub.check(base(replica18, { adopt: true, binary: false }))).inputs.adoption,
      ["nothing"],
      "it matches now",
    );
    assert.deepEqual(await replica18.query("SELECT subbinary FROM pg_subscription", [], "app"), [
      { subbinary: false },
    ]);
    await sub.delete(state);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), []);
  });

  it("drops the orphaned slot itself when only the subscriber lost the publisher", async () => {
    await replica18.query("TRUNCATE t", [], "app"); // the adopted subscription above copied its row
    const state = await sub.create(base(replica18, { waitForSync: { timeoutSeconds: 60 } }));
    // The subscriber's copy of the connection goes stale (say, a firewall change); the host still reaches the publisher.
    await replica18.query(
      "ALTER SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=1 dbname=app user=postgres'",
      [],
      "app",
    );
    await sub.delete(state);
    assert.deepEqual(await replica18.query("SELECT subname FROM pg_subscription", [], "app"), []);
    await eventually(async () =>
      assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), []),
    );
    assert.match(engine.log, /dropped replication slot "s" directly/);
  });

  it("says what stays on the publisher when destroy cannot reach the subscriber, and how to let go of it", async () => {
    const state = await sub.create(base(replica18, { name: "gone", copyData: false }));
    // The replica's server gone (decommissioned, or a firewall): the state's connection leads nowhere.
    const unreachable = `postgres://postgres:${replica18.password}@127.0.0.1:1/app`;
    await assert.rejects(
      sub.delete({ ...state, outputs: { ...state.outputs, connection: unreachable } }),
      (e: Error) => {
        assert.match(
          e.message,
          /replication slot "gone" stays on 127\.0\.0\.1:\d+\/app meanwhile \((in use|not in use), holding [^)]+ of WAL[^)]*\).*SELECT pg_drop_replication_slot\('gone'\);.*pulumi state delete/s,
        );
        assert.ok(!e.message.includes(replica18.password) && !e.message.includes(primary.password));
        return true;
      },
    );
    const slots = () =>
      primary.query<{ slot_name: string }>("SELECT slot_name FROM pg_replication_slots", [], "app");
    assert.deepEqual(await slots(), [{ slot_name: "gone" }]);
    await sub.delete(state);
    await eventually(async () => assert.deepEqual(await slots(), []));
  });
});

// Two databases of one cluster (a copy inside one managed instance, a test setup): CREATE
// SUBSCRIPTION creating its slot there waits for its own transaction without end, as PostgreSQL
// documents (measured: PG18 `up` hung with CREATE_REPLICATION_SLOT waiting on a transaction id).
for (const major of majors([15, 18]))
  describe(`publisher and subscriber in one cluster, PG${major}`, () => {
    let server: TestServer;
    let engine: Engine;
    before(async () => {
      server = await startServer({ major });
      await server.query("CREATE DATABASE shop");
      await server.query("CREATE DATABASE shop_copy");
      await server.query(
        "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 30); CREATE PUBLICATION items_pub FOR TABLE items",
        [],
        "shop",
      );
      await server.query("CREATE TABLE items (id int PRIMARY KEY)", [], "shop_copy");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await server?.stop();
    });

    for (const copyMethod of ["postgres", "snapshot"])
      it(`copies and streams with copyMethod "${copyMethod}", the slot made before the subscription where PostgreSQL would hang`, async () => {
        const driver = new Driver(engine, "Subscription");
        const creating = driver.create({
          connection: server.url("shop_copy"),
          name: `items_${copyMethod}`,
          publisher: server.url("shop"),
          publications: ["items_pub"],
          copyMethod,
          waitForSync: { timeoutSeconds: 30 },
        });
        const created = await Promise.race([
          creating,
          new Promise<"hung">((r) => setTimeout(() => r("hung"), 40_000).unref()),
        ]);
        assert.notEqual(created, "hung", "up waited more than 40 s");
        await server.query("INSERT INTO items VALUES (31)", [], "shop");
        await eventually(async () =>
          assert.deepEqual(await server.query("SELECT count(*)::int AS n FROM items", [], "shop_copy"), [
            { n: 31 },
          ]),
        );
        await driver.delete(created as Created);
        assert.deepEqual(await server.query("SELECT slot_name FROM pg_replication_slots"), []);
        await server.query("TRUNCATE items", [], "shop_copy");
        await server.query("DELETE FROM items WHERE id = 31", [], "shop");
      });
  });
