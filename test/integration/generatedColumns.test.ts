// Generated columns through the provider host, PG18 → PG18 (before 18 PostgreSQL never publishes
// one; snapshotCopy.test.ts covers that on PG15, whose pg_publication_tables lists them anyway).
// A stored generated column whose values the publication publishes (publishGeneratedColumns
// "stored", or named in a table's column list) is a plain column on the replica: PostgreSQL
// applies no value to a generated column, so SchemaSync creating it generated left PostgreSQL's
// copy failing on every try and the snapshot copy refused. Switched on later, the replica's column
// is made plain (DROP EXPRESSION) and streams the primary's values; switched off, the replica's
// plain column would stop receiving values, and the preview refuses that instead.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pairBed } from "../harness/bed";
import { converge } from "../harness/drill/load";
import type { Engine } from "../harness/engine";
import { snapshotProgram } from "../harness/live";
import type { TestServer } from "../harness/postgres";

const DB = "app";
const SEED = `
  CREATE TABLE gen (id bigint PRIMARY KEY, a int NOT NULL, twice int GENERATED ALWAYS AS (a * 2) STORED,
                    label text GENERATED ALWAYS AS ('#' || id) STORED);
  INSERT INTO gen (id, a) SELECT g, g FROM generate_series(1, 200) g;
  CREATE TABLE listed (id bigint PRIMARY KEY, a int NOT NULL, sq int GENERATED ALWAYS AS (a * a) STORED);
  INSERT INTO listed (id, a) SELECT g, g FROM generate_series(1, 50) g;
`;
const TABLES = ["gen", { name: "listed", columns: ["id", "a", "sq"] }];

function run(
  primary: TestServer,
  replica: TestServer,
  method: string,
  published: string,
  more: Record<string, string> = {},
) {
  return snapshotProgram(primary, replica, DB, TABLES, {
    copyMethod: method,
    publishGeneratedColumns: published,
    ...more,
  });
}

/** Each generated column's kind on the replica: "s" stored generated, "" plain. */
async function kinds(replica: TestServer): Promise<Record<string, string>> {
  const rows = await replica.query<{ c: string; g: string }>(
    `SELECT attrelid::regclass || '.' || attname AS c, attgenerated::text AS g FROM pg_attribute
      WHERE attrelid IN ('gen'::regclass, 'listed'::regclass) AND attname IN ('twice', 'label', 'sq') ORDER BY 1`,
    [],
    DB,
  );
  return Object.fromEntries(rows.map((r) => [r.c, r.g]));
}

/** Rows written on the primary after the copy reach the replica with the primary's values. */
async function assertStreamed(primary: TestServer, replica: TestServer): Promise<void> {
  await primary.query(
    "UPDATE gen SET a = a + 1000 WHERE id <= 20; INSERT INTO gen (id, a) SELECT max(id) + 1, 7 FROM gen; UPDATE listed SET a = a + 1 WHERE id <= 5",
    [],
    DB,
  );
  const { comparisons } = await converge(primary, replica, DB, ["gen", "listed"], 30_000);
  for (const c of comparisons)
    assert.deepEqual([c.table, c.lost, c.duplicated, c.differing, c.md5Equal], [c.table, 0, 0, 0, true]);
}

describe("published generated columns, snapshot copy, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  pairBed(18, 18, (b) => ({ primary, replica, engine } = b), DB, SEED);

  it("a listed one is plain on the replica; switched on for all, the others are made plain and stream the primary's values", async () => {
    const first = await run(primary, replica, "snapshot", "none")("up", engine);
    assert.equal(first.error, undefined);
    assert.deepEqual(await kinds(replica), { "gen.label": "s", "gen.twice": "s", "listed.sq": "" });
    await assertStreamed(primary, replica);

    const stored = run(primary, replica, "snapshot", "stored");
    const preview = await stored("preview", engine);
    assert.equal(preview.error, undefined);
    const sync = preview.steps.find((st) => st.urn.endsWith("SchemaSync::snap"));
    assert.deepEqual(sync?.checked?.pending, {
      "public.gen": [
        "make public.gen.twice a plain column (its values come from the source)",
        "make public.gen.label a plain column (its values come from the source)",
      ],
    });
    const up = await stored("up", engine);
    assert.equal(up.error, undefined);
    assert.deepEqual(await kinds(replica), { "gen.label": "", "gen.twice": "", "listed.sq": "" });
    // Plain now: only the stream keeps these columns equal to the primary's.
    await primary.query("UPDATE gen SET a = a + 1 WHERE id = 1", [], DB);
    await assertStreamed(primary, replica);
    const again = await stored("preview", engine);
    assert.equal(again.error, undefined);
    assert.deepEqual(
      again.steps.filter((st) => st.op !== "same").map((st) => `${st.op} ${st.urn.split("::").pop()}`),
      [],
    );
  });
});

describe("published generated columns, PostgreSQL's copy, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  pairBed(18, 18, (b) => ({ primary, replica, engine } = b), DB, SEED);

  it("copies the primary's values into plain columns; switching them off is refused at preview", async () => {
    const up = await run(primary, replica, "postgres", "stored")("up", engine);
    assert.equal(up.error, undefined);
    assert.deepEqual(await kinds(replica), { "gen.label": "", "gen.twice": "", "listed.sq": "" });
    await assertStreamed(primary, replica);
    const off = await run(primary, replica, "postgres", "none")("preview", engine);
    assert.equal(off.error, undefined);
    const refused = off.steps.find((st) => st.urn.endsWith("SchemaSync::snap"))?.failures ?? [];
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.equal(refused[0]!.property, "allowDestructive");
    assert.match(
      refused[0]!.reason,
      /public\.gen\.twice is a plain column on the replica but generated on the source/,
    );
    assert.match(refused[0]!.reason, /public\.gen\.label is a plain column/);
    assert.match(refused[0]!.reason, /publishGeneratedColumns: "stored"/);
  });
});

describe("published generated columns left generated on a hand-made replica, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  pairBed(18, 18, (b) => ({ primary, replica, engine } = b), DB, SEED);

  it("up stops before creating anything, naming the columns; made plain by hand, the next up copies them", async () => {
    // The replica's schema as a dump would make it (generated), without SchemaSync.
    await replica.query(SEED.replace(/INSERT[^;]*;/g, ""), [], DB);
    const handMade = run(primary, replica, "postgres", "stored", { schemaSync: "false" });
    const refused = await handMade("up", engine);
    assert.match(
      refused.error ?? "",
      /published column\(s\) public\.gen\.label, public\.gen\.twice, public\.listed\.sq are generated on the publisher, which publishes their values/,
    );
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], DB), []);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", []), []);
    // With the publication there, a preview says so too.
    const preview = await handMade("preview", engine);
    const failures = preview.steps.find((st) => st.urn.endsWith("Subscription::snap"))?.failures ?? [];
    assert.deepEqual(
      failures.map((f) => [
        f.property,
        /public\.gen\.label, public\.gen\.twice, public\.listed\.sq/.test(f.reason),
      ]),
      [["connection", true]],
    );
    await replica.query(
      "ALTER TABLE gen ALTER COLUMN twice DROP EXPRESSION, ALTER COLUMN label DROP EXPRESSION; ALTER TABLE listed ALTER COLUMN sq DROP EXPRESSION",
      [],
      DB,
    );
    const up = await handMade("up", engine);
    assert.equal(up.error, undefined);
    await assertStreamed(primary, replica);
  });
});

// Before 18 PostgreSQL's table synchronisation copies only the publisher's columns that are not
// generated, while a PG18 publisher then streams their values: measured before the refusal, the
// copy left 200 of 201 rows without them and the next preview said "same".
const SEED_BIG = `${SEED}
  CREATE TABLE big (id bigint PRIMARY KEY, a int NOT NULL, pad text, twice int GENERATED ALWAYS AS (a * 2) STORED);
  INSERT INTO big (id, a, pad) SELECT g, g, repeat('p', 60) FROM generate_series(1, 100000) g;
`;

describe("published generated columns on a PG17 subscriber, PG18 → PG17", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  pairBed(18, 17, (b) => ({ primary, replica, engine } = b), DB, SEED_BIG);
  const program = (method: string, tables: unknown[]) =>
    snapshotProgram(primary, replica, DB, tables, { copyMethod: method, publishGeneratedColumns: "stored" });
  const subscriptionFailures = (r: {
    steps: { urn: string; failures?: { property: string; reason: string }[] }[];
  }) => r.steps.find((st) => st.urn.endsWith("Subscription::snap"))?.failures ?? [];

  it("PostgreSQL's copy, which would leave them empty, is refused before the subscription exists; auto copies every table itself, one above its size limit too", async () => {
    const refused = await program("postgres", ["gen", "big"])("up", engine);
    const leftOut =
      /the publisher publishes the values of generated column\(s\) public\.big\.twice, public\.gen\.label, public\.gen\.twice, which PostgreSQL's table synchronisation on this subscriber \(17\.\d+: before 18\) leaves out of its copy/;
    assert.match(refused.error ?? "", leftOut);
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], DB), []);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", []), []);
    // With the publication there, the preview says so, naming copyMethod.
    const preview = await program("postgres", ["gen", "big"])("preview", engine);
    assert.deepEqual(
      subscriptionFailures(preview).map((f) => [f.property, leftOut.test(f.reason)]),
      [["copyMethod", true]],
    );

    const [size] = await primary.query<{ mb: number }>(
      "SELECT pg_relation_size('big') / 1048576 AS mb",
      [],
      DB,
    );
    assert.ok(size!.mb > 8, `big is above auto's 8 MiB per table (${size!.mb} MiB)`);
    const up = await program("auto", ["gen", "big"])("up", engine);
    assert.equal(up.error, undefined);
    const copiedByPostgres = await replica.query(
      "SELECT srrelid::regclass::text AS t FROM pg_subscription_rel WHERE srsublsn IS NOT NULL",
      [],
      DB,
    );
    assert.deepEqual(copiedByPostgres, [], "this program copied every table, big included");
    await primary.query(
      "UPDATE big SET a = a + 1 WHERE id <= 10; INSERT INTO gen (id, a) VALUES (1000, 3)",
      [],
      DB,
    );
    const { comparisons } = await converge(primary, replica, DB, ["gen", "big"], 30_000);
    for (const c of comparisons)
      assert.deepEqual([c.table, c.lost, c.duplicated, c.differing, c.md5Equal], [c.table, 0, 0, 0, true]);
  });

  it("a table added to the existing subscription with a listed generated column is refused before its refresh, and the preview after says so", async () => {
    const added = program("auto", ["gen", "big", { name: "listed", columns: ["id", "a", "sq"] }]);
    const up = await added("up", engine);
    const leftOut =
      /public\.listed\.sq, which PostgreSQL's table synchronisation on this subscriber \(17\.\d+: before 18\) leaves out of its copy.*An existing subscription copies newly published tables that way/;
    assert.match(up.error ?? "", leftOut);
    const subscribed = await replica.query<{ t: string }>(
      "SELECT srrelid::regclass::text AS t FROM pg_subscription_rel ORDER BY 1",
      [],
      DB,
    );
    assert.deepEqual(
      subscribed.map((r) => r.t),
      ["big", "gen"],
      "listed is not copied without its column",
    );
    const preview = await added("preview", engine);
    assert.deepEqual(
      subscriptionFailures(preview).map((f) => [f.property, leftOut.test(f.reason)]),
      [["publications", true]],
    );
  });
});
