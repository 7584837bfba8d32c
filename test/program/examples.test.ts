// The examples' resource graphs under setMocks, from the installed package: what each program
// declares, including the @pulumi/postgresql resources whose plugin cannot run here.

import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { captureProgram as capture, type CapturedResource } from "../harness/capture";
import { installedPackageDir, installWithSdk, lowestSdk, ROOT } from "../harness/install";
import { variants } from "../harness/matrix";

const example = (name: string) => path.join(ROOT, "examples", name, "index.ts");

// Each program runs on the newest @pulumi/pulumi (this checkout's) and on the lowest the package
// supports (the quick matrix: the newest only).
const SDKS: [string, () => Promise<string>][] = variants([
  ["the newest @pulumi/pulumi", async () => installedPackageDir()],
  [
    `@pulumi/pulumi ${lowestSdk()} (the lowest supported)`,
    async () => (await installWithSdk(lowestSdk())).dir,
  ],
]);

for (const [sdk, dir] of SDKS)
  describe(`example resource graphs, ${sdk}`, () => {
    const captureProgram = (
      file: string,
      config: Record<string, string>,
      project: string,
      options: { all?: boolean } = {},
    ): Promise<CapturedResource[]> =>
      dir().then((d) => capture(file, config, project, { ...options, dir: d }));

    it("production-to-analytics declares a replication role with SELECT grants and a filtered, column-listed topology", async () => {
      const resources = await captureProgram(
        example("production-to-analytics"),
        {
          primaryHost: "db.internal",
          primaryDatabase: "shop",
          primaryAdminUser: "admin",
          primaryAdminPassword: "admin-pw",
          replicationPassword: "repl-pw",
          analyticsUrl: "postgres://a:b@warehouse/w",
        },
        "production-to-analytics",
        { all: true },
      );
      const byType = (t: string) => resources.filter((r) => r.type === t);
      const [role] = byType("postgresql:index/role:Role");
      assert.deepEqual(
        [role!.inputs.name, role!.inputs.login, role!.inputs.replication],
        ["analytics_replicator", true, true],
      );
      assert.ok(role!.secretInputs.includes("password"));
      const [grant] = byType("postgresql:index/grant:Grant");
      assert.deepEqual(
        [grant!.inputs.objects, grant!.inputs.privileges, grant!.inputs.role],
        [["customers", "orders"], ["SELECT"], "analytics_replicator"],
      );
      assert.equal(byType("pg-replication:index:LogicalReplication").length, 1);
      const pub = byType("pulumi-nodejs:dynamic/pg-replication:Publication")[0]!;
      assert.deepEqual(pub.inputs.tables, [
        { name: "customers", columns: ["id", "country", "created_at"] },
        { name: "orders", where: "status <> 'test'" },
      ]);
      const sub = byType("pulumi-nodejs:dynamic/pg-replication:Subscription")[0]!;
      assert.match(
        String(sub.inputs.publisher),
        /^postgres:\/\/analytics_replicator:repl-pw@db\.internal:5432\/shop$/,
      );
      assert.deepEqual(sub.secretInputs.sort(), ["connection", "publisher"]);
    });

    it("fan-out declares two publications and a schema copy and subscription per replica", async () => {
      const resources = await captureProgram(
        example("fan-out"),
        {
          primaryUrl: "postgres://p:x@p/app",
          replicaAUrl: "postgres://a:x@a/app",
          replicaBUrl: "postgres://b:x@b/app",
        },
        "fan-out",
      );
      const subs = resources.filter((r) => r.type.endsWith(":Subscription"));
      assert.deepEqual(
        subs.map((s) => [s.name, s.inputs.publications]),
        [
          ["replica_a", ["core"]],
          ["replica_b", ["core", "audit"]],
        ],
      );
      const syncs = resources.filter((r) => r.type.endsWith(":SchemaSync"));
      assert.deepEqual(
        syncs.map((s) => s.inputs.tables),
        [
          ["users", "blog_posts"],
          ["users", "blog_posts", "comments"],
        ],
      );
    });
  });
