// Runs a real Pulumi program under pulumi.runtime.setMocks, in the program worker of the install
// directory (see worker.ts), and returns each resource it registered with its inputs — `__provider`
// (the serialized provider) included. Serialization failures surface here.

import * as fs from "node:fs";
import * as path from "node:path";
import { installedPackageDir } from "./install";
import { runInWorker } from "./worker";

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

/**
 * Captures `programFile` (a .ts or .js Pulumi program that imports "pulumi-pg-replication") with the
 * given stack config (keys without the project prefix).
 */
export async function captureProgram(
  programFile: string,
  config: Record<string, string>,
  project = "quickstart",
  options: { all?: boolean; dir?: string; importAs?: string } = {},
): Promise<CapturedResource[]> {
  const dir = options.dir ?? installedPackageDir();
  let program = programFile;
  if (options.importAs) {
    program = path.join(dir, `rewritten-${process.pid}-${path.basename(programFile)}`);
    fs.writeFileSync(
      program,
      fs
        .readFileSync(programFile, "utf8")
        .replace(/from "pulumi-pg-replication"/g, `from ${JSON.stringify(options.importAs)}`),
    );
  }
  let reply;
  try {
    reply = await runInWorker(dir, { kind: "capture", program, config, project });
  } finally {
    if (program !== programFile) fs.rmSync(program, { force: true });
  }
  if (reply.error) throw new Error(`capturing ${path.basename(programFile)} failed: ${reply.error}`);
  return reply
    .registered! // The engine drives only the dynamic resources through this host; `all` also returns the rest.
    .filter((r) => options.all || r.type.startsWith("pulumi-nodejs:dynamic"))
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: `urn:pulumi:test::${project}::${r.type}::${r.name}`,
      inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
      secretInputs: Object.keys(r.inputs).filter((k) => isSecret(r.inputs[k])),
    }));
}
