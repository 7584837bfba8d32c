// Connection inputs: a postgres:// URI, a libpq `key=value` string, or an object, all normalised
// into one ConnectionInfo; the zod schema that validates them (a factory: module-level schemas break
// provider serialization); and the libpq connection string CREATE SUBSCRIPTION receives.
// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING

import { conninfoPair, parseConninfo } from "./conninfo";
import { parameterProblem } from "./libpqParameters";
import { readService } from "./pgfiles";
import { redactConninfo, redactUri } from "./redact";

export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** A connection as an object: the fields in camelCase, each a libpq parameter. */
export interface ConnectionObject {
  /** Host name, IP address, or the directory of a Unix-domain socket ("/var/run/postgresql"). */
  host: string;
  /** Port (default 5432). */
  port?: number;
  database: string;
  user: string;
  password?: string;
  sslMode?: SslMode;
  /** Path of the CA certificate(s) that verify the server (libpq sslrootcert). */
  sslRootCert?: string;
  /** Path of the client certificate (libpq sslcert). */
  sslCert?: string;
  /** Path of the client certificate's private key (libpq sslkey). */
  sslKey?: string;
  /** Passphrase of an encrypted sslKey (libpq sslpassword); kept secret like the password. */
  sslPassword?: string;
  applicationName?: string;
  /** Seconds to wait for a connection (libpq connect_timeout). */
  connectTimeout?: number;
  /** Command-line options sent to the server at connection start, e.g. "-c statement_timeout=0". */
  options?: string;
  /**
   * Any other libpq parameter by its libpq name, e.g. `{ channel_binding: "require",
   * target_session_attrs: "read-write" }` (see the README's table for what each does here).
   */
  params?: Record<string, string>;
}

/** A `postgres://` URI, a libpq `key=value` string, or the same as an object. */
export type Connection = string | ConnectionObject;

/** The normalised connection every provider works with. */
export interface ConnectionInfo {
  /** The (first) host and its port. */
  host: string;
  port: number;
  /**
   * Every host libpq would try, in order, when the connection names several (`host=a,b`,
   * `postgres://a:5432,b:5433/db`); `host` and `port` are then the first's.
   */
  hosts?: HostPort[];
  database: string;
  user: string;
  password?: string;
  sslMode?: SslMode;
  sslRootCert?: string;
  sslCert?: string;
  sslKey?: string;
  sslPassword?: string;
  applicationName?: string;
  connectTimeout?: number;
  options?: string;
  /** The other libpq parameters, by libpq name (libpqParameters.ts), as given. */
  params?: Record<string, string>;
}

export interface HostPort {
  host: string;
  port: number;
}

/** libpq keyword → ConnectionInfo field, in the order connection strings list them. */
const KEYWORDS = {
  host: "host",
  port: "port",
  dbname: "database",
  user: "user",
  password: "password",
  sslmode: "sslMode",
  sslrootcert: "sslRootCert",
  sslcert: "sslCert",
  sslkey: "sslKey",
  sslpassword: "sslPassword",
  application_name: "applicationName",
  connect_timeout: "connectTimeout",
  options: "options",
} as const satisfies Record<string, keyof ConnectionInfo>;
type Keyword = keyof typeof KEYWORDS;

/** The secrets a connection carries (to redact from any message). */
export function secretsOf(info: Partial<ConnectionInfo>): string[] {
  return [info.password, info.sslPassword, info.params?.oauth_client_secret].filter((s): s is string => !!s);
}

/** Parses any form into ConnectionInfo. Errors are plain sentences and never contain a secret. */
export function parseConnection(conn: Connection): ConnectionInfo {
  if (typeof conn !== "string") return fromObject(conn);
  if (/^postgres(ql)?:\/\//i.test(conn)) return fromUri(conn);
  if (/^\s*[a-z_]+\s*=/i.test(conn)) return fromKeywords(conn);
  throw new Error(
    `is neither a postgres:// URI nor a libpq key=value string (${redactUri(redactConninfo(conn)).slice(0, 80)}); write postgres://user:password@host:5432/database or host=… dbname=… user=…`,
  );
}

/** A handler's connection inputs, each parsed once at its start: what the helpers below it take. */
export type Resolved<K extends string> = Readonly<Record<K, ConnectionInfo>>;

export function resolve<K extends string>(
  inputs: Readonly<Record<K, Connection>>,
  ...keys: K[]
): Resolved<K> {
  return Object.fromEntries(keys.map((k) => [k, parseConnection(inputs[k])])) as Resolved<K>;
}

function fromObject(o: ConnectionObject): ConnectionInfo {
  const info: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) info[k] = v;
  const params = info.params as Record<string, string> | undefined;
  if (typeof params?.service === "string") {
    const { service, ...rest } = params;
    const values: Partial<Record<Keyword, string>> = {};
    withService(service, values, rest);
    for (const [k, v] of Object.entries(values) as [Keyword, string][])
      info[KEYWORDS[k]] ??= NUMERIC.has(k) ? wholeNumber(k, v, `service ${service}`) : v;
    info.params = rest;
    if (Object.keys(rest).length === 0) delete info.params;
  }
  info.port ??= 5432;
  return complete(info);
}

/**
 * Fills what the connection leaves out from its service's definition (a service file read where
 * this program runs, as libpq reads it), parameters given in the connection winning. The service
 * is spelled out from then on: the subscription's conninfo gets its parameters, not its name (the
 * replica's server rarely has the file).
 */
function withService(
  name: string,
  values: Partial<Record<Keyword, string>>,
  params: Record<string, string>,
): void {
  for (const [k, v] of Object.entries(readService(name)))
    if (k in KEYWORDS) values[k as Keyword] ??= v;
    else params[k] ??= v;
}

function fromUri(uri: string): ConnectionInfo {
  const shown = redactUri(uri);
  // libpq allows an empty host (postgres://u@/db?host=/socket/dir); WHATWG URL does not.
  const NO_HOST = "no-host.invalid";
  // libpq's host list (postgres://a:5432,b:5433/db) is no URL authority: the URL parser reads the
  // first host, the list is read here.
  const authority = /^(postgres(?:ql)?:\/\/(?:[^/?#@]*@)?)([^/?#]*)/i.exec(uri)!;
  const listed = authority[2]!.includes(",")
    ? authority[2]!.split(",").map((h) => {
        const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(h);
        if (!m || !m[1])
          throw new Error(
            `has an empty or malformed host in its host list (${shown}); write host:port,host:port`,
          );
        return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port: m[2] ?? "" };
      })
    : undefined;
  const single = listed ? uri.replace(authority[0]!, authority[1]! + authority[2]!.split(",")[0]!) : uri;
  let url: URL;
  try {
    url = new URL(single.replace(/^(postgres(?:ql)?:\/\/(?:[^/?#@]*@)?)(?=[:/?#]|$)/i, `$1${NO_HOST}`));
  } catch {
    throw new Error(`is not a valid URI (${shown}); write postgres://user:password@host:5432/database`);
  }
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new Error(
        `has a malformed percent-encoding in its ${what} (${shown}); write a literal % as %25 and encode reserved characters (@ as %40, : as %3A, / as %2F)`,
      );
    }
  };
  const values: Partial<Record<Keyword, string>> = {};
  const params: Record<string, string> = {};
  if (url.hostname && url.hostname !== NO_HOST)
    values.host = decode(url.hostname.replace(/^\[(.*)\]$/, "$1"), "host");
  if (url.port) values.port = url.port;
  else if (/^postgres(ql)?:\/\/[^/?#]*:0+(?=[/?#]|$)/i.test(uri)) values.port = "0";
  const db = url.pathname.replace(/^\//, "");
  if (db) values.dbname = decode(db, "database name");
  if (url.username) values.user = decode(url.username, "user name");
  if (url.password) values.password = decode(url.password, "password");
  if (listed) {
    values.host = listed.map((h) => decode(h.host, "host")).join(",");
    values.port = listed.map((h) => h.port).join(",");
  }
  for (const [key, value] of url.searchParams) {
    if (key in KEYWORDS) values[key as Keyword] = value;
    else params[key] = value;
  }
  return fromKeywordValues(values, params, shown);
}

/**
 * libpq's host and port lists: one port for every host, or one per host (an empty one is 5432).
 * Hosts are given, each; the lists' lengths agree.
 */
function hostList(hosts: string, ports: string | undefined, shown: string): HostPort[] {
  const names = hosts.split(",");
  const numbers = (ports ?? "").split(",");
  if (names.some((h) => h.trim() === ""))
    throw new Error(`has an empty host in its host list (${shown}); give every host`);
  if (numbers.length !== 1 && numbers.length !== names.length)
    throw new Error(
      `names ${names.length} hosts and ${numbers.length} ports (${shown}); give one port for all hosts or one per host`,
    );
  return names.map((host, i) => {
    const p = (numbers.length === 1 ? numbers[0]! : numbers[i]!).trim();
    if (p !== "" && !/^\d+$/.test(p))
      throw new Error(`has port=${p}, which is not a whole number (${shown})`);
    return { host: host.trim(), port: p === "" ? 5432 : Number(p) };
  });
}

function fromKeywords(text: string): ConnectionInfo {
  const shown = redactConninfo(text);
  const values: Partial<Record<Keyword, string>> = {};
  const params: Record<string, string> = {};
  for (const [key, value] of parseConninfo(text, shown)) {
    if (key in KEYWORDS) values[key as Keyword] = value;
    else params[key] = value;
  }
  return fromKeywordValues(values, params, shown);
}

function fromKeywordValues(
  values: Partial<Record<Keyword, string>>,
  params: Record<string, string>,
  shown: string,
): ConnectionInfo {
  if (params.service !== undefined) {
    const name = params.service;
    delete params.service;
    try {
      withService(name, values, params);
    } catch (e) {
      throw new Error(`${(e as Error).message} (${shown})`);
    }
  }
  const info: Record<string, unknown> = {};
  if (Object.keys(params).length > 0) info.params = params;
  if (values.host?.includes(",") || values.port?.includes(",")) {
    const hosts = hostList(values.host ?? "", values.port, shown);
    delete values.host;
    delete values.port;
    Object.assign(info, { host: hosts[0]!.host, port: hosts[0]!.port });
    if (hosts.length > 1) info.hosts = hosts;
  }
  for (const [key, value] of Object.entries(values) as [Keyword, string][])
    info[KEYWORDS[key]] = NUMERIC.has(key) ? wholeNumber(key, value, shown) : value;
  if (info.port === undefined) info.port = 5432;
  try {
    return complete(info);
  } catch (e) {
    throw new Error(`${(e as Error).message} (${shown})`);
  }
}

const NUMERIC = new Set<Keyword>(["port", "connect_timeout"]);

/** A whole-number parameter's value from its text (a string form, or a service file). */
function wholeNumber(key: Keyword, value: string, shown: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`has ${key}=${value}, which is not a whole number (${shown})`);
  return Number(value);
}

/** Checks what every form needs, whatever form it came in. */
function complete(info: Record<string, unknown>): ConnectionInfo {
  const port = info.port as number;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`has port ${port}; a port is 1–65535 (5432 when left out)`);
  if (!info.host) throw new Error("has no host; add one (a name, an address, or a Unix-socket directory)");
  if (String(info.host).includes(",")) {
    // The object form's host list: `port` serves every host.
    const hosts = hostList(String(info.host), String(port), String(info.host));
    Object.assign(info, { host: hosts[0]!.host });
    if (hosts.length > 1) info.hosts = hosts;
  }
  if (!info.database)
    throw new Error("has no database name; add /database after the host (dbname=… in key=value form)");
  if (!info.user)
    throw new Error("has no user; write postgres://user@host/database (user=… in key=value form)");
  if (info.sslMode !== undefined && !(SSL_MODES as readonly unknown[]).includes(info.sslMode))
    throw new Error(`has sslmode=${String(info.sslMode)}; use one of ${SSL_MODES.join(", ")}`);
  // libpq 16+: the TLS library's trusted roots, with verify-full (the default then; weaker is an error).
  if (info.sslRootCert === "system" && info.sslMode !== undefined && info.sslMode !== "verify-full")
    throw new Error(
      `has sslrootcert=system with sslmode=${String(info.sslMode)}; the system's trusted roots go only with sslmode=verify-full (libpq 16+ refuses weaker modes): set sslmode=verify-full or leave sslmode out`,
    );
  const params = info.params as Record<string, unknown> | undefined;
  if (params !== undefined) {
    if (params === null || typeof params !== "object" || Array.isArray(params))
      throw new Error("has params that are not an object of libpq parameter names and values");
    for (const [key, value] of Object.entries(params)) {
      if (typeof value !== "string") throw new Error(`has params.${key} that is not a string`);
      if (key in KEYWORDS)
        throw new Error(`has params.${key}; give ${KEYWORDS[key as Keyword]} as a field of its own`);
      const problem = parameterProblem(key, value);
      if (problem) throw new Error(problem);
    }
  }
  // libpq: a direct TLS start only where plaintext is not an option (no fallback to a plaintext login).
  if (
    (params as Record<string, string> | undefined)?.sslnegotiation === "direct" &&
    !["require", "verify-ca", "verify-full"].includes(String(info.sslMode))
  )
    throw new Error(
      `has sslnegotiation=direct with sslmode=${String(info.sslMode ?? "prefer")}; direct TLS needs sslmode=require, verify-ca or verify-full`,
    );
  const t = info.connectTimeout as number | undefined;
  if (t !== undefined && (!Number.isInteger(t) || t < 0))
    throw new Error(`has connect_timeout=${t}; give whole seconds, 0 or more`);
  return info as unknown as ConnectionInfo;
}

/** Where a connection points, for messages (host:port/database; never credentials). */
export function endpoint(info: ConnectionInfo): string {
  return `${(info.hosts ?? [info]).map((h) => `${h.host}:${h.port}`).join(",")}/${info.database}`;
}

/** The hosts to try, in libpq's order (`load_balance_hosts=random`: shuffled), each as a connection of its own. */
export function eachHost(info: ConnectionInfo): ConnectionInfo[] {
  const { hosts, ...one } = info;
  if (!hosts) return [info];
  const order = [...hosts];
  if (info.params?.load_balance_hosts === "random")
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  return order.map((h) => ({ ...one, host: h.host, port: h.port }));
}

/**
 * `info` whose sessions start with each of `settings` at 0 (off): `-c name=0` after the options it
 * has (the later of two wins), as the server applies them over the role's and database's own.
 */
export function withSettingsOff(info: ConnectionInfo, settings: readonly string[] = []): ConnectionInfo {
  if (settings.length === 0) return info;
  const off = settings.map((name) => `-c ${name}=0`).join(" ");
  return { ...info, options: info.options ? `${info.options} ${off}` : off };
}

/** `info` without any `-c name=0` for one of `settings` in its options (those withSettingsOff adds). */
export function withoutSettingsOff(info: ConnectionInfo, settings: readonly string[]): ConnectionInfo {
  if (!info.options || settings.length === 0) return info;
  const off = new Set(settings.map((name) => `${name}=0`));
  const words = info.options.split(/\s+/).filter(Boolean);
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++)
    if (words[i] === "-c" && off.has(words[i + 1] ?? "")) i++;
    else kept.push(words[i]!);
  const { options: _all, ...rest } = info;
  return kept.length > 0 ? { ...rest, options: kept.join(" ") } : rest;
}

/**
 * A libpq connection string with every parameter, for CREATE/ALTER SUBSCRIPTION … CONNECTION.
 * Contains the password: only for statements, never for messages or state.
 */
export function conninfo(info: ConnectionInfo): string {
  const pairs: string[] = [];
  for (const [key, field] of Object.entries(KEYWORDS)) {
    const v =
      info.hosts && (field === "host" || field === "port")
        ? info.hosts.map((h) => h[field]).join(",")
        : info[field];
    if (typeof v === "string" || typeof v === "number") pairs.push(conninfoPair(key, v));
  }
  for (const [key, v] of Object.entries(info.params ?? {}).sort(([a], [b]) => a.localeCompare(b)))
    pairs.push(conninfoPair(key, v));
  return pairs.join(" ");
}

/** Whether two connections are the same in every parameter (by meaning, not spelling). */
export function sameConnection(a: ConnectionInfo, b: ConnectionInfo): boolean {
  const fields = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof ConnectionInfo)[]);
  fields.delete("params");
  const pa = a.params ?? {};
  const pb = b.params ?? {};
  const params = new Set([...Object.keys(pa), ...Object.keys(pb)]);
  return (
    [...fields].every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k])) &&
    [...params].every((k) => pa[k] === pb[k])
  );
}

/** host:port/database of a connection string a catalog stores (subconninfo), or undefined when it cannot be read. */
export function conninfoEndpoint(stored: string): string | undefined {
  try {
    return endpoint(parseConnection(stored));
  } catch {
    return undefined;
  }
}

/**
 * Whether a subscription's stored connection string (pg_subscription.subconninfo) says what
 * `wanted` says; a string this package cannot read counts as different.
 */
export function conninfoMatches(stored: string, wanted: ConnectionInfo): boolean {
  return conninfoMatchesExcept(stored, wanted, []);
}

/** conninfoMatches, whatever either turns off of `settings` (withSettingsOff). */
export function conninfoMatchesExcept(
  stored: string,
  wanted: ConnectionInfo,
  settings: readonly string[],
): boolean {
  try {
    return sameConnection(
      withoutSettingsOff(parseConnection(stored), settings),
      withoutSettingsOff(wanted, settings),
    );
  } catch {
    return false;
  }
}
