// A refreshed preview of a whole topology at scale, as `pulumi preview --refresh` runs it: the
// LogicalReplication component (a Publication, the pre-data SchemaSync, the Subscription, the
// post-data SchemaSync) over BENCH_TOPOLOGY_TABLES small tables (2 000), through Pulumi's provider
// host — a refresh (read of each resource), then the program run as a preview (check and diff of
// each). Every input and output crosses the host as a protobuf Struct, so the size of what each
// resource keeps is part of the cost; the state's size is reported beside the times. Medians.

import * as path from "node:path";
import { Engine } from "../test/harness/engine";
import { ROOT } from "../test/harness/install";
import { runProgram } from "../test/harness/live";
import { startServer, type Major } from "../test/harness/postgres";
import { env, median, timed } from "./common";

const PROGRAM = path.join(ROOT, "test", "fixtures", "component", "index.ts");

export async function topologyBench(say: (s: string) => void): Promise<void> {
  const n = Number(process.env.BENCH_TOPOLOGY_TABLES ?? 2000);
  say(`\n## A refreshed preview of ${n} tables\n`);
  say(
    `LogicalReplication over ${n} tables (primary key + 1 index, one row each) through the provider host: \`refresh\` (read ×4), then the program as a preview (check and diff ×4, all "same"). Medians of ${env.rounds}; the state is what the engine keeps for the four resources (JSON).\n`,
  );
  say("| PG | tables | up s | refresh s | preview s | refresh + preview s | state KiB (inputs + outputs) |");
  say("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const major of env.majors as Major[]) {
    const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
    const engine = await Engine.start();
    try {
      await Promise.all([primary.createDatabase("app"), replica.createDatabase("app")]);
      const tables = Array.from({ length: n }, (_, i) => `s${i + 1}`);
      await primary.query(
        tables
          .flatMap((t) => [
            `CREATE TABLE ${t} (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)`,
            `INSERT INTO ${t} VALUES (1, 1, 'x')`,
            `CREATE INDEX ${t}_a ON ${t} (a)`,
          ])
          .join(";\n"),
        [],
        "app",
      );
      const config = {
        primaryUrl: primary.url("app"),
        replicaUrl: replica.url("app"),
        tables: JSON.stringify(tables),
        waitTimeout: "1800",
      };
      const run = async (mode: "up" | "preview") => {
        const r = await runProgram(engine, PROGRAM, config, mode, "component");
        if (r.error) throw new Error(r.error);
        if (mode === "preview" && r.steps.some((s) => s.op !== "same"))
          throw new Error(`the preview plans ${r.steps.map((s) => s.op).join(", ")}`);
      };
      const up = await timed(() => run("up"));
      // The first refresh after an up reads each side in full once (fingerprints are recorded).
      await engine.refresh();
      await run("preview");
      const refresh: number[] = [];
      const preview: number[] = [];
      const both: number[] = [];
      for (let r = 0; r < env.rounds; r++) {
        // `pulumi preview --refresh` runs in a provider host of its own (BENCH_WARM_HOST=1: one
        // host for every round, as the figures before 2026-12-05 measured).
        if (!process.env.BENCH_WARM_HOST) await engine.restartHost();
        const a = await timed(() => engine.refresh());
        const b = await timed(() => run("preview"));
        refresh.push(a);
        preview.push(b);
        both.push(a + b);
      }
      const states = [...engine.state.values()];
      const kib = (x: unknown) => JSON.stringify(x).length / 1024;
      const size = kib(states.map((s) => s.inputs)) + kib(states.map((s) => s.outputs));
      const s = (ms: number) => (ms / 1000).toFixed(2);
      say(
        `| ${major} | ${n} | ${s(up)} | ${s(median(refresh))} | ${s(median(preview))} | ${s(median(both))} | ${size.toFixed(0)} |`,
      );
    } finally {
      await engine.stop();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }
}
