// What the connecting role may do, read in one query: the facts every resource's privilege
// preflight starts from. Managed clouds' admin roles are not superusers; their memberships are
// listed so that the messages can name the cloud's own fix.

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
}

export async function readRoleFacts(s: Session): Promise<RoleFacts> {
  const rows = await s.query<RoleFacts>(
    `SELECT current_user AS "user", current_database() AS database, r.rolsuper AS superuser,
            r.rolreplication AS replication,
            pg_catalog.has_database_privilege(current_database(), 'CREATE') AS "createOnDatabase",
            ARRAY(SELECT k.rolname::text FROM pg_catalog.pg_roles k
                   WHERE k.rolname = ANY($1::text[]) AND pg_catalog.pg_has_role(current_user, k.oid, 'USAGE')
                   ORDER BY 1) AS "memberOf"
       FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`,
    [KNOWN_ROLES],
  );
  return rows[0]!;
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
