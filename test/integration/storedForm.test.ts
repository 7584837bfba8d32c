// Table names as state keeps them and the provider host carries them (pg/tables.ts's
// StoredTableName): "schema.name" strings where splitting at the dot gives the table back, objects
// where a name holds a dot. Through the host, with the two tables one dotted string would confuse
// ("a.b"."c" and "a"."b.c") side by side, and a schema whose name starts with "[" (the record keys'
// other form): each replicated into its own table, and the state read back to "no changes".

import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { pairBed } from "../harness/bed";
import { converge } from "../harness/drill/load";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import { runProgram } from "../harness/live";
import { majors } from "../harness/matrix";
import type { TestServer } from "../harness/postgres";

const PROGRAM = path.join(ROOT, "test", "fixtures", "component", "index.ts");
const DB = "app";
const TABLES = [
  "plain",
  { schema: "a.b", name: "c" },
  { schema: "a", name: "b.c" },
  { schema: "[x", name: "y" },
];
const SQL_NAMES = ["public.plain", '"a.b".c', 'a."b.c"', '"[x".y'];

for (const major of majors([18]))
  describe(`table names in state, dots and all, through the provider host (PG${major})`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const config = () => ({
      primaryUrl: primary.url(DB),
      replicaUrl: replica.url(DB),
      tables: JSON.stringify(TABLES),
    });
    const run = async (op: "preview" | "up") => {
      const r = await runProgram(engine, PROGRAM, config(), op, "component");
      assert.equal(r.error, undefined);
      return r.steps;
    };
    const equal = async () => {
      const { comparisons } = await converge(primary, replica, DB, SQL_NAMES, 60_000);
      for (const c of comparisons)
        assert.deepEqual([c.table, c.lost, c.duplicated, c.md5Equal], [c.table, 0, 0, true]);
      return comparisons.map((c) => c.primaryRows);
    };
    /** The outputs of the resource whose type token and name are these. */
    const outputsOf = (type: string, name = "app") =>
      [...engine.state.values()].find((s) => s.urn.endsWith(`${type}::${name}`))!.outputs as Record<
        string,
        unknown
      >;
    const sorted = (list: unknown) =>
      [...(list as unknown[])].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

    pairBed(
      major,
      major,
      (b) => ({ primary, replica, engine } = b),
      DB,
      `CREATE SCHEMA "a.b"; CREATE SCHEMA a; CREATE SCHEMA "[x";
         CREATE TABLE plain (id bigint PRIMARY KEY, v text);
         CREATE TABLE "a.b".c (id bigint PRIMARY KEY, v text);
         CREATE TABLE a."b.c" (id bigint PRIMARY KEY, v text);
         CREATE TABLE "[x".y (id bigint PRIMARY KEY, v text);
         INSERT INTO plain SELECT g, 'p' FROM generate_series(1, 10) g;
         INSERT INTO "a.b".c SELECT g, 'ab.c' FROM generate_series(1, 20) g;
         INSERT INTO a."b.c" SELECT g, 'a.bc' FROM generate_series(1, 30) g;
         INSERT INTO "[x".y SELECT g, 'x' FROM generate_series(1, 40) g;`,
    );

    it("copies and streams each into its own table, keeps plain names as strings, and previews no change", async () => {
      await run("up");
      assert.deepEqual(await equal(), [10, 20, 30, 40]);
      const stored = ["public.plain", { schema: "a.b", name: "c" }, { schema: "a", name: "b.c" }, "[x.y"];
      const publication = outputsOf("Publication").binding as { tables: unknown[] };
      assert.deepEqual(sorted(publication.tables), sorted(stored));
      assert.deepEqual(sorted(outputsOf("Subscription").publishedTables), sorted(stored));
      assert.deepEqual(Object.keys(outputsOf("SchemaSync").sourceTables as object).sort(), [
        '["[x","y"]',
        '["a","b.c"]',
        '["a.b","c"]',
        "public.plain",
      ]);
      // Rows written to each of the two confusable tables reach that one only.
      await primary.query(
        `INSERT INTO "a.b".c SELECT g, 'ab.c' FROM generate_series(21, 25) g;
         INSERT INTO a."b.c" SELECT g, 'a.bc' FROM generate_series(31, 33) g;`,
        [],
        DB,
      );
      assert.deepEqual(await equal(), [10, 25, 33, 40]);
      assert.deepEqual(
        (await run("preview")).map((s) => s.op),
        ["same", "same", "same", "same"],
      );
      await engine.refresh();
      assert.deepEqual(
        (await run("preview")).map((s) => s.op),
        ["same", "same", "same", "same"],
        "a refreshed preview shows no changes",
      );
    });
  });
