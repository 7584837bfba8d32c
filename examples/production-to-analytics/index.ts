// A production primary (as on a managed cloud) replicating a privacy-safe slice of two tables to an
// analytics database: a dedicated replication login with SELECT grants, declared with
// @pulumi/postgresql; a column list that leaves personal data on the primary; a row filter that
// leaves test orders behind; the whole topology through LogicalReplication.
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import { LogicalReplication } from "pulumi-pg-replication";

const cfg = new pulumi.Config();
const primaryHost = cfg.require("primaryHost");
const primaryPort = cfg.getNumber("primaryPort") ?? 5432;
const database = cfg.require("primaryDatabase");
const adminUser = cfg.require("primaryAdminUser");
const adminPassword = cfg.requireSecret("primaryAdminPassword");
const replicationPassword = cfg.requireSecret("replicationPassword");
const analyticsUrl = cfg.requireSecret("analyticsUrl");

// Roles and grants on the primary, managed by the PostgreSQL provider.
const admin = new postgresql.Provider("primary-admin", {
  host: primaryHost,
  port: primaryPort,
  database,
  username: adminUser,
  password: adminPassword,
  sslmode: cfg.get("sslMode") ?? "require",
  superuser: false,
});
const replicator = new postgresql.Role(
  "replicator",
  { name: "analytics_replicator", login: true, replication: true, password: replicationPassword },
  { provider: admin },
);
const grant = new postgresql.Grant(
  "replicator-select",
  {
    database,
    role: replicator.name,
    schema: "public",
    objectType: "table",
    objects: ["customers", "orders"],
    privileges: ["SELECT"], // the initial copy reads the tables as this role
  },
  { provider: admin },
);

const adminUrl = pulumi.interpolate`postgres://${adminUser}:${adminPassword}@${primaryHost}:${primaryPort}/${database}`;
// The subscription connects as the replication role, never as the admin.
const replicatorUrl = pulumi.interpolate`postgres://${replicator.name}:${replicationPassword}@${primaryHost}:${primaryPort}/${database}`;

const analytics = new LogicalReplication(
  "analytics",
  {
    primary: adminUrl,
    publisher: replicatorUrl,
    replica: analyticsUrl,
    tables: [
      // Personal data (email, name) stays on the primary.
      { name: "customers", columns: ["id", "country", "created_at"] },
      // orders has REPLICA IDENTITY FULL, so the filter may use any column while updates and deletes flow.
      { name: "orders", where: "status <> 'test'" },
    ],
    waitForSync: { timeoutSeconds: 1800 },
  },
  { dependsOn: [grant] },
);

export const replicatedTables = analytics.schemaSync!.syncedTables;
export const tableStates = analytics.tableStates;
