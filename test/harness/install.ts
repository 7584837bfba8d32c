// A directory where the built package is installed as a user would have it: `npm pack` of this
// repository extracted into node_modules/pulumi-pg-replication (so `files` and `exports` are what
// ships), its dependencies linked from this checkout's node_modules.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

let cached: string | undefined;

/** Packs the built package once per process and returns the install directory. */
export function installedPackageDir(): string {
  if (cached) return cached;
  if (!fs.existsSync(path.join(ROOT, "dist", "index.js")))
    throw new Error("dist/ is missing: run npm run build first.");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-install-"));
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const tarball = path.join(dir, out.trim().split("\n").pop()!);
  const pkg = path.join(dir, "node_modules", "pulumi-pg-replication");
  fs.mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"]);
  fs.rmSync(tarball);
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry === "pulumi-pg-replication" || entry.startsWith(".")) continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(dir, "node_modules", entry));
  }
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "pgrepl-test-program", private: true }),
  );
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return (cached = dir);
}
