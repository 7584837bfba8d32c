// Sessions: a connected client with the few operations providers need, reused between the
// provider calls of one host process (see idle.ts), redacted on every error.

import * as fs from "node:fs";
import type * as tls from "node:tls";
import {
  Client,
  DatabaseError,
  type ClientConfig,
  type QueryConfig,
  type QueryResult,
  type QueryResultRow,
} from "pg";
import { LOCK_TRIES, readWait } from "../kernel/lockWaits";
import { eachHost, endpoint, secretsOf, type ConnectionInfo } from "./connection";
import { describeHolders, EXCLUSIVE_HOLDERS, type Holder } from "./holders";
import * as idle from "./idle";
import { passwordFor } from "./pgfiles";
import { literal } from "./quote";
import { redactError } from "./redact";

/** A connected client: `query` for catalog reads (parameters), `exec` for DDL (extended protocol). */
export interface Session {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  exec(text: string): Promise<void>;
  /**
   * Sends many statements in one round trip (simple protocol). Only for DDL that a sql module built
   * from quoted identifiers and the server's own deparsed definitions — never for user-written text.
   */
  execBatch(statements: readonly string[]): Promise<void>;
  /** Runs `fn` in one transaction, rolled back on any error. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Sets run-time parameters for the rest of this session, all in one statement that goes out with
   * the next. The connection is reset (RESET ALL) before it is used for another call, so no setting
   * leaks into a later operation.
   */
  set(settings: readonly (readonly [name: string, value: string])[]): Promise<void>;
  /**
   * Runs independent reads at once: their statements go out without waiting for each other's
   * answers (node-postgres' pipeline mode; the server still runs them one after another, in the
   * order sent), so a server far away costs one round trip for the lot instead of one each.
   * Every read settles before this does; the first failure is thrown (in a transaction: the cause,
   * not the statements it aborted). Only for statements none of which needs another's answer
   * (reads; or writes in a transaction, which a failure ends whole): never a transaction, a setting
   * or a COPY inside.
   */
  concurrently<T extends readonly unknown[]>(reads: [...{ [K in keyof T]: () => Promise<T[K]> }]): Promise<T>;
  serverVersion: number;
}

/** Whether a connection goes over TLS: libpq's sslmode, settled for one attempt. */
type Tls = "tls" | "plain";

/**
 * The attempts libpq makes for an sslmode, in order: `prefer` (the default) tries TLS first and
 * plaintext when TLS fails (the server answers that it has none — remembered per server for this
 * process: its later connections go plaintext at once —, the handshake fails, or the server refuses
 * the login over TLS), `allow` tries plaintext first and TLS when the server refuses it (see
 * attemptHost). Unix-domain sockets never use TLS (libpq ignores sslmode there).
 */
function attempts(info: ConnectionInfo): Tls[] {
  if (info.host.startsWith("/")) return ["plain"];
  switch (info.sslMode ?? "prefer") {
    case "disable":
      return ["plain"];
    case "allow":
      return ["plain", "tls"];
    case "prefer":
      return withoutTls.has(serverKey(info)) ? ["plain"] : ["tls", "plain"];
    default:
      return ["tls"];
  }
}

/** libpq's connect_timeout in milliseconds (15 s when left out; 0 waits without limit, as libpq does). */
const connectTimeoutMs = (info: ConnectionInfo) => (info.connectTimeout ?? 15) * 1000;

/** Servers (host:port) that answered this process's SSLRequest with "N": they have no TLS. */
const withoutTls = new Set<string>();
const serverKey = (info: ConnectionInfo) => `${info.host}:${info.port}`;
/** node-postgres' error when the server answers the SSLRequest with "N". */
const NO_TLS = "The server does not support SSL connections";

/** node-postgres' configuration for one attempt, libpq's semantics where node-postgres has them. */
function clientConfig(info: ConnectionInfo, over: Tls, replication = false): ClientConfig {
  const p = info.params ?? {};
  const config: ClientConfig & { enableChannelBinding?: boolean; replication?: string } = {
    ...(replication ? { replication: "database" } : {}),
    host: info.host,
    port: info.port,
    database: info.database,
    user: info.user,
    connectionTimeoutMillis: connectTimeoutMs(info),
    application_name: info.applicationName ?? p.fallback_application_name ?? "pulumi-pg-replication",
    keepAlive: p.keepalives !== "0",
    ...(p.keepalives_idle !== undefined
      ? { keepAliveInitialDelayMillis: Number(p.keepalives_idle) * 1000 }
      : {}),
    // Channel binding needs TLS; libpq's default (prefer) binds when the server offers it.
    enableChannelBinding: over === "tls" && p.channel_binding !== "disable",
  };
  const password = info.password ?? passwordFor(info, p.passfile);
  if (password !== undefined) config.password = password;
  if (info.options !== undefined) config.options = info.options;
  if (over === "plain") {
    config.ssl = false;
    return config;
  }
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`cannot read ${what} ${JSON.stringify(file)} on this machine: ${(e as Error).message}`);
    }
  };
  const options: tls.ConnectionOptions = {
    ...(info.sslCert !== undefined ? { cert: read(info.sslCert, "sslcert") } : {}),
    ...(info.sslKey !== undefined ? { key: read(info.sslKey, "sslkey") } : {}),
    ...(info.sslPassword !== undefined ? { passphrase: info.sslPassword } : {}),
    ...(p.sslcrl !== undefined ? { crl: read(p.sslcrl, "sslcrl") } : {}),
    ...(p.ssl_min_protocol_version !== undefined
      ? { minVersion: p.ssl_min_protocol_version as tls.SecureVersion }
      : { minVersion: "TLSv1.2" as const }),
    ...(p.ssl_max_protocol_version !== undefined
      ? { maxVersion: p.ssl_max_protocol_version as tls.SecureVersion }
      : {}),
  };
  // sslrootcert=system (libpq 16+): this runtime's trusted roots (Node.js's store, which
  // NODE_EXTRA_CA_CERTS extends), always with verify-full.
  const system = info.sslRootCert === "system";
  const ca = info.sslRootCert !== undefined && !system ? read(info.sslRootCert, "sslrootcert") : undefined;
  // libpq: with a root certificate, `require` verifies the CA as verify-ca does.
  const mode = system
    ? "verify-full"
    : info.sslMode === "require" && ca !== undefined
      ? "verify-ca"
      : (info.sslMode ?? "prefer");
  if (mode === "verify-full") config.ssl = { rejectUnauthorized: true, ca, ...options };
  else if (mode === "verify-ca")
    config.ssl = { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined, ...options };
  else config.ssl = { rejectUnauthorized: false, ...options };
  // sslnegotiation=direct (PostgreSQL 17+): the TLS handshake at once, ALPN "postgresql", no SSLRequest.
  if (p.sslnegotiation === "direct") (config as { sslnegotiation?: string }).sslnegotiation = "direct";
  // sslsni=0: no server name in the TLS handshake.
  if (p.sslsni === "0") (config.ssl as tls.ConnectionOptions).servername = "";
  return config;
}

/** How far a connection attempt got (watchStartup). */
type Stage = "connecting" | "tls" | "startup" | "in";

/**
 * Where a client's connection got to, as libpq tells its stages apart: `tls` from the server's "S"
 * until the TLS handshake is done, `startup` from then (or from the start in plaintext) until the
 * server accepted the login, `in` after; and the mechanism it authenticated with, when it used
 * SASL (SCRAM).
 */
function watchStartup(client: Client): { stage(): Stage; mechanism(): string | undefined } {
  let mechanism: string | undefined;
  let stage: Stage = "connecting";
  const connection = (
    client as unknown as {
      connection: NodeJS.EventEmitter & {
        stream: NodeJS.EventEmitter;
        sendSASLInitialResponseMessage: Function;
      };
    }
  ).connection;
  const send = connection.sendSASLInitialResponseMessage.bind(connection);
  connection.sendSASLInitialResponseMessage = (m: string, response: string) => {
    mechanism = m;
    return send(m, response);
  };
  // node-postgres emits 'sslconnect' once its stream is the TLS socket, before the handshake ends.
  connection.once("sslconnect", () => {
    stage = "tls";
    connection.stream.once("secureConnect", () => (stage = "startup"));
  });
  connection.once("connect", () => {
    if (stage === "connecting" && client.ssl === false) stage = "startup";
  });
  connection.once("authenticationOk", () => (stage = "in"));
  return { stage: () => stage, mechanism: () => mechanism };
}

/**
 * Whether libpq would make the next attempt (its other sslmode) after this one failed otherwise than
 * by the server answering that it has no TLS: the TLS handshake failed, or the server refused the
 * login (any error before it accepted it but 57P03, which sends libpq to the next host instead).
 * Errors after the login (no such database, too many connections) end the attempts.
 */
function worthAnotherAttempt(stage: Stage, e: unknown): boolean {
  if (stage === "tls") return true;
  return stage === "startup" && e instanceof DatabaseError && e.code !== "57P03";
}

/**
 * The error of a host whose every attempt failed: the first that is not a pg_hba.conf refusal
 * (28000: "not this way", where the other attempt's error says why), with the other attempts'
 * messages after it, as libpq reports each.
 */
function lastWord(failures: { over: Tls; error: Error }[]): Error {
  const chosen = failures.find((f) => (f.error as { code?: string }).code !== "28000") ?? failures[0]!;
  const others = failures.filter((f) => f !== chosen);
  const way = (over: Tls) => (over === "tls" ? "over TLS" : "without TLS");
  if (others.length > 0)
    chosen.error.message = `${chosen.error.message} (${way(chosen.over)}; ${others.map((f) => `${way(f.over)}: ${f.error.message}`).join("; ")})`;
  return chosen.error;
}

/**
 * Connects as libpq would for the connection's sslmode: TLS or plaintext in the order `attempts`
 * gives, the next where libpq makes it (worthAnotherAttempt); `channel_binding=require` fails unless
 * the server authenticated with SCRAM-SHA-256-PLUS.
 */
async function connectWith(info: ConnectionInfo, replication = false): Promise<Client> {
  try {
    return await attemptConnections(info, replication);
  } catch (e) {
    const err = redactError(
      e,
      secretsOf(info),
      `could not connect to ${endpoint(info)} as ${JSON.stringify(info.user)}`,
    );
    CONNECT_FAILURES.add(err);
    throw err;
  }
}

const CONNECT_FAILURES = new WeakSet<object>();

/** Whether an error is a session's failure to connect (not a statement's), whatever its wording. */
export function failedToConnect(e: unknown): boolean {
  return typeof e === "object" && e !== null && CONNECT_FAILURES.has(e);
}

/**
 * libpq's host list and target_session_attrs: each host in order (load_balance_hosts=random:
 * shuffled) until one connects and is of the kind wanted; `prefer-standby` goes round twice, for a
 * standby, then for any. A server that refuses the login ends the search (libpq tries no further
 * host then either).
 */
async function attemptConnections(info: ConnectionInfo, replication: boolean): Promise<Client> {
  const hosts = eachHost(info);
  const wanted = (info.params?.target_session_attrs ?? "any") as SessionKind;
  const rounds: SessionKind[] = wanted === "prefer-standby" ? ["standby", "any"] : [wanted];
  let last: unknown;
  for (const kind of rounds)
    for (const one of hosts) {
      let client: Client;
      try {
        client = await attemptHost(one, replication);
      } catch (e) {
        if (/^28/.test(String((e as { code?: string }).code)) || hosts.length === 1) throw e;
        last = e;
        continue;
      }
      if (kind === "any" || (await isKind(client, kind))) return client;
      await client.end().catch(() => undefined);
      last = new Error(
        `${one.host}:${one.port} is not ${kind === "read-write" || kind === "read-only" ? kind : `a ${kind}`} (target_session_attrs=${wanted})`,
      );
    }
  throw hosts.length === 1
    ? last
    : new Error(
        `no host of ${endpoint(info)} ${wanted === "any" ? "accepted a connection" : `is ${wanted}`}; the last said: ${(last as Error)?.message ?? last}`,
      );
}

type SessionKind = "any" | "read-write" | "read-only" | "primary" | "standby" | "prefer-standby";

/** What libpq asks a server for target_session_attrs. */
async function isKind(client: Client, kind: SessionKind): Promise<boolean> {
  if (kind === "read-write" || kind === "read-only") {
    const ro =
      (await client.query<{ v: string }>("SELECT pg_catalog.current_setting('transaction_read_only') AS v"))
        .rows[0]!.v === "on";
    return ro === (kind === "read-only");
  }
  const recovery = (await client.query<{ r: boolean }>("SELECT pg_catalog.pg_is_in_recovery() AS r")).rows[0]!
    .r;
  return recovery === (kind === "standby");
}

/**
 * One host: TLS or plaintext as its sslmode orders them, the next attempt where libpq makes it
 * (worthAnotherAttempt).
 */
async function attemptHost(info: ConnectionInfo, replication: boolean): Promise<Client> {
  const order = attempts(info);
  const failures: { over: Tls; error: Error }[] = [];
  for (const [i, over] of order.entries()) {
    const client = new Client(clientConfig(info, over, replication));
    // A broken socket emits 'error' on the client; without a listener it would crash the host.
    client.on("error", () => undefined);
    const watch = watchStartup(client);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      // prefer, the server has no TLS: plaintext next, on a new connection (libpq goes on in the
      // same one), and nothing to report if that fails too.
      if ((e as Error).message === NO_TLS && i + 1 < order.length) {
        withoutTls.add(serverKey(info));
        continue;
      }
      failures.push({ over, error: e as Error });
      if (i + 1 < order.length && worthAnotherAttempt(watch.stage(), e)) continue;
      throw failures.length > 1 ? lastWord(failures) : e;
    }
    if (info.params?.channel_binding === "require" && watch.mechanism() !== "SCRAM-SHA-256-PLUS") {
      await client.end().catch(() => undefined);
      throw new Error(
        `channel_binding=require, but the server did not authenticate with SCRAM-SHA-256-PLUS over TLS (it used ${watch.mechanism() ?? (over === "tls" ? "no SCRAM" : "no TLS")}); use sslmode=require or stricter and a password authenticated by scram-sha-256, or set channel_binding=prefer`,
      );
    }
    return client;
  }
  throw new Error("no connection attempt left"); // unreachable: attempts() is never empty
}

/**
 * The extended query protocol accepts exactly one statement per message, so nothing appended to a
 * row filter or a name can run as a second command. (`queryMode` is missing from @types/pg.)
 */
function extended(text: string, values: unknown[]): QueryConfig {
  return { text, values, queryMode: "extended" } as QueryConfig;
}

/**
 * Session.concurrently on `c`: the reads' statements go out without waiting for answers
 * (node-postgres' pipeline mode, on for as long as any of them runs); every read settles first.
 */
async function allAtOnce<T extends readonly unknown[]>(
  c: Client,
  reads: [...{ [K in keyof T]: () => Promise<T[K]> }],
): Promise<T> {
  const pipelined = c as Client & { pipeline: boolean };
  // Nested: the outer call has the connection in pipeline mode already, and ends it.
  const outer = pipelined.pipeline;
  pipelined.pipeline = true;
  let settled: PromiseSettledResult<unknown>[];
  try {
    settled = await Promise.allSettled((reads as (() => Promise<unknown>)[]).map((read) => read()));
  } finally {
    if (!outer) pipelined.pipeline = false;
  }
  const failures = settled.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  // In a transaction the first failure makes the statements after it fail with 25P02: the first
  // that did not is the cause.
  if (failures.length > 0)
    throw failures.find((e) => (e as { code?: string }).code !== "25P02") ?? failures[0];
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Runs `fn` on a connection: an idle one from an earlier call of this process when it still
 * answers, else a new one. A connection goes back to the idle set only when `fn` succeeded (so never
 * inside a transaction); if `fn` changed a setting, the next call resets it first (in the round trip
 * that sets its limits); on any error it is closed. Errors are redacted.
 */
export async function withSession<T>(info: ConnectionInfo, fn: (s: Session) => Promise<T>): Promise<T> {
  const secrets = secretsOf(info);
  const key = keyOf(info);
  let client: Client;
  let serverVersion: number;
  // What the session's limits were last set for: a new connection's are work's (open).
  let limits = WORK;
  const reused = await idle.checkout(key);
  if (reused) ({ client, version: serverVersion, limits } = reused);
  else ({ client, version: serverVersion } = await open(info));
  const c = client;
  let healthy = false;
  let dirty = false;
  // Every session runs without the timeouts a role or database may set (NO_TIMEOUTS, turned off
  // when the connection is made). A check, diff or read waits a bounded time for table locks
  // (kernel/lockWaits.ts); anything else is work (copies, index builds, DDL), which waits for
  // locks as its statements say (pg/lock.ts). The lock wait stays with the kept connection, so
  // calls of the same kind set it once.
  const bound = readWait();
  const wait = bound === undefined ? undefined : Math.max(1, Math.trunc(bound));
  const wanted = wait === undefined ? WORK : `read ${wait}`;
  // Statements that go out with the next one, in the same round trip: the session's limits,
  // settings (Session.set), a transaction's BEGIN. (BEGIN fails only with the connection, which
  // nothing runs on then; a setting's error comes with the statement it went out with.)
  const unsent: (QueryConfig | string)[] = wanted !== limits ? [limitStatements(limits, wanted)] : [];
  const send = async <R extends QueryResultRow>(config: QueryConfig | string): Promise<QueryResult<R>> => {
    if (unsent.length === 0) return c.query<R>(config);
    const before = unsent.splice(0);
    const results = await allAtOnce(c, [
      ...before.map((statement) => () => c.query(statement)),
      () => c.query<R>(config),
    ]);
    limits = wanted;
    return results[before.length] as QueryResult<R>;
  };
  try {
    const session: Session = {
      serverVersion,
      async query<R extends QueryResultRow>(text: string, values?: unknown[]) {
        const result = await send<R>(extended(text, values ?? []));
        return result.rows;
      },
      async exec(text) {
        await send(extended(text, []));
      },
      async execBatch(statements) {
        if (statements.length > 0) await send(statements.join(";\n"));
      },
      async transaction(fn) {
        unsent.push("BEGIN");
        // Whether BEGIN went out (with fn's first statement); else there is nothing to end.
        const begun = () => !unsent.includes("BEGIN");
        try {
          const result = await fn();
          if (begun()) await c.query("COMMIT");
          else unsent.splice(unsent.indexOf("BEGIN"), 1);
          return result;
        } catch (e) {
          if (begun()) await c.query("ROLLBACK").catch(() => undefined);
          else unsent.splice(unsent.indexOf("BEGIN"), 1);
          throw e;
        }
      },
      async set(settings) {
        if (settings.length === 0) return;
        dirty = true;
        // In force from the next statement on, which it goes out with.
        const calls = settings.map((_, i) => `pg_catalog.set_config($${2 * i + 1}, $${2 * i + 2}, false)`);
        unsent.push(extended(`SELECT ${calls.join(", ")}`, settings.flat()));
      },
      concurrently: (reads) => allAtOnce(c, reads),
    };
    const result = await fn(session);
    // Reset in the same round trip as the next call's limits, before it runs anything.
    if (dirty) limits = RESET_PENDING;
    healthy = true;
    return result;
  } catch (e) {
    if (wait !== undefined && (e as { code?: string }).code === "55P03") await explainReadWait(e, info, wait);
    throw redactError(e, secrets);
  } finally {
    if (!(healthy && idle.checkin(key, c, serverVersion, limits))) await c.end().catch(() => undefined);
  }
}

/** Which kept connections a call may take: those made with the same connection info. */
const keyOf = (info: ConnectionInfo) =>
  JSON.stringify(Object.entries(info).sort(([a], [b]) => a.localeCompare(b)));

/** A new connection and its server's version. Errors are redacted. */
async function open(info: ConnectionInfo): Promise<{ client: Client; version: number }> {
  const client = await connectWith(info);
  try {
    // The timeouts off in the same round trip: a connection kept for a later call must not be
    // ended by the role's idle_session_timeout meanwhile.
    const version = await client.query<{ v: string }>(
      `SELECT current_setting('server_version_num') AS v, (${NO_TIMEOUTS}) AS off`,
    );
    return { client, version: Number(version.rows[0]!.v) };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw redactError(e, secretsOf(info));
  }
}

/**
 * Makes sure `count` connections to `info` are kept idle for the calls that follow (withSession
 * takes them): those missing are made in the background, so that connecting overlaps other work.
 * A failure is left to those calls to meet and report.
 */
export function warm(info: ConnectionInfo, count = 1): void {
  for (let i = idle.kept(keyOf(info)); i < count; i++)
    void open(info)
      .then(async ({ client, version }) => {
        if (!idle.checkin(keyOf(info), client, version, WORK)) await client.end();
      })
      .catch(() => undefined);
}

/** The timeouts a role or database may set that end a session's work, or the session itself. */
export const SESSION_TIMEOUTS = [
  "statement_timeout",
  "idle_in_transaction_session_timeout",
  "idle_session_timeout",
  "transaction_timeout",
] as const;
export type SessionTimeout = (typeof SESSION_TIMEOUTS)[number];

/**
 * The timeouts a role or database may set that would cut a session of this program short: a copy
 * or an index build longer than statement_timeout or PostgreSQL 17's transaction_timeout, a catalog
 * read on a loaded server, a session idle while another does its part or kept between calls
 * (idle.ts closes those itself, after 10 s). Those this server has, all turned off in one statement
 * (its answer: how many), as pg_dump and pg_restore turn them off for their sessions. Which it has
 * is asked of current_setting, not of the pg_settings view: a new backend's first statement, where
 * building that view cost the server ~2.5 ms of CPU per connection (of ~20 for the whole connection).
 */
export const NO_TIMEOUTS =
  "SELECT pg_catalog.count(pg_catalog.set_config(n, '0', false)) FROM pg_catalog.unnest(" +
  `ARRAY[${SESSION_TIMEOUTS.map(literal).join(", ")}]::text[]) AS n WHERE pg_catalog.current_setting(n, true) IS NOT NULL`;

/** A session's limits for work: no timeouts (NO_TIMEOUTS), the server's lock_timeout. */
const WORK = "work";
/** A kept connection a call changed settings on: RESET ALL before anything else on it. */
const RESET_PENDING = "reset";

/**
 * The statements (one round trip) that move a session's limits from `from` to `to` ("work" or
 * "read N"). A new connection is at "work" already (open); RESET ALL brings back the role's.
 */
function limitStatements(from: string, to: string): string {
  if (from === RESET_PENDING)
    return `RESET ALL; ${NO_TIMEOUTS}${to === WORK ? "" : `; ${limitStatements(WORK, to)}`}`;
  if (to === WORK) return "RESET lock_timeout";
  return `SET lock_timeout = '${to.slice("read ".length)}s'`;
}

/**
 * Appends to the error of a read that waited `seconds` for a table lock (55P03) who holds ACCESS
 * EXCLUSIVE locks in that database (asked on a connection of its own: the read's may be in an
 * aborted transaction) and what to do.
 */
async function explainReadWait(e: unknown, info: ConnectionInfo, seconds: number): Promise<void> {
  let who: string[] = [];
  try {
    const c = await connectWith(info);
    try {
      who = describeHolders((await c.query<Holder>(EXCLUSIVE_HOLDERS)).rows);
    } finally {
      await c.end().catch(() => undefined);
    }
  } catch {
    // The explanation is a courtesy: the error stands without it.
  }
  const err = e as Error;
  err.message = `${err.message}: a read on ${endpoint(info)} waited ${seconds} s for a table lock another session holds${who.length > 0 ? ` (${who.join("; ")})` : ""}. Run again once it is released, or raise \`lockTimeoutSeconds\` (a check, diff or refresh waits ${LOCK_TRIES} times it)`;
}

/**
 * A connection of its own for `fn` (COPY streams, a replication connection holding an exported
 * snapshot), connected as withSession's are, never reused: closed when `fn` settles. Errors are
 * redacted.
 */
export function withClient<T>(
  info: ConnectionInfo,
  fn: (client: Client) => Promise<T>,
  opts: { replication?: boolean } = {},
): Promise<T> {
  return withClients([{ info, ...opts }], ([client]) => fn(client!));
}

/**
 * Connections of their own (each as withClient's) made all at once: a server far from this program
 * costs several round trips per connection, paid once instead of once each. When one cannot be
 * made the others are closed and its error thrown; all are closed when `fn` settles.
 */
export function withClients<T>(
  wanted: readonly { info: ConnectionInfo; replication?: boolean }[],
  fn: (clients: Client[]) => Promise<T>,
): Promise<T> {
  return openClients(wanted).use(fn);
}

/** A connection openClients makes (or takes). */
export interface WantedClient {
  info: ConnectionInfo;
  replication?: boolean;
  /**
   * One of the connections withSession keeps for `info`: an idle one if there is one, else a new
   * one made as withSession makes it (the timeouts off: it may wait idle among the kept ones);
   * handed back to them when its work succeeded, its settings reset before its next use (so the
   * work may set any).
   */
  shared?: boolean;
}

/** Connections being made ahead of the work that needs them (openClients). */
export interface OpenedClients {
  /**
   * Runs `fn` on them once all are made, as withClients does (one not made: its error). When `fn`
   * succeeded, its result comes back once each connection has been told to end (or a shared one
   * handed back), without waiting for the servers to close them; after a failure, once they are
   * closed.
   */
  use<T>(fn: (clients: Client[]) => Promise<T>): Promise<T>;
  /** Within `use`: ends (or hands back, if shared) at once those `fn` will not use. */
  spare(clients: readonly Client[]): Promise<void>;
  /** Closes them unused (hands back the shared ones). */
  close(): Promise<void>;
}

/**
 * withClients's connections started now and used later: their round trips and the servers' new
 * backends overlap the reads that decide whether they are needed. Nothing is thrown before `use`:
 * one that could not be made fails `use`, and `close` ends them unused (the shared ones handed
 * back).
 */
export function openClients(wanted: readonly WantedClient[]): OpenedClients {
  // Each with its server's version when shared (a kept connection records it).
  const made = Promise.allSettled(
    wanted.map(async (w): Promise<{ client: Client; version?: number }> => {
      if (!w.shared) return { client: await connectWith(w.info, w.replication) };
      return (await idle.checkout(keyOf(w.info))) ?? open(w.info);
    }),
  );
  const done = new Set<Client>();
  /** Ends each of `only` (all when absent) not let go yet; `healthy`: hands the shared ones back. */
  const release = async (healthy: boolean, only?: readonly Client[]) => {
    const settled = await made;
    await Promise.all(
      settled.map(async (m, i) => {
        if (m.status !== "fulfilled") return;
        const { client, version } = m.value;
        if (done.has(client) || (only && !only.includes(client))) return;
        done.add(client);
        // Reset (RESET ALL) in the round trip that sets its next user's limits.
        const key = keyOf(wanted[i]!.info);
        if (healthy && version !== undefined && idle.checkin(key, client, version, RESET_PENDING)) return;
        await client.end().catch(() => undefined);
      }),
    );
  };
  return {
    async use(fn) {
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        const settled = await made;
        const failed = settled.find((m): m is PromiseRejectedResult => m.status === "rejected");
        if (failed) throw failed.reason;
        result = await fn(settled.map((m) => (m as PromiseFulfilledResult<{ client: Client }>).value.client));
      } catch (e) {
        // Closed before the error is reported: what fails next (an undo) must not meet their
        // sessions' transactions and locks.
        await release(false);
        throw redactError(
          e,
          wanted.flatMap((w) => secretsOf(w.info)),
        );
      }
      // Their work is done and committed: each is sent Terminate now, and its server ends the
      // session on its own (on a loaded server 9 connections took 30–46 ms to close).
      void release(true);
      return result;
    },
    spare: (clients) => release(true, clients),
    close: () => release(true),
  };
}
