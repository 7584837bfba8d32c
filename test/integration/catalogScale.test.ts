// Catalog reads that grow with the tables, not with their square (PG15 and PG18, whose plans
// differ): the same topology at two sizes (SMALL and ten times as many tables, each with a key, an
// index and a foreign key), `up`, refresh and preview through the provider host, with pg_stat_statements on both servers counting the
// buffers each statement touched. No timing: a statement doing per-table work over a catalog
// without an index (the foreign keys' pg_constraint, a subquery per table) touches about a hundred
// times the buffers at ten times the tables, one that scales touches about ten times. Such a read
// once made a preview of 2 000 tables take seconds longer, and only a benchmark saw it.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConnection } from "../../src/pg/connection";
import { readStakes } from "../../src/pg/emptying";
import { withSession } from "../../src/pg/session";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import { runProgram } from "../harness/live";
import { majors } from "../harness/matrix";
import { startServer, type TestServer } from "../harness/postgres";

const PROGRAM = path.join(ROOT, "test", "fixtures", "component", "index.ts");
const SMALL = 150;
const LARGE = SMALL * 10;
/** Buffers per call at ten times the tables over those at SMALL, above which a statement is called quadratic (linear ones measured 6–18). */
const BOUND = 40;
/**
 * …when it also touches more than this many buffers per table at LARGE. A plan that switches from
 * one scan and a hash join (SMALL) to an index look-up per table (LARGE) grows past BOUND while
 * staying linear (CI, PG18: a publication read 137 → 7 183 buffers, under 5 per table); a scan of
 * a catalog per table touches that catalog's pages each time (about a hundred per table at LARGE).
 */
const PER_TABLE = 20;
const STATEMENTS = {
  shared_preload_libraries: "pg_stat_statements",
  "pg_stat_statements.max": 20000,
  "pg_stat_statements.track_utility": "off",
};

const tablesSql = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const t = `t${i + 1}`;
    return `CREATE TABLE ${t} (id bigint PRIMARY KEY, parent bigint REFERENCES t1, v int); CREATE INDEX ${t}_v ON ${t} (v); INSERT INTO ${t} VALUES (1, NULL, 1);`;
  }).join("\n");

for (const major of majors([15, 18]))
  describe(`catalog reads scale with the tables (PG${major}, pg_stat_statements)`, () => {
    let primary: TestServer;
    let replica: TestServer;
    before(async () => {
      [primary, replica] = await Promise.all([
        startServer({ major, settings: STATEMENTS }),
        startServer({ major, settings: STATEMENTS }),
      ]);
      for (const s of [primary, replica]) await s.query("CREATE EXTENSION pg_stat_statements");
    });
    after(async () => {
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it(`touches at most ${BOUND} times the buffers per statement at ${LARGE} tables as at ${SMALL}, or at most ${PER_TABLE} per table`, async () => {
      for (const n of [SMALL, LARGE]) {
        const db = `scale_${n}`;
        await Promise.all([primary.createDatabase(db), replica.createDatabase(db)]);
        await primary.query(tablesSql(n), [], db);
        const engine = await Engine.start();
        try {
          const config = {
            primaryUrl: primary.url(db),
            replicaUrl: replica.url(db),
            tables: JSON.stringify(Array.from({ length: n }, (_, i) => `t${i + 1}`)),
            waitTimeout: "600",
          };
          for (const op of ["up", "preview"] as const) {
            const r = await runProgram(engine, PROGRAM, config, op, "component");
            assert.equal(r.error, undefined);
            if (op === "up") await engine.refresh();
          }
          await engine.destroy();
        } finally {
          await engine.stop();
        }
      }
      const growth: string[] = [];
      let compared = 0;
      for (const [side, server] of [
        ["primary", primary],
        ["replica", replica],
      ] as const) {
        const rows = await server.query<{ query: string; small: string; large: string }>(
          `SELECT s.query,
                sum(s.shared_blks_hit + s.shared_blks_read) FILTER (WHERE d.datname = $1)
                  / sum(s.calls) FILTER (WHERE d.datname = $1) AS small,
                sum(s.shared_blks_hit + s.shared_blks_read) FILTER (WHERE d.datname = $2)
                  / sum(s.calls) FILTER (WHERE d.datname = $2) AS large
           FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname IN ($1, $2)
          GROUP BY s.query`,
          [`scale_${SMALL}`, `scale_${LARGE}`],
        );
        for (const r of rows) {
          const [small, large] = [Number(r.small), Number(r.large)];
          // Statements both sizes ran, touching enough at the small one to tell growth from noise.
          if (!(small >= 20 && large > 0)) continue;
          compared++;
          if (large / small > BOUND && large > PER_TABLE * LARGE)
            growth.push(
              `${side}: ${(large / small).toFixed(0)}× (${small} → ${large} buffers): ${r.query.replace(/\s+/g, " ").slice(0, 300)}`,
            );
        }
      }
      assert.ok(compared >= 10, `statements compared: ${compared}`);
      assert.deepEqual(growth, [], "statements whose buffers grow with the square of the tables");
    });

    it("reads each table's stakes in one statement: its publications (a partition's through its root), and who references it", async () => {
      await replica.createDatabase("stakes");
      await replica.query(
        `CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
       CREATE TABLE m (id int, k text) PARTITION BY LIST (k);
       CREATE TABLE m_1 PARTITION OF m FOR VALUES IN ('1'); CREATE TABLE m_2 PARTITION OF m FOR VALUES IN ('2');
       CREATE PUBLICATION p1 FOR TABLE a, m; CREATE PUBLICATION p2 FOR TABLE a WITH (publish_via_partition_root = true);
       CREATE PUBLICATION p3 FOR TABLE m_2`,
        [],
        "stakes",
      );
      const t = (name: string) => ({ schema: "public", name });
      const stakes = await withSession(parseConnection(replica.url("stakes")), (s) =>
        readStakes(s, [t("a"), t("b"), t("m_1"), t("m_2"), t("missing")]),
      );
      assert.deepEqual(
        stakes
          .map((x) => [x.name, x.publishedBy, x.fedBy, x.referencedBy])
          .sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
        [
          ["a", ["p1", "p2"], [], [t("b")]],
          ["b", [], [], []],
          ["m_1", ["p1"], [], []],
          ["m_2", ["p1", "p3"], [], []],
        ],
      );
    });
  });
