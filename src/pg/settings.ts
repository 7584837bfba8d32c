// Server settings every resource's preflight reads, in one query.

import type { Session } from "./session";

export interface ServerSettings {
  version: number;
  settings: Record<string, string>;
}

const SETTINGS = [
  "wal_level",
  "max_wal_senders",
  "max_replication_slots",
  "rds.logical_replication",
  "cloudsql.logical_decoding",
  "azure.replication_support",
  "max_logical_replication_workers",
  "max_sync_workers_per_subscription",
  "max_worker_processes",
  "max_active_replication_origins",
];

export async function readSettings(s: Session): Promise<ServerSettings> {
  // current_setting(…, true) also sees extension and provider settings pg_settings may not list.
  const rows = await s.query<{ name: string; setting: string | null }>(
    "SELECT n AS name, pg_catalog.current_setting(n, true) AS setting FROM unnest($1::text[]) AS n",
    [SETTINGS],
  );
  return {
    version: s.serverVersion,
    settings: Object.fromEntries(rows.filter((r) => r.setting !== null).map((r) => [r.name, r.setting!])),
  };
}

/** The current database's encoding (server_encoding), as PostgreSQL names it: UTF8, LATIN1, SQL_ASCII … */
export async function readEncoding(s: Session): Promise<string> {
  const rows = await s.query<{ e: string }>("SELECT pg_catalog.current_setting('server_encoding') AS e");
  return rows[0]!.e;
}

/**
 * Rows go from a database encoded `publisher` to one encoded `replica`: why a character could not
 * make it (a sentence), or undefined when every one can — the same encoding, a UTF8 replica (it
 * holds every character), or a SQL_ASCII one (it stores bytes as they come). From a SQL_ASCII
 * publisher any byte may arrive, valid in no encoding.
 */
export function encodingGap(publisher: string, replica: string): string | undefined {
  if (publisher === replica || replica === "SQL_ASCII") return undefined;
  if (publisher === "SQL_ASCII")
    return `the publisher's database is SQL_ASCII (its text is bytes, checked against no encoding) and the replica's ${replica}: a byte sequence that is not valid ${replica} stops the copy and the stream`;
  if (replica === "UTF8") return undefined;
  return `the publisher's database is encoded ${publisher} and the replica's ${replica}, which cannot hold every ${publisher} character: the first one it cannot (e.g. € in LATIN1) stops the copy and the stream, retried without end`;
}

/**
 * Text read on one server and written on another whose settings differ: dates, intervals and
 * floats in one unambiguous, exact form, as PostgreSQL's own table synchronisation sets them.
 */
export const PORTABLE_TEXT: readonly (readonly [name: string, value: string])[] = [
  ["datestyle", "ISO"],
  ["intervalstyle", "postgres"],
  ["extra_float_digits", "3"],
];
