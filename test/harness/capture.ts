// Runs a real Pulumi program under pulumi.runtime.setMocks, in a child process whose cwd is the
// install directory, and returns each resource it registered with its inputs — `__provider`
// (the serialized provider) included. Serialization failures surface here.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { installedPackageDir, ROOT } from "./install";

/** tsx from this checkout, so that programs run from any install directory. */
const TSX = pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;

export interface CapturedResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs as the engine hands them to the provider host: secrets unwrapped (the host accepts none). */
  inputs: Record<string, unknown>;
  /** Input keys the program marked secret. */
  secretInputs: string[];
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

function isSecret(v: unknown): boolean {
  return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] !== undefined;
}

const RUNNER = `
const path = require("path");
const pulumi = require("@pulumi/pulumi");
const out = [];
pulumi.runtime.setMocks({
  newResource(args) {
    out.push({ type: args.type, name: args.name, inputs: args.inputs });
    return { id: args.name + "-id", state: args.inputs };
  },
  call(args) { return args.inputs; },
}, process.env.CAPTURE_PROJECT, "test", false);
require(path.resolve(process.argv[2]));
process.on("beforeExit", () => {
  if (process.env.CAPTURE_DONE) return;
  process.env.CAPTURE_DONE = "1";
  require("fs").writeFileSync(process.argv[3], JSON.stringify(out));
});
`;

/**
 * Captures `programFile` (a .ts or .js Pulumi program that imports "pulumi-pg-replication") with the
 * given stack config (keys without the project prefix).
 */
export function captureProgram(
  programFile: string,
  config: Record<string, string>,
  project = "quickstart",
  options: { all?: boolean; dir?: string; importAs?: string } = {},
): CapturedResource[] {
  const dir = options.dir ?? installedPackageDir();
  const runner = path.join(dir, "capture-runner.js");
  fs.writeFileSync(runner, RUNNER);
  const program = path.join(
    dir,
    `program-${path.basename(path.dirname(programFile))}-${path.basename(programFile)}`,
  );
  let text = fs.readFileSync(programFile, "utf8");
  if (options.importAs)
    text = text.replace(/from "pulumi-pg-replication"/g, `from ${JSON.stringify(options.importAs)}`);
  fs.writeFileSync(program, text);
  const outFile = path.join(dir, `captured-${process.pid}-${Date.now()}.json`);
  const pulumiConfig = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${project}:${k}`, v]));
  execFileSync(process.execPath, ["--import", TSX, runner, program, outFile], {
    cwd: dir,
    env: {
      ...process.env,
      CAPTURE_PROJECT: project,
      PULUMI_CONFIG: JSON.stringify(pulumiConfig),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(Object.keys(pulumiConfig)),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const captured = JSON.parse(fs.readFileSync(outFile, "utf8")) as {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
  }[];
  fs.rmSync(outFile);
  return (
    captured
      // The engine drives only the dynamic resources through this host; `all` also returns the rest.
      .filter((r) => options.all || r.type.startsWith("pulumi-nodejs:dynamic"))
      .map((r) => ({
        type: r.type,
        name: r.name,
        urn: `urn:pulumi:test::${project}::${r.type}::${r.name}`,
        inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
        secretInputs: Object.keys(r.inputs).filter((k) => isSecret(r.inputs[k])),
      }))
  );
}
