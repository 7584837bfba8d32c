// Publication through the provider host: every option on PG14/15 and PG18, version gates,
// preflight failures, in-place updates and replacements, and an exact refresh round trip over a
// corpus of definitions with hostile names.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Engine } from "../harness/engine";
import { Driver } from "../harness/driver";
import { startServer, type TestServer } from "../harness/postgres";
import { majors } from "../harness/matrix";
import { assertLockTriesError, holdTableLock } from "../harness/util";

const SCHEMA = `
CREATE SCHEMA "Sales"; CREATE SCHEMA "we""ird schema"; CREATE SCHEMA s2;
CREATE TABLE public.users (id int PRIMARY KEY, email text, active bool, tenant int);
CREATE TABLE "Sales"."Orders" (id int PRIMARY KEY, "Amount" numeric, region text);
CREATE TABLE "we""ird schema"."tab;le" (id int PRIMARY KEY, "col ""q""" text);
CREATE TABLE public."v1.2" (id int PRIMARY KEY);
CREATE TABLE public."ünï" (id int PRIMARY KEY, "naïve" text);
CREATE TABLE public.full_ident (a int, b text); ALTER TABLE public.full_ident REPLICA IDENTITY FULL;
CREATE TABLE s2.a (id int PRIMARY KEY); CREATE TABLE s2.b (id int PRIMARY KEY);
CREATE TABLE public.parted (id int, created date, PRIMARY KEY (id, created)) PARTITION BY RANGE (created);
CREATE TABLE public.parted_2026 PARTITION OF public.parted FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE public.gen (id int PRIMARY KEY, x int, y int GENERATED ALWAYS AS (x * 2) STORED);
CREATE TABLE public.nopk (v text);
CREATE TABLE public.canary (id int PRIMARY KEY); INSERT INTO public.canary VALUES (1);
CREATE UNLOGGED TABLE public.scratch (id int PRIMARY KEY); CREATE VIEW public.active_users AS SELECT * FROM public.users;
CREATE SEQUENCE public.ticket;
CREATE ROLE pubowner SUPERUSER;
`;

type Def = { v?: number; inputs: Record<string, unknown> };

/** At least 25 publication definitions; `v` is the first major version that supports it. */
const CORPUS: Def[] = [
  { inputs: { tables: ["users"] } },
  { inputs: { tables: ["public.users", "Sales.Orders"] } },
  { inputs: { tables: ['we"ird schema.tab;le'] } },
  { inputs: { tables: [{ schema: "public", name: "v1.2" }] } },
  { inputs: { tables: ["ünï"] } },
  { inputs: { name: 'pub "quoted"; DROP TABLE canary; --', tables: ["users"] } },
  { inputs: { name: "MixedCase-Pub", tables: ["Sales.Orders"] } },
  { inputs: { name: "p".repeat(63), tables: ["users"] } },
  { inputs: { tables: ["nopk"], publish: ["insert"] } },
  { inputs: { tables: ["users"], publish: ["insert", "update"] } },
  { inputs: { tables: ["users", "nopk"], publish: ["truncate", "insert"] } },
  { inputs: { tables: ["parted"], publishViaPartitionRoot: true } },
  { inputs: { tables: ["parted"], publishViaPartitionRoot: false } },
  { inputs: { allTables: true, publish: ["insert"] } },
  { inputs: { tables: [] } },
  { inputs: {} },
  { inputs: { tables: ["users"], owner: "pubowner" } },
  { inputs: { tables: ["full_ident"] } },
  { v: 15, inputs: { schemas: ["s2"] } },
  { v: 15, inputs: { schemas: ['we"ird schema', "Sales"], tables: ["users"] } },
  { v: 15, inputs: { tables: [{ name: "users", columns: ["email", "id"] }] } },
  { v: 15, inputs: { tables: [{ schema: "Sales", name: "Orders", columns: ["id", "Amount"] }] } },
  { v: 15, inputs: { tables: [{ name: "users", where: "id > 100 AND id < 2000" }] } },
  { v: 15, inputs: { tables: [{ schema: "Sales", name: "Orders", where: '"id" <> 5' }] } },
  { v: 15, inputs: { tables: [{ name: "full_ident", where: "b IS NOT NULL" }] } },
  { v: 15, inputs: { tables: [{ name: "users", columns: ["id", "email"], where: "id > 0" }] } },
  {
    v: 15,
    inputs: { tables: [{ name: "users", where: "email LIKE '%@example.com'" }], publish: ["insert"] },
  },
  {
    v: 15,
    inputs: { tables: [{ name: "users", where: "lower(email) = 'x' OR active" }], publish: ["insert"] },
  },
  { v: 15, inputs: { tables: [{ name: "users", where: "id % 2 = 0 AND id IS NOT NULL" }, "Sales.Orders"] } },
  {
    v: 15,
    inputs: {
      tables: [{ name: "parted", columns: ["id", "created"], where: "id > 0" }],
      publishViaPartitionRoot: true,
    },
  },
  { v: 18, inputs: { tables: ["gen"], publishGeneratedColumns: "stored" } },
  { v: 18, inputs: { tables: ["gen"], publishGeneratedColumns: "none" } },
];

for (const major of majors([15, 18])) {
  describe(`Publication through the provider host on PG${major}`, () => {
    let server: TestServer;
    let engine: Engine;
    let pub: Driver;
    const q = <T>(sql: string, params: unknown[] = []) => server.query<T>(sql, params);
    const inputs = (extra: Record<string, unknown>) => ({ connection: server.url(), name: "p", ...extra });

    before(async () => {
      server = await startServer({ major });
      await server.query(SCHEMA);
      engine = await Engine.start();
      pub = new Driver(engine, "Publication");
    });
    after(async () => {
      await engine?.stop();
      await server?.stop();
    });

    it(`round-trips every corpus definition: create → refresh → preview shows no changes`, async () => {
      let n = 0;
      for (const def of CORPUS.filter((d) => (d.v ?? 14) <= major)) {
        const want = inputs({ name: `corpus_${++n}`, ...def.inputs });
        const created = await pub.create(want);
        const refreshed = await pub.refresh(created);
        assert.ok(refreshed, `${JSON.stringify(def.inputs)} vanished`);
        const d = await pub.diff(refreshed, want);
        assert.deepEqual([d.changes, d.replaces], [false, []], `round trip of ${JSON.stringify(def.inputs)}`);
        await pub.delete(refreshed);
      }
      assert.ok(n >= (major >= 18 ? 31 : 29));
      assert.deepEqual(await q("SELECT pubname FROM pg_publication"), []);
      assert.deepEqual(await q("SELECT id FROM canary"), [{ id: 1 }]);
    });

    it("shows changes made by hand after refresh, and the next up puts them back", async () => {
      const want = inputs({
        tables: ["users", "Sales.Orders", { name: "full_ident", where: "a > 1" }],
        publish: ["insert", "update"],
      });
      let state = await pub.create(want);
      await q(`ALTER PUBLICATION p DROP TABLE "Sales"."Orders"`);
      await q(`ALTER PUBLICATION p SET (publish = 'insert')`);
      await q(`ALTER PUBLICATION p SET TABLE users, full_ident WHERE (a > 2)`);
      state = (await pub.refresh(state))!;
      const d = await pub.diff(state, want);
      assert.deepEqual([d.changes, d.replaces], [true, []]);
      state = await pub.update(state, want);
      const tables = await q<{ t: string; f: string | null }>(
        "SELECT schemaname || '.' || tablename AS t, rowfilter AS f FROM pg_publication_tables WHERE pubname = 'p' ORDER BY 1",
      );
      assert.deepEqual(tables, [
        { t: "Sales.Orders", f: null },
        { t: "public.full_ident", f: "(a > 1)" },
        { t: "public.users", f: null },
      ]);
      assert.deepEqual(
        await q("SELECT pubinsert, pubupdate, pubdelete FROM pg_publication WHERE pubname = 'p'"),
        [{ pubinsert: true, pubupdate: true, pubdelete: false }],
      );
      assert.equal((await pub.diff((await pub.refresh(state))!, want)).changes, false);
      await pub.delete(state);
    });

    it("reports a publication dropped by hand as gone on refresh", async () => {
      const state = await pub.create(inputs({ tables: ["users"] }));
      await q("DROP PUBLICATION p");
      assert.equal(await pub.refresh(state), undefined);
    });

    it("changes tables, options and owner in place", async () => {
      let state = await pub.create(inputs({ tables: ["users"] }));
      const oid = await q("SELECT oid FROM pg_publication WHERE pubname = 'p'");
      state = await pub.update(
        state,
        inputs({ tables: ["users", "Sales.Orders"], publish: ["insert"], owner: "pubowner" }),
      );
      state = await pub.update(
        state,
        inputs({
          tables: ["Sales.Orders"],
          publish: ["insert"],
          publishViaPartitionRoot: true,
          owner: "pubowner",
        }),
      );
      assert.deepEqual(await q("SELECT oid FROM pg_publication WHERE pubname = 'p'"), oid, "not recreated");
      assert.deepEqual(
        await q(
          "SELECT pg_get_userbyid(pubowner) AS owner, pubinsert, pubupdate, pubviaroot FROM pg_publication WHERE pubname = 'p'",
        ),
        [{ owner: "pubowner", pubinsert: true, pubupdate: false, pubviaroot: true }],
      );
      assert.deepEqual(await q("SELECT tablename FROM pg_publication_tables WHERE pubname = 'p'"), [
        { tablename: "Orders" },
      ]);
      state = await pub.update(state, inputs({ tables: [], publish: ["insert"], owner: "pubowner" }));
      assert.deepEqual(await q("SELECT tablename FROM pg_publication_tables WHERE pubname = 'p'"), []);
      await pub.delete(state);
    });

    it("replaces, deleting first, when the name changes or allTables is switched", async () => {
      const state = await pub.create(inputs({ tables: ["users"] }));
      const toAll = await pub.diff(state, inputs({ allTables: true, publish: ["insert", "truncate"] }));
      assert.deepEqual([toAll.replaces, toAll.deleteBeforeReplace], [["allTables"], true]);
      const renamed = await pub.diff(state, inputs({ name: "p2", tables: ["users"] }));
      assert.deepEqual([renamed.replaces, renamed.deleteBeforeReplace], [["name"], true]);
      await pub.delete(state);
      await pub.delete(state); // idempotent
    });

    it("refuses at preview a row filter on a column outside the replica identity when updates are published", async () => {
      const r = await pub.check(inputs({ tables: [{ name: "users", where: "active AND id > 1" }] }));
      assert.deepEqual(
        r.failures.map((f) => f.property),
        ["tables[0].where"],
      );
      assert.match(r.failures[0]!.reason, /uses "active", which is not part of the replica identity/);
      const cols = await pub.check(inputs({ tables: [{ name: "users", columns: ["email"] }] }));
      assert.deepEqual(
        cols.failures.map((f) => f.property),
        ["tables[0].columns"],
      );
      assert.match(cols.failures[0]!.reason, /leaves out replica identity column\(s\) "id"/);
    });

    it("refuses at preview a column list or row filter on a partitioned table unless published through the root, new or switched off it", async () => {
      const tables = [{ name: "parted", columns: ["id", "created"], where: "id > 0" }];
      const properties = ["tables[0].columns", "tables[0].where"];
      const refusal =
        /"public\.parted" is a partitioned table, and PostgreSQL takes a column list on one only when the publication publishes through the root: set `publishViaPartitionRoot: true`/;
      const r = await pub.check(inputs({ tables }));
      assert.deepEqual(
        r.failures.map((f) => f.property),
        properties,
      );
      assert.match(r.failures[0]!.reason, refusal);
      assert.deepEqual(await q("SELECT pubname FROM pg_publication"), []);
      // ALTER PUBLICATION … SET (publish_via_partition_root = false) fails the same way.
      const created = await pub.create(inputs({ tables, publishViaPartitionRoot: true }));
      const off = await pub.check(
        inputs({ tables, publishViaPartitionRoot: false }),
        created.outputs,
        created.urn,
      );
      assert.deepEqual(
        off.failures.map((f) => f.property),
        properties,
      );
      await pub.delete(created);
    });

    it("refuses at preview what PostgreSQL cannot publish, naming what it is: an unlogged table, a view, a sequence, a system table", async () => {
      const r = await pub.check(
        inputs({ tables: ["scratch", "active_users", "ticket", "pg_catalog.pg_class"], publish: ["insert"] }),
      );
      assert.deepEqual(
        r.failures.map((f) => f.property),
        ["tables[0]", "tables[1]", "tables[2]", "tables[3]"],
      );
      const [unlogged, view, sequence, system] = r.failures.map((f) => f.reason);
      assert.match(
        unlogged!,
        /"public\.scratch" is an unlogged table.*ALTER TABLE "public"\."scratch" SET LOGGED;/,
      );
      assert.match(
        view!,
        /"public\.active_users" is a view, not a table.*publish the tables it is made from/,
      );
      assert.match(sequence!, /"public\.ticket" is a sequence, not a table.*SequenceSync/);
      assert.match(system!, /"pg_catalog\.pg_class" is a system table/);
      // Before, the unlogged table passed the preview and CREATE PUBLICATION failed in up.
      assert.deepEqual(await q("SELECT pubname FROM pg_publication"), []);
    });

    it("says at preview that large objects the published oid columns point at are not replicated, once the database holds any", async () => {
      await q(
        "CREATE DOMAIN lo AS oid; CREATE TABLE docs (id int PRIMARY KEY, title text, body oid, scan lo)",
      );
      const warning =
        /Publication "p": public\.docs \(body, scan\) holds oid values and the primary's database holds large objects: logical replication copies the rows, never the large objects/;
      const preview = async (extra: Record<string, unknown>) => {
        const from = engine.log.length;
        const r = await pub.check(inputs(extra));
        assert.deepEqual(r.failures, []);
        return engine.log.slice(from);
      };
      try {
        assert.doesNotMatch(await preview({ tables: ["docs"] }), /large objects/, "none held yet");
        await q("INSERT INTO docs VALUES (1, 'a', lo_from_bytea(0, 'scanned'), NULL)");
        assert.match(await preview({ tables: ["docs"] }), warning);
        assert.match(await preview({ allTables: true, publish: ["insert"] }), warning);
        assert.match(
          await preview({ tables: [{ name: "docs", columns: ["id", "body"] }] }),
          /public\.docs \(body\) holds oid values/,
        );
        assert.doesNotMatch(
          await preview({ tables: [{ name: "docs", columns: ["id", "title"] }] }),
          /large objects/,
        );
      } finally {
        await q("SELECT lo_unlink(body) FROM docs; DROP TABLE docs; DROP DOMAIN lo");
      }
    });

    it("takes over an existing publication only with adopt (refused at preview without), then manages it", async () => {
      await q('CREATE PUBLICATION "legacy" FOR TABLE users, "Sales"."Orders"');
      const want = inputs({ name: "legacy", tables: ["users"], publish: ["insert"] });
      const refused = await pub.check(want);
      assert.deepEqual(
        refused.failures.map((f) => f.property),
        ["name"],
      );
      assert.match(
        refused.failures[0]!.reason,
        /already exists on the publisher with another definition: set `adopt: true`/,
      );
      // The preview of the create says what adopting changes on the existing publication.
      const previewed = await pub.check({ ...want, adopt: true });
      assert.deepEqual(previewed.failures, []);
      assert.deepEqual(previewed.inputs.adoption, [
        "stop publishing Sales.Orders",
        "publish insert (now insert, update, delete, truncate)",
      ]);
      const state = await pub.create({ ...want, adopt: true });
      assert.deepEqual(state.inputs.adoption, previewed.inputs.adoption);
      assert.deepEqual(
        (await pub.check({ ...want, adopt: true })).inputs.adoption,
        ["nothing"],
        "it matches now",
      );
      assert.deepEqual(await q("SELECT tablename FROM pg_publication_tables WHERE pubname = 'legacy'"), [
        { tablename: "users" },
      ]);
      assert.equal((await pub.diff((await pub.refresh(state))!, { ...want, adopt: true })).changes, false);
      await pub.delete(state);
      assert.deepEqual(await q("SELECT pubname FROM pg_publication"), []);
    });

    it("refuses a table without a primary key when updates are published, before anything is created", async () => {
      const r = await pub.check(inputs({ tables: ["nopk"] }));
      assert.equal(r.failures[0]!.property, "tables[0]");
      assert.deepEqual(await q("SELECT pubname FROM pg_publication"), []);
    });

    it("refuses at preview REPLICA IDENTITY FULL with a column the replica cannot compare, when updates or deletes are published; the types it names are those PostgreSQL's own equality lookup rejects", async () => {
      await q(`CREATE TYPE mood AS ENUM ('a', 'b'); CREATE TYPE pair AS (x int, y text);
        CREATE DOMAIN djson AS json; CREATE DOMAIN dtext AS text;
        CREATE TYPE pj AS (x int, y json); CREATE TYPE nest AS (z pair, w mood[]); CREATE TYPE deep AS (d pj[]);
        CREATE DOMAIN dpair AS pair; CREATE DOMAIN dints AS int[];
        CREATE TABLE wide (i int, t text, v varchar(5), c char(3), n numeric, b bytea, jb jsonb, e mood,
          r int4range, co pair, ta text[], ea mood[], dt dtext, ts timestamptz, u uuid, ip inet, bits bit(3),
          mon money, tv tsvector, iv interval, x8 xid8, j json, x xml, p point, bx box, ja json[], dj djson,
          l line, pg polygon, ci circle, ls lseg, pa path, cj pj, ne nest, dp deep, cja pj[], dpa dpair,
          dia dints, dpr dpair[]);
        ALTER TABLE wide REPLICA IDENTITY FULL`);
      try {
        const unequal = ["j", "x", "p", "bx", "ja", "dj", "l", "pg", "ci", "ls", "pa", "cj", "dp", "cja"];
        // PostgreSQL's answer for each column's type: array_eq looks its element type's equality up
        // in the type cache, as the replica's apply worker does for a FULL identity.
        const types = await q<{ attname: string; type: string }>(
          "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'wide'::regclass AND attnum > 0 ORDER BY attnum",
        );
        const rejected: string[] = [];
        for (const { attname, type } of types)
          await q(`SELECT ARRAY[NULL::${type}] = ARRAY[NULL::${type}]`).catch((e: { code?: string }) => {
            assert.equal(e.code, "42883");
            rejected.push(attname);
          });
        assert.deepEqual(rejected, unequal, "PostgreSQL's own lookup");
        const r = await pub.check(inputs({ tables: ["wide"] }));
        assert.deepEqual(
          r.failures.map((f) => f.property),
          ["tables[0]"],
        );
        const named = [...r.failures[0]!.reason.split(" of a type ")[0]!.matchAll(/"(\w+)" \(/g)].map(
          (m) => m[1],
        );
        assert.deepEqual(named, unequal, "the columns the refusal names are PostgreSQL's");
        assert.match(
          r.failures[0]!.reason,
          /table "public\.wide" has REPLICA IDENTITY FULL and columns "j" \(json\), "x" \(xml\), "p" \(point\), "bx" \(box\), "ja" \(json\[\]\), "dj" \(djson\), .* of a type with no equality operator, and no primary key: the replica finds the row an UPDATE or DELETE changes by comparing every column.*json → jsonb/,
        );
        assert.match(
          (await pub.check(inputs({ schemas: ["public"], publish: ["insert", "delete"] }))).failures
            .map((f) => f.reason)
            .join("\n"),
          /table "public\.wide" has REPLICA IDENTITY FULL.*\(it is published through `schemas`\)/,
        );
        assert.deepEqual(
          (await pub.check(inputs({ tables: ["wide"], publish: ["insert", "truncate"] }))).failures,
          [],
        );
        // FULL kept beside a primary key (full old rows, as change-data-capture tools ask): a
        // replica's table with the key finds rows by it; the Subscription judges the replica's.
        await q("ALTER TABLE wide ADD PRIMARY KEY (i)");
        assert.deepEqual((await pub.check(inputs({ tables: ["wide"] }))).failures, []);
        await q("ALTER TABLE wide DROP CONSTRAINT wide_pkey");
        await q(`ALTER TABLE wide ${unequal.map((c) => `DROP COLUMN ${c}`).join(", ")}`);
        assert.deepEqual((await pub.check(inputs({ tables: ["wide"] }))).failures, []);
      } finally {
        await q(
          "DROP TABLE wide; DROP DOMAIN djson, dtext, dpair, dints; DROP TYPE deep, nest, pj, mood, pair",
        );
      }
    });

    if (major < 18)
      it("refuses options newer than the server, naming the version", async () => {
        const r = await pub.check(inputs({ tables: ["gen"], publishGeneratedColumns: "stored" }));
        assert.deepEqual(
          r.failures.map((f) => f.property),
          ["publishGeneratedColumns"],
        );
        assert.match(r.failures[0]!.reason, /needs PostgreSQL 18 or later; the publisher runs 15\.\d+/);
      });
  });
}

describe("Publication version gates and preflight on PG14", () => {
  let server: TestServer;
  let engine: Engine;
  before(async () => {
    server = await startServer({ major: 14 });
    await server.query("CREATE TABLE users (id int PRIMARY KEY, email text); CREATE SCHEMA s2;");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await server?.stop();
  });

  it("refuses row filters, column lists and schemas, naming PostgreSQL 15", async () => {
    const pub = new Driver(engine, "Publication");
    const r = await pub.check({
      connection: server.url(),
      name: "p",
      tables: [{ name: "users", columns: ["id"], where: "id > 1" }],
      schemas: ["s2"],
    });
    assert.deepEqual(r.failures.map((f) => f.property).sort(), ["columns", "schemas", "where"]);
    for (const f of r.failures)
      assert.match(f.reason, /needs PostgreSQL 15 or later; the publisher runs 14\.\d+/);
  });
});

describe("Publication preflight of the publisher's settings", () => {
  const cases: [string, Record<string, string | number>, boolean, RegExp][] = [
    ["wal_level", {}, false, /wal_level = replica.*ALTER SYSTEM SET wal_level = logical/],
    [
      "max_replication_slots",
      { max_replication_slots: 0 },
      true,
      /max_replication_slots = 0; set it to at least 10/,
    ],
    ["max_wal_senders", { max_wal_senders: 0 }, false, /max_wal_senders = 0/],
    [
      "rds.logical_replication",
      { "rds.logical_replication": 0 },
      false,
      /rds\.logical_replication = 0.*DB parameter group/,
    ],
    [
      "cloudsql.logical_decoding",
      { "cloudsql.logical_decoding": "off" },
      false,
      /cloudsql\.logical_decoding = on/,
    ],
    [
      "azure.replication_support",
      { "azure.replication_support": "replica" },
      false,
      /azure\.replication_support = logical/,
    ],
  ];
  let engine: Engine;
  before(async () => (engine = await Engine.start()));
  after(() => engine?.stop());

  for (const [setting, settings, logical, reason] of cases)
    it(`names ${setting} and the fix`, async () => {
      const server = await startServer({ major: 15, logical, settings });
      try {
        await server.query("CREATE TABLE users (id int PRIMARY KEY)");
        const r = await new Driver(engine, "Publication").check({
          connection: server.url(),
          name: "p",
          tables: ["users"],
        });
        assert.ok(
          r.failures.some((f) => f.property === "connection" && reason.test(f.reason)),
          JSON.stringify(r.failures),
        );
      } finally {
        await server.stop();
      }
    });
});

describe("Publication waits a bounded time for a table lock, PG18", () => {
  let server: TestServer;
  let engine: Engine;
  before(async () => {
    server = await startServer({ major: 18 });
    await server.query("CREATE TABLE t (id int PRIMARY KEY)");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await server?.stop();
  });

  it("rolls back and tries again while a VACUUM-like lock is held, fails naming the holder with nothing created, then creates", async () => {
    const pub = new Driver(engine, "Publication");
    const inputs = { connection: server.url(), name: "p", tables: ["t"], lockTimeoutSeconds: 1 };
    // What a manual VACUUM holds for its whole run: it conflicts with CREATE PUBLICATION's lock.
    const vacuum = await holdTableLock(
      server.url(),
      "maintenance",
      "LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE",
    );
    try {
      const holder = {
        pid: vacuum.pid,
        application: "maintenance",
        mode: "ShareUpdateExclusiveLock",
        table: "public.t",
      };
      await assert.rejects(pub.create(inputs), (e: Error) =>
        assertLockTriesError(e, holder, [server.password]),
      );
      assert.match(engine.log, /rolled back, trying again \(3 of 3\)/);
      assert.deepEqual(await server.query("SELECT pubname FROM pg_publication"), [], "nothing created");
    } finally {
      await vacuum.release();
    }
    await pub.create(inputs);
    assert.deepEqual(await server.query("SELECT pubname FROM pg_publication"), [{ pubname: "p" }]);
  });
});
