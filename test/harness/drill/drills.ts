// Reliability drills: writes under topology changes, faults, hostile input, secrets. Each returns
// what it checked and the figures; `npm run drill` runs them long, CI runs them short.

import * as path from "node:path";
import { captureProgram } from "../capture";
import { Engine } from "../engine";
import { ROOT } from "../install";
import { startServer, type Major, type TestServer } from "../postgres";
import { CLOUD_ADMIN, cloudDatabases, queryAs, roleUrl } from "../seed";
import { compare, converge, DRILL_TABLE, startWriters, type Comparison } from "./load";

export interface DrillResult {
  scenario: string;
  checked: string;
  figures: Record<string, number | string>;
  pass: boolean;
  /** Everything a user could see: outputs that are not secret, host log lines, error messages. */
  visible: string[];
  passwords: string[];
}

const PROGRAM = path.join(ROOT, "test", "fixtures", "drill", "index.ts");
const SECRET_KEYS = new Set(["connection", "publisher", "source", "target", "__provider"]);
const DB = "app";

/** Who the program connects as: a superuser, or a managed cloud's admin role (see seed.ts). */
export type Roles = "superuser" | "cloud";

/**
 * Two servers, a replicator role with a password, `tables` on the primary with `rows` rows each.
 * With cloud roles, the databases, tables and the replicator belong to the cloud admin role, and
 * the program connects as it.
 */
/** The Subscription's copy method a drill runs with. */
type CopyMethod = "postgres" | "snapshot";

async function bed(major: Major, tables: string[], rows: number, roles: Roles = "superuser") {
  const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
  const admin = (server: TestServer, sql: string) =>
    roles === "cloud"
      ? queryAs(server, CLOUD_ADMIN.user, CLOUD_ADMIN.password, sql, DB)
      : server.query(sql, [], DB);
  if (roles === "cloud") await cloudDatabases(primary, replica, DB);
  else await Promise.all([primary.createDatabase(DB), replica.createDatabase(DB)]);
  const ddl = tables.map(
    (t) => `${DRILL_TABLE(t)}; INSERT INTO ${t} SELECT g, 0, md5(g::text) FROM generate_series(1, ${rows}) g`,
  );
  await admin(primary, ddl.join(";"));
  await admin(primary, "CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'Drill-Pw-1'");
  await admin(primary, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO replicator`);
  const url = (server: TestServer) =>
    roles === "cloud" ? roleUrl(server, CLOUD_ADMIN.user, CLOUD_ADMIN.password, DB) : server.url(DB);
  const engine = await Engine.start();
  const errors: string[] = [];
  const passwords = [primary.password, replica.password, "Drill-Pw-1", "Drill-Pw-2", CLOUD_ADMIN.password];
  const publisherUrl = (pw: string) => `postgres://replicator:${pw}@127.0.0.1:${primary.port}/${DB}`;
  const program = (config: {
    tables: string[];
    pw?: string;
    enabled?: boolean;
    syncTimeout?: number;
    copyMethod?: string;
  }) =>
    captureProgram(
      PROGRAM,
      {
        primaryUrl: url(primary),
        replicaUrl: url(replica),
        publisherUrl: publisherUrl(config.pw ?? "Drill-Pw-1"),
        tables: JSON.stringify(config.tables),
        ...(config.enabled !== undefined ? { enabled: String(config.enabled) } : {}),
        ...(config.syncTimeout ? { syncTimeout: String(config.syncTimeout) } : {}),
        ...(config.copyMethod ? { copyMethod: config.copyMethod } : {}),
      },
      "drill",
    );
  const up = async (config: Parameters<typeof program>[0]) => {
    try {
      return await engine.up(await program(config));
    } catch (e) {
      errors.push(String((e as Error).message));
      throw e;
    }
  };
  const visible = () => [
    ...[...engine.state.values()].map((s) =>
      JSON.stringify(Object.fromEntries(Object.entries(s.outputs).filter(([k]) => !SECRET_KEYS.has(k)))),
    ),
    engine.log,
    ...errors,
  ];
  const close = async () => {
    await engine.stop();
    await Promise.all([primary.stop(), replica.stop()]);
  };
  return { primary, replica, engine, up, program, errors, passwords, visible, close, admin };
}

const lostOf = (cs: Comparison[]) => cs.reduce((n, c) => n + c.lost, 0);
const dupOf = (cs: Comparison[]) => cs.reduce((n, c) => n + c.duplicated, 0);
const diffOf = (cs: Comparison[]) => cs.reduce((n, c) => n + c.differing, 0);
const rowsOf = (cs: Comparison[]) => cs.reduce((n, c) => n + c.primaryRows, 0);
/** Nothing lost, doubled or different, and every write accepted. */
const intact = (cs: Comparison[], writerErrors: number) =>
  lostOf(cs) === 0 && dupOf(cs) === 0 && diffOf(cs) === 0 && writerErrors === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 1. Four writers for `seconds` while up adds a table, removes one, rotates the password, disables and enables. */
export async function loadDrill(
  seconds: number,
  major: Major = 18,
  roles: Roles = "superuser",
): Promise<DrillResult> {
  const b = await bed(major, ["a", "b", "c", "d"], 1000, roles);
  try {
    await b.up({ tables: ["a", "b", "c"] });
    const writers = startWriters(b.primary, DB, ["a", "b", "c", "d"]);
    const at = (f: number) => sleep(seconds * 1000 * f);
    const steps: string[] = [];
    await at(0.15);
    await b.up({ tables: ["a", "b", "c", "d"] });
    steps.push("add d");
    await at(0.15);
    await b.up({ tables: ["a", "c", "d"] });
    steps.push("remove b");
    await at(0.15);
    await b.admin(b.primary, "ALTER ROLE replicator PASSWORD 'Drill-Pw-2'");
    await b.up({ tables: ["a", "c", "d"], pw: "Drill-Pw-2" });
    steps.push("rotate password");
    await at(0.15);
    await b.up({ tables: ["a", "c", "d"], pw: "Drill-Pw-2", enabled: false });
    steps.push("disable");
    await at(0.1);
    await b.up({ tables: ["a", "c", "d"], pw: "Drill-Pw-2", enabled: true });
    steps.push("enable");
    await at(0.3);
    await writers.stop();
    const { comparisons, ms } = await converge(b.primary, b.replica, DB, ["a", "c", "d"]);
    const lost = lostOf(comparisons);
    const dup = dupOf(comparisons);
    return {
      scenario: `load: 4 writers for ${seconds} s during ${steps.join(", ")} (PG${major}${roles === "cloud" ? ", as a cloud admin role" : ""})`,
      checked: "replica equals primary for a, c, d: row counts, md5 over ordered rows, per-row diff",
      figures: {
        inserts: writers.stats.inserts,
        updates: writers.stats.updates,
        deletes: writers.stats.deletes,
        writerErrors: writers.stats.errors,
        rowsCompared: rowsOf(comparisons),
        lost,
        duplicated: dup,
        differing: diffOf(comparisons),
        md5Equal: comparisons.every((c) => c.md5Equal) ? "yes" : "no",
        convergeMs: ms,
      },
      pass: intact(comparisons, writers.stats.errors) && comparisons.every((c) => c.md5Equal),
      visible: b.visible(),
      passwords: b.passwords,
    };
  } finally {
    await b.close();
  }
}

/** 2a. The publisher restarts mid-stream; writers retry; the next up is a no-op and nothing is lost. */
export async function publisherRestartDrill(seconds: number, major: Major = 18): Promise<DrillResult> {
  const b = await bed(major, ["a", "b"], 1000);
  try {
    await b.up({ tables: ["a", "b"] });
    const writers = startWriters(b.primary, DB, ["a", "b"]);
    await sleep(seconds * 400);
    await b.primary.restart();
    await sleep(seconds * 400);
    await writers.stop();
    const next = await b.up({ tables: ["a", "b"] });
    const { comparisons, ms } = await converge(b.primary, b.replica, DB, ["a", "b"]);
    return {
      scenario: `fault: publisher restarted mid-stream (PG${major})`,
      checked: "writes retried across the restart, next up changes nothing, replica equals primary",
      figures: {
        writes: writers.stats.inserts + writers.stats.updates + writers.stats.deletes,
        retried: writers.stats.retries,
        writerErrors: writers.stats.errors,
        ...(writers.stats.lastError ? { lastWriterError: writers.stats.lastError } : {}),
        nextUp: next.map((s) => s.op).join("/"),
        rowsCompared: rowsOf(comparisons),
        lost: lostOf(comparisons),
        duplicated: dupOf(comparisons),
        convergeMs: ms,
      },
      pass: intact(comparisons, writers.stats.errors),
      visible: b.visible(),
      passwords: b.passwords,
    };
  } finally {
    await b.close();
  }
}

/**
 * Waits until the initial copy is under way: PostgreSQL's table sync copying, or a snapshot copy's
 * subscription created (disabled, marked) while its tables fill.
 */
async function waitCopying(replica: TestServer, method: CopyMethod): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = await replica
      .query<{ n: number }>(
        method === "postgres"
          ? "SELECT count(*)::int AS n FROM pg_subscription_rel WHERE srsubstate IN ('d', 'i')"
          : "SELECT count(*)::int AS n FROM pg_subscription WHERE obj_description(oid, 'pg_subscription') LIKE '%snapshot copy unfinished%'",
        [],
        DB,
      )
      .catch(() => [{ n: 0 }]);
    if (r[0]!.n > 0) return;
    await sleep(20);
  }
  throw new Error("the initial copy never started");
}

/** 2b/2c. An interruption during the initial copy (subscriber restart, or the provider host killed); the next up converges. */
export async function interruptedCopyDrill(
  kind: "subscriber restart" | "host killed",
  rows: number,
  major: Major = 18,
  method: CopyMethod = "postgres",
): Promise<DrillResult> {
  const b = await bed(major, ["big"], rows);
  try {
    const first = b.up({ tables: ["big"], copyMethod: method }).then(
      () => "completed",
      (e: Error) => `failed: ${e.message.slice(0, 80)}`,
    );
    await waitCopying(b.replica, method);
    if (kind === "subscriber restart") await b.replica.restart();
    else await b.engine.restartHost();
    const firstOutcome = await first;
    const second = await b.up({ tables: ["big"], copyMethod: method });
    const { comparisons, ms } = await converge(b.primary, b.replica, DB, ["big"]);
    const slots = await b.primary.query<{ s: string }>(
      "SELECT slot_name AS s FROM pg_replication_slots WHERE slot_type = 'logical'",
      [],
      DB,
    );
    return {
      scenario: `fault: ${kind} mid-initial-copy of ${rows.toLocaleString("en")} rows (PG${major}, ${method === "postgres" ? "PostgreSQL's copy" : "snapshot copy"})`,
      checked: "the next up converges (the subscription left behind is taken over), replica equals primary",
      figures: {
        firstUp: firstOutcome.startsWith("failed") ? "failed (expected)" : firstOutcome,
        secondUp: second.map((s) => s.op).join("/"),
        rowsCompared: rowsOf(comparisons),
        lost: lostOf(comparisons),
        duplicated: dupOf(comparisons),
        slotsOnPrimary: slots.map((s) => s.s).join(","),
        tookOverLeftover: /left by an interrupted run/.test(b.engine.log) ? "yes" : "no",
        convergeMs: ms,
      },
      pass:
        lostOf(comparisons) === 0 &&
        dupOf(comparisons) === 0 &&
        diffOf(comparisons) === 0 &&
        slots.length === 1,
      visible: b.visible(),
      passwords: b.passwords,
    };
  } finally {
    await b.close();
  }
}

/** 2d. The publisher is down during destroy: the subscription goes, the orphaned slot is reported, never silent. */
export async function publisherDownDestroyDrill(major: Major = 18): Promise<DrillResult> {
  const b = await bed(major, ["a"], 100);
  try {
    await b.up({ tables: ["a"] });
    await b.primary.halt();
    let destroyError = "";
    await b.engine.destroy().catch((e: Error) => (destroyError = e.message));
    b.errors.push(destroyError);
    const subsLeft = await b.replica.query("SELECT subname FROM pg_subscription", [], DB);
    await b.primary.restart();
    const slots = (
      await b.primary.query<{ s: string }>("SELECT slot_name AS s FROM pg_replication_slots", [], DB)
    ).map((r) => r.s);
    const unreported = slots.filter(
      (s) => !new RegExp(`Replication slot "${s}" is left on`).test(b.engine.log),
    );
    // With the publisher back, the rest of destroy (the publication) completes.
    await b.engine.destroy();
    return {
      scenario: `fault: publisher down during destroy (PG${major})`,
      checked:
        "the subscription is dropped anyway; every slot left on the publisher is named with its drop command",
      figures: {
        subscriptionsLeft: subsLeft.length,
        orphanSlots: slots.length,
        unreportedOrphans: unreported.length,
        publicationDropOnSecondDestroy:
          (await b.primary.query("SELECT 1 FROM pg_publication", [], DB)).length === 0 ? "yes" : "no",
      },
      pass: subsLeft.length === 0 && unreported.length === 0,
      visible: b.visible(),
      passwords: b.passwords,
    };
  } finally {
    await b.close();
  }
}

/** 4. Every password, searched in everything a user could see after a drill. */
export function secretHits(results: DrillResult[]): { searched: number; hits: number; where: string[] } {
  let searched = 0;
  const where: string[] = [];
  for (const r of results)
    for (const pw of r.passwords)
      for (const text of r.visible) {
        searched++;
        if (text.includes(pw))
          where.push(
            `${r.scenario}: ${text.slice(Math.max(0, text.indexOf(pw) - 40), text.indexOf(pw) + 10)}`,
          );
      }
  return { searched, hits: where.length, where };
}

export { compare };

/**
 * 5. Drift under load: four writers keep writing while, one after the other, the publication, the
 * slot and the subscription are dropped by hand and a column is dropped on the replica; after each,
 * the next `up` (run live, as `pulumi up --refresh` would) repairs the stream. Nothing may be lost or
 * duplicated.
 */
export async function driftDrill(seconds: number, major: Major = 18): Promise<DrillResult> {
  const b = await bed(major, ["a", "b", "c"], 1000);
  const { runProgram } = await import("../live");
  const config = {
    primaryUrl: b.primary.url(DB),
    replicaUrl: b.replica.url(DB),
    publisherUrl: `postgres://replicator:Drill-Pw-1@127.0.0.1:${b.primary.port}/${DB}`,
    tables: JSON.stringify(["a", "b", "c"]),
  };
  const up = async (refresh = false) => {
    if (refresh) await b.engine.refresh();
    const r = await runProgram(b.engine, PROGRAM, config, "up", "drill");
    if (r.error) {
      b.errors.push(r.error);
      throw new Error(r.error);
    }
    return r.steps.map((s) => s.op).join("/");
  };
  try {
    await up();
    const writers = startWriters(b.primary, DB, ["a", "b", "c"]);
    const at = () => sleep((seconds * 1000) / 6);
    const repairs: string[] = [];
    const drift: [string, () => Promise<unknown>, boolean][] = [
      ["publication dropped", () => b.primary.query("DROP PUBLICATION drill", [], DB), false],
      [
        "slot dropped",
        async () => {
          for (let i = 0; i < 50; i++)
            try {
              await b.primary.query(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL",
                [],
                DB,
              );
              return await b.primary.query("SELECT pg_drop_replication_slot('drill')", [], DB);
            } catch {
              await sleep(100);
            }
        },
        false,
      ],
      ["subscription dropped", () => b.replica.query("DROP SUBSCRIPTION drill", [], DB), true],
      ["column dropped on the replica", () => b.replica.query("ALTER TABLE b DROP COLUMN v", [], DB), false],
    ];
    for (const [what, act, refresh] of drift) {
      await at();
      await act();
      await at();
      repairs.push(`${what}: ${await up(refresh)}`);
    }
    await at();
    await writers.stop();
    const { comparisons, ms } = await converge(b.primary, b.replica, DB, ["a", "b", "c"]);
    return {
      scenario: `drift under load: 4 writers for ${seconds} s while the publication, the slot, the subscription and a replica column are dropped by hand, each repaired by the next up (PG${major})`,
      checked: "replica equals primary for a, b, c: row counts, md5 over ordered rows, per-row diff",
      figures: {
        writes: writers.stats.inserts + writers.stats.updates + writers.stats.deletes,
        writerErrors: writers.stats.errors,
        repairs: repairs.join("; "),
        rowsCompared: rowsOf(comparisons),
        lost: lostOf(comparisons),
        duplicated: dupOf(comparisons),
        differing: diffOf(comparisons),
        convergeMs: ms,
      },
      pass: intact(comparisons, writers.stats.errors),
      visible: b.visible(),
      passwords: b.passwords,
    };
  } finally {
    await b.close();
  }
}
