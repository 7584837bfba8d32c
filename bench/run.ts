// npm run bench — every benchmark, printed as Markdown (docs/benchmarks.md records a full run).
// Environment: BENCH_ROUNDS (5), BENCH_MAJORS (15,18), BENCH_SIZES (200,1000), BENCH_DATA_DIRS
// (tmpfs,disk), BENCH_PREVIEW_SIZES (10,200,1000), BENCH_SYNC_ROWS (1000000), BENCH_HOST_CALLS (300), BENCH_ONLY (comma list of
// schemaSync, preview, sync, host, fastsync, copy, copyfloor, copylatency, topology), BENCH_FASTSYNC_ROUNDS (3), BENCH_COPY_ROUNDS (3),
// BENCH_COPY_2000 (add 2 000 small tables), BENCH_COPY_SLOW (PostgreSQL's copy of those too),
// BENCH_COPY_SETS (only datasets whose label contains one of these), BENCH_LATENCIES (0,10,40: copylatency's
// round trips in ms), BENCH_TOPOLOGY_TABLES (2000).

import * as os from "node:os";
import { copyBench, copyFloorBench, copyLatencyBench } from "./copy.bench";
import { fastSyncBench } from "./fastsync.bench";
import { hostBench } from "./host.bench";
import { previewBench } from "./preview.bench";
import { schemaSyncBench } from "./schemaSync.bench";
import { syncBench } from "./sync.bench";
import { topologyBench } from "./topology.bench";

const only = process.env.BENCH_ONLY?.split(",");
const say = (s: string) => console.log(s);

async function main(): Promise<void> {
  say(`# Benchmark run ${new Date().toISOString()}\n`);
  say(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}; node ${process.version}.`,
  );
  const benches: [string, (say: (s: string) => void) => Promise<void>][] = [
    ["schemaSync", schemaSyncBench],
    ["preview", previewBench],
    ["sync", syncBench],
    ["host", hostBench],
    ["fastsync", fastSyncBench],
    ["copy", copyBench],
    ["copyfloor", copyFloorBench],
    ["copylatency", copyLatencyBench],
    ["topology", topologyBench],
  ];
  for (const [name, run] of benches) if (!only || only.includes(name)) await run(say);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
