// Field topologies, each with writers running, on one major version (a test file per version, so
// that lanes share them out): two-way replication (and one declared wrongly, refused at preview
// with nothing emptied), partitioned tables published partition by partition or through their
// root, into a replica partitioned the same way or not, a table and a column renamed on the
// primary and in the program (renamed in place on the replica, no re-copy), an initial copy that
// outlasts three `up`s (copied once), options removed from the program (back to PostgreSQL's
// defaults) or changed by hand (shown by a refreshed preview), two replicas of one primary from two
// stacks of one program (the second refused at preview until it names its own publication and
// slot; the first's never touched), two primaries into one replica from two stacks (the same:
// the subscription's name), a cascade (origin: none on the leaf refused: the primary's changes
// would never arrive), and the mistakes a preview must catch. After each change: the preview's plan is what `up` did, every node holds the same rows
// (count and md5 per table), and a refreshed preview shows no changes.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { Driver } from "../../harness/driver";
import { converge } from "../../harness/drill/load";
import { Engine, type PlannedStep } from "../../harness/engine";
import { ROOT } from "../../harness/install";
import { runProgram } from "../../harness/live";
import { majors } from "../../harness/matrix";
import { startServer, type Major, type TestServer } from "../../harness/postgres";
import { providers } from "../../../src";
import { parseConnection } from "../../../src/pg/connection";
import { withSession } from "../../../src/pg/session";
import { abandonCopy } from "../../../src/subscription/handover";
import type { SubscriptionInputs } from "../../../src/subscription/types";
import { scenario } from "../../harness/scenario";
import { seededPair, startPair } from "../../harness/seed";
import { eventually } from "../../harness/util";

const DB = "app";
const fixture = (name: string) => path.join(ROOT, "test", "fixtures", name, "index.ts");
const q = <T = Record<string, unknown>>(s: TestServer, sql: string, params: unknown[] = []) =>
  s.query<T>(sql, params, DB);
/** "Type name" of a step's resource, e.g. "Subscription sub-a". */
const resource = (s: PlannedStep) => `${s.urn.split("::")[2]!.split(":").pop()} ${s.urn.split("::").pop()}`;
const ops = (steps: PlannedStep[]) =>
  Object.fromEntries(steps.map((s) => [resource(s), s.failures ? "refused" : s.op]));

/** Inserts a row every few milliseconds until stopped; `table()` may change (a rename). */
function writer(server: TestServer, table: () => string, sql: (t: string, n: number) => string) {
  let stop = false;
  let n = 0;
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: "postgres", database: DB });
  const done = (async () => {
    await client.connect();
    while (!stop) {
      try {
        await client.query(sql(table(), ++n));
      } catch {
        // the table is being renamed or its partition detached: the next one goes through
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    await client.end();
  })();
  return {
    get rows() {
      return n;
    },
    async stop() {
      stop = true;
      await done;
    },
  };
}

/** `n` servers of `major`, each with the database DB (the topologies of several stacks). */
async function serversWithDb(major: Major, n: number): Promise<TestServer[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => startServer({ major })));
  await Promise.all(servers.map((s) => s.createDatabase(DB)));
  return servers;
}

/** Both nodes hold the same rows: count and md5 per table, nothing lost, doubled or different. */
async function assertEqual(a: TestServer, b: TestServer, tables: string[]): Promise<void> {
  const { comparisons } = await converge(a, b, DB, tables, 60_000);
  for (const c of comparisons)
    assert.deepEqual(
      [c.table, c.lost, c.duplicated, c.differing, c.md5Equal, c.primaryRows === c.replicaRows],
      [c.table, 0, 0, 0, true, true],
    );
}

/** A stack: the program's preview and up through the provider host, and what each did. */
class Stack {
  readonly engine: Promise<Engine>;
  constructor(
    readonly program: string,
    readonly project: string,
    stack = "test",
  ) {
    this.engine = Engine.start().then((e) => Object.assign(e, { stack }));
  }
  async preview(config: Record<string, string>) {
    const r = await runProgram(await this.engine, this.program, config, "preview", this.project);
    assert.equal(r.error, undefined);
    return r.steps;
  }
  async up(config: Record<string, string>) {
    const r = await runProgram(await this.engine, this.program, config, "up", this.project);
    return r;
  }
  /** Preview, then up: what up did is what the preview said. Returns the plan. */
  async apply(config: Record<string, string>) {
    const planned = await this.preview(config);
    assert.deepEqual(
      planned.flatMap((s) => s.failures ?? []),
      [],
      "no check failure",
    );
    const done = await this.up(config);
    assert.equal(done.error, undefined);
    assert.deepEqual(ops(done.steps), ops(planned), "up did what the preview said");
    return planned;
  }
  /** Refresh, then a preview with no changes. */
  async clean(config: Record<string, string>) {
    const engine = await this.engine;
    await engine.refresh();
    const again = await this.preview(config);
    assert.deepEqual(
      again.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`),
      [],
      "a refreshed preview shows no changes",
    );
  }
  async close() {
    const engine = await this.engine;
    await engine.destroy().catch(() => undefined);
    await engine.stop();
  }
}

export function topologySuite(major: Major): void {
  if (!majors([15, 17, 18]).includes(major)) return;

  describe(`two-way replication, PG${major}`, () => {
    let a: TestServer;
    let b: TestServer;
    let stack: Stack;
    const config = (extra: Record<string, string> = {}) => ({
      nodeAUrl: a.url(DB),
      nodeBUrl: b.url(DB),
      ...extra,
    });
    before(async () => {
      [a, b] = await seededPair(
        major,
        major,
        DB,
        "CREATE TABLE items (id bigint PRIMARY KEY, v text, node text); INSERT INTO items SELECT g, md5(g::text), 'a' FROM generate_series(1, 300) g",
      );
      stack = new Stack(fixture("twoway"), "twoway");
    });
    after(async () => {
      await stack?.close();
      await Promise.all([a?.stop(), b?.stop()]);
    });

    if (major < 16)
      it("is refused at preview before PostgreSQL 16 (origin: none)", async () => {
        const plan = await stack.preview(config());
        const reasons = plan.flatMap((s) => s.failures ?? []);
        assert.ok(reasons.some((f) => f.property === "origin" && /PostgreSQL 16 or later/.test(f.reason)));
      });
    else {
      scenario(
        "two-way: the wrong declaration refused with nothing emptied, then the right one replicating both ways",
        [
          [
            "refuses a second subscription left to copy rows the node already holds, before anything of it is applied; nothing is emptied",
            async () => {
              // A first preview cannot know B's tables (B's publication is not made yet): the refusal
              // comes at up's check of sub-a, after the other four steps, and at every preview after.
              const done = await stack.up(config({ copyBack: "default" }));
              assert.match(done.error ?? "", /copyData/);
              const plan = await stack.preview(config({ copyBack: "default" }));
              const refused = plan.find((s) => s.urn.endsWith("::sub-a"))!;
              assert.deepEqual(
                refused.failures?.map((f) => f.property),
                ["copyData"],
                JSON.stringify(refused.failures),
              );
              assert.match(refused.failures![0]!.reason, /public\.items already hold rows on the replica/);
              assert.deepEqual(await q(a, "SELECT count(*)::int AS n FROM items"), [{ n: 300 }]);
              assert.deepEqual(await q(b, "SELECT count(*)::int AS n FROM items"), [{ n: 300 }]);
              assert.deepEqual(await q(a, "SELECT subname FROM pg_subscription"), []);
            },
          ],

          [
            "replicates both ways with writes on both nodes: both equal, no change travels back",
            async () => {
              const plan = await stack.apply(config());
              assert.deepEqual(ops(plan)["Subscription sub-a"], "create");
              assert.deepEqual(
                Object.values(ops(plan)).filter((op) => op !== "same"),
                ["create"],
              );
              const wa = writer(
                a,
                () => "items",
                (t, n) => `INSERT INTO ${t} VALUES (${1_000_000 + n}, 'a${n}', 'a')`,
              );
              const wb = writer(
                b,
                () => "items",
                (t, n) => `INSERT INTO ${t} VALUES (${2_000_000 + n}, 'b${n}', 'b')`,
              );
              await new Promise((r) => setTimeout(r, 1500));
              await q(a, "UPDATE items SET v = 'changed on a' WHERE id <= 10");
              await q(b, "DELETE FROM items WHERE id BETWEEN 11 AND 20");
              await Promise.all([wa.stop(), wb.stop()]);
              assert.ok(wa.rows > 10 && wb.rows > 10);
              await assertEqual(a, b, ["items"]);
              const [{ n }] = await q<{ n: number }>(a, "SELECT count(*)::int AS n FROM items");
              assert.equal(n, 300 - 10 + wa.rows + wb.rows - 0, "every write once, on both nodes");
              await stack.clean(config());
            },
          ],
        ],
      );
    }
  });

  describe(`two replicas of one primary, one stack each, PG${major}`, () => {
    // One program deployed as two stacks (its names the same in both), each with its own replica.
    let primary: TestServer;
    let replicaA: TestServer;
    let replicaB: TestServer;
    let stackA: Stack;
    let stackB: Stack;
    const config = (replica: TestServer, extra: Record<string, string> = {}) => ({
      primaryUrl: primary.url(DB),
      replicaUrl: replica.url(DB),
      tables: JSON.stringify(["public.orders"]),
      copyMethod: "auto",
      ...extra,
    });
    const slots = () =>
      q<{ slot_name: string; active: boolean }>(
        primary,
        "SELECT slot_name, active FROM pg_replication_slots ORDER BY slot_name",
      );
    before(async () => {
      [primary, replicaA, replicaB] = await serversWithDb(major, 3);
      await q(
        primary,
        "CREATE TABLE orders (id bigint PRIMARY KEY, v text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 500) g",
      );
      stackA = new Stack(fixture("snapshot"), "snap", "analytics");
      stackB = new Stack(fixture("snapshot"), "snap", "staging");
    });
    after(async () => {
      await stackB?.close();
      await stackA?.close();
      await Promise.all([primary?.stop(), replicaA?.stop(), replicaB?.stop()]);
    });

    scenario(
      "the second stack is refused at preview until it names its own publication and slot; the first stack's replica never stops",
      [
        [
          "the first stack replicates",
          async () => {
            await stackA.apply(config(replicaA));
            await assertEqual(primary, replicaA, ["orders"]);
          },
        ],
        [
          "the second, under the same names, is refused at preview (the publication and the slot are the first stack's); its up applies nothing, the first's slot and publication are kept even while nothing streams from that slot",
          async () => {
            // Nothing streams from the first stack's slot (its subscriber paused): the moment a
            // failed create could have dropped it.
            await q(replicaA, "ALTER SUBSCRIPTION snap DISABLE");
            await eventually(async () =>
              assert.deepEqual(await slots(), [{ slot_name: "snap", active: false }]),
            );
            const plan = await stackB.preview(config(replicaB));
            const refused = Object.fromEntries(
              plan.filter((s) => s.failures).map((s) => [resource(s), s.failures!.map((f) => f.property)]),
            );
            assert.deepEqual(refused, { "Publication snap": ["name"], "Subscription snap": ["slotName"] });
            const reasons = plan.flatMap((s) => s.failures ?? []).map((f) => f.reason);
            assert.match(
              reasons[0]!,
              /declared by stack "snap\/analytics" \(this is "snap\/staging"\).*`publicationName`/,
            );
            assert.match(
              reasons[1]!,
              /replication slot "snap" already exists .* nothing streams from it now.*`subscriptionName`/,
            );
            const done = await stackB.up(config(replicaB));
            assert.match(done.error ?? "", /declared by stack/);
            assert.deepEqual(await slots(), [{ slot_name: "snap", active: false }]);
            assert.deepEqual(await q(primary, "SELECT pubname FROM pg_publication"), [{ pubname: "snap" }]);
            assert.deepEqual(await q(replicaB, "SELECT to_regclass('public.orders') AS t"), [{ t: null }]);
            assert.deepEqual(await q(replicaB, "SELECT subname FROM pg_subscription"), []);
            await q(replicaA, "ALTER SUBSCRIPTION snap ENABLE");
          },
        ],
        [
          "with its own names both replicas follow the primary under writes; destroying the second stack leaves the first streaming",
          async () => {
            const own = { publicationName: "snap_staging", subscriptionName: "snap_staging" };
            const w = writer(
              primary,
              () => "orders",
              (t, n) => `INSERT INTO ${t} VALUES (${1_000_000 + n}, 'w${n}')`,
            );
            await stackB.apply(config(replicaB, own));
            await new Promise((r) => setTimeout(r, 500));
            await w.stop();
            await assertEqual(primary, replicaA, ["orders"]);
            await assertEqual(primary, replicaB, ["orders"]);
            await stackB.clean(config(replicaB, own));
            await stackA.clean(config(replicaA));
            await (await stackB.engine).destroy();
            assert.deepEqual(await slots(), [{ slot_name: "snap", active: true }]);
            await q(primary, "INSERT INTO orders VALUES (-1, 'after the second stack went')");
            await assertEqual(primary, replicaA, ["orders"]);
          },
        ],
      ],
    );

    it("leaves another subscriber's slot alone at the last moment too: a create that skipped the preview's refusal, and a snapshot copy undone on a slot made meanwhile", async () => {
      await q(replicaA, "ALTER SUBSCRIPTION snap DISABLE");
      await eventually(async () => assert.deepEqual(await slots(), [{ slot_name: "snap", active: false }]));
      // The provider called directly, as if the slot had appeared between preview and up.
      const checked = await providers.subscription.check!(
        {},
        {
          connection: replicaB.url(DB),
          publisher: primary.url(DB),
          name: "snap",
          publications: ["snap"],
          copyData: false,
        },
      );
      assert.deepEqual(
        checked.failures?.map((f) => f.property),
        ["slotName"],
      );
      // (The second stack's SchemaSync left its table on destroy, as it does.)
      await q(replicaB, "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, v text)");
      await assert.rejects(
        providers.subscription.create!(checked.inputs),
        /replication slot "snap" already exists .* not this subscription's/,
      );
      // A snapshot copy's undo after CREATE_REPLICATION_SLOT found the slot taken (42710): its
      // disabled subscription names that slot, and is dropped without it.
      await q(
        replicaB,
        `CREATE SUBSCRIPTION snap CONNECTION '${primary.url(DB)}' PUBLICATION snap WITH (connect = false, slot_name = 'snap')`,
      );
      await withSession(parseConnection(replicaB.url(DB)), (s) =>
        abandonCopy(
          s,
          { name: "snap" } as SubscriptionInputs,
          parseConnection(primary.url(DB)),
          "taken",
          [],
          [],
        ),
      );
      assert.deepEqual(await q(replicaB, "SELECT subname FROM pg_subscription"), []);
      assert.deepEqual(await slots(), [{ slot_name: "snap", active: false }]);
      await q(replicaA, "ALTER SUBSCRIPTION snap ENABLE");
      await q(primary, "INSERT INTO orders VALUES (-2, 'after both attempts')");
      await assertEqual(primary, replicaA, ["orders"]);
    });
  });

  describe(`two primaries into one replica, one stack each, PG${major}`, () => {
    // Shards consolidated: one program deployed per shard, every stack into the same replica.
    let shard1: TestServer;
    let shard2: TestServer;
    let replica: TestServer;
    let stack1: Stack;
    let stack2: Stack;
    const config = (shard: TestServer, table: string, extra: Record<string, string> = {}) => ({
      primaryUrl: shard.url(DB),
      replicaUrl: replica.url(DB),
      // Each shard's own table, and two both fill (fan-in: disjoint keys; a log with no key),
      // published without TRUNCATE (one shard's would empty the other's rows too: refused, as a
      // step shows).
      tables: JSON.stringify([`public.${table}`, "public.customers", "public.events"]),
      copyMethod: "auto",
      publish: JSON.stringify(["insert", "update", "delete"]),
      ...extra,
    });
    /** The replica's customers and events are both shards' together, each row once. */
    const assertUnion = async () => {
      const rows = async (s: TestServer) => [
        ...(await q<{ id: string; v: string }>(s, "SELECT id::text, v FROM customers")).map(
          (r) => `${r.id}:${r.v}`,
        ),
        ...(await q<{ e: string }>(s, "SELECT ROW(at, shard, what)::text AS e FROM events")).map((r) => r.e),
      ];
      await eventually(async () => {
        const both = [...(await rows(shard1)), ...(await rows(shard2))].sort();
        assert.deepEqual((await rows(replica)).sort(), both);
      });
    };
    before(async () => {
      [shard1, shard2, replica] = await serversWithDb(major, 3);
      await q(
        shard1,
        "CREATE TABLE orders_1 (id bigint PRIMARY KEY, v text); INSERT INTO orders_1 SELECT g, md5(g::text) FROM generate_series(1, 300) g; CREATE TABLE customers (id bigint PRIMARY KEY, v text); INSERT INTO customers SELECT g, 'shard1' FROM generate_series(1, 50) g; CREATE TABLE events (at timestamptz, shard text, what text); ALTER TABLE events REPLICA IDENTITY FULL; INSERT INTO events SELECT timestamptz '2026-01-01 00:00+00' + g * interval '1 s', 'shard1', 'e' || g FROM generate_series(1, 30) g",
      );
      await q(
        shard2,
        "CREATE TABLE orders_2 (id bigint PRIMARY KEY, v text); INSERT INTO orders_2 SELECT g, md5(g::text) FROM generate_series(1, 200) g; CREATE TABLE customers (id bigint PRIMARY KEY, v text); INSERT INTO customers SELECT g, 'shard2' FROM generate_series(1001, 1040) g; CREATE TABLE events (at timestamptz, shard text, what text); ALTER TABLE events REPLICA IDENTITY FULL; INSERT INTO events SELECT timestamptz '2026-01-01 00:00+00' + g * interval '1 s', 'shard2', 'e' || g FROM generate_series(1, 20) g",
      );
      stack1 = new Stack(fixture("snapshot"), "snap", "shard1");
      stack2 = new Stack(fixture("snapshot"), "snap", "shard2");
    });
    after(async () => {
      await stack2?.close();
      await stack1?.close();
      await Promise.all([shard1?.stop(), shard2?.stop(), replica?.stop()]);
    });

    scenario(
      "the second shard's stack is refused at preview while its subscription's name is the first's on the replica; with its own name both stream",
      [
        [
          "the first shard replicates",
          async () => {
            await stack1.apply(config(shard1, "orders_1"));
            await assertEqual(shard1, replica, ["orders_1", "customers"]);
            const events = async (s: TestServer) =>
              (
                await q<{ e: string }>(s, "SELECT ROW(at, shard, what)::text AS e FROM events ORDER BY 1")
              ).map((r) => r.e);
            await eventually(async () => assert.deepEqual(await events(replica), await events(shard1)));
          },
        ],
        [
          "the second, under the same names, is refused at preview: that subscription streams from the first shard, and adopting it would turn it away; the first keeps streaming",
          async () => {
            const plan = await stack2.preview(config(shard2, "orders_2"));
            const refused = plan.filter((s) => s.failures);
            assert.deepEqual(
              refused.map((s) => [resource(s), s.failures!.map((f) => f.property)]),
              [["Subscription snap", ["name"]]],
            );
            assert.match(
              refused[0]!.failures![0]!.reason,
              new RegExp(
                `streams from another publisher, 127\\.0\\.0\\.1:${shard1.port}/${DB}.*\`subscriptionName\``,
              ),
            );
            const done = await stack2.up(config(shard2, "orders_2"));
            assert.match(done.error ?? "", /streams from another publisher/);
            const subs = await q<{ subname: string; subenabled: boolean }>(
              replica,
              "SELECT subname, subenabled FROM pg_subscription",
            );
            assert.deepEqual(subs, [{ subname: "snap", subenabled: true }]);
            await q(shard1, "INSERT INTO orders_1 VALUES (-1, 'after the refusal')");
            await assertEqual(shard1, replica, ["orders_1"]);
          },
        ],
        [
          "with a subscription name of its own, both shards stream into the replica under writes; the table both fill holds both shards' rows, the second's copied in beside the first's",
          async () => {
            const own = { subscriptionName: "snap_shard2" };
            // Published with TRUNCATE (PostgreSQL's default), a TRUNCATE on the second shard would
            // empty the table the first shard fills too: refused at preview, nothing applied.
            const truncating = {
              ...own,
              publish: JSON.stringify(["insert", "update", "delete", "truncate"]),
            };
            const refusedPlan = await stack2.preview(config(shard2, "orders_2", truncating));
            const refusal = refusedPlan.filter((s) => s.failures);
            assert.deepEqual(
              refusal.map((s) => [resource(s), s.failures!.map((f) => f.property)]),
              [["Subscription snap", ["publications"]]],
            );
            assert.match(
              refusal[0]!.failures![0]!.reason,
              /publication "snap" publishes TRUNCATE of public\.customers, public\.events, which subscription\(s\) "snap" also fill on the replica/,
            );
            const w1 = writer(
              shard1,
              () => "orders_1",
              (t, n) => `INSERT INTO ${t} VALUES (${1_000_000 + n}, 'w${n}')`,
            );
            const w2 = writer(
              shard2,
              () => "orders_2",
              (t, n) => `INSERT INTO ${t} VALUES (${1_000_000 + n}, 'w${n}')`,
            );
            await stack2.apply(config(shard2, "orders_2", own));
            await new Promise((r) => setTimeout(r, 500));
            await Promise.all([w1.stop(), w2.stop()]);
            await assertEqual(shard1, replica, ["orders_1"]);
            await assertEqual(shard2, replica, ["orders_2"]);
            const log = (await stack2.engine).log;
            assert.match(
              log,
              /public\.customers, public\.events also take rows from subscription\(s\) "snap" on the replica: this one's initial copy adds its publisher's rows beside theirs/,
            );
            // auto: the empty table under the snapshot, the shared one by PostgreSQL's copy beside the rows.
            assert.match(
              log,
              /up copies 1 table\(s\) [^\n]*under one snapshot[^\n]*; PostgreSQL's table synchronisation copies the other 2 \([^,]+, beside the rows other subscriptions write into public\.customers, public\.events\) server to server in the same subscription: public\.customers, public\.events\./,
            );
            await q(
              shard1,
              "INSERT INTO customers VALUES (60, 'shard1 later'); UPDATE customers SET v = 'changed' WHERE id = 1",
            );
            await q(
              shard2,
              "INSERT INTO customers VALUES (1060, 'shard2 later'); DELETE FROM customers WHERE id = 1001; UPDATE events SET what = 'changed' WHERE what = 'e2'",
            );
            await assertUnion();
            await stack1.clean(config(shard1, "orders_1"));
            await stack2.clean(config(shard2, "orders_2", own));
            // The first shard's stack, its publication changed back to TRUNCATE, now sees the table
            // the second fills: refused at its preview too.
            const back = await stack1.preview(
              config(shard1, "orders_1", {
                publish: JSON.stringify(["insert", "update", "delete", "truncate"]),
              }),
            );
            assert.deepEqual(
              back.filter((s) => s.failures).map((s) => [resource(s), s.failures!.map((f) => f.property)]),
              [["Subscription snap", ["publications"]]],
            );
          },
        ],
        [
          "a migration rolled out to the first shard only: the second shard's stack keeps the new column (another source's values) and has nothing to change",
          async () => {
            const own = { subscriptionName: "snap_shard2" };
            await q(shard1, "ALTER TABLE customers ADD COLUMN tier text DEFAULT 'basic'");
            await q(shard1, "INSERT INTO customers VALUES (70, 'shard1 tiered', 'gold')");
            const planned = await stack1.apply(config(shard1, "orders_1"));
            assert.equal(ops(planned)["SchemaSync snap"], "update");
            await stack2.clean(config(shard2, "orders_2", own));
            await q(shard2, "INSERT INTO customers VALUES (1070, 'shard2 after the migration')");
            await assertUnion();
            const tiers = async (s: TestServer) =>
              q<{ id: string; tier: string | null }>(
                s,
                "SELECT id::text, tier FROM customers WHERE id < 1000 ORDER BY id",
              );
            await eventually(async () => assert.deepEqual(await tiers(replica), await tiers(shard1)));
          },
        ],
        [
          "the second shard's stack destroyed with dropOnDelete: its own table goes, the table the first shard fills stays and streams on",
          async () => {
            const own = { subscriptionName: "snap_shard2", dropOnDelete: "true" };
            await stack2.apply(config(shard2, "orders_2", own));
            const engine = await stack2.engine;
            await engine.destroy();
            assert.match(
              engine.log,
              /dropOnDelete keeps public\.customers \(subscription "snap" writes into "public\.customers" on the replica[^)]*\), public\.events \(subscription "snap" writes into "public\.events"[^)]*\); it drops public\.orders_2\./,
            );
            const tables = await q<{ t: string }>(
              replica,
              "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            );
            assert.deepEqual(tables, [{ t: "customers" }, { t: "events" }, { t: "orders_1" }]);
            await q(shard1, "INSERT INTO customers VALUES (80, 'after the second stack went', 'silver')");
            await eventually(async () =>
              assert.deepEqual(await q(replica, "SELECT v FROM customers WHERE id = 80"), [
                { v: "after the second stack went" },
              ]),
            );
          },
        ],
        [
          "the second shard's stack deployed again after the first shard's next migration: refused at preview while the rows its earlier subscription left share the second shard's keys, or equal its rows in the log with no key; once they are deleted, the first shard's columns are kept and both stream",
          async () => {
            const own = { subscriptionName: "snap_shard2" };
            await q(shard1, "ALTER TABLE customers ADD COLUMN region text DEFAULT 'eu'");
            await stack1.apply(config(shard1, "orders_1"));
            // Measured before: SchemaSync planned dropping tier and region (the first shard's
            // columns; its advice, allowDestructive, would have lost their values), and once past
            // that the copy of customers stopped on the left rows' keys and retried without end.
            // Measured before the row check: the log table with no key took the second shard's
            // rows again beside those its earlier subscription left (each there twice), silently.
            const plan = await stack2.preview(config(shard2, "orders_2", own));
            const refused = plan.filter((s) => s.failures);
            assert.deepEqual(
              refused.map((s) => [resource(s), s.failures!.map((f) => f.property)]),
              [["Subscription snap", ["copyData", "copyData"]]],
            );
            assert.match(
              refused[0]!.failures![0]!.reason,
              /public\.customers holds 41 row\(s\) on the replica whose key \(id: customers_pkey\) the publisher's rows have too, e\.g\. \(1002\), \(1003\), \(1004\).*delete them on the replica first/,
            );
            assert.match(
              refused[0]!.failures![1]!.reason,
              /public\.events has no unique key, and 20 of the publisher's rows the copy would send are equal \(at, shard, what\) to rows the replica already holds: PostgreSQL's copy would add them beside those, each then there twice.*delete them on the replica first/,
            );
            await q(
              replica,
              "DELETE FROM customers WHERE id > 1000; DELETE FROM events WHERE shard = 'shard2'",
            );
            await stack2.apply(config(shard2, "orders_2", own));
            const schema = [...(await stack2.engine).state.values()].find((r) =>
              r.urn.endsWith("SchemaSync::snap"),
            )!;
            assert.match(
              JSON.stringify(schema.outputs.lastChanges),
              /kept the replica's own column public\.customers\.region, which this source lacks: subscription \\"snap\\" fills the table from another server/,
            );
            await q(shard2, "INSERT INTO customers VALUES (1080, 'shard2 deployed again')");
            await q(shard1, "INSERT INTO customers VALUES (90, 'shard1 in a region', 'gold', 'us')");
            await assertUnion();
            const extra = async (s: TestServer) =>
              q<{ id: string; tier: string | null; region: string | null }>(
                s,
                "SELECT id::text, tier, region FROM customers WHERE id < 1000 ORDER BY id",
              );
            await eventually(async () => assert.deepEqual(await extra(replica), await extra(shard1)));
            await stack1.clean(config(shard1, "orders_1"));
            await stack2.clean(config(shard2, "orders_2", own));
          },
        ],
      ],
    );
  });

  describe(`a cascade: primary → middle → leaf, one stack each, PG${major}`, () => {
    // The middle node replicates from the primary and publishes the same table on to a leaf.
    let primary: TestServer;
    let middle: TestServer;
    let leaf: TestServer;
    let upper: Stack;
    let lower: Stack;
    const config = (from: TestServer, to: TestServer, name: string, extra: Record<string, string> = {}) => ({
      primaryUrl: from.url(DB),
      replicaUrl: to.url(DB),
      tables: JSON.stringify(["public.orders"]),
      copyMethod: "auto",
      publicationName: name,
      subscriptionName: name,
      ...extra,
    });
    before(async () => {
      [primary, middle, leaf] = await serversWithDb(major, 3);
      await q(
        primary,
        "CREATE TABLE orders (id bigint PRIMARY KEY, v text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 400) g",
      );
      upper = new Stack(fixture("snapshot"), "snap", "upper");
      lower = new Stack(fixture("snapshot"), "snap", "lower");
    });
    after(async () => {
      await lower?.close();
      await upper?.close();
      await Promise.all([primary?.stop(), middle?.stop(), leaf?.stop()]);
    });

    it("refuses origin: none on the leaf at preview (the primary's changes would never reach it), then follows both the primary's and the middle's writes with origin: any", async () => {
      await upper.apply(config(primary, middle, "upper"));
      await q(middle, "INSERT INTO orders VALUES (-1, 'written on the middle node')");
      if (major >= 16) {
        // Measured before the rule: taken without a word; the leaf got the initial copy, then
        // every later change from the primary was skipped while previews said "same".
        const plan = await lower.preview(config(middle, leaf, "lower", { origin: "none" }));
        const refused = plan
          .filter((s) => s.failures)
          .map((s) => [resource(s), s.failures!.map((f) => f.property)]);
        assert.deepEqual(refused, [["Subscription snap", ["origin"]]]);
        assert.match(
          plan.flatMap((s) => s.failures ?? [])[0]!.reason,
          /public\.orders is written on the publisher by its subscription "upper", which takes it from another server.*`origin: "any"`/,
        );
      }
      const fromPrimary = writer(
        primary,
        () => "orders",
        (t, n) => `INSERT INTO ${t} VALUES (${1_000_000 + n}, 'p${n}')`,
      );
      const onMiddle = writer(
        middle,
        () => "orders",
        (t, n) => `INSERT INTO ${t} VALUES (${-1_000_000 - n}, 'm${n}')`,
      );
      await lower.apply(config(middle, leaf, "lower"));
      await new Promise((r) => setTimeout(r, 500));
      await Promise.all([fromPrimary.stop(), onMiddle.stop()]);
      await q(primary, "UPDATE orders SET v = 'changed on the primary' WHERE id <= 10");
      // The primary's changes reach the leaf through the middle node (two hops), then both agree.
      await eventually(async () =>
        assert.deepEqual(
          await q(
            leaf,
            "SELECT count(*)::int AS n FROM orders WHERE v = 'changed on the primary' OR id > 1000000",
          ),
          [{ n: 10 + fromPrimary.rows }],
        ),
      );
      await assertEqual(middle, leaf, ["orders"]);
      await upper.clean(config(primary, middle, "upper"));
      await lower.clean(config(middle, leaf, "lower"));
    });
  });

  describe(`partitioned tables, PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    const PART = (year: number) =>
      `CREATE TABLE events_${year} PARTITION OF events FOR VALUES FROM ('${year}-01-01') TO ('${year + 1}-01-01')`;
    const insert = (year: number, n: number, from = 1) =>
      `INSERT INTO events SELECT g, '${year}-06-01'::date, md5(g::text) FROM generate_series(${from}, ${from + n - 1}) g`;
    const seed = async () => {
      await q(
        primary,
        "CREATE TABLE events (id bigint, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
      );
      await q(primary, `${PART(2025)}; ${PART(2026)}; ${insert(2025, 100)}; ${insert(2026, 100, 101)}`);
    };
    before(async () => {
      [primary, replica] = await startPair(major, major);
    });
    after(() => Promise.all([primary?.stop(), replica?.stop()]));
    const fresh = async () => {
      for (const s of [replica, primary]) {
        await s.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
        await s.query(`CREATE DATABASE ${DB}`);
      }
      await seed();
    };

    it("partition by partition (the default): a partition created, one detached and one dropped on the primary reach the replica by the next up", async () => {
      await fresh();
      const stack = new Stack(fixture("partitions"), "partitions");
      const config = { primaryUrl: primary.url(DB), replicaUrl: replica.url(DB) };
      try {
        await stack.apply(config);
        await assertEqual(primary, replica, ["events"]);
        // A new partition and rows in it, written while the preview and up run.
        await q(primary, PART(2027));
        const w = writer(
          primary,
          () => "events",
          (t, n) => `INSERT INTO ${t} VALUES (${10_000 + n}, '2027-03-01', 'w${n}')`,
        );
        const plan = await stack.apply(config);
        assert.deepEqual(
          plan.filter((s) => s.op === "update").map(resource),
          ["Publication parts", "SchemaSync parts", "Subscription parts", "SchemaSync parts-indexes"],
          "the publication's partitions, the replica's partition, the subscription's refresh, then its indexes",
        );
        await w.stop();
        await assertEqual(primary, replica, ["events"]);
        assert.deepEqual(await q(replica, "SELECT count(*)::int AS n FROM events_2027"), [{ n: w.rows }]);
        // Detached on the primary: detached on the replica too, its rows kept apart.
        await q(primary, "ALTER TABLE events DETACH PARTITION events_2025");
        const detached = await stack.apply(config);
        assert.ok(
          (
            detached.find((s) => s.urn.endsWith("SchemaSync::parts"))!.checked!.pending as Record<
              string,
              string[]
            >
          )["public.events_2025"]![0]!.startsWith("detach partition public.events_2025 from public.events"),
        );
        await assertEqual(primary, replica, ["events"]);
        assert.deepEqual(await q(replica, "SELECT count(*)::int AS n FROM events_2025"), [{ n: 100 }]);
        // Dropped on the primary: detached on the replica (its rows kept apart, never dropped there).
        await q(primary, "DROP TABLE events_2026");
        const dropped = await stack.apply(config);
        assert.deepEqual(dropped.filter((s) => s.op === "update").map(resource), [
          "Publication parts",
          "SchemaSync parts",
          "Subscription parts",
          "SchemaSync parts-indexes",
        ]);
        await assertEqual(primary, replica, ["events"]);
        assert.deepEqual(await q(replica, "SELECT count(*)::int AS n FROM events_2026"), [{ n: 100 }]);
        assert.deepEqual(
          await q(
            replica,
            "SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = 'events_2026'::regclass",
          ),
          [{ n: 0 }],
        );
        // A column added to the partitioned table, its default changed after: the replica's rows in
        // every partition get the value PostgreSQL kept for the primary's (per leaf partition), no
        // re-copy. Before, they got the replica's default (true where the primary's are false).
        await q(
          primary,
          "ALTER TABLE events ADD COLUMN checked boolean NOT NULL DEFAULT false; ALTER TABLE events ALTER COLUMN checked SET DEFAULT true",
        );
        const added = await stack.apply(config);
        // The Subscription stays: binary "auto" no longer reads the column SchemaSync has yet to add
        // as a reason to switch to text (its preview said update, its up did not).
        assert.deepEqual(added.filter((s) => s.op !== "same").map(resource), [
          "SchemaSync parts",
          "SchemaSync parts-indexes",
        ]);
        await assertEqual(primary, replica, ["events"]);
        await stack.clean(config);
      } finally {
        await stack.close();
      }
    });

    it("through the root, into a replica table that is not partitioned: a new partition's rows arrive with nothing to change; a table loaded on its own, then attached, is re-copied; one detached is said to stay", async () => {
      await fresh();
      await q(replica, "CREATE TABLE events (id bigint, at date, v text, PRIMARY KEY (id, at))");
      const stack = new Stack(fixture("partitions"), "partitions");
      const config = {
        primaryUrl: primary.url(DB),
        replicaUrl: replica.url(DB),
        viaRoot: "true",
        schemaSync: "false",
      };
      try {
        await stack.apply(config);
        await q(primary, `${PART(2027)}; ${insert(2027, 50, 5000)}`);
        await assertEqual(primary, replica, ["events"]);
        await stack.clean(config);
        // A table loaded on its own, then attached: its rows were never in the stream (measured
        // before: none of them on the replica, and the preview after said "same"). Re-copied.
        await q(
          primary,
          `CREATE TABLE events_2028 (LIKE events INCLUDING ALL); INSERT INTO events_2028 SELECT g, '2028-06-01'::date, md5(g::text) FROM generate_series(9000, 9060) g; ALTER TABLE events ATTACH PARTITION events_2028 FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')`,
        );
        const plan = await stack.apply(config);
        const repair = plan.find((s) => s.urn.endsWith("Subscription::parts"))!.checked!.pendingRepair as {
          reasons: string[];
        };
        assert.match(repair.reasons.join("; "), /public\.events_2028 was attached as a partition/);
        await assertEqual(primary, replica, ["events"]);
        await stack.clean(config);
        // Detached on the primary: the replica's plain table keeps its rows (a history it may want);
        // the preview says so rather than emptying what the primary's root no longer holds.
        await q(primary, "ALTER TABLE events DETACH PARTITION events_2028");
        await stack.apply(config);
        assert.match(
          (await stack.engine).log,
          /public\.events_2028 left public\.events on the publisher \(detached or dropped\).*keeps their rows/,
        );
        assert.deepEqual(
          await q(replica, "SELECT count(*)::int AS n FROM events WHERE id >= 9000 AND id <= 9060"),
          [{ n: 61 }],
        );
        await stack.clean(config);
      } finally {
        await stack.close();
      }
    });

    it("refuses at preview partitions published one by one into a replica table that is not partitioned", async () => {
      await fresh();
      await q(replica, "CREATE TABLE events (id bigint, at date, v text, PRIMARY KEY (id, at))");
      const stack = new Stack(fixture("partitions"), "partitions");
      const config = { primaryUrl: primary.url(DB), replicaUrl: replica.url(DB), schemaSync: "false" };
      try {
        await stack.up({ ...config }); // the publication is created; the subscription is refused
        const plan = await stack.preview(config);
        const refused = plan.find((s) => s.urn.endsWith("Subscription::parts"))!;
        assert.deepEqual(
          refused.failures?.map((f) => f.property),
          ["publications"],
        );
        assert.match(
          refused.failures![0]!.reason,
          /public\.events_2025, public\.events_2026.*publishViaPartitionRoot: true/,
        );
      } finally {
        await stack.close();
      }
    });
  });

  describe(`renames on the primary, PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let stack: Stack;
    const config = (tables: string[]) => ({
      primaryUrl: primary.url(DB),
      replicaUrl: replica.url(DB),
      tables: JSON.stringify(tables),
    });
    before(async () => {
      [primary, replica] = await seededPair(
        major,
        major,
        DB,
        `CREATE TABLE users (id bigint PRIMARY KEY, name text);
         CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users, total int);
         CREATE INDEX orders_user_idx ON orders (user_id);
         INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 50) g;
         INSERT INTO orders SELECT g, 1 + g % 50, g FROM generate_series(1, 200) g;`,
      );
      stack = new Stack(fixture("drift"), "drift");
      await stack.apply(config(["users", "orders"]));
    });
    after(async () => {
      await stack?.close();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    scenario("renames on the primary, one after another, each recognised and applied in place", [
      [
        "renames a table on the replica in place, its rows kept (no re-copy), while rows keep arriving",
        async () => {
          const oid = await q(replica, "SELECT 'orders'::regclass::oid::int AS oid");
          const sub = await q(replica, "SELECT oid::int FROM pg_subscription");
          let table = "orders";
          const w = writer(
            primary,
            () => table,
            (t, n) => `INSERT INTO ${t} VALUES (${1000 + n}, 1, ${n})`,
          );
          await new Promise((r) => setTimeout(r, 300));
          await q(primary, "ALTER TABLE orders RENAME TO purchases");
          table = "purchases";
          const plan = await stack.apply(config(["users", "purchases"]));
          assert.deepEqual(
            plan.map((s) => s.op),
            ["update", "update", "update"],
          );
          const pending = plan.find((s) => s.urn.endsWith("SchemaSync::schema"))!.checked!.pending as Record<
            string,
            string[]
          >;
          assert.deepEqual(
            pending["public.purchases"]![0],
            "rename table public.orders to public.purchases (renamed on the source; its rows are kept)",
          );
          await w.stop();
          await assertEqual(primary, replica, ["users", "purchases"]);
          assert.deepEqual(
            await q(replica, "SELECT 'purchases'::regclass::oid::int AS oid"),
            oid,
            "the same table, renamed",
          );
          assert.deepEqual(
            await q(replica, "SELECT oid::int FROM pg_subscription"),
            sub,
            "no re-copy: the same subscription",
          );
          await stack.clean(config(["users", "purchases"]));
        },
      ],

      [
        "renames a column on the replica in place, its values kept",
        async () => {
          await q(primary, "ALTER TABLE users RENAME COLUMN name TO full_name");
          await q(primary, "INSERT INTO users VALUES (51, 'after the rename')");
          const plan = await stack.apply(config(["users", "purchases"]));
          const pending = plan.find((s) => s.urn.endsWith("SchemaSync::schema"))!.checked!.pending as Record<
            string,
            string[]
          >;
          assert.ok(
            pending["public.users"]!.includes(
              "rename column public.users.name to full_name (renamed on the source; its values are kept)",
            ),
          );
          await assertEqual(primary, replica, ["users", "purchases"]);
          await stack.clean(config(["users", "purchases"]));
        },
      ],

      [
        "renames an index and a constraint on the replica in place, the same objects kept",
        async () => {
          const before = await q(
            replica,
            "SELECT 'orders_user_idx'::regclass::oid::int AS idx, 'orders_pkey'::regclass::oid::int AS pkey",
          );
          await q(primary, "ALTER INDEX orders_user_idx RENAME TO purchases_user_idx");
          await q(primary, "ALTER TABLE purchases RENAME CONSTRAINT orders_pkey TO purchases_pkey");
          await q(primary, "INSERT INTO purchases VALUES (90001, 2, 1)");
          const plan = await stack.apply(config(["users", "purchases"]));
          const pending = plan.find((s) => s.urn.endsWith("SchemaSync::schema"))!.checked!.pending as Record<
            string,
            string[]
          >;
          assert.equal(pending["public.purchases"]!.length, 2, JSON.stringify(pending));
          assert.ok(
            pending["public.purchases"]!.every((w) => w.startsWith("rename ")),
            JSON.stringify(pending),
          );
          assert.deepEqual(
            await q(
              replica,
              "SELECT 'purchases_user_idx'::regclass::oid::int AS idx, 'purchases_pkey'::regclass::oid::int AS pkey",
            ),
            before,
            "the same index and constraint, renamed",
          );
          await assertEqual(primary, replica, ["users", "purchases"]);
          await stack.clean(config(["users", "purchases"]));
        },
      ],

      [
        "refuses at preview a table whose index name the replica's old table still holds",
        async () => {
          // A rename with another change at once is not recognised: the clash is found at check.
          await q(primary, "ALTER TABLE purchases RENAME TO sales; ALTER TABLE sales ADD COLUMN note text");
          const plan = await stack.preview(config(["users", "sales"]));
          const refused = plan.find((s) => s.urn.endsWith("SchemaSync::schema"))!;
          assert.deepEqual(
            refused.failures?.map((f) => f.property),
            ["target"],
          );
          assert.match(
            refused.failures![0]!.reason,
            /needs the name "purchases_pkey" in schema "public", which index purchases_pkey of table public\.purchases holds on the target/,
          );
          await q(primary, "ALTER TABLE sales DROP COLUMN note; ALTER TABLE sales RENAME TO purchases");
        },
      ],
    ]);
  });

  describe(`an initial copy longer than the wait, PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let stack: Stack;
    before(async () => {
      [primary, replica] = await seededPair(
        major,
        major,
        DB,
        "CREATE TABLE big (id bigint PRIMARY KEY, v text); INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
      );
      stack = new Stack(fixture("drift"), "drift");
    });
    after(async () => {
      await stack?.close();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it("converges over three ups, copying each table once: a timeout leaves the copy going", async () => {
      const config = {
        primaryUrl: primary.url(DB),
        replicaUrl: replica.url(DB),
        tables: '["big"]',
        syncTimeout: "2",
        // PostgreSQL's table synchronisation outlasting the wait (a snapshot copy runs to its end in the up).
        copyMethod: "postgres",
      };
      // The replica's table (made beforehand, as SchemaSync would) is held in SHARE mode: the table
      // sync's COPY into it waits (a copy that takes long) while nothing else of the up does.
      await q(replica, "CREATE TABLE big (id bigint PRIMARY KEY, v text)");
      const blocker = new pg.Client({
        host: replica.socketDir,
        port: replica.port,
        user: "postgres",
        database: DB,
      });
      await blocker.connect();
      await blocker.query("BEGIN; LOCK TABLE big IN SHARE MODE");
      try {
        const first = await stack.up(config);
        assert.match(first.error ?? "", /did not finish within 2 s.*run up again/s);
        const created = await q(replica, "SELECT oid::int FROM pg_subscription");
        assert.equal(created.length, 1);
        const second = await stack.up(config);
        assert.match(second.error ?? "", /did not finish within 2 s/);
        assert.deepEqual(
          await q(replica, "SELECT oid::int FROM pg_subscription"),
          created,
          "the same subscription",
        );
        await blocker.query("COMMIT");
        const third = await stack.up({ ...config, syncTimeout: "60" });
        assert.equal(third.error, undefined);
        assert.deepEqual(
          await q(replica, "SELECT oid::int FROM pg_subscription"),
          created,
          "the same subscription",
        );
      } finally {
        await blocker.end();
      }
      await assertEqual(primary, replica, ["big"]);
      await eventually(async () =>
        assert.deepEqual(
          await q(replica, "SELECT n_tup_ins::int AS n FROM pg_stat_user_tables WHERE relname = 'big'"),
          [{ n: 20000 }],
        ),
      );
      await stack.clean({
        primaryUrl: primary.url(DB),
        replicaUrl: replica.url(DB),
        tables: '["big"]',
        syncTimeout: "60",
      });
    });
  });

  describe(`a row filter changed in the program, PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    before(async () => {
      [primary, replica] = await seededPair(
        major,
        major,
        DB,
        "CREATE TABLE t (id int PRIMARY KEY, region text, v text); ALTER TABLE t REPLICA IDENTITY FULL; INSERT INTO t SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'v' || g FROM generate_series(1, 20) g",
      );
    });
    after(() => Promise.all([primary?.stop(), replica?.stop()]));

    // Measured before: the preview showed the Subscription "same" while its up re-copied the table
    // (ALTER PUBLICATION … SET TABLE re-creates a refiltered table's catalog row: a gap).
    it("announces at preview the re-copy its up makes, and the replica then holds the new filter's rows", async () => {
      const stack = new Stack(fixture("snapshot"), "snap");
      const config = (where: string) => ({
        primaryUrl: primary.url(DB),
        replicaUrl: replica.url(DB),
        tables: JSON.stringify([{ name: "t", where }]),
      });
      const regions = () => q(replica, "SELECT region, count(*)::int AS n FROM t GROUP BY 1 ORDER BY 1");
      try {
        await stack.apply(config("region = 'eu'"));
        assert.deepEqual(await regions(), [{ region: "eu", n: 10 }]);
        const plan = await stack.apply(config("region = 'us'"));
        const sub = plan.find((st) => st.urn.endsWith("Subscription::snap"))!;
        assert.equal(sub.op, "update");
        assert.match(
          (sub.checked!.pendingRepair as { reasons: string[] }).reasons.join("; "),
          /what publishes public\.t is dropped, re-created or replaced in this update/,
        );
        assert.deepEqual(await regions(), [{ region: "us", n: 10 }]);
        // The same filter again: nothing to do.
        assert.deepEqual(
          (await stack.apply(config("region = 'us'"))).map((st) => st.op),
          ["same", "same", "same", "same"],
        );
        await stack.clean(config("region = 'us'"));
      } finally {
        await stack.close();
      }
    });
  });

  describe(`options and mistakes at preview, PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    before(async () => {
      [primary, replica] = await seededPair(
        major,
        major,
        DB,
        "CREATE TABLE t (id int PRIMARY KEY, a text, b text); INSERT INTO t VALUES (1, 'x', 'y')",
      );
      await q(primary, "CREATE PUBLICATION p1 FOR TABLE t");
      await q(replica, "CREATE TABLE t (id int PRIMARY KEY, a text, b text)");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });
    const base = (extra: Record<string, unknown> = {}) => ({
      connection: replica.url(DB),
      name: "s",
      publisher: primary.url(DB),
      publications: ["p1"],
      waitForSync: true,
      ...extra,
    });
    const catalog = () =>
      q(
        replica,
        "SELECT subdisableonerr AS d, subsynccommit AS c, substream::text AS st FROM pg_subscription",
      );

    it("returns options removed from the program to PostgreSQL's defaults, and shows one changed by hand", async () => {
      const sub = new Driver(engine, "Subscription");
      const defaults = await (async () => {
        const probe = await sub.create(base({ name: "probe", slotName: "probe", copyData: false }));
        const row = await q(
          replica,
          "SELECT subdisableonerr AS d, subsynccommit AS c, substream::text AS st FROM pg_subscription WHERE subname = 'probe'",
        );
        await sub.delete(probe);
        return row;
      })();
      let state = await sub.create(
        base({
          disableOnError: true,
          synchronousCommit: "local",
          streaming: major >= 16 ? "parallel" : true,
        }),
      );
      assert.notDeepEqual(await catalog(), defaults);
      state = await sub.update(state, base());
      assert.deepEqual(await catalog(), defaults, "back to the defaults");
      await q(replica, "ALTER SUBSCRIPTION s SET (disable_on_error = true)");
      const refreshed = (await sub.refresh(state))!;
      assert.equal((await sub.diff(refreshed, base())).changes, true, "the refreshed preview shows it");
      state = await sub.update(refreshed, base());
      assert.deepEqual(await catalog(), defaults);
      await sub.delete(state);
    });

    it("refuses at preview what can be known before up: credentials, missing publications, taken names, tables twice, conflicting column lists", async () => {
      const sub = new Driver(engine, "Subscription");
      const pubs = new Driver(engine, "Publication");
      await q(replica, "TRUNCATE t"); // the rows the last test's subscription copied
      const wrong = primary.url(DB).replace(/:[^:@]+@/, ":not-the-password@");
      const bad = await sub.check(base({ publisher: wrong }));
      assert.deepEqual(
        bad.failures.map((f) => f.property),
        ["publisher"],
      );
      assert.match(bad.failures[0]!.reason, /refused the connection.*check the user, password and database/);
      assert.ok(!bad.failures[0]!.reason.includes(primary.password));
      const unreachable = await sub.check(base({ publisher: `postgres://postgres:x@127.0.0.1:1/${DB}` }));
      assert.deepEqual(unreachable.failures, [], "not reachable from here: a warning, not a failure");
      assert.match(engine.log, /cannot reach the publisher/);
      const missing = await sub.check(base({ publications: ["p1", "nope"] }));
      assert.deepEqual(
        missing.failures.map((f) => f.property),
        ["publications"],
      );
      assert.match(
        missing.failures[0]!.reason,
        /"nope" do not exist on the publisher, and no Publication of this program creates them/,
      );
      const taken = await pubs.check({
        connection: primary.url(DB),
        name: "p1",
        tables: ["t"],
        publish: ["insert"],
      });
      assert.deepEqual(
        taken.failures.map((f) => f.property),
        ["name"],
      );
      assert.deepEqual(
        (await pubs.check({ connection: primary.url(DB), name: "p1", tables: ["t"] })).failures,
        [],
        "the same definition is taken over",
      );
      const twice = await pubs.check({
        connection: primary.url(DB),
        name: "p2",
        tables: ["t", { name: "t", where: "id > 1" }],
      });
      assert.deepEqual(
        twice.failures.map((f) => f.property),
        ["tables[1]"],
      );
      assert.match(twice.failures[0]!.reason, /"public.t" is listed twice/);
      if (major >= 15) {
        await q(primary, "CREATE PUBLICATION p2 FOR TABLE t (id, a)");
        const conflict = await sub.check(base({ publications: ["p1", "p2"] }));
        assert.deepEqual(
          conflict.failures.map((f) => f.property),
          ["publications"],
        );
        assert.match(
          conflict.failures[0]!.reason,
          /public\.t is published by two of these publications with different column lists/,
        );
        await q(primary, "DROP PUBLICATION p2");
      }
    });
  });
}
