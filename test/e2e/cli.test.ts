// The quickstart through the real pulumi CLI (Automation API, local file backend): preview, up,
// `preview --refresh` after a change made by hand, destroy. Runs only where `pulumi` is on PATH.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { cliStack, pulumiOnPath } from "../harness/cli";
import { ROOT } from "../harness/install";
import { startServer, type TestServer } from "../harness/postgres";
import { seedPrimary } from "../harness/seed";

const cli = pulumiOnPath();
if (!cli)
  console.log("e2e: skipped — the pulumi CLI is not on PATH (the provider-host tests cover the same flow)");

describe("quickstart through the pulumi CLI", { skip: !cli && "the pulumi CLI is not on PATH" }, () => {
  let primary: TestServer;
  let replica: TestServer;
  let handle: Awaited<ReturnType<typeof cliStack>>;

  before(async () => {
    [primary, replica] = await Promise.all([startServer(), startServer()]);
    await Promise.all([primary.createDatabase("app"), replica.createDatabase("app")]);
    await seedPrimary(primary);
    handle = await cliStack(path.join(ROOT, "examples", "quickstart", "index.ts"), "quickstart", {
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url("app"),
    });
  });
  after(async () => {
    await handle?.dispose();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("previews, applies, shows drift after a manual change, and destroys", async () => {
    const preview = await handle.stack.preview();
    assert.equal(preview.changeSummary.create, 4); // the stack and three resources
    await handle.stack.up();
    assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM users", [], "app"), [{ n: 3 }]);
    await primary.query("ALTER PUBLICATION postgresml_users DROP TABLE blog_posts", [], "app");
    const drift = await handle.stack.preview({ refresh: true });
    assert.ok((drift.changeSummary.update ?? 0) >= 1, JSON.stringify(drift.changeSummary));
    await handle.stack.destroy();
    assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots", [], "app"), []);
  });
});
