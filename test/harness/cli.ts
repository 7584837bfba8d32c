// The real pulumi CLI through the Automation API, with a local file backend, for machines that
// have `pulumi` on PATH. The program runs from a directory where the package is installed from its
// tarball, as a user's project would have it.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { installedPackageDir } from "./install";

export function pulumiOnPath(): boolean {
  try {
    execFileSync("pulumi", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A stack for `programFile` with secret config; `dispose` removes the stack and its backend. */
export async function cliStack(
  programFile: string,
  project: string,
  config: Record<string, string>,
): Promise<{ stack: Stack; dispose: () => Promise<void> }> {
  const workDir = installedPackageDir();
  fs.copyFileSync(programFile, path.join(workDir, "program.ts"));
  // The nodejs language host runs index.js; tsx compiles the TypeScript program on the fly.
  fs.writeFileSync(path.join(workDir, "index.js"), 'require("tsx/cjs");\nrequire("./program.ts");\n');
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-backend-"));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "dev", workDir },
    {
      projectSettings: {
        name: project,
        runtime: { name: "nodejs", options: { typescript: false } },
        main: "index.js",
      },
      envVars: { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "test-only" },
    },
  );
  for (const [key, value] of Object.entries(config)) await stack.setConfig(key, { value, secret: true });
  return {
    stack,
    dispose: async () => {
      await stack.workspace.removeStack("dev", { force: true }).catch(() => undefined);
      fs.rmSync(backend, { recursive: true, force: true });
    },
  };
}
