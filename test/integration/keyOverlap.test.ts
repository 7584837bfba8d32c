// Fan-in's key check (src/subscription/keyOverlap.ts) on real servers: the replica's unique key
// values looked up on the publisher — integer keys through their ranges, text keys one by one,
// composite keys, a unique column beside the primary key, NULLs (never a collision), the
// publications' row filters (only the rows the copy sends count), and the bound on how many
// values one table's check reads; in a table with no unique key, whole rows over the columns the
// copy sends (a copy would add equal rows beside them without an error).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseConnection } from "../../src/pg/connection";
import { readKeyOverlaps } from "../../src/subscription/keyOverlap";
import { startPair } from "../harness/seed";
import type { TestServer } from "../harness/postgres";

describe("fan-in: the replica's keys looked up on the publisher", () => {
  let publisher: TestServer;
  let replica: TestServer;
  const check = (tables: string[], publications: string[] = []) =>
    readKeyOverlaps(
      parseConnection(replica.url()),
      parseConnection(publisher.url()),
      publications,
      tables.map((name) => ({ schema: "public", name })),
    );
  const both = (sql: string) => Promise.all([publisher.query(sql), replica.query(sql)]);

  before(async () => {
    [publisher, replica] = await startPair(17, 17);
    await both(`CREATE TABLE ints (id bigint PRIMARY KEY, v text);
      CREATE TABLE words (code text PRIMARY KEY, email text UNIQUE, region text);
      CREATE TABLE pairs (shard int, id int, PRIMARY KEY (shard, id));
      CREATE TABLE loose (v text)`);
    await publisher.query(`INSERT INTO ints SELECT g, 'p' FROM generate_series(1001, 2000) g;
      INSERT INTO words SELECT 'w' || g, 'p' || g || '@x', CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 500) g;
      INSERT INTO pairs SELECT 2, g FROM generate_series(1, 300) g;
      INSERT INTO loose VALUES ('a')`);
    await replica.query(`INSERT INTO loose VALUES ('b')`);
    await replica.query(`INSERT INTO ints SELECT g, 'r' FROM generate_series(1, 1000) g;
      INSERT INTO words SELECT 'r' || g, NULL, 'eu' FROM generate_series(1, 400) g;
      INSERT INTO pairs SELECT 1, g FROM generate_series(1, 300) g`);
  });
  after(async () => {
    await Promise.all([publisher?.stop(), replica?.stop()]);
  });

  it("finds nothing where the keys are apart: integer ranges, text keys, shards in a composite key, NULLs, no unique key", async () => {
    assert.deepEqual(await check(["ints", "words", "pairs", "loose"]), {
      overlaps: [],
      rowOverlaps: [],
      partly: [],
      unchecked: [],
    });
  });

  it("counts the replica's rows whose key the publisher has, per unique key, with the first few", async () => {
    await replica.query(`INSERT INTO ints VALUES (1500, 'left'), (1999, 'left');
      INSERT INTO words VALUES ('w7', NULL, 'eu'), ('zz', 'p8@x', 'eu');
      INSERT INTO pairs VALUES (2, 5)`);
    const { overlaps } = await check(["ints", "words", "pairs"]);
    assert.deepEqual(
      overlaps.map((o) => [o.name, o.index, o.columns, o.shared, o.sample]),
      [
        ["ints", "ints_pkey", ["id"], 2, ["(1500)", "(1999)"]],
        ["pairs", "pairs_pkey", ["shard", "id"], 1, ["(2,5)"]],
        ["words", "words_pkey", ["code"], 1, ["(w7)"]],
        ["words", "words_email_key", ["email"], 1, ["(p8@x)"]],
      ],
    );
  });

  it("counts only the rows the publications' row filters let the copy send", async () => {
    await publisher.query("CREATE PUBLICATION eu FOR TABLE words WHERE (region = 'eu')");
    // w7 is in 'us' on the publisher (odd), p8@x belongs to w8, in 'eu'.
    const { overlaps } = await check(["words"], ["eu"]);
    assert.deepEqual(
      overlaps.map((o) => [o.index, o.shared]),
      [["words_email_key", 1]],
    );
  });

  it("without a unique key: counts the publisher's rows equal to a replica row over the columns the copy sends, under the publications' filters and column lists", async () => {
    // A log table of two sources: the replica's has a column of its own (which source wrote the
    // row), and holds ten of the publisher's rows (left by an earlier subscription) and five others.
    const rows = (from: number, to: number) =>
      `SELECT timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute', 'e' || g, g / 4.0 FROM generate_series(${from}, ${to}) g`;
    await publisher.query(`SET TimeZone = 'Asia/Tokyo'; CREATE TABLE events (at timestamptz, what text, n float8);
      ALTER TABLE events REPLICA IDENTITY FULL; INSERT INTO events ${rows(1, 30)}`);
    await replica.query(`SET TimeZone = 'America/Lima'; CREATE TABLE events (at timestamptz, what text, n float8, source text DEFAULT 'replica');
      INSERT INTO events (at, what, n) ${rows(21, 30)}; INSERT INTO events (at, what, n) ${rows(101, 105)};
      INSERT INTO events (at, what, n) SELECT at, what, n + 1 FROM events WHERE what = 'e101'`);
    const found = async (publications: string[] = []) =>
      (await check(["events", "loose"], publications)).rowOverlaps.map((o) => [o.name, o.columns, o.shared]);
    assert.deepEqual(await found(), [["events", ["at", "n", "what"], 10]]);
    // Only the rows the copy sends count: n < 6.5 lets e21 … e25 through.
    await publisher.query("CREATE PUBLICATION early FOR TABLE events WHERE (n < 6.5)");
    assert.deepEqual(await found(["early"]), [["events", ["at", "n", "what"], 5]]);
    // A column list: only the columns it sends are compared (n differs on the replica's e101 twin).
    await publisher.query(
      `CREATE PUBLICATION named FOR TABLE events (at, what); INSERT INTO events ${rows(101, 101)}`,
    );
    assert.deepEqual(await found(["named"]), [["events", ["at", "what"], 11]]);
    assert.deepEqual(await found(), [["events", ["at", "n", "what"], 11]]);
    await replica.query("DELETE FROM events WHERE what <= 'e30' AND what >= 'e21'");
    assert.deepEqual(await found(), [["events", ["at", "n", "what"], 1]]);
  });

  it("says where a table could not be looked up on the publisher, and refuses nothing for it", async () => {
    await replica.query(`CREATE TABLE only_here (id int PRIMARY KEY); INSERT INTO only_here VALUES (1);
      CREATE TABLE loose_here (v text); INSERT INTO loose_here VALUES ('a')`);
    const read = await check(["only_here", "loose_here"]);
    assert.deepEqual([read.overlaps, read.rowOverlaps], [[], []]);
    assert.deepEqual(
      read.unchecked.map((u) => [u.name, /does not exist/.test(u.reason)]),
      [["only_here", true]],
    );
  });
});
