// The reliability drills, short (npm run drill runs them at full length): hostile input. Each file also
// checks that no password shows in any non-secret output, log line or error message of its drills.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { DrillResult } from "../harness/drill/drills";
import { hostileDrill } from "../harness/drill/hostile";
import { report } from "../harness/drill/report";

describe("reliability drills (short): hostile input", () => {
  const results: DrillResult[] = [];
  const expectPass = (r: DrillResult) => {
    results.push(r);
    assert.ok(r.pass, `${r.scenario}: ${JSON.stringify(r.figures)}`);
  };
  after(() => report(results));

  it("handles or refuses at least 50 hostile inputs, and the canary tables survive", async () => {
    const r = await hostileDrill();
    expectPass(r);
    assert.ok(Number(r.figures.cases) >= 50);
  });

  it("shows no password in any non-secret output, log line or error message of these drills", async () => {
    const { secretHits } = await import("../harness/drill/drills");
    const hits = secretHits(results);
    assert.ok(hits.searched > 5);
    assert.deepEqual(hits.where, []);
  });
});
