// libpq's connection parameters beyond the ones ConnectionInfo has fields for (PostgreSQL 18's
// list): what this package does with each, and the values libpq accepts where they are a closed list.
// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS

/**
 * libpq's other parameters (PostgreSQL 18), and what this package does with each beyond passing it
 * unchanged to the replica's server in CREATE SUBSCRIPTION … CONNECTION (where the replica's libpq
 * honours it): "session" — honoured by this package's own sessions too (session.ts); "passed" —
 * only the replica's libpq uses it (nothing of it applies to node-postgres' sessions, or it only
 * narrows what libpq accepts); a sentence — refused, and why.
 */
export const PARAMETERS: Record<string, "session" | "passed" | string> = {
  channel_binding: "session",
  keepalives: "session",
  keepalives_idle: "session",
  keepalives_interval: "passed",
  keepalives_count: "passed",
  tcp_user_timeout: "passed",
  client_encoding: "passed",
  fallback_application_name: "session",
  sslnegotiation: "session",
  sslcrl: "session",
  sslcrldir: "passed",
  sslsni: "session",
  sslcertmode: "passed",
  sslcompression: "passed",
  sslkeylogfile: "passed",
  ssl_min_protocol_version: "session",
  ssl_max_protocol_version: "session",
  min_protocol_version: "passed",
  max_protocol_version: "passed",
  require_auth: "passed",
  requirepeer: "passed",
  gssencmode: "passed",
  krbsrvname: "passed",
  gsslib: "passed",
  gssdelegation: "passed",
  target_session_attrs: "session",
  load_balance_hosts: "session",
  hostaddr: "passed",
  oauth_issuer: "passed",
  oauth_client_id: "passed",
  oauth_client_secret: "passed",
  oauth_scope: "passed",
  replication:
    "it turns a connection into a replication connection, which neither this package's sessions nor a subscription's conninfo can use",
  service: "session",
  passfile: "session",
};

/** Values libpq accepts for the parameters whose values are a closed list. */
const PARAMETER_VALUES: Record<string, readonly string[]> = {
  channel_binding: ["disable", "prefer", "require"],
  keepalives: ["0", "1"],
  sslnegotiation: ["postgres", "direct"],
  sslsni: ["0", "1"],
  sslcertmode: ["disable", "allow", "require"],
  gssencmode: ["disable", "prefer", "require"],
  target_session_attrs: ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"],
  load_balance_hosts: ["disable", "random"],
  ssl_min_protocol_version: ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
  ssl_max_protocol_version: ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
};

/** The problem with a libpq parameter outside KEYWORDS, if any. */
export function parameterProblem(key: string, value: string): string | undefined {
  const use = PARAMETERS[key];
  if (use === undefined)
    return `has the parameter \`${key}\`, which libpq does not know; check its spelling (libpq's parameters are listed in the README)`;
  if (use !== "session" && use !== "passed") return `has the parameter \`${key}\`, which is refused: ${use}`;
  const allowed = PARAMETER_VALUES[key];
  if (allowed && !allowed.includes(value)) return `has ${key}=${value}; use one of ${allowed.join(", ")}`;
  if (
    /^(keepalives_idle|keepalives_interval|keepalives_count|tcp_user_timeout)$/.test(key) &&
    !/^\d+$/.test(value)
  )
    return `has ${key}=${value}, which is not a whole number`;
  return undefined;
}
