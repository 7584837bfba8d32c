// LogicalReplication's reach beyond listed tables, through the provider host: a schema-wide
// publication (`schemas`, PostgreSQL 15+) and one of every table (`allTables`). A table created
// later on the primary is a planned change on the next preview and arrives with its rows on the
// next `up`; afterwards a refreshed preview shows no changes.

import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { pairBed } from "../harness/bed";
import { converge } from "../harness/drill/load";
import { Engine, type PlannedStep } from "../harness/engine";
import { ROOT } from "../harness/install";
import { runProgram } from "../harness/live";
import { majors } from "../harness/matrix";
import type { TestServer } from "../harness/postgres";

const PROGRAM = path.join(ROOT, "test", "fixtures", "reach", "index.ts");
const DB = "app";
const changed = (steps: PlannedStep[]) =>
  steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);

for (const major of majors([15, 18]))
  for (const mode of ["schemas", "allTables"] as const)
    describe(`LogicalReplication with ${mode}, PG${major} → PG${major}`, () => {
      let primary: TestServer;
      let replica: TestServer;
      let engine: Engine;
      const config = () => ({
        primaryUrl: primary.url(DB),
        replicaUrl: replica.url(DB),
        ...(mode === "schemas" ? { schemas: JSON.stringify(["sales"]) } : {}),
      });
      const run = async (op: "preview" | "up") => {
        const r = await runProgram(engine, PROGRAM, config(), op, "reach");
        assert.equal(r.error, undefined);
        return r.steps;
      };
      const equal = async (tables: string[]) => {
        const { comparisons } = await converge(primary, replica, DB, tables, 60_000);
        for (const c of comparisons)
          assert.deepEqual([c.table, c.lost, c.duplicated, c.md5Equal], [c.table, 0, 0, true]);
      };
      pairBed(
        major,
        major,
        (b) => ({ primary, replica, engine } = b),
        DB,
        `CREATE SCHEMA sales;
           CREATE TABLE sales.orders (id bigint PRIMARY KEY, total int);
           CREATE TABLE sales.customers (id bigint PRIMARY KEY, name text);
           INSERT INTO sales.orders SELECT g, g FROM generate_series(1, 200) g;
           INSERT INTO sales.customers SELECT g, 'c' || g FROM generate_series(1, 50) g;`,
      );

      it("copies every table it covers, then a table created later arrives on the next up", async () => {
        await run("up");
        await equal(["sales.orders", "sales.customers"]);
        await primary.query(
          "CREATE TABLE sales.refunds (id bigint PRIMARY KEY, order_id bigint, amount int); INSERT INTO sales.refunds SELECT g, g, g FROM generate_series(1, 30) g",
          [],
          DB,
        );
        await engine.refresh();
        const plan = await run("preview");
        assert.ok(changed(plan).includes("update reach"), JSON.stringify(changed(plan)));
        await run("up");
        await equal(["sales.orders", "sales.customers", "sales.refunds"]);
        await engine.refresh();
        assert.deepEqual(changed(await run("preview")), [], "a refreshed preview shows no changes");
      });
    });
