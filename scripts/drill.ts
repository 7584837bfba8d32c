// npm run drill — the reliability drills at full length: 4 writers for 60 s under topology changes,
// faults (publisher restart, subscriber restart and host kill mid-copy of 2 M rows, publisher down
// during destroy), hostile input, and a search for every password in everything a user sees.
// DRILL_SECONDS and DRILL_ROWS shorten it. Exits non-zero if any drill fails.

import {
  driftDrill,
  interruptedCopyDrill,
  loadDrill,
  publisherDownDestroyDrill,
  publisherRestartDrill,
  type DrillResult,
} from "../test/harness/drill/drills";
import { hostileDrill } from "../test/harness/drill/hostile";
import { report } from "../test/harness/drill/report";

const seconds = Number(process.env.DRILL_SECONDS ?? 60);
const rows = Number(process.env.DRILL_ROWS ?? 2_000_000);

async function main(): Promise<void> {
  const results: DrillResult[] = [];
  const run = async (label: string, fn: () => Promise<DrillResult>) => {
    console.log(`… ${label}`);
    results.push(await fn());
  };
  await run("load", () => loadDrill(seconds));
  await run("load as a cloud admin role", () => loadDrill(seconds, 18, "cloud"));
  await run("drift under load", () => driftDrill(seconds));
  await run("publisher restart", () => publisherRestartDrill(Math.max(10, seconds / 3)));
  await run("subscriber restart mid-copy", () => interruptedCopyDrill("subscriber restart", rows));
  await run("host killed mid-copy", () => interruptedCopyDrill("host killed", rows));
  await run("subscriber restart mid-snapshot-copy", () =>
    interruptedCopyDrill("subscriber restart", rows, 18, "snapshot"),
  );
  await run("host killed mid-snapshot-copy", () => interruptedCopyDrill("host killed", rows, 18, "snapshot"));
  await run("publisher down during destroy", () => publisherDownDestroyDrill());
  await run("hostile input", () => hostileDrill());
  console.log("");
  const { pass } = report(results);
  process.exit(pass ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
