// Provider hosts no Engine uses now, by program directory: the next Engine.start in that directory
// takes one up (a CLI session runs one host for many steps). Replacing the package installed there
// (install.ts's extract) ends them, as a new `pulumi up` would start a new host.
//
// Hosts run detached, printing into files. A host of a directory under this process's test lane
// (the lane's shared install, see install.ts) is the lane's: it outlives the test file that started
// it and serves the lane's next files (the test runner ends it with the lane); the others are this
// process's and end with it. A host left with a call in flight when its test file ends is killed,
// never handed on.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { alive, killNow, ownedTempDir } from "./util";

export interface Host {
  pid: number;
  port: number;
  /** Where its stdout (after the port line) and stderr go. */
  out: string;
  err: string;
  /** Calls sent and not answered yet. */
  inFlight: number;
}

/** The lane this process runs in (test/run.ts), if any. */
export function laneDir(): string | undefined {
  return process.env.PGREPL_LANE_DIR;
}

/** Whether `dir` belongs to the lane (its helpers outlive this process). */
export function inLane(dir: string): boolean {
  const lane = laneDir();
  return lane !== undefined && path.resolve(dir).startsWith(path.resolve(lane) + path.sep);
}

/** Records a helper process of the lane, for the runner to end with the lane. */
export function laneOwns(pid: number): void {
  const lane = laneDir();
  if (!lane) return;
  fs.mkdirSync(path.join(lane, "procs"), { recursive: true });
  fs.writeFileSync(path.join(lane, "procs", String(pid)), "");
}

/** Ends every helper process a lane recorded (the runner, once the lane's files are done). */
export function endLaneProcesses(lane: string): void {
  const procs = path.join(lane, "procs");
  if (!fs.existsSync(procs)) return;
  for (const f of fs.readdirSync(procs)) killNow(Number(f));
}

let scratch: string | undefined;

function registry(dir: string): string {
  const key = createHash("sha1").update(path.resolve(dir)).digest("hex").slice(0, 12);
  const root = inLane(dir) ? path.join(laneDir()!, "hosts") : (scratch ??= ownedTempDir("pgrepl-hosts-"));
  const reg = path.join(root, key);
  if (!fs.existsSync(reg)) {
    fs.mkdirSync(reg, { recursive: true });
    fs.writeFileSync(path.join(reg, "dir"), path.resolve(dir));
  }
  return reg;
}

/** Every registry this process can see: its own, and its lane's. */
function registries(): { reg: string; dir: string }[] {
  const lane = laneDir();
  return [scratch, lane && path.join(lane, "hosts")]
    .filter((r): r is string => !!r && fs.existsSync(r))
    .flatMap((root) => fs.readdirSync(root).map((k) => path.join(root, k)))
    .filter((reg) => fs.existsSync(path.join(reg, "dir")))
    .map((reg) => ({ reg, dir: fs.readFileSync(path.join(reg, "dir"), "utf8") }));
}

/** The hosts this process holds (busy), by directory. */
const held = new Map<Host, string>();

export function takeIdleHost(dir: string): Host | undefined {
  const reg = registry(dir);
  for (const f of fs.readdirSync(reg).filter((x) => x.startsWith("idle-"))) {
    const busy = path.join(reg, f.replace(/^idle-/, "busy-"));
    try {
      fs.renameSync(path.join(reg, f), busy);
    } catch {
      continue; // taken meanwhile
    }
    const host = { ...(JSON.parse(fs.readFileSync(busy, "utf8")) as Host), inFlight: 0 };
    if (!alive(host.pid)) {
      fs.rmSync(busy, { force: true });
      continue;
    }
    held.set(host, dir);
    return host;
  }
  return undefined;
}

/** Starts a host (`hostMain`, Pulumi's dynamic-provider host) in `dir`, held by this process. */
export async function launchHost(dir: string, hostMain: string): Promise<Host> {
  const reg = registry(dir);
  const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const out = path.join(reg, `host-${stamp}.out`);
  const err = path.join(reg, `host-${stamp}.err`);
  const outFd = fs.openSync(out, "a");
  const errFd = fs.openSync(err, "a");
  // The host never dials the engine address it is given; any placeholder works.
  const proc = spawn(process.execPath, [hostMain, "127.0.0.1:1"], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", outFd, errFd],
  });
  fs.closeSync(outFd);
  fs.closeSync(errFd);
  proc.unref();
  const pid = proc.pid!;
  if (inLane(dir)) laneOwns(pid);
  let exited: number | null = null;
  proc.once("exit", (code) => (exited = code ?? -1));
  for (const started = Date.now(); ;) {
    const text = fs.readFileSync(out, "utf8");
    const nl = text.indexOf("\n");
    if (nl >= 0) {
      const host: Host = { pid, port: Number(text.slice(0, nl).trim()), out, err, inFlight: 0 };
      held.set(host, dir);
      fs.writeFileSync(path.join(reg, `busy-${host.port}.json`), JSON.stringify(host));
      return host;
    }
    if (exited !== null || Date.now() - started > 60_000)
      throw new Error(`dynamic-provider host exited (${exited}): ${fs.readFileSync(err, "utf8")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Hands a host back: the next Engine.start in its directory takes it up. */
export function releaseHost(host: Host): void {
  const dir = held.get(host);
  if (dir === undefined) return;
  held.delete(host);
  const reg = registry(dir);
  if (!alive(host.pid)) return void fs.rmSync(path.join(reg, `busy-${host.port}.json`), { force: true });
  fs.renameSync(path.join(reg, `busy-${host.port}.json`), path.join(reg, `idle-${host.port}.json`));
}

/** Kills a host at once (a crash mid-operation). */
export function killHost(host: Host): void {
  const dir = held.get(host);
  held.delete(host);
  killNow(host.pid);
  if (dir !== undefined) fs.rmSync(path.join(registry(dir), `busy-${host.port}.json`), { force: true });
}

/** Ends the idle hosts of directories at or under `dir` (all of this process's without `dir`). */
export function stopIdleHosts(dir?: string): void {
  const target = dir && path.resolve(dir);
  const lane = laneDir();
  const laneHosts = lane ? path.join(lane, "hosts") + path.sep : undefined;
  const roots = registries()
    .filter((r) =>
      target === undefined
        ? !(laneHosts && r.reg.startsWith(laneHosts))
        : r.dir === target || r.dir.startsWith(target + path.sep) || target.startsWith(r.dir + path.sep),
    )
    .map((r) => r.reg);
  for (const reg of roots)
    for (const f of fs.readdirSync(reg).filter((x) => x.startsWith("idle-"))) {
      killNow((JSON.parse(fs.readFileSync(path.join(reg, f), "utf8")) as Host).pid);
      fs.rmSync(path.join(reg, f), { force: true });
    }
}

process.on("exit", () => {
  // A lane's host with nothing in flight serves the lane's next file; any other host ends here.
  for (const [host, dir] of [...held]) {
    if (inLane(dir) && host.inFlight === 0) releaseHost(host);
    else killHost(host);
  }
  stopIdleHosts();
});
