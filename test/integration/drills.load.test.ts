// The reliability drills, short (6 s and 9 s of writes; npm run drill runs them at full length): writes under topology changes and hand-made drift. Each file also
// checks that no password shows in any non-secret output, log line or error message of its drills.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { driftDrill, loadDrill, type DrillResult } from "../harness/drill/drills";
import { paceWriters } from "../harness/drill/load";
import { report } from "../harness/drill/report";
import { QUICK } from "../harness/matrix";

// Writes flow through every step at a few hundred statements a second (unpaced: npm run drill).
paceWriters(200);

describe("reliability drills (short): load and drift", () => {
  const results: DrillResult[] = [];
  const expectPass = (r: DrillResult) => {
    results.push(r);
    assert.ok(r.pass, `${r.scenario}: ${JSON.stringify(r.figures)}`);
  };
  after(() => report(results));

  it("loses and duplicates no row while up adds and removes tables, rotates the password, disables and enables, as a cloud admin role", async () => {
    const r = await loadDrill(QUICK ? 4 : 6, 18, "cloud");
    expectPass(r);
    assert.equal(r.figures.lost, 0);
    assert.equal(r.figures.duplicated, 0);
    assert.ok(
      Number(r.figures.inserts) > 100 && Number(r.figures.updates) > 100 && Number(r.figures.deletes) > 10,
    );
  });

  it("loses and duplicates no row while the publication, the slot, the subscription and a replica column are dropped by hand and repaired", async () => {
    const r = await driftDrill(QUICK ? 6 : 9);
    expectPass(r);
    assert.equal(r.figures.lost, 0);
    assert.equal(r.figures.duplicated, 0);
  });

  it("shows no password in any non-secret output, log line or error message of these drills", async () => {
    const { secretHits } = await import("../harness/drill/drills");
    const hits = secretHits(results);
    assert.ok(hits.searched > 20);
    assert.deepEqual(hits.where, []);
  });
});
