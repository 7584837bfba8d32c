// pg/copyBatch.ts against a real server: several tables read in one simple query of COPY … TO and
// written in one of COPY … FROM with their rows sent in the same write. What the snapshot copy
// relies on: each table's rows where they belong (text and binary, empty tables, awkward values),
// all or nothing when one of the COPYs fails, the outputs past the cap dropped (not kept), and the
// connection usable after each of these.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { copyInBatch, copyOutBatch } from "../../src/pg/copyBatch";
import { majors } from "../harness/matrix";
import { startServer, type Major, type TestServer } from "../harness/postgres";

const TABLES = ["a", "b", "e", "c"];
const md5 = (t: string) =>
  `SELECT md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY id), '')) AS m FROM ${t} x`;

for (const major of majors([14, 18] as Major[]))
  describe(`COPY batches (pg/copyBatch.ts), PG${major}`, () => {
    let server: TestServer;
    let source: Client;
    let target: Client;

    before(async () => {
      server = await startServer({ major });
      await server.query("CREATE DATABASE src");
      await server.query("CREATE DATABASE dst");
      const ddl = `CREATE TABLE a (id int PRIMARY KEY, t text, j jsonb, bytes bytea);
      CREATE TABLE b (id int PRIMARY KEY, n numeric, at timestamptz, tags text[]);
      CREATE TABLE e (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, v int CHECK (v < 1000))`;
      await server.query(ddl, [], "src");
      await server.query(ddl, [], "dst");
      await server.query(
        `INSERT INTO a SELECT g, E'tab\\there "quoted" \\\\ back ' || g || E'\\nline', jsonb_build_object('k', g), decode(md5(g::text), 'hex') FROM generate_series(1, 300) g;
       INSERT INTO a VALUES (0, NULL, NULL, NULL);
       INSERT INTO b SELECT g, g / 7.0, '2026-12-04 10:00+00'::timestamptz + g * interval '1 min', ARRAY['x', NULL, 'y' || g] FROM generate_series(1, 200) g;
       INSERT INTO c SELECT g, g FROM generate_series(1, 100) g`,
        [],
        "src",
      );
      source = new Client({ connectionString: server.url("src") });
      target = new Client({ connectionString: server.url("dst") });
      await Promise.all([source.connect(), target.connect()]);
    });

    after(async () => {
      await Promise.all([source?.end(), target?.end()]);
      await server?.stop();
    });

    const out = (format: string, tables = TABLES) =>
      tables.map((t) => `COPY ${t} TO STDOUT${format}`).join("; ");
    const into = (format: string, tables = TABLES) =>
      tables.map((t) => `COPY ${t} FROM STDIN${format}`).join("; ");
    const same = async () => {
      for (const t of TABLES) {
        const [[x], [y]] = await Promise.all([
          server.query<{ m: string }>(md5(t), [], "src"),
          server.query<{ m: string }>(md5(t), [], "dst"),
        ]);
        assert.equal(y!.m, x!.m, t);
      }
    };

    for (const format of ["", " (FORMAT binary)"])
      it(`copies each table's rows into its own table${format || " (text)"}, the empty one too`, async () => {
        await target.query(`TRUNCATE ${TABLES.join(", ")}`);
        const data = await copyOutBatch(source, out(format), 1024 ** 2);
        assert.equal(data.length, TABLES.length);
        assert.deepEqual(await copyInBatch(target, into(format), data), [301, 200, 0, 100]);
        await same();
        // The connections go on as usual.
        assert.deepEqual((await target.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
        assert.deepEqual((await source.query("SELECT 2 AS two")).rows, [{ two: 2 }]);
      });

    it("writes none of the tables when one COPY fails, and the connection goes on", async () => {
      await target.query(`TRUNCATE ${TABLES.join(", ")}`);
      await target.query("ALTER TABLE c DROP CONSTRAINT c_v_check, ADD CONSTRAINT c_v_check CHECK (v < 50)");
      try {
        const data = await copyOutBatch(source, out(""), 1024 ** 2);
        await assert.rejects(copyInBatch(target, into(""), data), /c_v_check/);
        const [{ n }] = (
          await target.query<{ n: number }>(
            `SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) + (SELECT count(*) FROM c) AS n`,
          )
        ).rows as [{ n: number }];
        assert.equal(Number(n), 0, "the tables before the failing COPY were rolled back with it");
        assert.deepEqual((await target.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
      } finally {
        await target.query(
          "ALTER TABLE c DROP CONSTRAINT c_v_check, ADD CONSTRAINT c_v_check CHECK (v < 1000)",
        );
      }
    });

    it("a failing read rejects, and the connection goes on", async () => {
      await assert.rejects(
        copyOutBatch(source, out("", ["a", "missing"]), 1024 ** 2),
        /"missing" does not exist/,
      );
      assert.deepEqual((await source.query("SELECT 2 AS two")).rows, [{ two: 2 }]);
    });

    it("keeps the outputs read before its cap was passed, drops the rest, and the connection goes on", async () => {
      const whole = await copyOutBatch(source, out(""), 1024 ** 2);
      const [a, b] = whole.map((d) => d.length) as [number, number];
      assert.deepEqual(await copyOutBatch(source, out(""), a - 1), []);
      assert.deepEqual(
        (await copyOutBatch(source, out(""), a + b - 1)).map((d) => d.length),
        [a],
        "a's output, not b's (it passed the cap) nor those after",
      );
      assert.deepEqual((await source.query("SELECT 2 AS two")).rows, [{ two: 2 }]);
      // … and under one snapshot (a transaction) the same rows are read again whole.
      await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      try {
        assert.deepEqual(await copyOutBatch(source, out(" (FORMAT binary)"), 1000), []);
        const data = await copyOutBatch(source, out(" (FORMAT binary)"), 1024 ** 2);
        assert.equal(data.length, TABLES.length);
      } finally {
        await source.query("COMMIT");
      }
    });
  });
