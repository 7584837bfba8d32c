// Runs Pulumi programs for the tests in a long-lived child process, one per program directory: the
// SDK (and tsx) load once, then each program runs the way the Automation API runs inline programs —
// config set, the runtime reset by setMocks, the program module loaded fresh, its registrations
// awaited. Loading the SDK costs about two seconds of CPU per process; a test file runs dozens of
// programs. Two kinds of run:
//   - capture: every resource the program registers, with its inputs (`__provider` included);
//   - live (`pulumi preview`/`up`): each dynamic resource is stepped through the engine's provider
//     host at once and its outputs handed back to the program (see live.ts).
// The child's working directory is the program directory, as the CLI's is.

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { PlannedStep, ResourceState } from "./engine";

const ROOT = path.resolve(__dirname, "..", "..");
const TSX = pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

export interface CaptureRequest {
  kind: "capture";
  program: string;
  config: Record<string, string>;
  project: string;
}

export interface LiveRequest {
  kind: "live";
  program: string;
  config: Record<string, string>;
  project: string;
  mode: "preview" | "up";
  /** The provider host's gRPC port. */
  port: number;
  state: ResourceState[];
}

export type Request = CaptureRequest | LiveRequest;

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface Reply {
  /** capture: what the program registered. */
  registered?: Registered[];
  /** live: the steps, and the state after them. */
  steps?: PlannedStep[];
  state?: ResourceState[];
  /** The program (or a step) failed; live runs keep the state reached until then. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// The parent's side: one worker per program directory, requests one at a time.

interface Worker {
  proc: ChildProcess;
  queue: Promise<unknown>;
  pending?: { resolve: (r: Reply) => void; reject: (e: Error) => void };
}

const workers = new Map<string, Worker>();

function startWorker(dir: string): Worker {
  const proc = spawn(process.execPath, ["--import", TSX, __filename, "--worker"], {
    cwd: dir,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: process.env,
  });
  const w: Worker = { proc, queue: Promise.resolve() };
  proc.on("message", (m: Reply) => {
    const p = w.pending;
    w.pending = undefined;
    p?.resolve(m);
  });
  proc.once("exit", (code, signal) => {
    workers.delete(dir);
    w.pending?.reject(new Error(`the program worker for ${dir} exited (${code ?? signal})`));
  });
  proc.unref();
  (proc.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
  return w;
}

/** Runs one request in the worker of `dir` (started on first use), after the ones queued before it. */
export function runInWorker(dir: string, request: Request): Promise<Reply> {
  let w = workers.get(dir);
  if (!w) {
    w = startWorker(dir);
    workers.set(dir, w);
  }
  const worker = w;
  const run = () =>
    new Promise<Reply>((resolve, reject) => {
      worker.pending = { resolve, reject };
      (worker.proc.channel as unknown as { ref?: () => void } | undefined)?.ref?.();
      worker.proc.send(request);
    }).finally(() => (worker.proc.channel as unknown as { unref?: () => void } | undefined)?.unref?.());
  const result = worker.queue.then(run, run);
  worker.queue = result.catch(() => undefined);
  return result;
}

/** Stops the workers of directories at or under `dir` (its installed package changed: load it anew). */
export function stopWorkers(dir?: string): void {
  for (const [d, w] of workers)
    if (!dir || d === dir || d.startsWith(dir + path.sep) || dir.startsWith(d + path.sep)) {
      workers.delete(d);
      w.proc.kill();
    }
}

process.on("exit", () => stopWorkers());

// ---------------------------------------------------------------------------------------------
// The worker's side.

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

async function serve(): Promise<void> {
  const dir = process.cwd();
  const req = (await import("node:module")).createRequire(path.join(dir, "program.js"));
  const pulumi = req("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const { Engine } = await import("./engine");
  // Internal to the SDK (the Automation API's inline programs use it): the registrations' RPC chain.
  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
  let current: { fail(e: unknown): void } | undefined;
  // A registration that fails rejects promises nobody awaits: it belongs to the run in progress.
  process.on("unhandledRejection", (e) => current?.fail(e));
  process.on("uncaughtException", (e) => current?.fail(e));

  async function run(r: Request): Promise<Reply> {
    const registered: Registered[] = [];
    const steps: PlannedStep[] = [];
    const declared = new Set<string>();
    let error: string | undefined;
    const fail = (e: unknown) => (error ??= String((e as Error)?.message ?? e));
    current = { fail };
    const engine = r.kind === "live" ? await Engine.attach(dir, r.port) : undefined;
    if (engine && r.kind === "live") engine.state = new Map(r.state.map((s) => [s.urn, s]));
    const mode = r.kind === "live" ? r.mode : "preview";
    const pulumiConfig = Object.fromEntries(
      Object.entries(r.config).map(([k, v]) => [`${r.project}:${k}`, v]),
    );
    pulumi.runtime.setAllConfig(pulumiConfig, Object.keys(pulumiConfig));
    await pulumi.runtime.setMocks(
      {
        async newResource(args) {
          if (r.kind === "capture") {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-id`, state: args.inputs };
          }
          const urn = `urn:pulumi:test::${r.project}::${args.type}::${args.name}`;
          declared.add(urn);
          if (!args.type.startsWith("pulumi-nodejs:dynamic") || error)
            return { id: `${args.name}-id`, state: args.inputs };
          try {
            const inputs = forHost(args.inputs, (x) => pulumi.isUnknown(x)) as Record<string, unknown>;
            const { step, outputs } = await engine!.step(
              { urn, type: args.type, name: args.name, inputs },
              mode,
            );
            steps.push(step);
            return { id: engine!.state.get(urn)?.id ?? `${args.name}-id`, state: outputs };
          } catch (e) {
            fail(e);
            throw e;
          }
        },
        call: (args) => args.inputs,
      },
      r.project,
      "test",
      // A capture is what a preview registers, without the engine.
      r.kind === "live" ? r.mode === "preview" : false,
    );
    // A fresh module each run: the program's top level is what runs.
    const copy = path.join(dir, `.program-${process.pid}-${Date.now()}-${path.basename(r.program)}`);
    fs.copyFileSync(r.program, copy);
    try {
      req(copy);
      await waitForRPCs();
      // Outputs settle a tick after the last registration: let applies that register more run.
      await new Promise((res) => setImmediate(res));
      await waitForRPCs();
    } catch (e) {
      fail(e);
    } finally {
      delete req.cache[req.resolve(copy)];
      fs.rmSync(copy, { force: true });
    }
    if (engine && !error)
      try {
        steps.push(...(await engine.deleteUndeclared(declared, mode)));
      } catch (e) {
        fail(e);
      }
    current = undefined;
    await engine?.stop();
    if (r.kind === "capture") return error ? { error, registered } : { registered };
    return { steps, state: [...engine!.state.values()], ...(error ? { error } : {}) };
  }

  process.on("message", (r: Request) => {
    run(r).then(
      (reply) => process.send!(reply),
      (e) => process.send!({ error: String((e as Error)?.message ?? e) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}

if (require.main === module && process.argv.includes("--worker")) void serve();
