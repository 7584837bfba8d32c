// Sessions: a connected client with the few operations providers need, reused between the
// provider calls of one host process (see idle.ts), redacted on every error.

import * as fs from "node:fs";
import { Client, type ClientConfig, type QueryConfig, type QueryResultRow } from "pg";
import { endpoint, secretsOf, type ConnectionInfo } from "./connection";
import * as idle from "./idle";
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
   * Sets a run-time parameter for the rest of this session. The connection is reset (RESET ALL)
   * before it is kept for another call, so the setting never leaks into a later operation.
   */
  set(name: string, value: string): Promise<void>;
  serverVersion: number;
}

/** node-postgres' configuration for a connection, libpq's semantics where node-postgres has them. */
function clientConfig(info: ConnectionInfo): ClientConfig {
  const config: ClientConfig = {
    host: info.host,
    port: info.port,
    database: info.database,
    user: info.user,
    connectionTimeoutMillis: (info.connectTimeout ?? 15) * 1000,
    application_name: info.applicationName ?? "pulumi-pg-replication",
  };
  if (info.password !== undefined) config.password = info.password;
  if (info.options !== undefined) config.options = info.options;
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`cannot read ${what} ${JSON.stringify(file)} on this machine: ${(e as Error).message}`);
    }
  };
  const client = {
    ...(info.sslCert !== undefined ? { cert: read(info.sslCert, "sslcert") } : {}),
    ...(info.sslKey !== undefined ? { key: read(info.sslKey, "sslkey") } : {}),
    ...(info.sslPassword !== undefined ? { passphrase: info.sslPassword } : {}),
  };
  const ca = info.sslRootCert !== undefined ? read(info.sslRootCert, "sslrootcert") : undefined;
  // libpq: with a root certificate, `require` verifies the CA as verify-ca does.
  const mode = info.sslMode === "require" && ca !== undefined ? "verify-ca" : info.sslMode;
  switch (mode) {
    case "require":
      config.ssl = { rejectUnauthorized: false, ...client };
      break;
    case "verify-ca":
      config.ssl = { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined, ...client };
      break;
    case "verify-full":
      config.ssl = { rejectUnauthorized: true, ca, ...client };
      break;
    default:
      // node-postgres cannot fall back from TLS to plain ("prefer", "allow"): it connects without TLS,
      // as libpq does when the server offers none.
      config.ssl = false;
  }
  return config;
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
 * inside a transaction), reset first if `fn` changed a setting; on any error it is closed. Errors
 * are redacted.
 */
export async function withSession<T>(info: ConnectionInfo, fn: (s: Session) => Promise<T>): Promise<T> {
  const secrets = secretsOf(info);
  const key = JSON.stringify(Object.entries(info).sort(([a], [b]) => a.localeCompare(b)));
  let client: Client;
  let serverVersion: number;
  const reused = await idle.checkout(key);
  if (reused) ({ client, version: serverVersion } = reused);
  else {
    try {
      client = new Client(clientConfig(info));
    } catch (e) {
      throw redactError(e, secrets, `could not connect to ${endpoint(info)} as ${JSON.stringify(info.user)}`);
    }
    // A broken socket emits 'error' on the client; without a listener it would crash the host.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw redactError(e, secrets, `could not connect to ${endpoint(info)} as ${JSON.stringify(info.user)}`);
    }
    try {
      const version = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      serverVersion = Number(version.rows[0]!.v);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw redactError(e, secrets);
    }
  }
  const c = client;
  let healthy = false;
  let dirty = false;
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
      async set(name, value) {
        dirty = true;
        await c.query(extended("SELECT pg_catalog.set_config($1, $2, false)", [name, value]));
      },
    };
    const result = await fn(session);
    if (dirty) await c.query("RESET ALL");
    healthy = true;
    return result;
  } catch (e) {
    throw redactError(e, secrets);
  } finally {
    if (!(healthy && idle.checkin(key, c, serverVersion))) await c.end().catch(() => undefined);
  }
}
