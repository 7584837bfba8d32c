// What the Subscription's roles need (https://www.postgresql.org/docs/current/logical-replication-security.html),
// checked at preview: each failure names the role, what is missing and the statement that grants it.
// Pure rules over what pg/roles.ts and pg/tableFacts.ts read.

import type { CheckFailure } from "../kernel/check";
import { formatVersion } from "../kernel/versions";
import type { ConnectionInfo } from "../pg/connection";
import {
  alterRoleBypassRls,
  alterRoleReplication,
  alterTableOwner,
  disableRowSecurity,
  grantCreateOnDatabase,
  grantRole,
  grantSelect,
  grantWrite,
  noForceRowSecurity,
} from "../pg/grants";
import { cloudAdmin, type RoleFacts } from "../pg/roles";
import type { TableFacts } from "../pg/tableFacts";
import { tableKey } from "../pg/tables";

/**
 * The subscriber's role: a superuser, or from PostgreSQL 16 a member of pg_create_subscription with
 * CREATE on the database, a publisher password (password_required), and the right to apply changes
 * to each target table (its owner's privileges, or write privileges with run_as_owner).
 */
export function subscriberFailures(
  role: RoleFacts,
  version: number,
  inputs: { passwordRequired?: boolean; runAsOwner?: boolean },
  publisher: ConnectionInfo,
  targets: readonly TableFacts[],
): CheckFailure[] {
  const guarded = replicaRowSecurityFailures(role.user, version, inputs, targets);
  if (role.superuser) return guarded;
  const who = JSON.stringify(role.user);
  if (version < 160000) {
    // Managed clouds let their admin role create subscriptions on older versions too.
    if (cloudAdmin(role)) return guarded;
    return [
      ...guarded,
      {
        property: "connection",
        reason: `CREATE SUBSCRIPTION needs a superuser before PostgreSQL 16; the subscriber runs ${formatVersion(version)} and role ${who} is not one: connect as a superuser, or upgrade the subscriber to 16 or later and run ${grantRole("pg_create_subscription", role.user)}`,
      },
    ];
  }
  const failures: CheckFailure[] = [...guarded];
  if (!role.memberOf.includes("pg_create_subscription"))
    failures.push({
      property: "connection",
      reason: `role ${who} may not create subscriptions: run ${grantRole("pg_create_subscription", role.user)} as an admin.`,
    });
  if (!role.createOnDatabase)
    failures.push({
      property: "connection",
      reason: `role ${who} needs CREATE on database ${JSON.stringify(role.database)} to create a subscription: run ${grantCreateOnDatabase(role.database, role.user)}`,
    });
  if (inputs.passwordRequired === false)
    failures.push({
      property: "passwordRequired",
      reason: `only a superuser may set password_required = false, and role ${who} is not one: leave \`passwordRequired\` out and give the publisher connection a password.`,
    });
  else if (publisher.password === undefined)
    failures.push({
      property: "publisher",
      reason: `the publisher connection has no password, and a subscription owned by a non-superuser (${who}) must authenticate with one (password_required): add the replication role's password, and make sure the publisher's pg_hba.conf asks for it.`,
    });
  const blocked = targets.filter((t) => (inputs.runAsOwner ? !t.canWrite : !t.canBecomeOwner));
  if (blocked.length > 0)
    failures.push({
      property: "connection",
      reason: inputs.runAsOwner
        ? `with run_as_owner the subscription owner ${who} applies changes itself and needs INSERT, UPDATE, DELETE and TRUNCATE on ${blocked.map((t) => JSON.stringify(tableKey(t))).join(", ")}: run ${grantWrite(blocked, role.user)}`
        : `the subscription applies changes as each table's owner, and role ${who} may not act as the owner of ${blocked.map((t) => `${JSON.stringify(tableKey(t))} (owned by ${JSON.stringify(t.owner)})`).join(", ")}: make ${who} own them (${blocked.map((t) => alterTableOwner(t.schema, t.name, role.user)).join(" ")}) or run ${[...new Set(blocked.map((t) => t.owner))].map((o) => grantRole(o, role.user)).join(" ")}`,
    });
  return failures;
}

/**
 * The role each target table's rows are written as, in the initial copy and the stream: the
 * subscription's owner before PostgreSQL 16 and with run_as_owner; else the table's owner, unless
 * that owner may SET ROLE to the subscription's owner (then PostgreSQL does not switch).
 */
export function applyingRole(
  t: TableFacts,
  version: number,
  inputs: { runAsOwner?: boolean },
): "owner" | "subscriber" {
  return version < 160000 || inputs.runAsOwner === true || t.ownerCanBecomeMe ? "subscriber" : "owner";
}

/**
 * PostgreSQL refuses to copy or apply into a table whose row-level security applies to the role it
 * writes as (its table synchronisation then fails and retries until the wait times out, and the
 * stream stops at the first change): refused at preview, with the fix, for new and existing
 * subscriptions alike, superusers included (from 16 they write as the table's owner).
 */
export function replicaRowSecurityFailures(
  user: string,
  version: number,
  inputs: { runAsOwner?: boolean },
  targets: readonly TableFacts[],
): CheckFailure[] {
  const guarded = targets.filter((t) =>
    applyingRole(t, version, inputs) === "owner" ? t.ownerRowSecurity : t.rowSecurity,
  );
  if (guarded.length === 0) return [];
  const byOwner = (t: TableFacts) => applyingRole(t, version, inputs) === "owner";
  const roles = [...new Set(guarded.map((t) => (byOwner(t) ? t.owner : user)))];
  // Forcing is what makes it apply to an owner; to any other role only disabling lifts it.
  const lift = (t: TableFacts) =>
    byOwner(t) || t.owned ? noForceRowSecurity(t.schema, t.name) : disableRowSecurity(t.schema, t.name);
  return [
    {
      property: "connection",
      reason: `row-level security applies on the replica to ${guarded.map((t) => JSON.stringify(tableKey(t))).join(", ")} for the role that writes their rows (${roles.map((r) => JSON.stringify(r)).join(", ")}), and PostgreSQL refuses to replicate into such tables: their initial copy would fail and retry until the wait times out, and the stream would stop at their first change. Let that role bypass row-level security (a superuser runs ${roles.map(alterRoleBypassRls).join(" ")}), or lift it for that role on the replica's tables: ${guarded.map(lift).join(" ")}`,
    },
  ];
}

/**
 * The role the subscriber connects to the publisher as: REPLICATION (a walsender and a slot), and
 * SELECT on every published table (the initial copy reads them). Checked when this host reaches
 * the publisher.
 */
export function publisherRoleFailures(role: RoleFacts, published: readonly TableFacts[]): CheckFailure[] {
  if (role.superuser) return [];
  const failures: CheckFailure[] = [];
  const who = JSON.stringify(role.user);
  if (!role.replication && !role.memberOf.includes("rds_replication"))
    failures.push({
      property: "publisher",
      reason: `role ${who} on the publisher cannot stream changes: it needs the REPLICATION attribute: run ${alterRoleReplication(role.user)} (on RDS and Aurora: ${grantRole("rds_replication", role.user)})`,
    });
  // The initial copy (this program's COPY or PostgreSQL's table synchronisation) reads as this
  // role, so policies would leave out rows the stream then updates or deletes on the replica.
  const hidden = published.filter((t) => t.rowSecurity);
  if (hidden.length > 0)
    failures.push({
      property: "publisher",
      reason: `row-level security applies to role ${who} on the publisher for ${hidden.map((t) => JSON.stringify(tableKey(t))).join(", ")}: the initial copy would read only the rows its policies show, while the stream sends every change, and the replica would silently lack the rest. Connect as a role that bypasses row-level security (a superuser runs ${alterRoleBypassRls(role.user)}) or as the tables' owner (without FORCE ROW LEVEL SECURITY), or disable it on those tables`,
    });
  const unreadable = published.filter((t) => !t.canSelect);
  if (unreadable.length > 0)
    failures.push({
      property: "publisher",
      reason: `role ${who} on the publisher cannot read ${unreadable.map((t) => JSON.stringify(tableKey(t))).join(", ")}, which the initial copy needs: run ${grantSelect(unreadable, role.user)}`,
    });
  return failures;
}
