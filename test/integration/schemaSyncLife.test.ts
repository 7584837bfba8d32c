// SchemaSync's later life: updates after the engine's Struct round trip never refuse equal
// definitions; SchemaSyncs sharing a type into one target, one after the other or at once; the
// copy's fidelity across versions (14 → 18, 18 → 15) compared at the catalog level where pg_dump 15
// cannot read a side, PG18 VIRTUAL generated columns kept, and refused where the target cannot.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { hasPgDump, schemaDump } from "../harness/pgdump";
import { startServer, type Major, type TestServer } from "../harness/postgres";
import { trickyRootTables, TRICKY_SQL } from "../harness/seed";
import { parseConnection } from "../../src/pg/connection";
import { withSession } from "../../src/pg/session";
import { readSchema } from "../../src/schemaSync/catalog";
import { definitionOf, type SchemaSnapshot } from "../../src/schemaSync/snapshot";
import { canonicalJson } from "../../src/kernel/values";
import { pairs } from "../harness/matrix";

/** A server's definitions of the tables as SchemaSync reads them, without what may differ by server (column numbers). */
async function definitions(server: TestServer, tables: { schema: string; name: string }[]): Promise<unknown> {
  const snap: SchemaSnapshot = await withSession(parseConnection(server.url("app")), (s) =>
    readSchema(s, tables),
  );
  return JSON.parse(
    canonicalJson({
      ...snap,
      tables: snap.tables.map((t) => ({ ...t, columns: t.columns.map(definitionOf) })),
    }),
  );
}

describe(
  "updates after the engine's round trip, an unrelated change on every table (PG15)",
  { skip: !hasPgDump() && "Debian's pg_dump 15 is not installed" },
  () => {
    let source: TestServer;
    let target: TestServer;
    let engine: Engine;
    before(async () => {
      [source, target] = await Promise.all([startServer({ major: 15 }), startServer({ major: 15 })]);
      await Promise.all([source.createDatabase("app"), target.createDatabase("app")]);
      await source.query(TRICKY_SQL, [], "app");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([source?.stop(), target?.stop()]);
    });

    it("applies every update without a destructive refusal, and pg_dump still agrees", async () => {
      const sync = new Driver(engine, "SchemaSync");
      const tables = await trickyRootTables(source);
      const inputs = { source: source.url("app"), target: target.url("app"), tables };
      let state = await sync.create(inputs);
      for (const round of [1, 2]) {
        for (const t of tables)
          await source.query(
            `ALTER TABLE "${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}" ADD COLUMN extra_${round} int`,
            [],
            "app",
          );
        const d = await sync.diff(state, inputs);
        assert.equal(d.changes, true);
        const pending = d.checked.pending as Record<string, string[]>;
        assert.equal(Object.keys(pending).length, tables.length, "every table shows its change");
        assert.ok(!("(refused)" in pending), JSON.stringify(pending["(refused)"]));
        state = await sync.update(state, inputs);
      }
      assert.deepEqual(schemaDump(target, "app"), schemaDump(source, "app"));
      assert.equal((await sync.diff(state, inputs)).changes, false);
    });
  },
);

describe("SchemaSyncs that share a type, into one target (PG18)", () => {
  let source: TestServer;
  let target: TestServer;
  let engine: Engine;
  before(async () => {
    [source, target] = await Promise.all([startServer({ major: 18 }), startServer({ major: 18 })]);
    await source.query(`CREATE SCHEMA shop; CREATE TYPE shop.status AS ENUM ('new', 'done');
      CREATE DOMAIN shop.qty AS int CHECK (VALUE > 0) CHECK (VALUE < 1000);
      CREATE TABLE shop.a (id int PRIMARY KEY, s shop.status, q shop.qty);
      CREATE TABLE shop.b (id int PRIMARY KEY, s shop.status, q shop.qty)`);
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([source?.stop(), target?.stop()]);
  });
  const sync = (db: string, table: string, extra: Record<string, unknown> = {}) => ({
    source: source.url(),
    target: target.url(db),
    tables: [`shop.${table}`],
    ...extra,
  });

  it("reuses the type the other created, one after the other, and keeps it when the first is deleted", async () => {
    await target.createDatabase("seq");
    const driver = new Driver(engine, "SchemaSync");
    const a = await driver.create(sync("seq", "a", { dropOnDelete: true }));
    const b = await driver.create(sync("seq", "b"));
    assert.ok(!JSON.stringify(b.outputs.lastChanges).includes("create enum"), "status was reused");
    await driver.delete(a);
    assert.deepEqual(
      await target.query("SELECT relname FROM pg_class WHERE relname IN ('a', 'b') ORDER BY 1", [], "seq"),
      [{ relname: "b" }],
    );
    assert.deepEqual(
      await target.query(
        "SELECT typname FROM pg_type WHERE typname IN ('status', 'qty') ORDER BY 1",
        [],
        "seq",
      ),
      [{ typname: "qty" }, { typname: "status" }],
    );
  });

  it("serializes two created at once: both succeed", async () => {
    await target.createDatabase("par");
    const driver = new Driver(engine, "SchemaSync");
    const results = await Promise.allSettled([
      driver.create(sync("par", "a")),
      driver.create(sync("par", "b")),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok")),
      ["ok", "ok"],
    );
    assert.deepEqual(
      await target.query("SELECT count(*)::int AS n FROM pg_type WHERE typname = 'status'", [], "par"),
      [{ n: 1 }],
    );
  });

  it("refuses, naming it, a type that exists on the target with another definition", async () => {
    await target.createDatabase("other");
    await target.query("CREATE SCHEMA shop; CREATE DOMAIN shop.qty AS int CHECK (VALUE > 5)", [], "other");
    const r = await new Driver(engine, "SchemaSync").check(sync("other", "a"));
    assert.equal(r.failures.length, 1);
    assert.match(
      r.failures[0]!.reason,
      /type shop\.qty on the target differs from the source's; recreate it by hand/,
    );
  });
});

const PAIRS: [Major, Major][] = [
  [14, 18],
  [18, 15],
];

for (const [from, to] of pairs(PAIRS))
  describe(`the tricky schema copied PG${from} → PG${to}, compared at the catalog level`, () => {
    let source: TestServer;
    let target: TestServer;
    let engine: Engine;
    before(async () => {
      [source, target] = await Promise.all([startServer({ major: from }), startServer({ major: to })]);
      await Promise.all([source.createDatabase("app"), target.createDatabase("app")]);
      await source.query(TRICKY_SQL, [], "app");
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([source?.stop(), target?.stop()]);
    });

    it("makes the target's definitions equal the source's", async () => {
      const tables = await trickyRootTables(source);
      await new Driver(engine, "SchemaSync").create({
        source: source.url("app"),
        target: target.url("app"),
        tables,
      });
      assert.deepEqual(await definitions(target, tables), await definitions(source, tables));
    });
  });

describe("PG18 VIRTUAL generated columns", () => {
  let source: TestServer;
  let target18: TestServer;
  let target15: TestServer;
  let engine: Engine;
  before(async () => {
    [source, target18, target15] = await Promise.all([
      startServer({ major: 18 }),
      startServer({ major: 18 }),
      startServer({ major: 15 }),
    ]);
    await source.query(
      "CREATE TABLE v (id int PRIMARY KEY, a int, twice int GENERATED ALWAYS AS (a * 2) VIRTUAL, thrice int GENERATED ALWAYS AS (a * 3) STORED)",
    );
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([source?.stop(), target18?.stop(), target15?.stop()]);
  });

  it("stay VIRTUAL on a PG18 replica (and STORED ones stored)", async () => {
    await new Driver(engine, "SchemaSync").create({
      source: source.url(),
      target: target18.url(),
      tables: ["v"],
    });
    assert.deepEqual(
      await target18.query(
        "SELECT attname, attgenerated FROM pg_attribute WHERE attrelid = 'v'::regclass AND attgenerated <> '' ORDER BY 1",
      ),
      [
        { attname: "thrice", attgenerated: "s" },
        { attname: "twice", attgenerated: "v" },
      ],
    );
  });

  it("are refused, naming them, on a replica older than 18", async () => {
    const r = await new Driver(engine, "SchemaSync").check({
      source: source.url(),
      target: target15.url(),
      tables: ["v"],
    });
    assert.equal(r.failures.length, 1);
    assert.match(
      r.failures[0]!.reason,
      /public\.v has VIRTUAL generated column\(s\) twice, which need PostgreSQL 18 on the target/,
    );
    assert.deepEqual(await target15.query("SELECT relname FROM pg_class WHERE relname = 'v'"), []);
  });
});

describe("tables and schemas whose names hold a dot (PG18)", () => {
  let source: TestServer;
  let target: TestServer;
  let engine: Engine;
  before(async () => {
    [source, target] = await Promise.all([startServer({ major: 18 }), startServer({ major: 18 })]);
    await Promise.all([source.createDatabase("app"), target.createDatabase("app")]);
    await source.query(
      `CREATE TABLE "we.ird" (id int PRIMARY KEY); CREATE SCHEMA "odd.schema";
       CREATE TABLE "odd.schema"."t.x" (id int PRIMARY KEY, v text)`,
      [],
      "app",
    );
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it("are copied, previewed as unchanged, and updated", async () => {
    const sync = new Driver(engine, "SchemaSync");
    const tables = [
      { schema: "public", name: "we.ird" },
      { schema: "odd.schema", name: "t.x" },
    ];
    const inputs = { source: source.url("app"), target: target.url("app"), tables };
    let state = await sync.create(inputs);
    const present = async () =>
      target.query(
        `SELECT n.nspname AS schema, c.relname AS name, count(a.*)::int AS columns FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE c.relkind = 'r' AND n.nspname IN ('public', 'odd.schema') GROUP BY 1, 2 ORDER BY 1, 2`,
        [],
        "app",
      );
    assert.deepEqual(await present(), [
      { schema: "odd.schema", name: "t.x", columns: 2 },
      { schema: "public", name: "we.ird", columns: 1 },
    ]);
    assert.equal((await sync.diff(state, inputs)).changes, false);
    await source.query('ALTER TABLE "we.ird" ADD COLUMN note text', [], "app");
    state = await sync.update(state, inputs);
    assert.deepEqual(await present(), [
      { schema: "odd.schema", name: "t.x", columns: 2 },
      { schema: "public", name: "we.ird", columns: 2 },
    ]);
    assert.equal((await sync.diff(state, inputs)).changes, false);
  });
});
