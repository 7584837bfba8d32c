// The reliability drills, short (npm run drill runs them at full length): hostile input. Each test also
// checks that no password shows in any non-secret output, log line or error message of its drill.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostileDrill } from "../harness/drill/hostile";
import { drillChecks } from "../harness/drill/report";

describe("reliability drills (short): hostile input", () => {
  const expectPass = drillChecks();

  it("handles or refuses at least 50 hostile inputs, and the canary tables survive", async () => {
    const r = await hostileDrill();
    expectPass(r);
    assert.ok(Number(r.figures.cases) >= 50);
  });
});
