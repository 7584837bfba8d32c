// Who holds the table locks a statement of this package waited for: named in the error when a
// change's tries (lock.ts) or a read's wait (session.ts) ran out. Never their query text (it may
// hold data).

import { tableKey } from "./tables";

/** A session holding a lock on a table. */
export interface Holder {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  seconds: number | null;
  schema: string;
  name: string;
  mode: string;
}

const COLUMNS = `SELECT DISTINCT a.pid, a.usename::text AS "user", a.application_name AS application,
         a.state, pg_catalog.date_part('epoch', pg_catalog.now() - a.xact_start)::int AS seconds,
         n.nspname AS schema, c.relname AS name, l.mode`;

/** $1, $2: schemas and names. Other sessions' locks on these tables. */
export const HOLDERS_OF_TABLES = `${COLUMNS}
    FROM unnest($1::text[], $2::text[]) AS w(schema, name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
    JOIN pg_catalog.pg_locks l ON l.relation = c.oid AND l.granted
    JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
   WHERE a.pid <> pg_catalog.pg_backend_pid()
   ORDER BY a.pid LIMIT 5`;

/**
 * Other sessions' ACCESS EXCLUSIVE locks on this database's tables: the only lock a read (ACCESS
 * SHARE, which catalog functions such as pg_get_expr take on the table they describe) waits for.
 */
export const EXCLUSIVE_HOLDERS = `${COLUMNS}
    FROM pg_catalog.pg_locks l
    JOIN pg_catalog.pg_class c ON c.oid = l.relation
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
   WHERE l.granted AND l.mode = 'AccessExclusiveLock' AND a.pid <> pg_catalog.pg_backend_pid()
     AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
   ORDER BY a.pid LIMIT 5`;

/**
 * The application_name of the snapshot copy's sessions on the replica (unless the connection
 * names one): a read stopped behind the table locks they hold says it is this package's copy.
 */
export const COPY_APPLICATION = "pulumi-pg-replication snapshot copy";

/** The application_name a snapshot copy's session takes: COPY_APPLICATION unless the connection names one. */
export function copyApplicationName(info: {
  applicationName?: string;
  params?: Record<string, string>;
}): string | undefined {
  return info.applicationName !== undefined || info.params?.["fallback_application_name"] !== undefined
    ? undefined
    : COPY_APPLICATION;
}

/** Each holder as "pid 123 (user u, application "a", idle in transaction, transaction open 40 s) holds … on schema.name". */
export function describeHolders(holders: readonly Holder[]): string[] {
  return holders.map((h) => {
    const ours =
      h.application === COPY_APPLICATION
        ? ": the snapshot copy of an `up` of this package running now, which holds each table it fills until its rows are in"
        : "";
    const about = [
      h.user && `user ${h.user}`,
      h.application && `application ${JSON.stringify(h.application)}`,
      h.state,
      h.seconds !== null && `transaction open ${h.seconds} s`,
    ].filter(Boolean);
    return `pid ${h.pid} (${about.join(", ")}) holds ${h.mode} on ${tableKey(h)}${ours}`;
  });
}
