// Connections: the zod schema (a factory, never a module-level object: module-level schemas break
// provider serialization), normalisation of the URI and object forms, connecting, and redaction.

import type { ClientConfig, QueryConfig, QueryResultRow } from "pg";
import { z } from "zod";
import { conninfoPair } from "./sql";

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

/** A `postgres://` URI, or the same as an object. */
export type Connection =
  | string
  | {
      host: string;
      port?: number;
      database: string;
      user: string;
      password?: string;
      sslMode?: SslMode;
      sslRootCert?: string;
    };

/** The normalised connection every provider works with. */
export interface ConnectionInfo {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  sslMode?: SslMode;
  sslRootCert?: string;
}

const SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full"] as const;

export function connectionSchema() {
  const object = z
    .object({
      host: z.string().min(1, "host must not be empty"),
      port: z.number().int().min(1).max(65535).optional(),
      database: z.string().min(1, "database must not be empty"),
      user: z.string().min(1, "user must not be empty"),
      password: z.string().optional(),
      sslMode: z.enum(SSL_MODES).optional(),
      sslRootCert: z.string().optional(),
    })
    .strict();
  const uri = z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      "must be a postgres:// or postgresql:// URI, or an object { host, database, user, … }",
    )
    .superRefine((v, ctx) => {
      if (!/^postgres(ql)?:\/\//.test(v)) return;
      try {
        parseConnection(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: `the URI ${(e as Error).message}` });
      }
    });
  return z.union([uri, object]);
}

/** Parses a URI or object into ConnectionInfo. Errors never contain the password. */
export function parseConnection(conn: Connection): ConnectionInfo {
  if (typeof conn !== "string") {
    const info: ConnectionInfo = {
      host: conn.host,
      port: conn.port ?? 5432,
      database: conn.database,
      user: conn.user,
    };
    if (conn.password !== undefined) info.password = conn.password;
    if (conn.sslMode !== undefined) info.sslMode = conn.sslMode;
    if (conn.sslRootCert !== undefined) info.sslRootCert = conn.sslRootCert;
    return info;
  }
  let url: URL;
  try {
    url = new URL(conn);
  } catch {
    throw new Error(
      `is not a valid URI (${redactUri(conn)}); write postgres://user:password@host:5432/database.`,
    );
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  const user = decodeURIComponent(url.username);
  if (!url.hostname) throw new Error(`has no host (${redactUri(conn)}).`);
  if (!database) throw new Error(`has no database name (${redactUri(conn)}); add /database after the host.`);
  if (!user) throw new Error(`has no user (${redactUri(conn)}); write postgres://user@host/database.`);
  const info: ConnectionInfo = {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : 5432,
    database,
    user,
  };
  if (url.password) info.password = decodeURIComponent(url.password);
  const sslMode = url.searchParams.get("sslmode");
  if (sslMode !== null) {
    if (!(SSL_MODES as readonly string[]).includes(sslMode))
      throw new Error(`has sslmode=${sslMode}; use one of ${SSL_MODES.join(", ")}.`);
    info.sslMode = sslMode as SslMode;
  }
  const root = url.searchParams.get("sslrootcert");
  if (root !== null) info.sslRootCert = root;
  return info;
}

/** Where a connection points (host, port, database): changing it means a different object. */
export function endpoint(info: ConnectionInfo): string {
  return `${info.host}:${info.port}/${info.database}`;
}

/** A libpq connection string, for CREATE/ALTER SUBSCRIPTION … CONNECTION. Contains the password. */
export function conninfo(info: ConnectionInfo): string {
  const pairs = [
    conninfoPair("host", info.host),
    conninfoPair("port", info.port),
    conninfoPair("dbname", info.database),
    conninfoPair("user", info.user),
  ];
  if (info.password !== undefined) pairs.push(conninfoPair("password", info.password));
  if (info.sslMode !== undefined) pairs.push(conninfoPair("sslmode", info.sslMode));
  if (info.sslRootCert !== undefined) pairs.push(conninfoPair("sslrootcert", info.sslRootCert));
  return pairs.join(" ");
}

function clientConfig(info: ConnectionInfo): ClientConfig {
  const config: ClientConfig = {
    host: info.host,
    port: info.port,
    database: info.database,
    user: info.user,
    connectionTimeoutMillis: 15_000,
    application_name: "pulumi-pg-replication",
  };
  if (info.password !== undefined) config.password = info.password;
  switch (info.sslMode) {
    case "require":
      config.ssl = { rejectUnauthorized: false };
      break;
    case "verify-ca":
    case "verify-full": {
      const fs = require("fs") as typeof import("fs");
      const ca = info.sslRootCert ? fs.readFileSync(info.sslRootCert, "utf8") : undefined;
      config.ssl =
        info.sslMode === "verify-ca"
          ? { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined }
          : { rejectUnauthorized: true, ca };
      break;
    }
    default:
      // node-postgres has no "prefer": it connects without TLS, as libpq does when the server offers none.
      config.ssl = false;
  }
  return config;
}

/** A connected client: `query` for catalog reads (parameters), `exec` for DDL (extended protocol). */
export interface Session {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  exec(text: string): Promise<void>;
  /**
   * Sends many statements in one round trip (simple protocol). Only for DDL that sql.ts built from
   * quoted identifiers and the server's own deparsed definitions — never for user-written text.
   */
  execBatch(statements: readonly string[]): Promise<void>;
  /** Runs `fn` in one transaction, rolled back on any error. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  serverVersion: number;
}

/**
 * The extended query protocol accepts exactly one statement per message, so nothing appended to a
 * row filter or a name can run as a second command. (`queryMode` is missing from @types/pg.)
 */
function extended(text: string, values: unknown[]): QueryConfig {
  return { text, values, queryMode: "extended" } as QueryConfig;
}

/**
 * Runs `fn` on a connection: an idle one from an earlier call of this process when it still
 * answers, else a new one. A connection goes back to the idle set only when `fn` succeeded (so never
 * inside a transaction); on any error it is closed. Errors are redacted.
 */
export async function withSession<T>(info: ConnectionInfo, fn: (s: Session) => Promise<T>): Promise<T> {
  const { Client } = require("pg") as typeof import("pg");
  const idle = require("./idleClients") as typeof import("./idleClients");
  const key = JSON.stringify([
    info.host,
    info.port,
    info.database,
    info.user,
    info.password ?? null,
    info.sslMode ?? null,
    info.sslRootCert ?? null,
  ]);
  let client: InstanceType<typeof Client>;
  let serverVersion: number;
  const reused = await idle.checkout(key);
  if (reused) ({ client, version: serverVersion } = reused);
  else {
    client = new Client(clientConfig(info));
    // A broken socket emits 'error' on the client; without a listener it would crash the host.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw redactError(e, info, `could not connect to ${endpoint(info)} as ${JSON.stringify(info.user)}`);
    }
    try {
      const version = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      serverVersion = Number(version.rows[0]!.v);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw redactError(e, info);
    }
  }
  const c = client;
  let healthy = false;
  try {
    const session: Session = {
      serverVersion,
      async query<R extends QueryResultRow>(text: string, values?: unknown[]) {
        const result = await c.query<R>(extended(text, values ?? []));
        return result.rows;
      },
      async exec(text) {
        await c.query(extended(text, []));
      },
      async execBatch(statements) {
        if (statements.length > 0) await c.query(statements.join(";\n"));
      },
      async transaction(fn) {
        await c.query("BEGIN");
        try {
          const result = await fn();
          await c.query("COMMIT");
          return result;
        } catch (e) {
          await c.query("ROLLBACK").catch(() => undefined);
          throw e;
        }
      },
    };
    const result = await fn(session);
    healthy = true;
    return result;
  } catch (e) {
    throw redactError(e, info);
  } finally {
    if (!(healthy && idle.checkin(key, c, serverVersion))) await c.end().catch(() => undefined);
  }
}

/** Replaces the password of a postgres:// URI with ***. */
export function redactUri(uri: string): string {
  return uri.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/g, "$1***@");
}

/** Removes every occurrence of the given secrets (and URI passwords) from a text. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = redactUri(text);
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out.replace(/password\s*=\s*'(?:[^'\\]|\\.)*'/gi, "password='***'");
}

/**
 * Wraps an error so its message, detail and hint hold no password; keeps the PostgreSQL `code`
 * (SQLSTATE) so callers can branch on it.
 */
export function redactError(e: unknown, info: ConnectionInfo, context?: string): Error & { code?: string } {
  const src = e as { message?: string; code?: string; detail?: string; hint?: string };
  const secrets = [info.password];
  const message = redact(String(src?.message ?? e), secrets);
  const err = new Error(context ? `${context}: ${message}` : message) as Error & {
    code?: string;
    detail?: string;
    hint?: string;
  };
  if (src?.code) err.code = src.code;
  if (src?.detail) err.detail = redact(src.detail, secrets);
  if (src?.hint) err.hint = redact(src.hint, secrets);
  return err;
}
