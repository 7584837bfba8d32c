// SchemaSync through the provider host: a tricky schema copied faithfully (compared with pg_dump),
// the table list taken from a publication, the query count independent of the table count, and
// schema drift shown in preview and applied by up, with replication still flowing.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { providers } from "../../src";
import { captureProgram } from "../harness/capture";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import { hasPgDump, schemaDump } from "../harness/pgdump";
import { startServer, type TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { seededPair, trickyRootTables, TRICKY_SQL } from "../harness/seed";
import { assertLockTriesError, eventually, holdTableLock, recordQueries } from "../harness/util";

describe(
  "SchemaSync copies a tricky schema faithfully, PG15 → PG15",
  { skip: !hasPgDump() && "Debian's pg_dump 15 is not installed" },
  () => {
    let source: TestServer;
    let target: TestServer;
    let engine: Engine;
    let sync: Driver;

    before(async () => {
      [source, target] = await Promise.all([startServer({ major: 15 }), startServer({ major: 15 })]);
      await Promise.all([
        source.createDatabase("app"),
        target.createDatabase("app"),
        target.createDatabase("frompub"),
      ]);
      await source.query(TRICKY_SQL, [], "app");
      engine = await Engine.start();
      sync = new Driver(engine, "SchemaSync");
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([source?.stop(), target?.stop()]);
    });

    it("makes the target's pg_dump --schema-only equal the source's for 47 tables, types, collations and extensions", async () => {
      const tables = await trickyRootTables(source);
      assert.ok(tables.length >= 30, `${tables.length} tables`);
      const state = await sync.create({ source: source.url("app"), target: target.url("app"), tables });
      assert.equal((state.outputs.syncedTables as unknown[]).length, 47);
      const want = schemaDump(source, "app");
      const got = schemaDump(target, "app");
      assert.ok(want.length > 300, `the source dump has ${want.length} lines`);
      assert.ok(
        want.some((l) => l.includes("EXCLUDE USING gist")) &&
          want.some((l) => l.includes("ATTACH PARTITION")),
      );
      assert.ok(
        want.some((l) => l.startsWith("CREATE COLLATION app.nocase")),
        "the custom collation is part of the comparison",
      );
      for (const must of [
        "START WITH 100",
        "INCREMENT BY 5",
        "CYCLE",
        "SET STORAGE EXTERNAL",
        "SET STATISTICS 500",
        "SET COMPRESSION pglz",
      ])
        assert.ok(
          want.some((l) => l.includes(must)),
          `${must} is part of the comparison`,
        );
      const missing = want.filter((l) => !got.includes(l));
      const extra = got.filter((l) => !want.includes(l));
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
      assert.deepEqual(got, want, "same statements in the same order");
      // Nothing left to do: preview after the copy shows no changes, also after refresh.
      assert.equal(
        (await sync.diff(state, { source: source.url("app"), target: target.url("app"), tables })).changes,
        false,
      );
      const refreshed = (await sync.refresh(state))!;
      assert.equal(
        (await sync.diff(refreshed, { source: source.url("app"), target: target.url("app"), tables }))
          .changes,
        false,
      );
    });

    it("creates the sequences defaults use that are not their table's own: shared, another table's, one added later", async () => {
      // Measured before: the first up failed ("relation "public.global_id" does not exist").
      await Promise.all([source.createDatabase("seqs"), target.createDatabase("seqs")]);
      await source.query(
        `CREATE SEQUENCE global_id AS bigint INCREMENT BY 10 START WITH 1000 CACHE 5;
         CREATE TABLE wallets (id bigserial PRIMARY KEY, ref bigint DEFAULT nextval('global_id'));
         CREATE TABLE odd (id bigint PRIMARY KEY);
         CREATE SEQUENCE odd_id_seq INCREMENT BY 2 START WITH 1 CACHE 3 OWNED BY odd.id;
         ALTER TABLE odd ALTER COLUMN id SET DEFAULT nextval('odd_id_seq');
         CREATE TABLE ledger (id bigint PRIMARY KEY DEFAULT nextval('global_id'), wallet bigint DEFAULT nextval('wallets_id_seq'));`,
        [],
        "seqs",
      );
      const inputs = {
        source: source.url("seqs"),
        target: target.url("seqs"),
        tables: ["ledger", "wallets", "odd"],
      };
      let state = await sync.create(inputs);
      assert.deepEqual(schemaDump(target, "seqs"), schemaDump(source, "seqs"));
      await source.query(
        "CREATE SEQUENCE later_no START WITH 7; ALTER TABLE wallets ADD COLUMN n int DEFAULT nextval('later_no')",
        [],
        "seqs",
      );
      state = await sync.update(state, inputs);
      assert.deepEqual(schemaDump(target, "seqs"), schemaDump(source, "seqs"));
      assert.equal((await sync.diff(state, inputs)).changes, false);
      // An owned sequence stepping otherwise on the replica (as an earlier version made it, with
      // the defaults: after a cutover, odd ids from 1 by 1) is made to step as the source's.
      await target.query("ALTER SEQUENCE odd_id_seq INCREMENT BY 1 CACHE 1", [], "seqs");
      assert.equal((await sync.diff(state, inputs)).changes, true);
      state = await sync.update(state, inputs);
      assert.deepEqual(
        await target.query(
          "SELECT seqincrement::int AS i, seqcache::int AS c FROM pg_sequence WHERE seqrelid = 'odd_id_seq'::regclass",
          [],
          "seqs",
        ),
        [{ i: 2, c: 3 }],
      );
    });

    it("takes the table list from a publication, partitions and referenced types included", async () => {
      await source.query(
        `CREATE PUBLICATION analytics FOR TABLE app.t_parent, app.t_child, app.t_partitioned, app.t_enum WITH (publish_via_partition_root = true)`,
        [],
        "app",
      );
      const state = await sync.create({
        source: source.url("app"),
        target: target.url("frompub"),
        publication: "analytics",
      });
      const copied = await target.query<{ t: string }>(
        "SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname = 'app' ORDER BY 1",
        [],
        "frompub",
      );
      assert.deepEqual(
        copied.map((r) => r.t),
        [
          "app.t_child",
          "app.t_enum",
          "app.t_parent",
          "app.t_partitioned",
          "app.t_partitioned_2025",
          "app.t_partitioned_2026",
          "app.t_partitioned_default",
        ],
      );
      assert.deepEqual(await target.query("SELECT enum_range(NULL::app.mood)::text AS r", [], "frompub"), [
        { r: "{sad,ok,happy}" },
      ]);
      await sync.delete(state);
      assert.equal(
        (
          await target.query(
            "SELECT count(*)::int AS n FROM pg_class WHERE relname = 't_child'",
            [],
            "frompub",
          )
        )[0]!.n,
        1,
        "kept",
      );
    });

    it("issues the same number of queries to read 3 tables as to read all of them", async () => {
      const count = async (tables: { schema: string; name: string }[]) => {
        const [r, texts] = await recordQueries(() =>
          providers.schemaSync.check!({}, { source: source.url("app"), target: target.url("app"), tables }),
        );
        assert.deepEqual(r.failures, []);
        // Reads only: a kept connection's lock wait is set once, by whichever check comes first
        // (after the reset of the settings the last call changed and the timeouts off again, in the
        // same statement).
        return texts.filter(
          (t) =>
            !/^(RESET ALL; SELECT pg_catalog\.count\(pg_catalog\.set_config\(.*; )?SET lock_timeout\b/.test(
              t,
            ),
        ).length;
      };
      const all = await trickyRootTables(source);
      assert.equal(await count(all.slice(0, 3)), await count(all));
    });
  },
);

describe("SchemaSync preview fingerprint, PG18", () => {
  let source: TestServer;
  let target: TestServer;
  before(async () => {
    [source, target] = await Promise.all([startServer({ major: 18 }), startServer({ major: 18 })]);
    await source.query(
      "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t (id int PRIMARY KEY, m mood); CREATE TABLE u (id int PRIMARY KEY)",
    );
  });
  after(() => Promise.all([source?.stop(), target?.stop()]));

  const queries = async (olds: Record<string, unknown>) => {
    const [r, texts] = await recordQueries(() =>
      providers.schemaSync.check!(olds, {
        source: source.url(),
        target: target.url(),
        tables: ["t", "u"],
        allowDestructive: true,
      }),
    );
    return { inputs: r.inputs, deparsed: texts.some((t) => t.includes("json_build_object")) };
  };

  it("reads neither side's definitions while both catalogs are unchanged, and sees any DDL", async () => {
    const first = await queries({});
    assert.equal(first.deparsed, true);
    await providers.schemaSync.create(first.inputs);
    const settled = await queries(first.inputs);
    assert.equal(settled.deparsed, true, "the first check after create reads both sides once");
    assert.equal(settled.inputs.pending, undefined);
    const second = await queries(settled.inputs);
    assert.equal(second.deparsed, false, "unchanged: no deparsing");
    assert.deepEqual(second.inputs.sourceTables, settled.inputs.sourceTables);
    await source.query("ANALYZE t");
    await source.query("VACUUM u");
    assert.equal((await queries(second.inputs)).deparsed, false, "ANALYZE and VACUUM are not DDL");
    for (const ddl of [
      "ALTER TABLE t ADD COLUMN note text",
      "ALTER TYPE mood ADD VALUE 'happy'",
      "CREATE INDEX t_m ON t (m)",
      "ALTER TABLE u ADD CONSTRAINT u_pos CHECK (id > 0)",
      "ALTER TABLE t ALTER COLUMN note SET DEFAULT 'x'",
      "ALTER TABLE t RENAME COLUMN note TO remark",
    ]) {
      const before = await queries(second.inputs);
      await source.query(ddl);
      const after = await queries(before.inputs);
      assert.equal(after.deparsed, true, `${ddl} is seen`);
      assert.ok(after.inputs.pending !== undefined, `${ddl} shows as a pending change`);
      await providers.schemaSync.update!("id", after.inputs, after.inputs);
      second.inputs = (await queries(after.inputs)).inputs;
    }
  });

  it("names the side whose connection failed, by where it failed rather than by the message's words", async () => {
    for (const side of ["source", "target"] as const) {
      const given = { source: source.url(), target: target.url(), [side]: source.url("no_such_db") };
      const r = await providers.schemaSync.check!({}, { ...given, tables: ["t"] });
      assert.deepEqual(
        r.failures?.map((f) => f.property),
        [side],
        r.failures?.[0]?.reason,
      );
    }
  });
});

describe("SchemaSync of a custom ICU collation, PG18 → PG18", () => {
  let source: TestServer;
  let target: TestServer;
  before(async () => {
    [source, target] = await Promise.all([startServer({ major: 18 }), startServer({ major: 18 })]);
    await source.query(
      "CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false); CREATE TABLE people (id int PRIMARY KEY, name text COLLATE nocase)",
    );
  });
  after(() => Promise.all([source?.stop(), target?.stop()]));

  it("creates the collation on the target with the same provider, locale and determinism", async () => {
    await providers.schemaSync.create(
      (
        await providers.schemaSync.check!(
          {},
          { source: source.url(), target: target.url(), tables: ["people"] },
        )
      ).inputs,
    );
    const q =
      "SELECT c.collprovider::text AS p, c.colllocale AS l, c.collisdeterministic AS d FROM pg_collation c WHERE c.collname = 'nocase'";
    assert.deepEqual(await target.query(q), await source.query(q));
    assert.deepEqual(await target.query("SELECT count(*)::int AS n FROM people WHERE false"), [{ n: 0 }]);
    await target.query("INSERT INTO people VALUES (1, 'Ada')");
    assert.deepEqual(
      await target.query("SELECT id FROM people WHERE name = 'ADA'"),
      [{ id: 1 }],
      "case-insensitive as on the source",
    );
  });
});

describe("SchemaSync drift through the quickstart, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const program = () =>
    captureProgram(path.join(ROOT, "examples", "quickstart", "index.ts"), {
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url("app"),
    });

  before(async () => {
    [primary, replica] = await seededPair(18, 18);
    engine = await Engine.start();
    await engine.up(await program());
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  scenario("the quickstart's schema drifting on both sides, repaired step by step", [
    [
      "shows a column added on the primary as a planned update, and up keeps replication flowing",
      async () => {
        await primary.query("ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free'", [], "app");
        const plan = await engine.preview(await program());
        assert.deepEqual(
          plan.map((s) => s.op),
          ["same", "update", "same"],
        );
        await engine.up(await program());
        await primary.query("INSERT INTO users (email, plan) VALUES ('pro@example.com', 'pro')", [], "app");
        await eventually(async () => {
          const rows = await replica.query(
            "SELECT email, plan FROM users WHERE email = 'pro@example.com'",
            [],
            "app",
          );
          assert.deepEqual(rows, [{ email: "pro@example.com", plan: "pro" }]);
        });
        assert.deepEqual(await replica.query("SELECT DISTINCT plan FROM users ORDER BY 1", [], "app"), [
          { plan: "free" },
          { plan: "pro" },
        ]);
      },
    ],

    [
      "refuses to drop a column the primary dropped unless allowDestructive is set, naming it",
      async () => {
        await primary.query("ALTER TABLE users DROP COLUMN plan", [], "app");
        const sync = [...engine.state.values()].find((s) => s.type.endsWith(":SchemaSync"))!;
        const driver = new Driver(engine, "SchemaSync");
        const state = { urn: sync.urn, id: sync.id, inputs: sync.inputs, outputs: sync.outputs };
        const inputs = {
          source: primary.url("app"),
          target: replica.url("app"),
          tables: ["public.users", "public.blog_posts"],
        };
        await assert.rejects(
          driver.update(state, inputs),
          /refusing destructive changes .*drop column public\.users\.plan.*allowDestructive: true/,
        );
        assert.deepEqual(
          await replica.query(
            "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'plan'",
            [],
            "app",
          ),
          [{ n: 1 }],
        );
        await driver.update(state, { ...inputs, allowDestructive: true });
        assert.deepEqual(
          await replica.query(
            "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'plan'",
            [],
            "app",
          ),
          [{ n: 0 }],
        );
      },
    ],

    [
      "keeps the replica's tables on delete by default, and drops them with dropOnDelete",
      async () => {
        const driver = new Driver(engine, "SchemaSync");
        await primary.query("CREATE TABLE scratch (id int PRIMARY KEY)", [], "app");
        const kept = await driver.create({
          source: primary.url("app"),
          target: replica.url("app"),
          tables: ["scratch"],
        });
        await driver.delete(kept);
        assert.deepEqual(
          await replica.query(
            "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'scratch'",
            [],
            "app",
          ),
          [{ n: 1 }],
        );
        const dropped = await driver.create({
          source: primary.url("app"),
          target: replica.url("app"),
          tables: ["scratch"],
          dropOnDelete: true,
        });
        await driver.delete(dropped);
        assert.deepEqual(
          await replica.query(
            "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'scratch'",
            [],
            "app",
          ),
          [{ n: 0 }],
        );
      },
    ],

    [
      "shows a change made by hand on the replica after refresh, and up repairs it",
      async () => {
        await replica.query("ALTER TABLE users DROP CONSTRAINT users_email_key", [], "app");
        assert.deepEqual(
          (await engine.preview(await program())).map((s) => s.op)[1],
          "update",
          "stale state: the preview reads the source",
        );
        await engine.refresh();
        assert.deepEqual(
          (await engine.preview(await program())).map((s) => s.op),
          ["same", "update", "same"],
        );
        await engine.up(await program());
        assert.deepEqual(
          await replica.query(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'",
            [],
            "app",
          ),
          [{ conname: "users_email_key" }],
        );
      },
    ],
  ]);
});

describe("SchemaSync waits a bounded time for a table lock on the target, PG18 → PG18", () => {
  let source: TestServer;
  let target: TestServer;
  let engine: Engine;

  before(async () => {
    [source, target] = await seededPair(18, 18, "app", "CREATE TABLE t (id int PRIMARY KEY, v text)");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it("rolls back and tries again while a reader holds the table, fails naming the holder with nothing applied, then applies", async () => {
    const sync = new Driver(engine, "SchemaSync");
    const inputs = {
      source: source.url("app"),
      target: target.url("app"),
      tables: ["t"],
      lockTimeoutSeconds: 1,
    };
    let state = await sync.create(inputs);
    await source.query("ALTER TABLE t ADD COLUMN extra int", [], "app");
    // A report left open on the replica: its ACCESS SHARE lock conflicts with ALTER TABLE's.
    const reader = await holdTableLock(target.url("app"), "nightly report", "SELECT count(*) FROM t");
    const columns = async () =>
      (
        await target.query<{ c: string }>(
          "SELECT attname::text AS c FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
          [],
          "app",
        )
      ).map((r) => r.c);
    try {
      await assert.rejects(sync.update(state, inputs), (e: Error) => {
        assert.match(e.message, /rolled back, nothing applied/);
        const holder = {
          pid: reader.pid,
          application: "nightly report",
          mode: "AccessShareLock",
          table: "public.t",
        };
        return assertLockTriesError(e, holder, [target.password, source.password]);
      });
      assert.match(engine.log, /rolled back, trying again \(2 of 3\)/);
      assert.deepEqual(await columns(), ["id", "v"], "nothing applied");
    } finally {
      await reader.release();
    }
    state = await sync.update(state, inputs);
    assert.deepEqual(await columns(), ["id", "v", "extra"]);
  });

  it("drops the tables on delete (dropOnDelete) only when their locks come in time, naming the holder otherwise", async () => {
    const sync = new Driver(engine, "SchemaSync");
    await source.query("CREATE TABLE gone (id int PRIMARY KEY)", [], "app");
    const inputs = {
      source: source.url("app"),
      target: target.url("app"),
      tables: ["gone"],
      dropOnDelete: true,
      lockTimeoutSeconds: 1,
    };
    const state = await sync.create(inputs);
    const present = async () =>
      (
        await target.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'gone'",
          [],
          "app",
        )
      )[0]!.n;
    const reader = await holdTableLock(target.url("app"), "nightly report", "SELECT count(*) FROM gone");
    try {
      await assert.rejects(sync.delete(state), (e: Error) => {
        assert.match(e.message, /DROP TABLE \(nothing dropped\) failed/);
        const holder = {
          pid: reader.pid,
          application: "nightly report",
          mode: "AccessShareLock",
          table: "public.gone",
        };
        return assertLockTriesError(e, holder, [target.password, source.password]);
      });
      assert.equal(await present(), 1, "nothing dropped");
    } finally {
      await reader.release();
    }
    await sync.delete(state);
    assert.equal(await present(), 0);
  });
});
