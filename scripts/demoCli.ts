// `npm run demo -- --cli`: the quickstart through the real pulumi CLI (Automation API, local file
// backend), for machines that have `pulumi` on PATH. The program runs from a directory where the
// package is installed from its tarball, as a user's project would have it.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { installedPackageDir, ROOT } from "../test/support/install";
import type { TestServer } from "../test/support/postgres";

export function pulumiOnPath(): boolean {
  try {
    execFileSync("pulumi", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function runWithCli(
  primary: TestServer,
  replica: TestServer,
  say: (s: string) => void,
): Promise<void> {
  const workDir = installedPackageDir();
  fs.copyFileSync(path.join(ROOT, "examples", "quickstart", "index.ts"), path.join(workDir, "program.ts"));
  // The nodejs language host runs index.js; tsx compiles the TypeScript program on the fly.
  fs.writeFileSync(path.join(workDir, "index.js"), 'require("tsx/cjs");\nrequire("./program.ts");\n');
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-backend-"));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "demo", workDir },
    {
      projectSettings: {
        name: "quickstart",
        runtime: { name: "nodejs", options: { typescript: false } },
        main: "index.js",
      },
      envVars: { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "demo-only" },
    },
  );
  try {
    await stack.setConfig("primaryUrl", { value: primary.url("app"), secret: true });
    await stack.setConfig("replicaUrl", { value: replica.url("app"), secret: true });
    const out = (s: string) => process.stdout.write(s.replace(/^/gm, "      "));
    say("pulumi preview:");
    await stack.preview({ onOutput: out });
    say("pulumi up:");
    await stack.up({ onOutput: out });
    await primary.query(
      "INSERT INTO users (email, name) VALUES ('barbara@example.com', 'Barbara')",
      [],
      "app",
    );
    say("pulumi preview --refresh (nothing should change):");
    await stack.preview({ onOutput: out, refresh: true });
    say("pulumi destroy:");
    await stack.destroy({ onOutput: out });
  } finally {
    await stack.workspace.removeStack("demo").catch(() => undefined);
    fs.rmSync(backend, { recursive: true, force: true });
  }
}
