// The reliability drills, short (6 s and 9 s of writes; npm run drill runs them at full length): writes under topology changes and hand-made drift. Each test also
// checks that no password shows in any non-secret output, log line or error message of its drill.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { driftDrill, loadDrill } from "../harness/drill/drills";
import { paceWriters } from "../harness/drill/load";
import { drillChecks } from "../harness/drill/report";
import { QUICK } from "../harness/matrix";

// Writes flow through every step at a few hundred statements a second (unpaced: npm run drill).
paceWriters(200);

describe("reliability drills (short): load and drift", () => {
  const expectPass = drillChecks();

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
});
