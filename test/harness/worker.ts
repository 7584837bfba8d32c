// Runs Pulumi programs for the tests in a long-lived child process, one per program directory: the
// SDK (and tsx) load once, then each program runs the way the Automation API runs inline programs —
// config set, the runtime reset by setMocks, the program module loaded fresh, its registrations
// awaited. Loading the SDK costs about two seconds of CPU per process; a test file runs dozens of
// programs. Two kinds of run:
//   - capture: every resource the program registers, with its inputs (`__provider` included);
//   - live (`pulumi preview`/`up`): each dynamic resource is stepped through the engine's provider
//     host at once and its outputs handed back to the program (see live.ts).
// The child's working directory is the program directory, as the CLI's is.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { PlannedStep, ResourceState } from "./engine";
import { inLane, laneDir, laneOwns } from "./hosts";
import { alive } from "./util";

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
  /** The stack's name (pulumi.getStack(), the URNs). */
  stack: string;
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
  send(request: Request): Promise<Reply>;
  stop(): void;
  queue: Promise<unknown>;
}

const workers = new Map<string, Worker>();

/** A worker of this process, over the IPC channel: it ends with the process. */
function childWorker(dir: string): Worker {
  const proc = spawn(process.execPath, ["--import", TSX, __filename, "--worker"], {
    cwd: dir,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: process.env,
  });
  let pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  const channel = () => proc.channel as unknown as { ref?: () => void; unref?: () => void } | undefined;
  proc.on("message", (m: Reply) => {
    const p = pending;
    pending = undefined;
    p?.resolve(m);
  });
  proc.once("exit", (code, signal) => {
    workers.delete(dir);
    pending?.reject(new Error(`the program worker for ${dir} exited (${code ?? signal})`));
  });
  proc.unref();
  channel()?.unref?.();
  return {
    queue: Promise.resolve(),
    send: (request) =>
      new Promise<Reply>((resolve, reject) => {
        pending = { resolve, reject };
        channel()?.ref?.();
        proc.send(request);
      }).finally(() => channel()?.unref?.()),
    stop: () => proc.kill(),
  };
}

/**
 * The lane's worker for `dir` (a directory of the lane's, see hosts.ts), over a Unix socket: it
 * outlives this test file and serves the lane's next ones. Started detached when none answers.
 */
function laneWorker(dir: string): Worker {
  const key = createHash("sha1").update(path.resolve(dir)).digest("hex").slice(0, 12);
  const sock = path.join(laneDir()!, `worker-${key}.sock`);
  let socket: Promise<net.Socket> | undefined;
  let pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  const dial = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(sock);
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
  const open = async (): Promise<net.Socket> => {
    let s: net.Socket | undefined;
    try {
      s = await dial();
    } catch {
      fs.rmSync(sock, { force: true });
      const log = fs.openSync(sock.replace(/\.sock$/, ".log"), "a");
      const proc = spawn(process.execPath, ["--import", TSX, __filename, "--worker", "--socket", sock], {
        cwd: dir,
        detached: true,
        stdio: ["ignore", log, log],
        env: process.env,
      });
      fs.closeSync(log);
      proc.unref();
      laneOwns(proc.pid!);
      for (let i = 0; i < 600 && !s; i++) {
        await new Promise((r) => setTimeout(r, 50));
        s = await dial().catch(() => undefined);
      }
      if (!s) throw new Error(`the lane's program worker for ${dir} did not start`);
    }
    let buf = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const p = pending;
        pending = undefined;
        p?.resolve(JSON.parse(buf.slice(0, nl)) as Reply);
        buf = buf.slice(nl + 1);
      }
    });
    s.once("close", () => {
      socket = undefined;
      workers.delete(dir);
      pending?.reject(new Error(`the program worker for ${dir} went away`));
    });
    s.unref();
    return s;
  };
  return {
    queue: Promise.resolve(),
    send: async (request) => {
      const s = await (socket ??= open());
      return new Promise<Reply>((resolve, reject) => {
        pending = { resolve, reject };
        s.ref();
        s.write(JSON.stringify(request) + "\n");
      }).finally(() => s.unref());
    },
    stop: () => void socket?.then((s) => s.destroy()),
  };
}

/** Runs one request in the worker of `dir` (started on first use), after the ones queued before it. */
export function runInWorker(dir: string, request: Request): Promise<Reply> {
  let worker = workers.get(dir);
  if (!worker) {
    worker = inLane(dir) ? laneWorker(dir) : childWorker(dir);
    workers.set(dir, worker);
  }
  const w = worker;
  const run = () => w.send(request);
  const result = w.queue.then(run, run);
  w.queue = result.catch(() => undefined);
  return result;
}

/** Stops the workers of directories at or under `dir` (its installed package changed: load it anew). */
export function stopWorkers(dir?: string): void {
  for (const [d, w] of workers)
    if (!dir || d === dir || d.startsWith(dir + path.sep) || dir.startsWith(d + path.sep)) {
      workers.delete(d);
      w.stop();
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
          const urn = `urn:pulumi:${r.kind === "live" ? r.stack : "test"}::${r.project}::${args.type}::${args.name}`;
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
      r.kind === "live" ? r.stack : "test",
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

  // Pulumi records a stack trace for every promise it makes (debuggable.ts); mapped through tsx's
  // source maps that was 11 % of this process's CPU on a drift file. A program's errors keep their messages.
  process.setSourceMapsEnabled(false);
  const answer = (r: Request) =>
    run(r).catch((e: unknown): Reply => ({ error: String((e as Error)?.message ?? e) }));
  const at = process.argv.indexOf("--socket");
  if (at < 0) {
    process.on("message", (r: Request) => void answer(r).then((reply) => process.send!(reply)));
    process.on("disconnect", () => process.exit(0));
    return;
  }
  // A lane's worker: one request at a time, whoever sends it. A test file that goes away with a
  // run of its unanswered ends the worker, so that nothing of it reaches the next file.
  let queue: Promise<unknown> = Promise.resolve();
  net
    .createServer((s) => {
      let buf = "";
      let mine = 0;
      s.setEncoding("utf8");
      s.on("data", (d: string) => {
        buf += d;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const r = JSON.parse(buf.slice(0, nl)) as Request;
          buf = buf.slice(nl + 1);
          mine++;
          queue = queue.then(() =>
            answer(r).then((reply) => {
              mine--;
              if (!s.destroyed) s.write(JSON.stringify(reply) + "\n");
            }),
          );
        }
      });
      s.on("close", () => mine > 0 && process.exit(0));
      s.on("error", () => undefined);
    })
    .listen(process.argv[at + 1]);
  // The runner ends the lane's helpers; should it die first, so does this.
  const owner = Number(process.env.PGREPL_OWNER);
  setInterval(() => {
    if (owner && !alive(owner)) process.exit(0);
  }, 5_000);
}

if (require.main === module && process.argv.includes("--worker")) void serve();
