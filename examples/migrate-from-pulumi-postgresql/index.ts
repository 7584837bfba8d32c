// Moving a stack from @pulumi/postgresql's Publication and Subscription to this package, with
// nothing dropped, re-created or copied again on the servers (README: "Moving from
// @pulumi/postgresql"). Before this program runs, the old resources leave the stack without
// touching the servers: `pulumi state delete <urn>` for each (or `retainOnDelete: true`, an `up`,
// then removing them from the program). This program then adopts the objects by their names: the
// preview of each create says what adopting changes (`adoption`), "nothing" when the declaration
// matches.
import * as pulumi from "@pulumi/pulumi";
import { LogicalReplication } from "pulumi-pg-replication";

const cfg = new pulumi.Config();
const replication = new LogicalReplication("app", {
  primary: cfg.requireSecret("primaryUrl"),
  replica: cfg.requireSecret("replicaUrl"),
  tables: ["users", "blog_posts"],
  // The names @pulumi/postgresql's resources used (`postgresql.Publication`'s `name`,
  // `postgresql.Subscription`'s `name`; its slot is named after the subscription).
  publicationName: cfg.get("publicationName") ?? "app_pub",
  subscriptionName: cfg.get("subscriptionName") ?? "app_sub",
  // What the old subscription was made with, so that adopting changes nothing.
  binary: false,
  adopt: true,
});
export const tableStates = replication.tableStates;
