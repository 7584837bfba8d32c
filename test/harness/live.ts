// A program run the way `pulumi preview` and `pulumi up` run it: the program executes (under
// setMocks, in a child process whose working directory is the install directory) and every
// resource it registers is stepped through Pulumi's provider host at once — check, diff, and in
// `up` create/update/replace — with the outputs handed back to the program. Dependents thus see
// what the engine would show them: in a preview the old outputs of unchanged resources and the
// checked inputs of changing ones, anything else unknown; in `up` the real outputs. Resources the
// program no longer declares are deleted at the end. The stack's state lives in a JSON file
// between runs; the host is the parent's (one host process per stack, as with the CLI).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Engine, type PlannedStep, type ResourceState } from "./engine";
import { ROOT } from "./install";

const TSX = pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

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
  const dir = engine.dir;
  const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const stateFile = path.join(dir, `state-${stamp}.json`);
  const outFile = path.join(dir, `run-${stamp}.json`);
  const program = path.join(dir, `program-${stamp}-${path.basename(programFile)}`);
  fs.copyFileSync(programFile, program);
  fs.writeFileSync(stateFile, JSON.stringify([...engine.state.values()]));
  const pulumiConfig = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${project}:${k}`, v]));
  try {
    // Asynchronous, so that whatever else the test runs (writers on the primary) goes on meanwhile.
    const child = spawn(
      process.execPath,
      ["--import", TSX, __filename, program, mode, String(engine.port), stateFile, outFile, project],
      {
        cwd: dir,
        env: {
          ...process.env,
          PULUMI_CONFIG: JSON.stringify(pulumiConfig),
          PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(Object.keys(pulumiConfig)),
        },
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    if (!fs.existsSync(outFile)) throw new Error(`the program run exited with ${code} before it finished`);
    const out = JSON.parse(fs.readFileSync(outFile, "utf8")) as RunResult & { state: ResourceState[] };
    if (mode === "up") engine.state = new Map(out.state.map((s) => [s.urn, s]));
    return { steps: out.steps, ...(out.error ? { error: out.error } : {}) };
  } finally {
    for (const f of [stateFile, outFile, program]) fs.rmSync(f, { force: true });
  }
}

/** Values as the provider host receives them: secrets unwrapped, unknowns as the sentinel. */
function forHost(v: unknown, isUnknown: (x: unknown) => boolean): unknown {
  if (isUnknown(v)) return UNKNOWN;
  if (Array.isArray(v)) return v.map((x) => forHost(x, isUnknown));
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET) return forHost(o.value, isUnknown);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, forHost(x, isUnknown)]));
  }
  return v;
}

/** The child process: runs the program with mocks that step each resource through the host. */
async function child(): Promise<void> {
  const [program, mode, port, stateFile, outFile, project] = process.argv.slice(2) as [
    string,
    "preview" | "up",
    string,
    string,
    string,
    string,
  ];
  const dir = process.cwd();
  const req = (await import("node:module")).createRequire(path.join(dir, "program.js"));
  const pulumi = req("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const engine = await Engine.attach(dir, Number(port));
  engine.state = new Map(
    (JSON.parse(fs.readFileSync(stateFile, "utf8")) as ResourceState[]).map((s) => [s.urn, s]),
  );
  const steps: PlannedStep[] = [];
  const declared = new Set<string>();
  let error: string | undefined;
  const isUnknown = (x: unknown) => pulumi.isUnknown(x);
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const urn = `urn:pulumi:test::${project}::${args.type}::${args.name}`;
        declared.add(urn);
        if (!args.type.startsWith("pulumi-nodejs:dynamic") || error)
          return { id: `${args.name}-id`, state: args.inputs };
        try {
          const inputs = forHost(args.inputs, isUnknown) as Record<string, unknown>;
          const { step, outputs } = await engine.step(
            { urn, type: args.type, name: args.name, inputs },
            mode,
          );
          steps.push(step);
          return { id: engine.state.get(urn)?.id ?? `${args.name}-id`, state: outputs };
        } catch (e) {
          error = (e as Error).message;
          throw e;
        }
      },
      call: (args) => args.inputs,
    },
    project,
    "test",
    mode === "preview",
  );
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    if (!error)
      try {
        steps.push(...(await engine.deleteUndeclared(declared, mode)));
      } catch (e) {
        error = (e as Error).message;
      }
    fs.writeFileSync(outFile, JSON.stringify({ steps, error, state: [...engine.state.values()] }));
    await engine.stop();
  };
  process.on("beforeExit", () => void finish());
  process.on("unhandledRejection", (e) => {
    error ??= String((e as Error)?.message ?? e);
    void finish().then(() => process.exit(0));
  });
  require(path.resolve(program));
}

if (require.main === module) void child();
