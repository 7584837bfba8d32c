// Directories where the built package is installed as a user would have it, for the program capture
// and the provider host (whose working directory they become). The default is `npm pack` of this
// checkout extracted into node_modules/pulumi-pg-replication, so `files` and `exports` are what
// ships; its dependencies are linked from this checkout's node_modules.

import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { laneDir, stopIdleHosts } from "./hosts";
import { ownedTempDir } from "./util";
import { stopWorkers } from "./worker";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PACKAGE = "pulumi-pg-replication";

let packed: string | undefined;

/** `npm pack` of this checkout (built first), once per process. */
export function packedTarball(): string {
  if (packed) return packed;
  // The test runner packs once for every test file.
  if (process.env.PGREPL_TARBALL && fs.existsSync(process.env.PGREPL_TARBALL))
    return (packed = process.env.PGREPL_TARBALL);
  if (!fs.existsSync(path.join(ROOT, "dist", "index.js")))
    throw new Error("dist/ is missing: run npm run build first.");
  const dir = ownedTempDir("pgrepl-pack-");
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return (packed = path.join(dir, out.trim().split("\n").pop()!));
}

/** Extracts a package tarball into `dest` (replacing what was there). */
export function extract(tarball: string, dest: string): void {
  // A program worker or provider host that loaded the package from there would keep the old one.
  stopWorkers(dest);
  stopIdleHosts(dest);
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

/** A program directory `dir` with `tarball` installed in node_modules. */
function installInto(dir: string, tarball: string): void {
  linkDependencies(path.join(dir, "node_modules"));
  extract(tarball, path.join(dir, "node_modules", PACKAGE));
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "pgrepl-test-program", private: true }),
  );
}

/** A new program directory with `tarball` (default: this checkout packed) installed in node_modules. */
export function installTarball(tarball = packedTarball()): string {
  const dir = ownedTempDir("pgrepl-install-");
  installInto(dir, tarball);
  return dir;
}

let cached: string | undefined;

/**
 * The default install directory, made once per process — under the test runner, once per lane
 * (the tarball is the run's): its program worker and provider hosts then serve the lane's files
 * one after another, as they serve one file's tests (see hosts.ts, worker.ts). Tests never write
 * into it but their programs' copies.
 */
export function installedPackageDir(): string {
  if (cached) return cached;
  const lane = laneDir();
  if (!lane || !process.env.PGREPL_TARBALL) return (cached = installTarball());
  const dir = path.join(lane, "install");
  if (!fs.existsSync(path.join(dir, ".installed"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    installInto(dir, packedTarball());
    fs.writeFileSync(path.join(dir, ".installed"), "");
  }
  return (cached = dir);
}

/** How a program got the package, as teams install it. */
export type InstallMode = "tarball" | "npm-workspace" | "pnpm-workspace" | "path";

export interface Installation {
  mode: InstallMode;
  /** The program's directory: where the program runs and the provider host starts. */
  dir: string;
  /** What the program imports instead of "pulumi-pg-replication" (the path mode), if anything. */
  importAs?: string;
}

const QUIET = ["--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", "--loglevel=error"];

/** The versions this checkout's lock resolved, so that real installs get the same. */
function lockedVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

const run = promisify(execFile);

/**
 * A monorepo: the package as a workspace member (packages/pulumi-pg-replication) and the
 * infrastructure program as another (infra/), installed by the real npm (`npm install` at the
 * root links the members into root/node_modules), or by pnpm 12 (pnpm-workspace.yaml,
 * `workspace:*`, a symlink from infra/node_modules).
 */
export async function installWorkspace(
  tool: "npm" | "pnpm",
  tarball = packedTarball(),
): Promise<Installation> {
  const root = ownedTempDir(`pgrepl-${tool}-ws-`);
  const member = path.join(root, "packages", PACKAGE);
  extract(tarball, member);
  // The package's own tooling (compilers, five embedded PostgreSQL builds for its tests) is not what
  // a team's monorepo installs it for: the member keeps its dependencies, not its devDependencies.
  const memberManifest = path.join(member, "package.json");
  const { devDependencies: _dev, ...kept } = JSON.parse(fs.readFileSync(memberManifest, "utf8"));
  fs.writeFileSync(memberManifest, JSON.stringify(kept, null, 2));
  const sdk = lockedVersion("@pulumi/pulumi");
  fs.mkdirSync(path.join(root, "infra"));
  fs.writeFileSync(
    path.join(root, "infra", "package.json"),
    JSON.stringify({
      name: "infra",
      private: true,
      dependencies: {
        "@pulumi/pulumi": sdk,
        [PACKAGE]: tool === "pnpm" ? "workspace:*" : "*",
      },
    }),
  );
  const manifest: Record<string, unknown> = { name: "monorepo", private: true };
  if (tool === "npm") manifest.workspaces = ["packages/*", "infra"];
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify(manifest));
  if (tool === "npm") await run("npm", ["install", ...QUIET], { cwd: root });
  else {
    // pnpm 11+ fails an install whose dependencies' build scripts are neither allowed nor denied
    // (ERR_PNPM_IGNORED_BUILDS). The README's allowBuilds entry covers a program's own dependencies;
    // here the package is a workspace member, so its devDependencies' scripts are skipped as well.
    fs.writeFileSync(path.join(root, "pnpm-workspace.yaml"), "packages:\n  - packages/*\n  - infra\n");
    const pnpm = path.join(ROOT, "node_modules", "pnpm", "bin", "pnpm.mjs");
    await run(
      process.execPath,
      [pnpm, "install", "--prefer-offline", "--ignore-scripts", "--reporter=silent"],
      {
        cwd: root,
        env: { ...process.env, npm_config_store_dir: path.join(os.tmpdir(), "pgrepl-pnpm-store") },
      },
    );
  }
  return { mode: tool === "npm" ? "npm-workspace" : "pnpm-workspace", dir: path.join(root, "infra") };
}

/** A program that imports the built package by its path (no node_modules entry for it at all). */
export function installByPath(tarball = packedTarball()): Installation {
  const dir = ownedTempDir("pgrepl-path-");
  linkDependencies(path.join(dir, "node_modules"));
  const vendored = path.join(dir, "vendor", PACKAGE);
  extract(tarball, vendored);
  return { mode: "path", dir, importAs: path.join(vendored, "dist", "index.js") };
}

/** The lowest @pulumi/pulumi the package supports (its peer dependency's lower bound). */
export function lowestSdk(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  return /(\d+\.\d+\.\d+)/.exec(manifest.peerDependencies["@pulumi/pulumi"])![1]!;
}

const sdkInstalls = new Map<string, Promise<Installation>>();

/**
 * A program directory where npm installed a given @pulumi/pulumi, the packed package (whose peer
 * dependency is then that SDK) and @pulumi/postgresql (the examples use it). Once per version per
 * process; under the test runner, once per version for every test file (PGREPL_CACHE_DIR: the
 * first file to want it installs it, the others wait for it).
 */
export function installWithSdk(sdkVersion: string, tarball = packedTarball()): Promise<Installation> {
  const known = sdkInstalls.get(sdkVersion);
  if (known) return known;
  const made = installSdkOnce(sdkVersion, tarball);
  sdkInstalls.set(sdkVersion, made);
  return made;
}

async function installSdkOnce(sdkVersion: string, tarball: string): Promise<Installation> {
  const shared = process.env.PGREPL_CACHE_DIR;
  const dir = shared ? path.join(shared, `sdk-${sdkVersion}`) : ownedTempDir(`pgrepl-sdk-${sdkVersion}-`);
  const done = path.join(dir, ".installed");
  if (shared) {
    try {
      fs.mkdirSync(dir); // whoever makes the directory installs; the others wait for its marker
    } catch {
      for (let i = 0; i < 1800 && !fs.existsSync(done); i++) await new Promise((r) => setTimeout(r, 100));
      if (!fs.existsSync(done)) throw new Error(`waited 3 minutes for another test file to install ${dir}`);
      return { mode: "tarball", dir };
    }
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "program", private: true }));
  const postgresql = `@pulumi/postgresql@${lockedVersion("@pulumi/postgresql")}`;
  await run("npm", ["install", ...QUIET, `@pulumi/pulumi@${sdkVersion}`, postgresql, tarball], { cwd: dir });
  fs.writeFileSync(done, "");
  return { mode: "tarball", dir };
}
