// Connection inputs: the zod schema (a factory: module-level schemas break provider
// serialization), and the URI and object forms normalised into one ConnectionInfo.

import { z } from "zod";
import { conninfoPair } from "./conninfo";
import { redactUri } from "./redact";

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

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

/** A `postgres://` URI, or the same as an object. */
export type Connection = z.infer<ReturnType<typeof connectionSchema>>;

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
