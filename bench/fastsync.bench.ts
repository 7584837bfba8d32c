// Time to a ready replica (rows copied, every index and constraint present and valid, in sync):
// the guide's procedure (pg_dump --schema-only | psql, CREATE SUBSCRIPTION, wait), `pgcopydb clone`
// (a one-shot copy that does not keep streaming; the Debian package, installed here if missing, as
// CI would) and LogicalReplication through Pulumi's provider host (pre-data, copy, post-data).
// Same servers, alternating, medians; the replica's data is checked equal (md5 per table) and every
// index valid after each run.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pg from "pg";
import { captureProgram } from "../test/harness/capture";
import { Engine } from "../test/harness/engine";
import { ROOT } from "../test/harness/install";
import { startServer, type Major, type TestServer } from "../test/harness/postgres";
import { alternate, env, seconds, timed } from "./common";

const PROGRAM = path.join(ROOT, "test", "fixtures", "component", "index.ts");
const PG15_BIN = "/usr/lib/postgresql/15/bin";

interface Dataset {
  label: string;
  tables: number;
  rows: number;
}

export const DATASETS: Dataset[] = [
  { label: "4 tables × 250,000 rows, 3 secondary indexes and a foreign key each", tables: 4, rows: 250_000 },
  { label: "12 tables × 60,000 rows (more tables than sync workers)", tables: 12, rows: 60_000 },
];

/**
 * What pgcopydb restores before its copy when pg_dump cannot read the source (PG18 here): the
 * tables as pg_dump's pre-data section has them (columns and NOT NULL, no constraints), and after
 * its copy, indexes and primary keys, the foreign keys its post-data pg_restore would add.
 */
function pgcopydbSections(d: Dataset): { pre: string; post: string } {
  const pre = ["CREATE TABLE parent (id int NOT NULL, name text NOT NULL)"];
  const post: string[] = [];
  for (let i = 1; i <= d.tables; i++) {
    pre.push(
      `CREATE TABLE t${i} (id bigint NOT NULL, parent_id int NOT NULL, a int NOT NULL, b text NOT NULL, c timestamptz NOT NULL)`,
    );
    post.push(
      `ALTER TABLE ONLY t${i} ADD CONSTRAINT t${i}_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent (id)`,
    );
  }
  return { pre: pre.join(";\n"), post: post.join(";\n") };
}

export function schema(d: Dataset): string {
  const parts = [
    "CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL)",
    "INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 100) g",
  ];
  for (let i = 1; i <= d.tables; i++)
    parts.push(
      `CREATE TABLE t${i} (id bigint PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id), a int NOT NULL, b text NOT NULL, c timestamptz NOT NULL)`,
      `INSERT INTO t${i} SELECT g, 1 + g % 100, (g::bigint * 7919) % 100000, md5(g::text), timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, ${d.rows}) g`,
      `CREATE INDEX t${i}_a ON t${i} (a)`,
      `CREATE INDEX t${i}_b ON t${i} (b)`,
      `CREATE INDEX t${i}_c ON t${i} (c)`,
    );
  return parts.join(";\n");
}

/**
 * Runs pgcopydb `command` from `source` into `target` with 4 table jobs and 4 index jobs, its work
 * files in a scratch directory removed afterwards, and Debian's pg_dump 15 on PATH.
 */
export function runPgcopydb(command: string[], source: string, target: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgcopydb-"));
  try {
    execFileSync(
      "pgcopydb",
      [
        ...command,
        "--source",
        source,
        "--target",
        target,
        "--table-jobs",
        "4",
        "--index-jobs",
        "4",
        "--dir",
        dir,
      ],
      { env: { ...process.env, PATH: `${PG15_BIN}:${process.env.PATH}` }, stdio: "ignore" },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function ensurePgcopydb(): boolean {
  if (spawnSync("pgcopydb", ["--version"]).status === 0) return true;
  if (process.getuid?.() !== 0) return false;
  spawnSync(
    "bash",
    ["-c", "apt-get install -y -qq pgcopydb || (apt-get update -qq && apt-get install -y -qq pgcopydb)"],
    {
      stdio: "ignore",
    },
  );
  return spawnSync("pgcopydb", ["--version"]).status === 0;
}

/** md5 per table equal on both sides, and every index valid, every foreign key validated. */
async function verify(primary: TestServer, replica: TestServer, db: string, tables: string[]): Promise<void> {
  for (const t of tables) {
    const q = `SELECT md5(string_agg(to_jsonb(x)::text, ',' ORDER BY id)) AS m FROM ${t} x`;
    const [a, b] = await Promise.all([
      primary.query<{ m: string }>(q, [], "app"),
      replica.query<{ m: string }>(q, [], db),
    ]);
    if (a[0]!.m !== b[0]!.m) throw new Error(`${db}: ${t} differs from the primary`);
  }
  const [idx] = await replica.query<{ n: number; valid: number }>(
    "SELECT count(*)::int AS n, count(*) FILTER (WHERE indisvalid)::int AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    [],
    db,
  );
  const expected = (tables.length - 1) * 4 + 1;
  if (idx!.n !== expected || idx!.valid !== expected)
    throw new Error(`${db}: ${idx!.valid}/${idx!.n} valid indexes, ${expected} expected`);
  const [fk] = await replica.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated",
    [],
    db,
  );
  if (fk!.n !== tables.length - 1)
    throw new Error(`${db}: ${fk!.n} validated foreign keys, ${tables.length - 1} expected`);
}

async function waitReady(c: pg.Client): Promise<void> {
  for (;;) {
    const r = await c.query(
      "SELECT count(*) FILTER (WHERE srsubstate <> 'r') AS busy, count(*) AS n FROM pg_subscription_rel",
    );
    if (Number(r.rows[0].n) > 0 && Number(r.rows[0].busy) === 0) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * The guide's procedure from the primary's "app" into the replica's `db`, timed (ms): the schema
 * (`pg_dump --schema-only | psql` on PG15; elsewhere SchemaSync, section all: there is no pg_dump
 * for newer servers here), CREATE PUBLICATION for the tables, CREATE SUBSCRIPTION, then waiting
 * until every table is ready. `undoGuide` drops the subscription and publication afterwards.
 */
export async function guideProcedure(
  primary: TestServer,
  replica: TestServer,
  db: string,
  tables: string[],
  major: Major,
): Promise<number> {
  const conninfo = `host=127.0.0.1 port=${primary.port} dbname=app user=postgres password=${primary.password}`;
  const c = new pg.Client({ connectionString: replica.url(db) });
  await c.connect();
  try {
    return await timed(async () => {
      if (major === 15) {
        const dump = execFileSync(
          `${PG15_BIN}/pg_dump`,
          ["--schema-only", "--no-publications", primary.url("app")],
          { maxBuffer: 1 << 26 },
        );
        execFileSync(`${PG15_BIN}/psql`, ["-q", "-v", "ON_ERROR_STOP=1", replica.url(db)], { input: dump });
      } else {
        const { providers } = await import("../src");
        const inputs = (
          await providers.schemaSync.check!(
            {},
            { source: primary.url("app"), target: replica.url(db), tables },
          )
        ).inputs;
        await providers.schemaSync.create(inputs);
      }
      await primary.query(`CREATE PUBLICATION g_${db} FOR TABLE ${tables.join(", ")}`, [], "app");
      await c.query(`CREATE SUBSCRIPTION g_${db} CONNECTION '${conninfo}' PUBLICATION g_${db}`);
      await waitReady(c);
    });
  } finally {
    await c.end();
  }
}

export async function undoGuide(primary: TestServer, replica: TestServer, db: string): Promise<void> {
  await replica.query(`DROP SUBSCRIPTION g_${db}`, [], db);
  await primary.query(`DROP PUBLICATION g_${db}`, [], "app");
}

export async function fastSyncBench(say: (s: string) => void): Promise<void> {
  const pgcopydb = ensurePgcopydb();
  say("\n## Time to a ready replica: indexes after the copy\n");
  say(
    "Rows copied, every index and constraint present and valid, in sync. LogicalReplication runs through the provider host " +
      '(pre-data, subscription with waitForSync and its default binary "auto", post-data on 4 connections); the replica has max_sync_workers_per_subscription = 4, ' +
      "as pgcopydb has 4 table jobs. The guide's procedure and pgcopydb need pg_dump, which is Debian's 15 here: PG18 has no pg_dump " +
      "on this machine, so on PG18 the guide's schema step is SchemaSync (section all, every index before the copy) and `pgcopydb clone` " +
      "cannot run. `pgcopydb copy data` runs on both: pgcopydb's copy, indexes, primary keys and vacuum, with the tables as pg_dump's " +
      "pre-data has them created before it and the foreign keys its post-data restore adds created after it, by the bench.\n",
  );
  say(
    "| PG | dataset | guide's procedure | pgcopydb clone | pgcopydb copy data | LogicalReplication | ÷ guide (target ≤ 0.5) | ÷ pgcopydb clone (target ≤ 0.9) | ÷ pgcopydb copy data | text copy (binary: false; PG16+) | with 2 sync workers (the default) |",
  );
  say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const major of env.majors as Major[])
    for (const d of DATASETS) {
      const [primary, replica] = await Promise.all([
        startServer({ major }),
        startServer({
          major,
          settings: { max_logical_replication_workers: 16 },
        }),
      ]);
      // Set with ALTER SYSTEM (not on the command line, which would win) so a variant can lower it.
      const syncWorkers = async (n: number) => {
        await replica.query(`ALTER SYSTEM SET max_sync_workers_per_subscription = ${n}`);
        await replica.query("SELECT pg_reload_conf()");
      };
      await syncWorkers(4);
      const engine = await Engine.start();
      try {
        await primary.createDatabase("app");
        await primary.query(schema(d), [], "app");
        await primary.query("ANALYZE", [], "app");
        const tables = ["parent", ...Array.from({ length: d.tables }, (_, i) => `t${i + 1}`)];
        let k = 0;
        const fresh = async () => {
          const db = `r${k++}`;
          await replica.createDatabase(db);
          return db;
        };
        const component = async (binary?: "false") => {
          const db = await fresh();
          const config = {
            primaryUrl: primary.url("app"),
            replicaUrl: replica.url(db),
            tables: JSON.stringify(tables),
            waitTimeout: "600",
          };
          const resources = await captureProgram(
            PROGRAM,
            { ...config, ...(binary ? { binary } : {}) },
            "component",
          );
          const ms = await timed(() => engine.up(resources));
          await verify(primary, replica, db, tables);
          await engine.destroy();
          return ms;
        };
        const methods: Record<string, (round: number) => Promise<number>> = {
          guide: async () => {
            const db = await fresh();
            const ms = await guideProcedure(primary, replica, db, tables, major);
            await verify(primary, replica, db, tables);
            await undoGuide(primary, replica, db);
            return ms;
          },
          component: () => component(),
        };
        // LogicalReplication copies in binary on PG16+ with both sides alike (binary "auto"): what text gives instead.
        if (major >= 16) methods.text = () => component("false");
        // What the sync workers contribute: PostgreSQL's default of 2 per subscription.
        methods.sync2 = async () => {
          await syncWorkers(2);
          try {
            return await component();
          } finally {
            await syncWorkers(4);
          }
        };
        /**
         * A pgcopydb command (`clone`, or `copy data` with what it leaves to pg_dump/pg_restore run
         * by the bench before and after) into a fresh database, timed, then verified.
         */
        const pgcopydbRun = async (command: string[], before?: string, after?: string) => {
          const db = await fresh();
          const ms = await timed(async () => {
            if (before) await replica.query(before, [], db);
            runPgcopydb(command, primary.url("app"), replica.url(db));
            if (after) await replica.query(after, [], db);
          });
          await verify(primary, replica, db, tables);
          return ms;
        };
        // pgcopydb's own copy, indexes and constraints, with the schema sections it would restore
        // given by the bench: runs on every version (pg_dump 15 refuses PG18, pgcopydb itself does not).
        if (pgcopydb) {
          const { pre, post } = pgcopydbSections(d);
          methods.pgcopydbData = () => pgcopydbRun(["copy", "data"], pre, post);
        }
        if (pgcopydb && major === 15)
          methods.pgcopydb = () => pgcopydbRun(["clone", "--no-owner", "--no-acl"]);
        const m = await alternate(Number(process.env.BENCH_FASTSYNC_ROUNDS ?? 3), methods);
        const ratio = (of?: number) => (of ? (m.component! / of).toFixed(2) : "n/a");
        say(
          `| ${major} | ${d.label} | ${seconds(m.guide)}${major === 15 ? "" : " (schema by SchemaSync)"} | ${seconds(m.pgcopydb)} | ${seconds(m.pgcopydbData)} | ${seconds(m.component)} | ${ratio(m.guide)} | ${ratio(m.pgcopydb)} | ${ratio(m.pgcopydbData)} | ${m.text ? `${seconds(m.text)} (${(m.text / m.guide!).toFixed(2)})` : "n/a"} | ${seconds(m.sync2)} (${(m.sync2! / m.guide!).toFixed(2)}) |`,
        );
      } finally {
        await engine.stop();
        await Promise.all([primary.stop(), replica.stop()]);
      }
    }
}
