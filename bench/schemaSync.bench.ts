// npm run bench — SchemaSync against its baselines, side by side, alternating, on the same servers:
//   pg_dump -t 'bench.t_*' | psql --single-transaction (Debian's PostgreSQL 15 client; PG15 only, since
//   pg_dump refuses newer servers), and SchemaSync's own DDL sent as one batch (the limit).
// Every figure is a ratio of medians; nothing here is asserted.

import { execSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { providers } from "../src";
import { readSchema } from "../src/schemaSync/catalog";
import { parseConnection } from "../src/pg/connection";
import { withSession } from "../src/pg/session";
import { planSchema, statements } from "../src/schemaSync/plan";
import { EMPTY_SNAPSHOT } from "../src/schemaSync/snapshot";
import { hasPgDump, PG_DUMP, PSQL } from "../test/harness/pgdump";
import { installTarball, ROOT } from "../test/harness/install";
import { countQueries, env, median } from "./common";
import { startServer, type Major, type TestServer } from "../test/harness/postgres";

const SIZES = (process.env.BENCH_SIZES ?? "200,1000").split(",").map(Number);
/** Where the servers keep their data: tmpfs (the test bed's default) and the disk. */
const DATA_DIRS = (process.env.BENCH_DATA_DIRS ?? "tmpfs,disk").split(",");
const ROUNDS = env.rounds;
const MAJORS = env.majors as Major[];

/** N tables with a primary key, a foreign key, a unique and a check constraint, an enum and three indexes each. */
function benchSchema(n: number): string {
  const parts = ["CREATE SCHEMA bench", "CREATE TYPE bench.status AS ENUM ('new', 'active', 'closed')"];
  for (let i = 0; i < n; i++) {
    const ref = i === 0 ? "" : `, parent_id bigint REFERENCES bench.t_${i - 1} (id)`;
    parts.push(
      `CREATE TABLE bench.t_${i} (id bigserial PRIMARY KEY${ref}, code text NOT NULL UNIQUE, amount numeric(12, 2) CHECK (amount >= 0), status bench.status NOT NULL DEFAULT 'new', created timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX t_${i}_created ON bench.t_${i} (created)`,
      `CREATE INDEX t_${i}_status ON bench.t_${i} (status)`,
      `CREATE INDEX t_${i}_lower_code ON bench.t_${i} (lower(code))`,
    );
  }
  return parts.join(";\n");
}

/** The 0.1.0 SchemaSync provider, from its packed release (for the state-size comparison). */
function provider010(): { check: Function; create: Function } {
  const dir = installTarball(path.join(ROOT, "test", "fixtures", "pulumi-pg-replication-0.1.0.tgz"));
  return require(path.join(dir, "node_modules", "pulumi-pg-replication", "dist", "schemaSyncProvider.js"))
    .provider;
}

export async function schemaSyncBench(say: (s: string) => void): Promise<void> {
  say(`\n## SchemaSync vs pg_dump | psql and vs the plain batch (${ROUNDS} alternating rounds, medians)\n`);
  const old = provider010();
  for (const kind of DATA_DIRS)
    for (const major of MAJORS) {
      if (kind === "disk") process.env.PG_TESTBED_DIR = os.tmpdir();
      else delete process.env.PG_TESTBED_DIR;
      const [source, target] = await Promise.all([startServer({ major }), startServer({ major })]);
      try {
        for (const n of SIZES) {
          const db = `src_${n}`;
          await source.createDatabase(db);
          await source.query(benchSchema(n), [], db);
          const tables = Array.from({ length: n }, (_, i) => ({ schema: "bench", name: `t_${i}` }));
          // The limit: SchemaSync's own DDL for an empty target, computed once, sent as one batch.
          const snapshot = await withSession(parseConnection(source.url(db)), (s) => readSchema(s, tables));
          const batch = statements(
            planSchema(snapshot, EMPTY_SNAPSHOT, {
              allowDestructive: false,
              target: { installed: [], available: [] },
            }),
          );
          const methods: Record<string, (tdb: string) => Promise<void>> = {
            // As the engine runs a new SchemaSync in `pulumi up`: check, then create with what check returned.
            schemaSync: async (tdb) => {
              const checked = await providers.schemaSync.check!(
                {},
                { source: source.url(db), target: target.url(tdb), tables },
              );
              await providers.schemaSync.create!(checked.inputs);
            },
            batch: async (tdb) => {
              const c = new pg.Client({ connectionString: target.url(tdb) });
              await c.connect();
              try {
                await c.query("BEGIN");
                await c.query(batch.join(";\n"));
                await c.query("COMMIT");
              } finally {
                await c.end();
              }
            },
          };
          if (major === 15 && hasPgDump())
            methods.pgDumpPsql = async (tdb) => {
              const conn = (d: string, s: TestServer) => `-h ${s.host} -p ${s.port} -U ${s.user} ${d}`;
              execSync(
                `PGPASSWORD="$SRC_PW" ${PG_DUMP} --schema-only --no-owner --no-privileges -t 'bench.t_*' ${conn(db, source)} | PGPASSWORD="$TGT_PW" ${PSQL} -q -X --set ON_ERROR_STOP=1 --single-transaction ${conn(tdb, target)} > /dev/null`,
                {
                  env: { ...process.env, SRC_PW: source.password, TGT_PW: target.password },
                  stdio: ["ignore", "ignore", "inherit"],
                  shell: "/bin/bash",
                },
              );
            };
          const times: Record<string, number[]> = Object.fromEntries(
            Object.keys(methods).map((k) => [k, []]),
          );
          let k = 0;
          for (let round = 0; round < ROUNDS; round++) {
            const order = Object.keys(methods);
            if (round % 2 === 1) order.reverse();
            for (const name of order) {
              const tdb = `t_${n}_${k++}`;
              await target.createDatabase(tdb);
              // pg_dump -t dumps the tables only (as the manual guide does): the schema and the enum
              // they need are created beforehand, untimed, which favours the baseline.
              if (name === "pgDumpPsql")
                await target.query(
                  "CREATE SCHEMA bench; CREATE TYPE bench.status AS ENUM ('new', 'active', 'closed')",
                  [],
                  tdb,
                );
              const t0 = performance.now();
              await methods[name]!(tdb);
              times[name]!.push(performance.now() - t0);
              const count = await target.query<{ n: number }>(
                "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'bench' AND c.relkind = 'r'",
                [],
                tdb,
              );
              if (count[0]!.n !== n) throw new Error(`${name} created ${count[0]!.n} of ${n} tables`);
              await target.query(`DROP DATABASE "${tdb}" WITH (FORCE)`);
            }
          }
          const m = Object.fromEntries(Object.entries(times).map(([k2, v]) => [k2, median(v)]));
          const ratio = (a: string, b: string) => (m[b] ? (m[a]! / m[b]!).toFixed(2) : "n/a");
          say(
            `PG${major} ${kind} ${String(n).padStart(4)} tables: SchemaSync check+create ${m.schemaSync!.toFixed(0)} ms, batch ${m.batch!.toFixed(0)} ms` +
              (m.pgDumpPsql ? `, pg_dump|psql ${m.pgDumpPsql.toFixed(0)} ms` : "") +
              ` → SchemaSync/pg_dump|psql ${ratio("schemaSync", "pgDumpPsql")} (target ≤ 0.75), SchemaSync/batch ${ratio("schemaSync", "batch")}`,
          );
          // State: what the engine keeps per table, inputs and outputs together, now and in 0.1.0.
          const stateBytes = async (p: { check: Function; create: Function }) => {
            const tdb = `size_${n}_${k++}`;
            await target.createDatabase(tdb);
            const checked = (await p.check({}, { source: source.url(db), target: target.url(tdb), tables }))
              .inputs;
            const outs = (await p.create(checked)).outs;
            await target.query(`DROP DATABASE "${tdb}" WITH (FORCE)`);
            return (JSON.stringify(checked).length + JSON.stringify(outs).length) / n / 1024;
          };
          if (kind === DATA_DIRS[0])
            say(
              `PG${major} ${String(n).padStart(4)} tables: state ${(await stateBytes(providers.schemaSync as never)).toFixed(2)} KB per table (inputs + outputs; target ≤ 0.6), 0.1.0: ${(await stateBytes(old)).toFixed(2)} KB`,
            );
          // Queries per SchemaSync operation must not grow with the table count.
          const [, checkQueries] = await countQueries(() =>
            providers.schemaSync.check!(
              {},
              { source: source.url(db), target: target.url("postgres"), tables },
            ),
          );
          say(`PG${major} ${String(n).padStart(4)} tables: SchemaSync check issues ${checkQueries} queries`);
        }
      } finally {
        await Promise.all([source.stop(), target.stop()]);
      }
    }
}
