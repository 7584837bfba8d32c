// The reliability drills, short (npm run drill runs them at full length): faults mid-stream and mid-copy. Each test also
// checks that no password shows in any non-secret output, log line or error message of its drill.

import { describe, it } from "node:test";
import {
  interruptedCopyDrill,
  publisherDownDestroyDrill,
  publisherRestartDrill,
} from "../harness/drill/drills";
import { paceWriters } from "../harness/drill/load";
import { drillChecks } from "../harness/drill/report";

// Writes flow through every step at a few hundred statements a second (unpaced: npm run drill).
paceWriters(200);

describe("reliability drills (short): faults", () => {
  const expectPass = drillChecks();

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
});
