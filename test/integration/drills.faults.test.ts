// The reliability drills, short (npm run drill runs them at full length): faults mid-stream and mid-copy. Each file also
// checks that no password shows in any non-secret output, log line or error message of its drills.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  interruptedCopyDrill,
  publisherDownDestroyDrill,
  publisherRestartDrill,
  type DrillResult,
} from "../harness/drill/drills";
import { paceWriters } from "../harness/drill/load";
import { report } from "../harness/drill/report";

// Writes flow through every step at a few hundred statements a second (unpaced: npm run drill).
paceWriters(200);

describe("reliability drills (short): faults", () => {
  const results: DrillResult[] = [];
  const expectPass = (r: DrillResult) => {
    results.push(r);
    assert.ok(r.pass, `${r.scenario}: ${JSON.stringify(r.figures)}`);
  };
  after(() => report(results));

  it("converges after the publisher restarts mid-stream", async () =>
    expectPass(await publisherRestartDrill(4)));

  it("converges on the next up after the subscriber restarts mid-initial-copy (PostgreSQL's copy)", async () =>
    expectPass(await interruptedCopyDrill("subscriber restart", 200_000, 18, "postgres")));

  it("converges on the next up after the subscriber restarts mid-initial-copy (snapshot copy)", async () =>
    expectPass(await interruptedCopyDrill("subscriber restart", 200_000, 18, "snapshot")));

  it("converges on the next up after the provider host is killed mid-create (PostgreSQL's copy)", async () =>
    expectPass(await interruptedCopyDrill("host killed", 200_000, 18, "postgres")));

  it("reports every slot orphaned by a destroy with the publisher down", async () =>
    expectPass(await publisherDownDestroyDrill()));

  it("shows no password in any non-secret output, log line or error message of these drills", async () => {
    const { secretHits } = await import("../harness/drill/drills");
    const hits = secretHits(results);
    assert.ok(hits.searched > 20);
    assert.deepEqual(hits.where, []);
  });
});
