// Provider hosts no Engine uses now, by program directory: the next Engine.start in that directory
// of this process takes one up (a CLI session runs one host for many steps). Replacing the package
// installed there (install.ts's extract) ends them, as a new `pulumi up` would start a new host.

import type { ChildProcess } from "node:child_process";
import * as path from "node:path";

export interface IdleHost {
  proc: ChildProcess;
  port: number;
}

const idle = new Map<string, IdleHost[]>();

export function takeIdleHost(dir: string): IdleHost | undefined {
  const list = idle.get(dir);
  for (let h = list?.pop(); h; h = list?.pop()) if (h.proc.exitCode === null && !h.proc.killed) return h;
  return undefined;
}

export function keepIdleHost(dir: string, host: IdleHost): void {
  idle.set(dir, [...(idle.get(dir) ?? []), host]);
}

/** Ends the idle hosts of directories at or under `dir` (all of them without `dir`). */
export function stopIdleHosts(dir?: string): void {
  for (const [d, list] of idle)
    if (!dir || d === dir || d.startsWith(dir + path.sep) || dir.startsWith(d + path.sep)) {
      idle.delete(d);
      for (const h of list) h.proc.kill("SIGTERM");
    }
}

process.on("exit", () => stopIdleHosts());
