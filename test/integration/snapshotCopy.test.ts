// The snapshot copy through the provider host (copyMethod "snapshot", and "auto" choosing it): one
// slot whose exported snapshot every table is read under, then the stream from that slot. With
// writers running on the primary the replica ends equal (md5 per table, no row lost or doubled);
// column lists and row filters give the rows PostgreSQL's own copy would; a table above the split
// size goes as page ranges; partitions, user types (text COPY) and built-in ones (binary COPY).
// PostgreSQL's table synchronisation never ran (pg_subscription_rel records no sync LSN). And the
// program killed mid-copy: the preview after says what is unfinished, the next `up` empties the
// tables and copies them again, and one slot is left; killed between creating the subscription
// and its slot (the slot waiting on a write left open), no slot is left and the next `up` copies
// everything; killed between a big table's page ranges (one committed), the next `up` puts its
// key back, empties it and lets PostgreSQL copy it, keeping the tables finished.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client } from "pg";
import { converge, DRILL_TABLE, paceWriters, startWriters } from "../harness/drill/load";
import { pairBed } from "../harness/bed";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { snapshotProgram } from "../harness/live";
import { majors } from "../harness/matrix";
import type { TestServer } from "../harness/postgres";
import { roleUrl } from "../harness/seed";
import { eventually, messageProbe } from "../harness/util";
import { COPY_APPLICATION } from "../../src/pg/holders";

// Writes keep flowing through every copy (a few hundred statements a second each); unpaced, two
// writers would take a core from the other lane of the test runner.
paceWriters(200);
const DB = "app";
const SMALL = Array.from({ length: 12 }, (_, i) => `s_${i + 1}`);
const SEED = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  -- twice: computed on each side, never copied (PostgreSQL 15–17 do not publish generated columns;
  -- 15's pg_publication_tables lists them all the same).
  CREATE TABLE t_items (id bigint PRIMARY KEY, mood mood, tags int[], doc jsonb, price numeric(10,2), at timestamptz, note text,
                        twice numeric GENERATED ALWAYS AS (price * 2) STORED);
  INSERT INTO t_items SELECT g, (ARRAY['sad','ok','happy']::mood[])[1 + g % 3], ARRAY[g, g * 2],
         jsonb_build_object('g', g, 'q', 'it''s "quoted"'), g / 7.0, '2026-01-01'::timestamptz + g * interval '1 hour',
         CASE WHEN g % 5 = 0 THEN NULL ELSE E'tab\\there ' || g END
    FROM generate_series(1, 500) g;
  CREATE TABLE t_filtered (id bigint PRIMARY KEY, secret text, region text NOT NULL, n int);
  INSERT INTO t_filtered SELECT g, 'secret ' || g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 300) g;
  -- One row a page: 5 000 pages (40 MiB), above the size copied in page ranges, with few rows.
  CREATE TABLE t_big (id bigint PRIMARY KEY, pad text) WITH (fillfactor = 10);
  INSERT INTO t_big SELECT g, repeat(md5(g::text), 40) FROM generate_series(1, 5000) g;
  ANALYZE t_big;
  -- About 2 MiB: its primary key is built after its rows, in its COPY's transaction.
  CREATE TABLE t_keyed (id bigint, code text, n int, CONSTRAINT t_keyed_key PRIMARY KEY (id) WITH (fillfactor = 90));
  INSERT INTO t_keyed SELECT g, md5(g::text), g % 97 FROM generate_series(1, 25000) g;
  CREATE INDEX t_keyed_n ON t_keyed (n);
  ANALYZE t_keyed;
  CREATE TABLE t_parts (id bigint NOT NULL, region text NOT NULL, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
  CREATE TABLE t_parts_eu PARTITION OF t_parts FOR VALUES IN ('eu');
  CREATE TABLE t_parts_us PARTITION OF t_parts FOR VALUES IN ('us');
  INSERT INTO t_parts SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 400) g;
  ${SMALL.map((t) => `CREATE TABLE ${t} (id bigint PRIMARY KEY, v text); INSERT INTO ${t} SELECT g, 'v' || g FROM generate_series(1, 20) g;`).join("\n")}
  ${DRILL_TABLE("w_1")}; ${DRILL_TABLE("w_2")};
  INSERT INTO w_1 SELECT g, 0, md5(g::text) FROM generate_series(1, 2000) g;
  INSERT INTO w_2 SELECT g, 0, md5(g::text) FROM generate_series(1, 2000) g;
`;
const TABLES = [
  "t_items",
  { name: "t_filtered", columns: ["id", "region", "n"], where: "id % 2 = 0" },
  "t_big",
  "t_keyed",
  "t_parts",
  ...SMALL,
  "w_1",
  "w_2",
];
const COMPARED = ["t_items", "t_big", "t_keyed", "t_parts", ...SMALL, "w_1", "w_2"];

function program(primary: TestServer, replica: TestServer, method: string) {
  return snapshotProgram(primary, replica, DB, TABLES, { copyMethod: method });
}

/** Every table equal to the primary's (the filtered one: its published columns and rows). */
async function assertEqual(primary: TestServer, replica: TestServer): Promise<void> {
  const { comparisons } = await converge(primary, replica, DB, COMPARED, 60_000);
  for (const c of comparisons)
    assert.deepEqual([c.table, c.lost, c.duplicated, c.differing, c.md5Equal], [c.table, 0, 0, 0, true]);
  const filtered =
    "SELECT md5(string_agg(format('%s|%s|%s', id, region, n), ',' ORDER BY id)) AS m, count(*)::int AS n FROM t_filtered";
  const [p] = await primary.query<{ m: string; n: number }>(`${filtered} WHERE id % 2 = 0`, [], DB);
  const [r] = await replica.query<{ m: string; n: number }>(filtered, [], DB);
  assert.deepEqual(r, p, "the row filter and column list give the rows PostgreSQL's copy would");
  assert.equal(p!.n, 150);
}

/** Each subscription on the replica: enabled or not, and its comment (a copy's mark, or none). */
function subscriptions(replica: TestServer): Promise<{ enabled: boolean; mark: string | null }[]> {
  return replica.query(
    "SELECT subenabled AS enabled, obj_description(oid, 'pg_subscription') AS mark FROM pg_subscription",
    [],
    DB,
  );
}

/** The tables' constraints on the replica are the primary's (names and definitions), their indexes valid. */
async function assertSameKeys(primary: TestServer, replica: TestServer, tables: string[]): Promise<void> {
  const keys = `SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                 WHERE conrelid = ANY($1::regclass[]) AND contype <> 'n' ORDER BY 1, 2`;
  const onReplica = await replica.query(keys, [tables], DB);
  assert.deepEqual(onReplica, await primary.query(keys, [tables], DB));
  assert.ok(onReplica.length >= tables.length, JSON.stringify(onReplica));
  const invalid = await replica.query(
    "SELECT indexrelid::regclass::text AS i FROM pg_index WHERE indrelid = ANY($1::regclass[]) AND NOT indisvalid",
    [tables],
    DB,
  );
  assert.deepEqual(invalid, []);
}

/**
 * What shows the snapshot copy ran, and what it left: PostgreSQL's table synchronisation copied
 * exactly `byPostgres` (a sync LSN recorded), one slot, no handover publication, no mark.
 */
async function assertSnapshotCopied(
  primary: TestServer,
  replica: TestServer,
  byPostgres: string[] = [],
): Promise<void> {
  const rel = await replica.query<{ name: string; synced: boolean }>(
    "SELECT srrelid::regclass::text AS name, srsublsn IS NOT NULL AS synced FROM pg_subscription_rel ORDER BY 1",
    [],
    DB,
  );
  assert.ok(rel.length >= COMPARED.length, `the subscription has its tables (${rel.length})`);
  assert.deepEqual(
    rel.filter((r) => r.synced).map((r) => r.name),
    byPostgres,
    "the tables PostgreSQL's table synchronisation copied",
  );
  const slots = await primary.query<{ slot_name: string }>("SELECT slot_name FROM pg_replication_slots", []);
  assert.equal(slots.length, 1, `one slot on the primary: ${JSON.stringify(slots)}`);
  const pubs = await primary.query<{ pubname: string }>("SELECT pubname FROM pg_publication", [], DB);
  assert.ok(
    pubs.every((p) => !p.pubname.endsWith("_handover")),
    `no handover publication is left: ${JSON.stringify(pubs)}`,
  );
  const [sub] = await subscriptions(replica);
  assert.deepEqual(sub, { enabled: true, mark: null });
}

describe("snapshot copy refused at preview, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  // Only t_items is published here: the rest of the seed (a 60 MB table among it) is not needed.
  pairBed(
    18,
    18,
    (b) => ({ primary, replica, engine } = b),
    DB,
    SEED.slice(0, SEED.indexOf("  CREATE TABLE t_filtered")),
  );

  it("names copyMethod and the reason where the snapshot copy cannot run; auto says it leaves the copy to PostgreSQL", async () => {
    await primary.query("CREATE PUBLICATION only_items FOR TABLE t_items", [], DB);
    await replica.query(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE t_items (id bigint PRIMARY KEY, mood mood, tags int[], doc jsonb, price numeric(10,2), at timestamptz, note text)",
      [],
      DB,
    );
    const sub = (copyMethod: string) => ({
      connection: replica.url(DB),
      name: "refused",
      publisher: primary.url(DB),
      publications: ["only_items"],
      copyMethod,
      createSlot: false,
      slotName: "refused",
    });
    const driver = new Driver(engine, "Subscription");
    const refused = await driver.check(sub("snapshot"));
    assert.deepEqual(
      refused.failures.map((f) => f.property),
      ["copyMethod"],
      JSON.stringify(refused.failures),
    );
    assert.match(refused.failures[0]!.reason, /createSlot: false.*set `copyMethod: "postgres"`/s);
    const auto = await driver.check(sub("auto"));
    assert.deepEqual(auto.failures, []);
    assert.match(
      engine.log,
      /up leaves the initial copy to PostgreSQL's table synchronisation: `createSlot: false`/,
    );
    assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM pg_subscription", [], DB), [
      { n: 0 },
    ]);
    assert.deepEqual(await primary.query("SELECT count(*)::int AS n FROM pg_replication_slots"), [{ n: 0 }]);
  });
});

describe("auto's division of the tables at preview, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const WIDE =
    "CREATE TABLE t_wide (id bigint PRIMARY KEY, pad text); CREATE TABLE t_small (id bigint PRIMARY KEY, v text)";
  pairBed(
    18,
    18,
    (b) => ({ primary, replica, engine } = b),
    DB,
    `${WIDE}; INSERT INTO t_wide SELECT g, repeat(md5(g::text), 16) FROM generate_series(1, 20000) g;
     INSERT INTO t_small SELECT g, 'v' || g FROM generate_series(1, 50) g; ANALYZE;
     CREATE PUBLICATION mixed FOR TABLE t_wide, t_small;
     CREATE ROLE lim LOGIN REPLICATION PASSWORD 'lim-pw'; GRANT SELECT ON t_wide, t_small TO lim`,
  );

  it("hands the big table to PostgreSQL where the role may create the handover publication, else copies all one way", async () => {
    await replica.query(WIDE, [], DB);
    const sub = (publisher: string) => ({
      connection: replica.url(DB),
      name: "mixed",
      publisher,
      publications: ["mixed"],
    });
    const driver = new Driver(engine, "Subscription");
    const owner = await driver.check(sub(primary.url(DB)));
    assert.deepEqual(owner.failures, []);
    assert.match(
      engine.log,
      /up copies 1 table\(s\) [^\n]*under one snapshot[^\n]*; PostgreSQL's table synchronisation copies the other 1 \([^)]+\) server to server in the same subscription: public\.t_wide\./,
    );
    // Neither the owner of the tables nor allowed to create in the database: one method for all
    // (the two tables average below 8 MiB: the snapshot copy), and the preview says why.
    const limited = await driver.check(sub(roleUrl(primary, "lim", "lim-pw")));
    assert.deepEqual(limited.failures, []);
    assert.match(
      engine.log,
      /up copies 2 table\(s\) [^\n]*under one snapshot[^\n]*streams from that slot \(the big ones too: this role may not create the publication that would leave 1 big table\(s\) to PostgreSQL/,
    );
    // A preview creates nothing.
    assert.deepEqual(await primary.query("SELECT pubname FROM pg_publication ORDER BY 1", [], DB), [
      { pubname: "mixed" },
    ]);
    assert.deepEqual(await primary.query("SELECT count(*)::int AS n FROM pg_replication_slots"), [{ n: 0 }]);
  });
});

describe("a publication made before the stack, the replica's tables still to come, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  pairBed(
    18,
    18,
    (b) => ({ primary, replica, engine } = b),
    DB,
    `CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, md5(g::text) FROM generate_series(1, 300) g;
     CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 50);
     CREATE PUBLICATION snap FOR TABLE a, b;`,
  );

  it("the first preview plans the snapshot copy up makes (the tables SchemaSync makes first lack no column)", async () => {
    const run = snapshotProgram(primary, replica, DB, ["a", "b"], { copyMethod: "auto" });
    const line = (log: string) => /Subscription "snap": up (copies|leaves)[^\n]*/.exec(log)?.[0];
    const before = engine.log.length;
    const preview = await run("preview", engine);
    assert.equal(preview.error, undefined);
    const previewed = line(engine.log.slice(before));
    assert.match(previewed ?? "", /up copies 2 table\(s\) \([^)]+ on disk\) under one snapshot/);
    const upFrom = engine.log.length;
    const r = await run("up", engine);
    assert.equal(r.error, undefined);
    assert.equal(line(engine.log.slice(upFrom)), previewed);
    const { comparisons } = await converge(primary, replica, DB, ["a", "b"], 30_000);
    for (const c of comparisons)
      assert.deepEqual([c.table, c.md5Equal, c.replicaRows], [c.table, true, c.primaryRows]);
  });
});

describe("snapshot copy killed between its subscription and its slot, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  pairBed(18, 18, (b) => ({ primary, replica, engine } = b), DB, SEED);

  it("the preview says the copy is unfinished, the next up copies everything, one slot in the end", async () => {
    const run = program(primary, replica, "snapshot");
    // A write left open on the primary: creating a logical slot waits until every transaction
    // that held a transaction id when it started has ended.
    const blocker = new Client({ connectionString: primary.url(DB) });
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("INSERT INTO s_1 VALUES (1000, 'written while the slot waits')");
    let settled: string | undefined;
    const up = run("up", engine).then((r) => ((settled = r.error ?? "finished"), r));
    const waiting =
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CREATE_REPLICATION_SLOT%' AND wait_event_type = 'Lock'";
    for (;;) {
      const [w] = await primary.query<{ n: number }>(waiting, []);
      if (w!.n === 1) break;
      assert.equal(settled, undefined, "the up ended before its slot was held");
      await new Promise((r) => setTimeout(r, 50));
    }
    // The subscription is there already: disabled, marked, on a slot being created.
    const [sub] = await subscriptions(replica);
    assert.equal(sub!.enabled, false);
    assert.match(sub!.mark ?? "", /snapshot copy unfinished/);
    await engine.restartHost();
    const interrupted = await up;
    assert.ok(interrupted.error, "the up whose host was killed fails");
    await blocker.query("COMMIT");
    await blocker.end();
    // The walsender that waited ends with its client, and the slot it was making with it: nothing
    // holds WAL for the killed run but the marked subscription's name.
    const creating =
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CREATE_REPLICATION_SLOT%'";
    for (let i = 0; ; i++) {
      const [c] = await primary.query<{ n: number }>(creating, []);
      if (c!.n === 0) break;
      assert.ok(i < 200, "the walsender of the killed run ends");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      await primary.query("SELECT slot_name FROM pg_replication_slots", []),
      [],
      "no slot left",
    );
    assert.equal((await replica.query("SELECT 1 FROM s_2 LIMIT 1", [], DB)).length, 0, "nothing was copied");

    const preview = await run("preview", engine);
    assert.equal(preview.error, undefined);
    const planned = preview.steps.find((st) => st.urn.endsWith("Subscription::snap"));
    const pending = planned?.checked?.pendingRepair as { reasons: string[] } | undefined;
    assert.ok(
      pending?.reasons.some((r) => /snapshot copy an earlier `up` started did not finish/.test(r)),
      `the preview says what is unfinished: ${JSON.stringify(planned?.checked?.pendingRepair)}`,
    );
    const done = await run("up", engine);
    assert.equal(done.error, undefined);
    await assertEqual(primary, replica);
    const slots = await primary.query("SELECT slot_name FROM pg_replication_slots", []);
    assert.equal(slots.length, 1, `one slot: ${JSON.stringify(slots)}`);
    const [after] = await subscriptions(replica);
    assert.deepEqual(after, { enabled: true, mark: null });
    const pubs = await primary.query<{ pubname: string }>("SELECT pubname FROM pg_publication", [], DB);
    assert.ok(
      pubs.every((pb) => !pb.pubname.endsWith("_handover")),
      JSON.stringify(pubs),
    );
  });
});

describe("small tables copied in batches, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const tables = ["b_1", "b_2", "b_3", "b_4", "b_5", "b_6", "toasty"];
  const ddl = `${tables
    .slice(0, 6)
    .map((t) => `CREATE TABLE ${t} (id bigint PRIMARY KEY, v text);`)
    .join("\n")}
    CREATE TABLE toasty (id bigint PRIMARY KEY, blob text);
    ALTER TABLE toasty ALTER COLUMN blob SET STORAGE EXTERNAL;`;
  // A page of heap each, toasty a few more (first in the queue, which goes biggest first); its
  // first row holds 40 MB out of line (TOAST, uncompressed), more than a batch keeps in memory.
  pairBed(
    18,
    18,
    (b) => ({ primary, replica, engine } = b),
    DB,
    `${ddl}
    ${tables
      .slice(0, 6)
      .map((t) => `INSERT INTO ${t} SELECT g, 'v' || g FROM generate_series(1, 20) g;`)
      .join("\n")}
    INSERT INTO toasty SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 1250000) g;
    INSERT INTO toasty SELECT g, repeat('x', 100) FROM generate_series(2, 300) g;`,
  );
  const replicaTables = () =>
    replica.query<{ n: number }>(
      `SELECT (${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(" + ")})::int AS n`,
      [],
      DB,
    );

  it("a COPY failing in a batch undoes the whole copy; once fixed the batch copies, and a table holding more than a batch keeps is copied on its own", async () => {
    // The replica's tables made by hand, b_4 refusing one of the primary's rows.
    await replica.query(`${ddl} ALTER TABLE b_4 ADD CONSTRAINT b_4_v CHECK (v <> 'v7')`, [], DB);
    const run = snapshotProgram(primary, replica, DB, tables, {
      copyMethod: "snapshot",
      schemaSync: "false",
    });
    const failed = await run("up", engine);
    assert.match(failed.error ?? "", /b_4_v/);
    assert.deepEqual(await replicaTables(), [{ n: 0 }], "no table keeps rows of the failed copy");
    assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM pg_subscription", [], DB), [
      { n: 0 },
    ]);
    assert.deepEqual(await primary.query("SELECT count(*)::int AS n FROM pg_replication_slots"), [{ n: 0 }]);

    await replica.query("ALTER TABLE b_4 DROP CONSTRAINT b_4_v", [], DB);
    const r = await run("up", engine);
    assert.equal(r.error, undefined);
    const { comparisons } = await converge(primary, replica, DB, tables, 60_000);
    for (const c of comparisons) assert.ok(c.md5Equal && c.primaryRows > 0, JSON.stringify(c));
    assert.match(
      engine.log,
      /: 6 small table\(s\) copied in 1 batch\(es\) of up to 50, one round trip each way per batch; 1 table\(s\) held more rows than a batch keeps in memory \(32 MB: values stored out of line, TOAST\) and were copied on their own\./,
    );
    const [{ md5 }] = (await replica.query<{ md5: string }>("SELECT md5(blob) FROM toasty", [], DB)) as [
      { md5: string },
    ];
    const [{ md5: expected }] = (await primary.query<{ md5: string }>(
      "SELECT md5(blob) FROM toasty",
      [],
      DB,
    )) as [{ md5: string }];
    assert.equal(md5, expected);
    // The stream goes on from the slot.
    await primary.query("INSERT INTO b_1 VALUES (1000, 'later'); DELETE FROM b_6 WHERE id < 5", [], DB);
    const { comparisons: again } = await converge(primary, replica, DB, ["b_1", "b_6"], 30_000);
    for (const c of again) assert.ok(c.md5Equal, JSON.stringify(c));
  });
});

for (const major of majors([15, 18])) {
  describe(`snapshot copy, PG${major} → PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    pairBed(major, major, (b) => ({ primary, replica, engine } = b), DB, SEED);

    it("copies every table under one snapshot with writers running (a big one in page ranges), then streams from its slot", async () => {
      const writers = startWriters(primary, DB, ["w_1", "w_2"], 2);
      const r = await program(primary, replica, "snapshot")("up", engine);
      await new Promise((res) => setTimeout(res, 500));
      await writers.stop();
      const stats = writers.stats;
      assert.equal(r.error, undefined);
      assert.equal(stats.errors, 0, stats.lastError);
      assert.ok(stats.inserts + stats.updates + stats.deletes > 0, "the writers wrote during the copy");
      await assertEqual(primary, replica);
      await assertSnapshotCopied(primary, replica);
      // The preview (check, before SchemaSync made the tables) said which copy up would make.
      assert.match(
        engine.log,
        /Subscription "snap": up copies \d+ table\(s\) \([^)]+ on disk\) under one snapshot[^;\n]*streams from that slot\./,
      );
      const [published] = await primary.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_publication_tables",
        [],
        DB,
      );
      // t_big's pages are split in ranges: more COPYs than there are tables.
      const planned = /copying (\d+) table\(s\) \([^)]*, (\d+) COPY\(s\)\)/.exec(engine.log);
      assert.ok(planned, engine.log);
      assert.equal(Number(planned[1]), published!.n);
      assert.ok(Number(planned[2]) > published!.n, planned[0]);
      assert.match(engine.log, new RegExp(`snapshot copy: ${published!.n}/${published!.n} tables copied`));
      // t_keyed's primary key was built after its rows (in its COPY's transaction), t_big's after
      // its last range: the same keys, valid, and nothing to change.
      assert.match(engine.log, /2 primary key\(s\) built after their rows/);
      await assertSameKeys(primary, replica, ["t_keyed", "t_big"]);

      assert.deepEqual(
        await replica.query(
          "SELECT indexrelid::regclass::text AS i, indisvalid AS v, indisprimary AS p FROM pg_index WHERE indrelid = 't_keyed'::regclass ORDER BY 1",
          [],
          DB,
        ),
        [
          { i: "t_keyed_key", v: true, p: true },
          { i: "t_keyed_n", v: true, p: false },
        ],
      );
      const again = await program(primary, replica, "snapshot")("preview", engine);
      assert.deepEqual(
        again.steps.filter((st) => st.op !== "same").map((st) => `${st.op} ${st.urn}`),
        [],
        "the preview after the up changes nothing",
      );
      // … and t_keyed's pages were written frozen (COPY … FREEZE after a TRUNCATE in that transaction)
      await replica.query("CREATE EXTENSION IF NOT EXISTS pg_visibility", [], DB);
      const [vm] = await replica.query<{ pages: number; frozen: number }>(
        "SELECT (pg_relation_size('t_keyed') / 8192)::int AS pages, all_frozen::int AS frozen FROM pg_visibility_map_summary('t_keyed')",
        [],
        DB,
      );
      await replica.query("DROP EXTENSION pg_visibility", [], DB);
      // (without FREEZE no page of a table nothing has vacuumed is all-frozen; the last pages COPY
      // was filling may stay unmarked)
      assert.ok(vm!.pages > 0 && vm!.frozen >= vm!.pages - 4, JSON.stringify(vm));
      // Changes after the copy keep arriving through the stream.
      await primary.query(
        "UPDATE t_items SET note = 'later' WHERE id <= 10; DELETE FROM s_1 WHERE id > 10",
        [],
        DB,
      );
      await assertEqual(primary, replica);
    });
  });

  describe(`auto: small tables under one snapshot, big ones by PostgreSQL, PG${major} → PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    pairBed(major, major, (b) => ({ primary, replica, engine } = b), DB, SEED);

    it("copies the small tables itself and hands the big one to PostgreSQL's copy in the same subscription, writers running; the first preview says so", async () => {
      // The first preview: the publication, the replica's tables and the subscription are all to
      // be made by the up after it. Its plan is the one up makes.
      const plan = (log: string) =>
        /up copies (\d+) table\(s\) \([^)]+\) under one snapshot[^\n]*; PostgreSQL's table synchronisation copies the other (\d+) \([^)]+\) server to server in the same subscription: ([^\n]*)\./
          .exec(log)
          ?.slice(1);
      const before = engine.log.length;
      const preview = await program(primary, replica, "auto")("preview", engine);
      assert.equal(preview.error, undefined);
      const previewed = plan(engine.log.slice(before));
      assert.ok(previewed, engine.log.slice(before));
      const writers = startWriters(primary, DB, ["w_1", "w_2"], 2);
      // The big table changes too, before and while PostgreSQL copies it.
      let touching = true;
      let touched = 0;
      const toucher = (async () => {
        for (; touching; touched++) {
          await primary.query(
            "UPDATE t_big SET pad = md5(random()::text) WHERE id = $1",
            [1 + Math.floor(Math.random() * 5000)],
            DB,
          );
          await new Promise((res) => setTimeout(res, 20));
        }
      })();
      const upFrom = engine.log.length;
      const messages = await messageProbe(primary, DB);
      const r = await program(primary, replica, "auto")("up", engine);
      await new Promise((res) => setTimeout(res, 500));
      touching = false;
      await Promise.all([writers.stop(), toucher]);
      assert.deepEqual(plan(engine.log.slice(upFrom)), previewed);
      // Once the big table is added for PostgreSQL's copy, the apply worker is woken through the
      // publisher's WAL (its copy starts at once, not at the worker's next one-second look).
      const wakes = await messages.count("pulumi-pg-replication");
      await messages.drop();
      assert.equal(wakes, 1);
      assert.equal(r.error, undefined);
      assert.equal(writers.stats.errors, 0, writers.stats.lastError);
      assert.ok(touched > 0, "the big table changed during the up");
      await assertEqual(primary, replica);
      await assertSnapshotCopied(primary, replica, ["t_big"]);
      assert.match(
        engine.log,
        /up copies \d+ table\(s\) \([^)]+\) under one snapshot[^\n]*; PostgreSQL's table synchronisation copies the other 1 \([^)]+, each above 8\.0 MB\) server to server in the same subscription: public\.t_big\./,
      );
      assert.match(
        engine.log,
        /PostgreSQL's table synchronisation copies the other 1 \(public\.t_big\) once the stream starts/,
      );
      await primary.query(
        "UPDATE t_big SET pad = 'later' WHERE id <= 10; DELETE FROM s_2 WHERE id > 10",
        [],
        DB,
      );
      await assertEqual(primary, replica);
    });
  });

  describe(`snapshot copy interrupted, PG${major} → PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    pairBed(major, major, (b) => ({ primary, replica, engine } = b), DB, SEED);

    it("the program killed mid-copy: the preview says so, the next up keeps what was copied and lets PostgreSQL copy the rest", async () => {
      const run = program(primary, replica, "snapshot");
      // t_big (copied first: the largest) waits for a SHARE lock on the replica (COPY FROM needs ROW
      // EXCLUSIVE; the checks' reads need only ACCESS SHARE), taken once SchemaSync has created it.
      const locker = new Client({ connectionString: replica.url(DB) });
      await locker.connect();
      const locked = (async () => {
        for (;;) {
          try {
            await locker.query("BEGIN");
            await locker.query("LOCK TABLE t_big IN SHARE MODE");
            return;
          } catch {
            await locker.query("ROLLBACK");
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      let settled: string | undefined;
      const up = run("up", engine).then((r) => ((settled = r.error ?? "finished"), r));
      await locked;
      // Wait until everything but t_big is copied (the subscription exists, marked, and disabled).
      // Each table as the publications list it (a partitioned table's partitions one by one).
      const others = (
        await primary.query<{ t: string }>(
          "SELECT DISTINCT format('%I.%I', schemaname, tablename) AS t FROM pg_publication_tables",
          [],
          DB,
        )
      )
        .map((r) => r.t)
        .filter((t) => t !== "public.t_big");
      for (;;) {
        const filled = await Promise.all(
          others.map(
            async (t) => (await replica.query(`SELECT 1 FROM ONLY ${t} LIMIT 1`, [], DB)).length > 0,
          ),
        );
        if (filled.every(Boolean)) break;
        assert.equal(settled, undefined, "the up ended before the copy was held");
        await new Promise((r) => setTimeout(r, 50));
      }
      const [mark] = await subscriptions(replica);
      assert.equal(mark!.enabled, false);
      assert.match(mark!.mark ?? "", /snapshot copy unfinished/, engine.log);
      // Its sessions on the replica are named as its copy (a preview stopped behind them says so).
      const copying = await replica.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
        [COPY_APPLICATION],
      );
      assert.ok(copying[0]!.n > 0, "the copy's sessions carry its application name");
      await engine.restartHost();
      await locker.query("ROLLBACK");
      await locker.end();
      const interrupted = await up;
      assert.ok(interrupted.error, "the up whose host was killed fails");
      // The mark records t_big's key, which the copy drops before its first range (here still
      // waiting for the lock): dropped by hand, as a copy killed a moment later would leave it.
      assert.match(mark!.mark ?? "", /"t_big","t_big_pkey","PRIMARY KEY \(id\)"/);
      await replica.query("ALTER TABLE t_big DROP CONSTRAINT t_big_pkey", [], DB);
      assert.equal(
        (await replica.query("SELECT 1 FROM t_big LIMIT 1", [], DB)).length,
        0,
        "t_big was not copied",
      );
      const [slot] = await primary.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_replication_slots",
        [],
      );
      assert.equal(slot!.n, 1, "the slot stays with the disabled subscription until the next up");

      await primary.query("INSERT INTO s_1 SELECT g, 'later ' || g FROM generate_series(21, 30) g", [], DB);
      const preview = await run("preview", engine);
      assert.equal(preview.error, undefined);
      const sub = preview.steps.find((s) => s.urn.endsWith("Subscription::snap"));
      assert.ok(sub, JSON.stringify(preview.steps.map((s) => s.urn)));
      const pending = sub!.checked?.pendingRepair as { reasons: string[] } | undefined;
      const [published] = await primary.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_publication_tables",
        [],
        DB,
      );
      assert.ok(
        pending?.reasons.some((r) =>
          new RegExp(
            `snapshot copy an earlier \`up\` started did not finish.*keeps the ${published!.n - 1} table\\(s\\) it finished .*copy the other 1$`,
          ).test(r),
        ),
        `the preview says what is unfinished and what up does: ${JSON.stringify(sub!.checked?.pendingRepair)}`,
      );
      // What the kept tables hold now, and the rows written since (which the stream brings).
      const keptBefore = await replica.query<{ n: number }>("SELECT count(*)::int AS n FROM s_1", [], DB);
      assert.deepEqual(keptBefore, [{ n: 20 }]);
      // Finishing it empties nothing (t_big was not begun): `repair: "refuse"` does not stand in
      // the way, at preview or at up.
      const strict = snapshotProgram(primary, replica, DB, TABLES, {
        copyMethod: "snapshot",
        repair: "refuse",
      });
      const strictSub = (await strict("preview", engine)).steps.find((s) =>
        s.urn.endsWith("Subscription::snap"),
      );
      assert.deepEqual(strictSub?.failures ?? [], [], JSON.stringify(strictSub?.failures));
      assert.deepEqual((strictSub?.checked?.pendingRepair as { tables?: unknown[] } | undefined)?.tables, []);
      const done = await strict("up", engine);
      assert.equal(done.error, undefined);
      assert.match(
        engine.log,
        /finishing the snapshot copy an earlier up left: \d+ table\(s\) it finished stay/,
      );
      await assertEqual(primary, replica);
      // PostgreSQL copied only t_big; the tables finished before the kill were not copied again.
      await assertSnapshotCopied(primary, replica, ["t_big"]);
      await assertSameKeys(primary, replica, ["t_big", "t_keyed"]);
    });
  });

  describe(`snapshot copy interrupted between a big table's page ranges, PG${major} → PG${major}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    pairBed(major, major, (b) => ({ primary, replica, engine } = b), DB, SEED);

    it("the program killed with one range committed: the next up puts the key back, empties that table, and PostgreSQL copies it", async () => {
      const run = program(primary, replica, "snapshot");
      // t_big goes in two page ranges (ids 1–2 500 and the rest), each committed on its own, its key
      // dropped before the first and built after the last. A gate on the replica, which the copy's
      // COPY passes through (ENABLE ALWAYS), holds the second range from id 3 001 on.
      await replica.query(
        `CREATE TABLE copy_gate (open boolean);
         CREATE FUNCTION copy_gate() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.id > 3000 THEN
               WHILE NOT EXISTS (SELECT 1 FROM public.copy_gate) LOOP PERFORM pg_catalog.pg_sleep(0.05); END LOOP;
             END IF;
             RETURN NEW;
           END $$`,
        [],
        DB,
      );
      let settled: string | undefined;
      const gated = (async () => {
        // Once SchemaSync has created t_big, before the copy reaches it.
        while (settled === undefined)
          try {
            await replica.query(
              "CREATE TRIGGER copy_gate BEFORE INSERT ON t_big FOR EACH ROW EXECUTE FUNCTION copy_gate(); ALTER TABLE t_big ENABLE ALWAYS TRIGGER copy_gate",
              [],
              DB,
            );
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 20));
          }
      })();
      const up = run("up", engine).then((r) => ((settled = r.error ?? "finished"), r));
      await gated;
      // The first range committed, the second held at the gate, every other table copied (its rows
      // visible: committed, t_keyed's key built in the same transaction; each partition apart).
      const others = ["t_items", "t_filtered", "t_keyed", "t_parts_eu", "t_parts_us", ...SMALL, "w_1", "w_2"];
      for (;;) {
        const [{ n }] = (await replica.query("SELECT count(*)::int AS n FROM t_big", [], DB)) as [
          { n: number },
        ];
        const empty = await replica.query(
          `SELECT 1 FROM (VALUES ${others.map((t) => `((SELECT count(*) FROM ${t}))`).join(", ")}) AS c(n) WHERE n = 0`,
          [],
          DB,
        );
        if (n > 0 && empty.length === 0) break;
        assert.equal(settled, undefined, "the up ended before the copy was held");
        await new Promise((r) => setTimeout(r, 50));
      }
      const [mark] = await subscriptions(replica);
      assert.match(mark!.mark ?? "", /"ranged":\[\["public","t_big"\]\]/);
      await engine.restartHost();
      // The held COPY's server process would notice its client gone only once it reads from it
      // again, and when the rest of the range and the COPY's end already sit in its socket buffer
      // it needs nothing more from the client: it would commit the range (CI saw t_big whole).
      // End it, as the server ends a dead client's session; then open the gate for the next up.
      const held = `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY "public"."t_big"%FROM STDIN%'`;
      await replica.query(`SELECT pg_terminate_backend(pid) FROM (${held}) AS h`, [DB]);
      await eventually(async () => assert.deepEqual(await replica.query(held, [DB]), []));
      await replica.query("INSERT INTO copy_gate VALUES (true)", [], DB);
      assert.ok((await up).error, "the up whose host was killed fails");
      const partial = (await replica.query("SELECT count(*)::int AS n FROM t_big", [], DB)) as [
        { n: number },
      ];
      assert.ok(partial[0].n > 0 && partial[0].n < 5000, `t_big holds part of its rows: ${partial[0].n}`);
      const keyed =
        "SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 't_big'::regclass AND contype = 'p'";
      assert.deepEqual(await replica.query(keyed, [], DB), [{ n: 0 }], "its key dropped for the copy");

      const preview = await run("preview", engine);
      assert.equal(preview.error, undefined);
      const sub = preview.steps.find((s) => s.urn.endsWith("Subscription::snap"));
      const pending = sub?.checked?.pendingRepair as { reasons: string[]; tables: unknown[] } | undefined;
      assert.match(pending?.reasons.join("; ") ?? "", /emptying public\.t_big first \(copied in part\)/);
      assert.deepEqual(pending?.tables, [{ schema: "public", name: "t_big" }]);
      // Finishing it empties t_big: under `repair: "refuse"` the preview refuses, naming the table
      // and the way out, and an up changes nothing.
      const strict = snapshotProgram(primary, replica, DB, TABLES, {
        copyMethod: "snapshot",
        repair: "refuse",
      });
      const refusedSub = (await strict("preview", engine)).steps.find((s) =>
        s.urn.endsWith("Subscription::snap"),
      );
      assert.deepEqual(
        refusedSub?.failures?.map((f) => f.property),
        ["repair"],
        JSON.stringify(refusedSub),
      );
      assert.match(
        refusedSub!.failures![0]!.reason,
        /empties public\.t_big on the replica.*`repair: "recopy"`/s,
      );
      assert.ok((await strict("up", engine)).error, "up under repair: refuse stops at the check");
      assert.deepEqual(
        await replica.query("SELECT count(*)::int AS n FROM t_big", [], DB),
        [{ n: partial[0].n }],
        "t_big kept as it was",
      );
      const [stillMarked] = await subscriptions(replica);
      assert.equal(stillMarked!.enabled, false);
      assert.match(stillMarked!.mark ?? "", /snapshot copy unfinished/);
      await primary.query("INSERT INTO t_big SELECT g, 'later' FROM generate_series(5001, 5010) g", [], DB);
      const done = await run("up", engine);
      assert.equal(done.error, undefined);
      await assertEqual(primary, replica);
      await assertSnapshotCopied(primary, replica, ["t_big"]);
      await assertSameKeys(primary, replica, ["t_big", "t_keyed"]);
    });
  });
}
