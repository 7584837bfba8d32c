// Time to a ready replica by copy method: LogicalReplication through the provider host with
// `copyMethod` "snapshot" (this program copies under the slot's exported snapshot), "auto" (the
// default) and "postgres" (PostgreSQL's table synchronisation, today's path before 0.4), beside
// the guide's procedure (pg_dump --schema-only | psql, CREATE SUBSCRIPTION, wait) and `pgcopydb
// clone` (PG15: they need pg_dump, Debian's 15 here; on PG18 the guide's schema step is
// SchemaSync). Every run ends with md5 per table equal to the primary's and the replica's indexes
// and constraints those of the primary, all valid.
// Same servers, fresh database per run, methods alternating, medians; beside each time, the CPU
// time the whole machine spent meanwhile and the cores it kept busy (common.ts lastBusyMs).
//
// Where the time of a snapshot copy goes is measured in one more run per dataset: the time each
// resource's step took (publication, pre-data, the subscription — slot, COPYs, stream start — and
// the post-data: indexes and foreign keys).

import * as os from "node:os";
import * as path from "node:path";
import { captureProgram } from "../test/harness/capture";
import { Engine } from "../test/harness/engine";
import { ROOT } from "../test/harness/install";
import { startServer, type Major, type TestServer } from "../test/harness/postgres";
import {
  alternate,
  alternateRounds,
  connectionCost,
  env,
  lastBusyMs,
  median,
  medians,
  pairedRatios,
  ratio,
  seconds,
  timed,
} from "./common";
import {
  ensurePgcopydb,
  guideProcedure,
  runPgcopydb,
  schema as bigSchema,
  undoGuide,
} from "./fastsync.bench";

const PROGRAM = path.join(ROOT, "test", "fixtures", "component", "index.ts");

interface Dataset {
  label: string;
  sql: string;
  tables: string[];
  /** PostgreSQL's copy of it takes minutes: left out unless BENCH_COPY_SLOW=1. */
  slowForPostgres?: boolean;
}

function small(n: number, rows: number): Dataset {
  const parts: string[] = [];
  const tables: string[] = [];
  for (let i = 1; i <= n; i++) {
    tables.push(`s${i}`);
    parts.push(
      `CREATE TABLE s${i} (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)`,
      `INSERT INTO s${i} SELECT g, g % 10, md5(g::text) FROM generate_series(1, ${rows}) g`,
      `CREATE INDEX s${i}_a ON s${i} (a)`,
    );
  }
  return {
    label: `${n} table${n === 1 ? "" : "s"} × ${rows} rows, primary key + 1 index each`,
    sql: parts.join(";\n"),
    tables,
    slowForPostgres: n > 500,
  };
}

export const COPY_DATASETS: Dataset[] = [
  small(300, 50),
  ...(process.env.BENCH_COPY_2000 ? [small(2000, 3)] : []),
  {
    label: "4 tables × 250,000 rows, 3 indexes + a foreign key each",
    sql: bigSchema({ label: "", tables: 4, rows: 250_000 }),
    tables: ["parent", "t1", "t2", "t3", "t4"],
  },
  {
    label: "1 table × 1,000,000 rows, 3 indexes",
    sql: bigSchema({ label: "", tables: 1, rows: 1_000_000 }),
    tables: ["parent", "t1"],
  },
];

/** md5 per table equal to the primary's. */
async function sameRows(
  primary: TestServer,
  replica: TestServer,
  db: string,
  tables: string[],
): Promise<void> {
  for (const t of tables) {
    const q = `SELECT md5(string_agg(to_jsonb(x)::text, ',' ORDER BY id)) AS m FROM ${t} x`;
    const [a, b] = await Promise.all([
      primary.query<{ m: string }>(q, [], "app"),
      replica.query<{ m: string }>(q, [], db),
    ]);
    if (a[0]!.m !== b[0]!.m) throw new Error(`${db}: ${t} differs from the primary`);
  }
}

/** md5 per table equal, and the replica's indexes and constraints as the primary's, all valid. */
async function verify(primary: TestServer, replica: TestServer, db: string, tables: string[]): Promise<void> {
  await sameRows(primary, replica, db, tables);
  const shape = `SELECT (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND i.indisvalid)::int AS indexes,
                        (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT i.indisvalid)::int AS invalid,
                        (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND convalidated)::int AS constraints`;
  const [p, r] = await Promise.all([primary.query(shape, [], "app"), replica.query(shape, [], db)]);
  if (JSON.stringify(p[0]) !== JSON.stringify(r[0]))
    throw new Error(
      `${db}: indexes and constraints ${JSON.stringify(r[0])}, the primary has ${JSON.stringify(p[0])}`,
    );
}

interface Bed {
  primary: TestServer;
  replica: TestServer;
  engine: Engine;
  dataset: Dataset;
  /** A new database on the replica for one run. */
  fresh(): Promise<string>;
}

/**
 * Every method starts from quiet servers (untimed): a checkpoint on each, so that the previous
 * run's dirty pages are not written during this one, and no autovacuum worker still analysing or
 * vacuuming what the previous run wrote (waited for up to 30 s).
 */
async function settle(...servers: TestServer[]): Promise<void> {
  await Promise.all(
    servers.map(async (s) => {
      await s.query("CHECKPOINT");
      for (let i = 0; i < 300; i++) {
        const [{ n }] = await s.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
        );
        if (n === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
}

/** Servers for one dataset: the primary's "app" loaded with it, a replica, an engine; stopped after `fn`. */
export async function withDataset(
  major: Major,
  dataset: Dataset,
  fn: (bed: Bed) => Promise<void>,
): Promise<void> {
  const [primary, replica] = await Promise.all([
    startServer({ major }),
    startServer({
      major,
      settings: { max_logical_replication_workers: 16, max_sync_workers_per_subscription: 4 },
    }),
  ]);
  const engine = await Engine.start();
  try {
    await primary.createDatabase("app");
    await primary.query(dataset.sql, [], "app");
    await primary.query("ANALYZE", [], "app");
    let k = 0;
    // The run before's database is dropped first (untimed): left in place, every run's tables
    // would keep the replica's autovacuum busy analysing them during the runs that follow.
    const fresh = async () => {
      if (k > 0) await replica.query(`DROP DATABASE "r${k - 1}" WITH (FORCE)`);
      const db = `r${k++}`;
      await replica.createDatabase(db);
      await settle(primary, replica);
      return db;
    };
    await fn({ primary, replica, engine, dataset, fresh });
  } finally {
    await engine.stop();
    await Promise.all([primary.stop(), replica.stop()]);
  }
}

/**
 * LogicalReplication's `up` into a fresh replica database with `copyMethod`, verified, then
 * destroyed; its wall time in ms. `onStep` gets each resource's step ("Kind name") and its time.
 */
export async function componentUp(
  bed: Bed,
  copyMethod: string,
  onStep?: (key: string, ms: number) => void,
): Promise<number> {
  const { primary, replica, engine, dataset: d } = bed;
  const db = await bed.fresh();
  // A `pulumi up` runs in a provider host of its own: nothing loaded, compiled or kept from an
  // earlier run (BENCH_WARM_HOST=1: one host for every up, as runs 1–12 of docs/benchmarks.md §6).
  if (!process.env.BENCH_WARM_HOST) await engine.restartHost();
  const resources = await captureProgram(
    PROGRAM,
    {
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url(db),
      tables: JSON.stringify(d.tables),
      waitTimeout: "1800",
      copyMethod,
    },
    "component",
  );
  let last = performance.now();
  const ms = await timed(() =>
    engine.up(resources, (step) => {
      const now = performance.now();
      const [type, name] = step.urn.split("::").slice(-2) as [string, string];
      onStep?.(`${type.split(":").pop()!} ${name}`, now - last);
      last = now;
    }),
  );
  await verify(primary, replica, db, d.tables);
  await engine.destroy();
  return ms;
}

export async function copyBench(say: (s: string) => void): Promise<void> {
  const pgcopydb = ensurePgcopydb();
  say("\n## Time to a ready replica, by copy method\n");
  say(
    "LogicalReplication through the provider host (pre-data, copy, post-data on 4 connections), with `copyMethod` " +
      '"snapshot", "auto" (the default) and "postgres" (PostgreSQL\'s table synchronisation, 4 sync workers), the guide\'s procedure ' +
      "(pg_dump --schema-only | psql, CREATE PUBLICATION, CREATE SUBSCRIPTION, wait until every table is ready; on PG18, where this machine has no pg_dump 18, " +
      "the schema step is SchemaSync) and `pgcopydb clone " +
      "--table-jobs 4 --index-jobs 4` (PG15 only: it needs pg_dump, Debian's 15 here). Each run ends with md5 per table equal and " +
      "the indexes and constraints of the primary, all valid. Medians; the machine has 2 cores.\n",
  );
  say(
    "| PG | dataset | snapshot | auto | postgres | guide's procedure | pgcopydb clone | snapshot ÷ postgres | snapshot ÷ guide | snapshot ÷ pgcopydb |",
  );
  say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const partsRows: string[] = [];
  const pairedRows: string[] = [];
  const cpuRows: string[] = [];
  const connections = new Map<number, number>();
  // BENCH_COPY_SETS: only the datasets whose label contains one of these (comma list).
  const sets = process.env.BENCH_COPY_SETS?.split(",");
  for (const major of env.majors as Major[])
    for (const d of COPY_DATASETS.filter((x) => !sets || sets.some((s) => x.label.includes(s)))) {
      await withDataset(major, d, async (bed) => {
        const { primary, replica, fresh } = bed;
        if (!connections.has(major)) connections.set(major, await connectionCost(primary.url("app")));
        const component = (copyMethod: string, parts?: Map<string, number>) => () =>
          componentUp(
            bed,
            copyMethod,
            parts ? (key, ms) => parts.set(key, (parts.get(key) ?? 0) + ms) : undefined,
          );
        const methods: Record<string, (round: number) => Promise<number>> = {
          snapshot: component("snapshot"),
          auto: component("auto"),
        };
        if (!d.slowForPostgres || process.env.BENCH_COPY_SLOW) {
          methods.postgres = component("postgres");
          methods.guide = async () => {
            const db = await fresh();
            const ms = await guideProcedure(primary, replica, db, d.tables, major);
            await verify(primary, replica, db, d.tables);
            await undoGuide(primary, replica, db);
            return ms;
          };
        }
        if (pgcopydb && major === 15)
          methods.pgcopydb = async () => {
            const db = await fresh();
            const ms = await timed(async () =>
              runPgcopydb(["clone", "--no-owner", "--no-acl"], primary.url("app"), replica.url(db)),
            );
            await verify(primary, replica, db, d.tables);
            return ms;
          };
        // The machine's CPU time during each timed run (lastBusyMs), method by method.
        const busy: Record<string, number[]> = {};
        for (const [name, fn] of Object.entries(methods))
          methods[name] = async (round) => {
            const ms = await fn(round);
            if (round >= 0) (busy[name] ??= []).push(lastBusyMs);
            return ms;
          };
        const rounds = await alternateRounds(Number(process.env.BENCH_COPY_ROUNDS ?? 3), methods);
        const m = medians(rounds);
        const cpu = (name: string) => {
          const b = busy[name];
          if (!b) return "n/a";
          const cores = median(b.map((x, i) => x / rounds[name]![i]!));
          return `${(median(b) / 1000).toFixed(2)} s (${cores.toFixed(2)} cores)`;
        };
        const cpuRatio = (a: string, b: string) =>
          busy[a] && busy[b] ? (median(busy[a]!) / median(busy[b]!)).toFixed(2) : "n/a";
        cpuRows.push(
          `| ${major} | ${d.label} | ${["snapshot", "auto", "postgres", "guide", "pgcopydb"].map(cpu).join(" | ")} | ${cpuRatio("snapshot", "postgres")} | ${cpuRatio("snapshot", "pgcopydb")} |`,
        );
        for (const base of ["postgres", "pgcopydb"]) {
          const paired = pairedRatios(rounds.snapshot, rounds[base]);
          if (paired) pairedRows.push(`| ${major} | ${d.label} | ${base} | ${paired} |`);
        }
        say(
          `| ${major} | ${d.label} | ${seconds(m.snapshot)} | ${seconds(m.auto)} | ${seconds(m.postgres)} | ${seconds(m.guide)}${major === 15 ? "" : " (schema by SchemaSync)"} | ${seconds(m.pgcopydb)} | ${ratio(m.snapshot, m.postgres)} | ${ratio(m.snapshot, m.guide)} | ${ratio(m.snapshot, m.pgcopydb)} |`,
        );
        const parts = new Map<string, number>();
        await component("snapshot", parts)();
        partsRows.push(
          `| ${major} | ${d.label} | ${[...parts].map(([k, v]) => `${k}: ${(v / 1000).toFixed(2)} s`).join("; ")} |`,
        );
      });
    }
  say(
    "\nWhere a snapshot copy's time goes (one run, each resource's step in order: checks, pre-data, the subscription's slot, COPYs and stream start, the post-data's indexes and foreign keys):\n",
  );
  say("| PG | dataset | steps |");
  say("| --- | --- | --- |");
  for (const r of partsRows) say(r);
  say(
    "\nThe snapshot method ÷ a baseline round by round (each round runs every method once, so both times of a ratio come from the same stretch of the machine's speed), and their median:\n",
  );
  say("| PG | dataset | ÷ | rounds |");
  say("| --- | --- | --- | --- |");
  for (const r of pairedRows) say(r);
  say(
    `\nThe CPU time the machine spent during each method's run (every process: both servers, the provider host or pgcopydb, this bench; from the kernel's counters, medians), and how many of its ${os.cpus().length} cores that kept busy on average. A method whose cores were all busy is bound by the work it does: its time falls only with less work or more cores.\n`,
  );
  say(
    "| PG | dataset | snapshot | auto | postgres | guide's procedure | pgcopydb clone | snapshot ÷ postgres (CPU) | snapshot ÷ pgcopydb (CPU) |",
  );
  say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of cpuRows) say(r);
  say(
    `\nA new connection on this machine (connect, \`SELECT 1\`, close; 50 in a row from node-postgres over TCP with SCRAM, before the runs): ${[
      ...connections,
    ]
      .map(([major, ms]) => `PG${major} ${ms.toFixed(1)} ms`)
      .join(", ")}. The per-table methods' times move with it between machines.`,
  );
}

/**
 * The floor under the snapshot copy: the same tables copied by hand — binary `COPY … TO STDOUT`
 * into `COPY … FROM STDIN` on 4 connection pairs (more than 50 tables: 50 to a round trip, with
 * pg/copyBatch.ts as the snapshot copy sends small tables; else relayed one by one, pg/copyRelay.ts), no slot, no
 * snapshot, no checks, into
 * tables the pre-data SchemaSync created beforehand (untimed) — beside the snapshot method's
 * Subscription step (its check, the slot, the same COPYs and the stream's start) and its whole `up`;
 * and the whole work by hand (the tables with their keys in 4 transactions at once, the COPYs, the
 * secondary indexes on 4 connections) beside that `up` and beside PostgreSQL's own copy
 * (`copyMethod: "postgres"`, left out of the slow sets unless BENCH_COPY_SLOW=1): all by hand ÷
 * PostgreSQL's copy is the lowest ratio against it that any method doing this work could reach on
 * the machine. Last, the snapshot `up` of one small table: the fixed cost of an `up`, which no
 * method that goes through the four resources avoids. BENCH_ONLY=copyfloor; datasets as
 * BENCH_COPY_SETS selects (default: the 300 small tables).
 */
export async function copyFloorBench(say: (s: string) => void): Promise<void> {
  const { Client } = await import("pg");
  const { copyRelay } = await import("../src/pg/copyRelay");
  const { providers } = await import("../src");
  const { copyInBatch, copyOutBatch } = await import("../src/pg/copyBatch");
  const sets = process.env.BENCH_COPY_SETS?.split(",") ?? ["300 tables"];
  say("\n## The floor under the snapshot copy\n");
  say(
    "The same tables copied by hand (binary COPY on 4 connection pairs into tables created beforehand, nothing else; more than 50 tables: 50 to a round trip, as the snapshot copy sends small tables) beside the snapshot method's Subscription step and its whole `up`; the whole work by hand (tables and keys in 4 transactions at once, the COPYs, the indexes on 4 connections) beside that `up` and PostgreSQL's own copy: all by hand ÷ PostgreSQL's copy is the lowest ratio against it that a method doing this work could reach here. Medians.\n",
  );
  say(
    "| PG | dataset | COPYs by hand | tables, COPYs and indexes by hand | snapshot: Subscription step | snapshot: whole up | PostgreSQL's copy | step ÷ floor | up ÷ all by hand | up ÷ PostgreSQL's copy | all by hand ÷ PostgreSQL's copy |",
  );
  say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const major of env.majors as Major[])
    for (const d of COPY_DATASETS.filter((x) => sets.some((s) => x.label.includes(s)))) {
      await withDataset(major, d, async (bed) => {
        const { primary, replica, fresh } = bed;
        const steps: number[] = [];
        /**
         * Every table from the primary into `db` on 4 connection pairs: many small tables 50 to a
         * round trip on each side, as the snapshot copy sends them (pg/copyBatch.ts), else relayed
         * one by one (pg/copyRelay.ts).
         */
        const copyPairs = async (db: string) => {
          const queue = [...d.tables];
          const batched = d.tables.length > 50;
          await Promise.all(
            Array.from({ length: 4 }, async () => {
              const from = new Client({ connectionString: primary.url("app") });
              const into = new Client({ connectionString: replica.url(db) });
              await Promise.all([from.connect(), into.connect()]);
              try {
                if (batched)
                  for (let b = queue.splice(0, 50); b.length > 0; b = queue.splice(0, 50)) {
                    const copies = (dir: string) =>
                      b.map((t) => `COPY "${t}" ${dir} (FORMAT binary)`).join("; ");
                    const rows = await copyOutBatch(from, copies("TO STDOUT"), Infinity);
                    await copyInBatch(into, copies("FROM STDIN"), rows);
                  }
                for (let t = queue.shift(); t !== undefined; t = queue.shift())
                  await copyRelay(
                    from,
                    into,
                    `COPY "${t}" TO STDOUT (FORMAT binary)`,
                    `COPY "${t}" FROM STDIN (FORMAT binary)`,
                  );
              } finally {
                await Promise.all([from.end(), into.end()]);
              }
            }),
          );
        };
        const methods: Record<string, () => Promise<number>> = {
          floor: async () => {
            const db = await fresh();
            const sync = {
              source: primary.url("app"),
              target: replica.url(db),
              tables: d.tables,
              section: "pre-data",
            };
            await providers.schemaSync.create((await providers.schemaSync.check!({}, sync)).inputs as never);
            const ms = await timed(() => copyPairs(db));
            // Secondary indexes are the post-data's: rows only.
            await sameRows(primary, replica, db, d.tables);
            return ms;
          },
          // Everything by hand: the tables (with their keys) in 4 transactions at once (a quarter
          // of them each: faster than one), the same COPYs, the secondary indexes on 4 connections.
          bare: async () => {
            const db = await fresh();
            const statements = d.sql.split(";\n");
            const ddl = statements.filter((x) => x.startsWith("CREATE TABLE"));
            const indexes = statements.filter((x) => x.startsWith("CREATE INDEX"));
            const ms = await timed(async () => {
              await Promise.all(
                [0, 1, 2, 3].map((k) => {
                  const mine = ddl.filter((_, i) => i % 4 === k);
                  return mine.length === 0
                    ? undefined
                    : replica.query(`BEGIN; ${mine.join("; ")}; COMMIT`, [], db);
                }),
              );
              await copyPairs(db);
              await Promise.all(
                Array.from({ length: 4 }, async () => {
                  const c = new Client({ connectionString: replica.url(db) });
                  await c.connect();
                  try {
                    for (let x = indexes.shift(); x !== undefined; x = indexes.shift()) await c.query(x);
                  } finally {
                    await c.end();
                  }
                }),
              );
            });
            await sameRows(primary, replica, db, d.tables);
            return ms;
          },
          snapshot: () =>
            componentUp(bed, "snapshot", (key, ms) => {
              if (key.startsWith("Subscription ")) steps.push(ms);
            }),
        };
        if (!d.slowForPostgres || process.env.BENCH_COPY_SLOW)
          methods.postgres = () => componentUp(bed, "postgres");
        const m = await alternate(Number(process.env.BENCH_COPY_ROUNDS ?? 3), methods);
        const step = median(steps.slice(1)); // the first is the untimed warm-up's
        say(
          `| ${major} | ${d.label} | ${seconds(m.floor)} | ${seconds(m.bare)} | ${seconds(step)} | ${seconds(m.snapshot)} | ${seconds(m.postgres)} | ${ratio(step, m.floor)} | ${ratio(m.snapshot, m.bare)} | ${ratio(m.snapshot, m.postgres)} | ${ratio(m.bare, m.postgres)} |`,
        );
      });
    }
  // What an `up` costs whatever the number of tables: the same topology over one small table.
  const fixed: string[] = [];
  for (const major of env.majors as Major[])
    await withDataset(major, small(1, 50), async (bed) => {
      const m = await alternate(Number(process.env.BENCH_COPY_ROUNDS ?? 3), {
        snapshot: () => componentUp(bed, "snapshot"),
      });
      fixed.push(`PG${major} ${seconds(m.snapshot)}`);
    });
  say(
    `\nAn \`up\` of the same topology over one table × 50 rows (snapshot copy; the four resources' checks and creates through the host, the slot, the stream's start — what every \`up\` pays whatever its size): ${fixed.join(", ")}.`,
  );
}

const LATENCY_SHIM = path.join(ROOT, "bench", "latencyShim.cjs");

/**
 * The runner far from the databases: LogicalReplication's `up` by copy method, its provider host's
 * connections to both servers delayed (bench/latencyShim.cjs: BENCH_LATENCY_MS of round trip, half
 * each way, the TCP handshake too), the replica server's own link to the primary not (servers next
 * to each other, the runner elsewhere: another region, a laptop over a VPN). BENCH_ONLY=copylatency;
 * BENCH_LATENCIES (ms, default 0,10,40); datasets as BENCH_COPY_SETS selects (default: the 300
 * small tables and the 4 × 250,000 rows). Each `up` in a new host (the shim is loaded at its start).
 */
export async function copyLatencyBench(say: (s: string) => void): Promise<void> {
  const latencies = (process.env.BENCH_LATENCIES ?? "0,10,40").split(",").map(Number);
  const sets = process.env.BENCH_COPY_SETS?.split(",") ?? ["300 tables", "4 tables"];
  say("\n## Time to a ready replica with the runner far from the databases\n");
  say(
    "LogicalReplication's `up` by copy method, the provider host's connections to both servers delayed by the round trip given (half each way, the TCP handshake too); the replica's own connection to the primary is not delayed. Medians.\n",
  );
  say("| PG | dataset | round trip | snapshot | auto | postgres | snapshot ÷ postgres | auto ÷ postgres |");
  say("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  const methods = ["snapshot", "auto", "postgres"];
  for (const major of env.majors as Major[])
    for (const d of COPY_DATASETS.filter((x) => sets.some((s) => x.label.includes(s))))
      await withDataset(major, d, async (bed) => {
        const far = (ms: number, method: string) => async () => {
          const saved = { ...process.env };
          // Read by the host componentUp starts for this up.
          process.env.BENCH_LATENCY_MS = String(ms);
          process.env.BENCH_LATENCY_PORTS = `${bed.primary.port},${bed.replica.port}`;
          process.env.NODE_OPTIONS = `${saved.NODE_OPTIONS ?? ""} --require ${LATENCY_SHIM}`.trim();
          delete process.env.BENCH_WARM_HOST;
          try {
            return await componentUp(bed, method);
          } finally {
            for (const k of ["BENCH_LATENCY_MS", "BENCH_LATENCY_PORTS", "NODE_OPTIONS", "BENCH_WARM_HOST"])
              if (saved[k] === undefined) delete process.env[k];
              else process.env[k] = saved[k];
          }
        };
        const runs: Record<string, () => Promise<number>> = {};
        for (const ms of latencies) for (const method of methods) runs[`${method} ${ms}`] = far(ms, method);
        const m = await alternate(Number(process.env.BENCH_COPY_ROUNDS ?? 3), runs);
        for (const ms of latencies) {
          const [s, a, p] = methods.map((method) => m[`${method} ${ms}`]!);
          say(
            `| ${major} | ${d.label} | ${ms} ms | ${(s! / 1000).toFixed(2)} s | ${(a! / 1000).toFixed(2)} s | ${(p! / 1000).toFixed(2)} s | ${(s! / p!).toFixed(2)} | ${(a! / p!).toFixed(2)} |`,
          );
        }
      });
}
