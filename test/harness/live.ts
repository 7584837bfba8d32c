// A program run the way `pulumi preview` and `pulumi up` run it: the program executes (under
// setMocks, in the program worker of the engine's directory: see worker.ts) and every resource it
// registers is stepped through Pulumi's provider host at once — check, diff, and in `up`
// create/update/replace — with the outputs handed back to the program. Dependents thus see what
// the engine would show them: in a preview the old outputs of unchanged resources and the checked
// inputs of changing ones, anything else unknown; in `up` the real outputs. Resources the program
// no longer declares are deleted at the end. The host is the parent's (one host process per stack,
// as with the CLI); the run is asynchronous, so whatever else the test runs (writers on the
// primary) goes on meanwhile.

import * as path from "node:path";
import type { Engine, PlannedStep } from "./engine";
import { ROOT } from "./install";
import type { TestServer } from "./postgres";
import { runInWorker } from "./worker";

export interface RunResult {
  steps: PlannedStep[];
  /** Set when `up` stopped on an error (the state holds what was done until then). */
  error?: string;
}

/**
 * Runs `programFile` as `pulumi preview` or `pulumi up` would against `engine`'s host and state
 * (updated in place by `up`). Stack config keys are given without the project prefix.
 */
export async function runProgram(
  engine: Engine,
  programFile: string,
  config: Record<string, string>,
  mode: "preview" | "up",
  project = "quickstart",
): Promise<RunResult> {
  const reply = await runInWorker(engine.dir, {
    kind: "live",
    program: programFile,
    config,
    project,
    mode,
    stack: engine.stack,
    port: engine.port,
    state: [...engine.state.values()],
  });
  if (!reply.steps) throw new Error(`the program run failed before it started: ${reply.error}`);
  if (mode === "up") engine.state = new Map(reply.state!.map((s) => [s.urn, s]));
  return { steps: reply.steps, ...(reply.error ? { error: reply.error } : {}) };
}

/**
 * The snapshot fixture (LogicalReplication with its copy options from stack config) between
 * `primary` and `replica`'s database `db`, copying `tables`; `config` adds the rest
 * (copyMethod, copyJobs, publishGeneratedColumns). Returns the run of one preview or up.
 */
export function snapshotProgram(
  primary: TestServer,
  replica: TestServer,
  db: string,
  tables: unknown[],
  config: Record<string, string> = {},
): (op: "preview" | "up", engine: Engine) => Promise<RunResult> {
  const program = path.join(ROOT, "test", "fixtures", "snapshot", "index.ts");
  const full = {
    primaryUrl: primary.url(db),
    replicaUrl: replica.url(db),
    tables: JSON.stringify(tables),
    ...config,
  };
  return (op, engine) => runProgram(engine, program, full, op, "snap");
}
