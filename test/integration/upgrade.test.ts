// A stack created by 0.1.0 keeps working after the package is upgraded: its saved providers require
// "pulumi-pg-replication/dist/<kind>Provider.js", which the new package still serves, and the new
// code reads the old state. The 0.1.0 tarball is the one `npm pack` made of that release.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../harness/capture";
import { Engine } from "../harness/engine";
import { extract, installTarball, PACKAGE, packedTarball, ROOT } from "../harness/install";
import type { TestServer } from "../harness/postgres";
import { seededPair } from "../harness/seed";
import { eventually } from "../harness/util";

const QUICKSTART = path.join(ROOT, "examples", "quickstart", "index.ts");
const V010 = path.join(ROOT, "test", "fixtures", "pulumi-pg-replication-0.1.0.tgz");
/** The quickstart as 0.1.0 shipped it (publications given by name). */
const QUICKSTART_010 = path.join(ROOT, "test", "fixtures", "v0.1.0", "quickstart.ts");

describe("a stack created by 0.1.0, after the upgrade (PG15 → PG18)", () => {
  let primary: TestServer;
  let replica: TestServer;
  let dir: string;
  let engine: Engine;
  const program = (file = QUICKSTART) =>
    captureProgram(file, { primaryUrl: primary.url("app"), replicaUrl: replica.url("app") }, "quickstart", {
      dir,
    });
  const count = async (table: string) =>
    Number((await replica.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], "app"))[0]!.n);

  before(async () => {
    [primary, replica] = await seededPair(15, 18);
    dir = installTarball(V010);
    const old = await Engine.start(dir);
    try {
      await old.up(await program(QUICKSTART_010));
    } finally {
      await old.stop();
    }
    extract(packedTarball(), path.join(dir, "node_modules", PACKAGE));
    engine = await Engine.start(dir);
    engine.state = old.state;
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("was created by 0.1.0: its saved providers require the old module paths", () => {
    for (const s of engine.state.values())
      assert.match(
        String(s.outputs.__provider),
        /require\("pulumi-pg-replication\/dist\/[a-zA-Z]+Provider\.js"\)/,
      );
    assert.equal(engine.state.size, 3);
  });

  it("previews no changes with the new package's providers", async () => {
    const resources = await program();
    assert.doesNotMatch(String(resources[0]!.inputs.__provider), /Provider\.js/);
    assert.deepEqual(
      (await engine.preview(resources)).map((s) => s.op),
      ["same", "same", "same"],
    );
  });

  it("refreshes with the saved 0.1.0 providers and still previews no changes", async () => {
    await engine.refresh();
    assert.equal(engine.state.size, 3);
    assert.deepEqual(
      (await engine.preview(await program())).map((s) => s.op),
      ["same", "same", "same"],
    );
  });

  it("keeps replicating, then destroys with the saved 0.1.0 providers, leaving nothing behind", async () => {
    await primary.query("INSERT INTO users (email) VALUES ('after-upgrade@example.com')", [], "app");
    await eventually(async () => assert.equal(await count("users"), 4));
    await engine.destroy();
    assert.deepEqual(await primary.query("SELECT pubname FROM pg_publication", [], "app"), []);
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), []);
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], "app"), []);
  });
});
