// What the connecting role may do, read in one query: the facts every resource's privilege
// preflight starts from. Managed clouds' admin roles are not superusers; their memberships are
// listed so that the messages can name the cloud's own fix.

import type { CheckFailure } from "../kernel/check";
import type { Session } from "./session";

/** Roles whose privileges matter here: PostgreSQL's own and the managed clouds' admin roles. */
const KNOWN_ROLES = [
  "pg_create_subscription",
  "rds_superuser",
  "rds_replication",
  "cloudsqlsuperuser",
  "azure_pg_admin",
  "neon_superuser",
];

export interface RoleFacts {
  user: string;
  database: string;
  superuser: boolean;
  /** The REPLICATION attribute (walsender connections and slots). */
  replication: boolean;
  /** CREATE on the current database (schemas, publications, subscriptions). */
  createOnDatabase: boolean;
  /** Which of the known roles the user has the privileges of (membership with INHERIT). */
  memberOf: string[];
  /**
   * Its sessions start read-only: default_transaction_read_only is on for the server, the database
   * or the role (as a cutover's "stop writes" sets it), or the server is a standby in recovery.
   */
  readOnly: boolean;
  /** The server is a standby in recovery (read-only whatever a session sets). */
  inRecovery: boolean;
}

export async function readRoleFacts(s: Session): Promise<RoleFacts> {
  const rows = await s.query<RoleFacts>(
    `SELECT current_user AS "user", current_database() AS database, r.rolsuper AS superuser,
            r.rolreplication AS replication,
            pg_catalog.has_database_privilege(current_database(), 'CREATE') AS "createOnDatabase",
            ARRAY(SELECT k.rolname::text FROM pg_catalog.pg_roles k
                   WHERE k.rolname = ANY($1::text[]) AND pg_catalog.pg_has_role(current_user, k.oid, 'USAGE')
                   ORDER BY 1) AS "memberOf",
            pg_catalog.current_setting('transaction_read_only')::bool AS "readOnly",
            pg_catalog.pg_is_in_recovery() AS "inRecovery"
       FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
    [KNOWN_ROLES],
  );
  return rows[0]!;
}

/**
 * Where this program must write (`what`: "the schema copy" …) but the connection's sessions start
 * read-only: a standby (point the connection at its primary), or default_transaction_read_only on
 * (an option of this connection turns it off for this program's sessions only; PostgreSQL's apply
 * worker writes regardless).
 */
export function readOnlyFailure(property: string, facts: RoleFacts, what: string): CheckFailure | undefined {
  if (facts.inRecovery)
    return {
      property,
      reason: `\`${property}\` reaches a standby in recovery (read-only), where ${what} cannot be written: point it at the primary of that cluster.`,
    };
  if (facts.readOnly)
    return {
      property,
      reason: `transactions of role ${JSON.stringify(facts.user)} on database ${JSON.stringify(facts.database)} are read-only by default (default_transaction_read_only = on, set for the server, the database or the role), so ${what} cannot be written: add \`options=-c default_transaction_read_only=off\` to \`${property}\` (it changes only this program's sessions; PostgreSQL's apply worker writes regardless), or reset the setting.`,
    };
  return undefined;
}

/** A managed cloud's admin role the user belongs to, if any (their services allow more than plain roles). */
export function cloudAdmin(facts: RoleFacts): string | undefined {
  return facts.memberOf.find((r) =>
    ["rds_superuser", "cloudsqlsuperuser", "azure_pg_admin", "neon_superuser"].includes(r),
  );
}

/**
 * The server's identity and the database's name: the same whatever host name, address, port, user
 * or TLS setting reaches it. Undefined where pg_control_system() is not offered.
 */
export async function readServerId(s: Session): Promise<string | undefined> {
  try {
    const rows = await s.query<{ id: string }>(
      "SELECT system_identifier::text || '/' || current_database() AS id FROM pg_catalog.pg_control_system()",
    );
    return rows[0]?.id;
  } catch {
    return undefined;
  }
}
