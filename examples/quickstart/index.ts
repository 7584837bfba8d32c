// The PostgresML logical replication guide as a Pulumi program: publish `users` and `blog_posts`
// on the primary, copy their schema to the replica, subscribe, and wait for the initial copy.
import * as pulumi from "@pulumi/pulumi";
import { Publication, SchemaSync, Subscription } from "pulumi-pg-replication";

const cfg = new pulumi.Config();
const primary = cfg.requireSecret("primaryUrl"); // postgres://user:pw@prod-db:5432/app
const replica = cfg.requireSecret("replicaUrl");
// The publisher as the replica's server reaches it; defaults to primaryUrl.
const publisher = cfg.getSecret("publisherUrl") ?? primary;
const tables = cfg.getObject<string[]>("tables") ?? ["users", "blog_posts"];

const pub = new Publication("users", { connection: primary, name: "postgresml_users", tables });
const schema = new SchemaSync("users", { source: primary, target: replica, tables: pub.tables });
const sub = new Subscription(
  "users",
  {
    connection: replica,
    name: "postgresml_users",
    publisher,
    publications: [pub],
    waitForSync: { timeoutSeconds: 600 },
  },
  { dependsOn: [schema] },
);

export const publicationName = pub.name;
export const replicatedTables = schema.syncedTables;
export const tableStates = sub.tableStates;
