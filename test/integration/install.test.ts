// The package installed every way a team installs it: the registry tarball, npm workspaces, a pnpm
// workspace (pnpm 12.4.2) and an import of the built package by path. For each, the quickstart is
// captured in that layout, Pulumi's provider host starts in the program's directory as `pulumi up`
// starts it, and the three resources are created, read and deleted against real servers.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../harness/capture";
import { Engine } from "../harness/engine";
import {
  installByPath,
  installedPackageDir,
  installWithSdk,
  installWorkspace,
  lowestSdk,
  ROOT,
  type Installation,
} from "../harness/install";
import type { TestServer } from "../harness/postgres";
import { seededPair } from "../harness/seed";
import { eventually } from "../harness/util";

const QUICKSTART = path.join(ROOT, "examples", "quickstart", "index.ts");

describe("installed any way a team installs it (PG18)", () => {
  let primary: TestServer;
  let replica: TestServer;
  before(async () => ([primary, replica] = await seededPair(18, 18)));
  after(() => Promise.all([primary?.stop(), replica?.stop()]));

  // The installs run at once (npm and pnpm wait on the registry cache more than on the CPU); each
  // test waits for its own.
  const layouts: [string, () => Promise<Installation>][] = [
    ["a registry tarball", async () => ({ mode: "tarball", dir: installedPackageDir() })],
    ["npm workspaces", () => installWorkspace("npm")],
    ["a pnpm workspace", () => installWorkspace("pnpm")],
    ["an import of the built package by path", async () => installByPath()],
    [`a program on @pulumi/pulumi ${lowestSdk()}, the lowest supported`, () => installWithSdk(lowestSdk())],
  ];
  const installs = new Map<string, Promise<Installation>>();
  before(() => {
    for (const [how, install] of layouts) {
      const p = install();
      p.catch(() => undefined); // awaited by its test
      installs.set(how, p);
    }
  });

  for (const [how] of layouts)
    it(`loads the providers from ${how}: check, create, read and delete work`, async () => {
      const inst = await installs.get(how)!;
      const resources = await captureProgram(
        QUICKSTART,
        { primaryUrl: primary.url("app"), replicaUrl: replica.url("app") },
        "quickstart",
        { dir: inst.dir, importAs: inst.importAs },
      );
      for (const r of resources) {
        const text = String(r.inputs.__provider);
        assert.ok(text.length < 4096, `${r.type}: the serialized provider is ${text.length} bytes`);
        assert.doesNotMatch(text, /withSession|require\("\.\//, `${r.type}: our code was serialized`);
      }
      const engine = await Engine.start(inst.dir);
      try {
        await engine.up(resources);
        await eventually(async () => {
          const n = await replica.query<{ n: string }>("SELECT count(*) AS n FROM users", [], "app");
          assert.equal(Number(n[0]!.n), 3);
        });
        await engine.refresh();
        assert.equal(engine.state.size, 3);
        assert.deepEqual(
          (await engine.preview(resources)).map((s) => s.op),
          ["same", "same", "same"],
        );
        await engine.destroy();
        assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), []);
        assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
      } finally {
        await engine.stop();
        // The replicated tables survive destroy by design: empty the replica for the next layout.
        await replica.query("DROP TABLE IF EXISTS blog_posts, users", [], "app");
      }
    });

  it("says the provider could not be loaded, not that a connection failed, when the package is gone", async () => {
    const inst = installByPath();
    const resources = await captureProgram(
      QUICKSTART,
      { primaryUrl: primary.url("app"), replicaUrl: replica.url("app") },
      "quickstart",
      { dir: inst.dir, importAs: inst.importAs },
    );
    fs.rmSync(path.join(inst.dir, "vendor"), { recursive: true });
    const engine = await Engine.start(inst.dir);
    try {
      const r = resources[0]!;
      await assert.rejects(engine.check(r.urn, {}, r.inputs), (e: Error) => {
        assert.match(e.message, /could not find the publication provider/);
        assert.match(e.message, /install pulumi-pg-replication in the program's project/);
        assert.match(e.message, /No database was contacted/);
        assert.doesNotMatch(e.message, /host, port, credentials/);
        return true;
      });
    } finally {
      await engine.stop();
    }
  });
});
