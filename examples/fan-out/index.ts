// One primary feeding two replicas with different table sets: the shared `core` publication goes to
// both; the `audit` publication only to the second, which therefore gets one table more.
import * as pulumi from "@pulumi/pulumi";
import { Publication, SchemaSync, Subscription } from "pulumi-pg-replication";

const cfg = new pulumi.Config();
const primary = cfg.requireSecret("primaryUrl");
const replicaA = cfg.requireSecret("replicaAUrl");
const replicaB = cfg.requireSecret("replicaBUrl");

const core = new Publication("core", { connection: primary, name: "core", tables: ["users", "blog_posts"] });
const audit = new Publication("audit", { connection: primary, name: "audit", tables: ["comments"] });

function replica(name: string, url: pulumi.Output<string>, publications: Publication[]) {
  const tables = pulumi.all(publications.map((p) => p.tables)).apply((lists) => lists.flat());
  const schema = new SchemaSync(name, { source: primary, target: url, tables });
  return new Subscription(
    name,
    {
      connection: url,
      name,
      publisher: primary,
      publications,
      waitForSync: { timeoutSeconds: 600 },
    },
    { dependsOn: [schema] },
  );
}

const a = replica("replica_a", replicaA, [core]);
const b = replica("replica_b", replicaB, [core, audit]);

export const replicaATables = a.tableStates;
export const replicaBTables = b.tableStates;
