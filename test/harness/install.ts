// Directories where the built package is installed as a user would have it, for the program capture
// and the provider host (whose working directory they become). The default is `npm pack` of this
// checkout extracted into node_modules/pulumi-pg-replication, so `files` and `exports` are what
// ships; its dependencies are linked from this checkout's node_modules.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PACKAGE = "pulumi-pg-replication";

let packed: string | undefined;

/** `npm pack` of this checkout (built first), once per process. */
export function packedTarball(): string {
  if (packed) return packed;
  if (!fs.existsSync(path.join(ROOT, "dist", "index.js")))
    throw new Error("dist/ is missing: run npm run build first.");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-pack-"));
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
  });
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return (packed = path.join(dir, out.trim().split("\n").pop()!));
}

/** Extracts a package tarball into `dest` (replacing what was there). */
export function extract(tarball: string, dest: string): void {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", dest, "--strip-components=1"]);
}

/** Links every dependency of this checkout into `nodeModules` (all but the package itself). */
export function linkDependencies(nodeModules: string): void {
  fs.mkdirSync(nodeModules, { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry === PACKAGE || entry.startsWith(".")) continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(nodeModules, entry));
  }
}

/** A new program directory with `tarball` (default: this checkout packed) installed in node_modules. */
export function installTarball(tarball = packedTarball()): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-install-"));
  linkDependencies(path.join(dir, "node_modules"));
  extract(tarball, path.join(dir, "node_modules", PACKAGE));
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "pgrepl-test-program", private: true }),
  );
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let cached: string | undefined;

/** The default install directory, made once per process. */
export function installedPackageDir(): string {
  return (cached ??= installTarball());
}
