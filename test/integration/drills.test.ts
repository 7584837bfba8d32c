// The reliability drills, short (npm run drill runs them at full length): writes under topology
// changes, faults, hostile input, and no password anywhere a user could see it.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  interruptedCopyDrill,
  loadDrill,
  publisherDownDestroyDrill,
  driftDrill,
  publisherRestartDrill,
  type DrillResult,
} from "../harness/drill/drills";
import { hostileDrill } from "../harness/drill/hostile";
import { report } from "../harness/drill/report";

describe("reliability drills (short)", () => {
  const results: DrillResult[] = [];
  const expectPass = (r: DrillResult) => {
    results.push(r);
    assert.ok(r.pass, `${r.scenario}: ${JSON.stringify(r.figures)}`);
  };
  after(() => report(results));

  it("loses and duplicates no row while up adds and removes tables, rotates the password, disables and enables, as a cloud admin role", async () => {
    const r = await loadDrill(8, 18, "cloud");
    expectPass(r);
    assert.equal(r.figures.lost, 0);
    assert.equal(r.figures.duplicated, 0);
    assert.ok(
      Number(r.figures.inserts) > 100 && Number(r.figures.updates) > 100 && Number(r.figures.deletes) > 10,
    );
  });

  it("loses and duplicates no row while the publication, the slot, the subscription and a replica column are dropped by hand and repaired", async () => {
    const r = await driftDrill(12);
    expectPass(r);
    assert.equal(r.figures.lost, 0);
    assert.equal(r.figures.duplicated, 0);
  });

  it("converges after the publisher restarts mid-stream", async () =>
    expectPass(await publisherRestartDrill(4)));

  it("converges on the next up after the subscriber restarts mid-initial-copy", async () =>
    expectPass(await interruptedCopyDrill("subscriber restart", 200_000)));

  it("converges on the next up after the provider host is killed mid-create", async () =>
    expectPass(await interruptedCopyDrill("host killed", 200_000)));

  it("reports every slot orphaned by a destroy with the publisher down", async () =>
    expectPass(await publisherDownDestroyDrill()));

  it("handles or refuses at least 50 hostile inputs, and the canary tables survive", async () => {
    const r = await hostileDrill();
    expectPass(r);
    assert.ok(Number(r.figures.cases) >= 50);
  });

  it("shows no password in any non-secret output, log line or error message of the drills", async () => {
    const { secretHits } = await import("../harness/drill/drills");
    const hits = secretHits(results);
    assert.ok(hits.searched > 50);
    assert.deepEqual(hits.where, []);
  });
});
