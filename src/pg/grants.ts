// The statements privilege preflights suggest in their messages, for an admin to run (this package
// never runs them). Built here, quoted like every other statement.

import { ident, qualified } from "./quote";
import type { SessionTimeout } from "./session";

export const grantCreateOnDatabase = (database: string, role: string) =>
  `GRANT CREATE ON DATABASE ${ident(database)} TO ${ident(role)};`;

export const grantCreateOnSchema = (schema: string, role: string) =>
  `GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(role)};`;

export const grantRole = (granted: string, role: string) => `GRANT ${ident(granted)} TO ${ident(role)};`;

export const alterTableOwner = (schema: string, table: string, role: string) =>
  `ALTER TABLE ${qualified(schema, table)} OWNER TO ${ident(role)};`;

export const grantSelect = (tables: readonly { schema: string; name: string }[], role: string) =>
  `GRANT SELECT ON ${tables.map((t) => qualified(t.schema, t.name)).join(", ")} TO ${ident(role)};`;

export const grantWrite = (tables: readonly { schema: string; name: string }[], role: string) =>
  `GRANT INSERT, UPDATE, DELETE, TRUNCATE ON ${tables.map((t) => qualified(t.schema, t.name)).join(", ")} TO ${ident(role)};`;

export const alterRoleReplication = (role: string) => `ALTER ROLE ${ident(role)} WITH REPLICATION;`;

export const noForceRowSecurity = (schema: string, table: string) =>
  `ALTER TABLE ${qualified(schema, table)} NO FORCE ROW LEVEL SECURITY;`;

export const setLogged = (schema: string, table: string) =>
  `ALTER TABLE ${qualified(schema, table)} SET LOGGED;`;

export const disableRowSecurity = (schema: string, table: string) =>
  `ALTER TABLE ${qualified(schema, table)} DISABLE ROW LEVEL SECURITY;`;

/** The role's timeouts off (a closed set of setting names, written as PostgreSQL's documentation does). */
export const alterRoleNoTimeouts = (role: string, timeouts: readonly { name: SessionTimeout }[]) =>
  timeouts.map((t) => `ALTER ROLE ${ident(role)} SET ${t.name} = 0;`).join(" ");

export const alterRoleBypassRls = (role: string) => `ALTER ROLE ${ident(role)} WITH BYPASSRLS;`;

export const grantSequence = (
  privileges: "SELECT" | "SELECT, UPDATE",
  sequences: readonly { schema: string; name: string }[],
  role: string,
) =>
  `GRANT ${privileges} ON SEQUENCE ${sequences.map((q) => qualified(q.schema, q.name)).join(", ")} TO ${ident(role)};`;
