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

/**
 * Text read on one server and written on another whose settings differ: dates, intervals and
 * floats in one unambiguous, exact form, as PostgreSQL's own table synchronisation sets them.
 */
export const PORTABLE_TEXT: readonly (readonly [name: string, value: string])[] = [
  ["datestyle", "ISO"],
  ["intervalstyle", "postgres"],
  ["extra_float_digits", "3"],
];
