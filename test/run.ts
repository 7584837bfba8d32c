// The test runner behind `npm test`: unit and program tests first, then the integration and e2e
// files in lanes that run at once, each lane one file at a time on its own pool of PostgreSQL
// servers (test/harness/postgres.ts: servers are reset between files instead of initdb'd again),
// its installed package, program worker and provider hosts (test/harness/hosts.ts, worker.ts).
// The package is packed once for every file. Each file runs in a node process of its own.
//
//   tsx test/run.ts                  every suite on one version (pair) — its newest same-version
//                                    one (PGREPL_MATRIX=quick) —, the packaging files left out:
//                                    npm test
//   tsx test/run.ts --packaging      the packaging files (PACKAGING): CI's Node.js 20 pass, after
//                                    npm test
//   tsx test/run.ts --full           every file, every suite on every version (pair) it lists:
//                                    CI's Node.js 22 pass
//   tsx test/run.ts --lanes 2 FILE…  given files only, on every version they list, two lanes
//                                    (default three; PGREPL_LANES)
//
// Prints each file's report when it finishes, then a summary and the failures again; exits 1 when
// anything failed.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { packedTarball } from "./harness/install";
import { endLaneProcesses } from "./harness/hosts";
import { reapOrphans, stopPools } from "./harness/postgres";
import { ownedTempDir, reapStaleTempDirs } from "./harness/util";

const ROOT = path.resolve(__dirname, "..");
const TSX = pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;
const DURATIONS = path.join(ROOT, "node_modules", ".cache", "pgrepl-test-durations.json");

const args = process.argv.slice(2);
const full = args.includes("--full");
const packaging = args.includes("--packaging");
// --typecheck (`npm run test:full`) type-checks the tests, scripts and examples beside the test runs
// (one core's work that would otherwise come first); `npm test` leaves it to `npm run typecheck`
// (CI runs it after npm test): on the two-core VM's slow hours its 27–41 s of a core pushed npm
// test past six minutes.
const typecheck = args.includes("--typecheck");
const lanesArg = args.indexOf("--lanes");
// Three lanes by default: the files wait on servers and workers more than they compute (a whole
// CI run on two lanes used 0.46 of a core on average, of two), and on a slower VM three ran npm
// test in 313-325 s against 350-374 s.
const laneCount = lanesArg >= 0 ? Number(args[lanesArg + 1]) : Number(process.env.PGREPL_LANES ?? 3);
const named = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--lanes");
/**
 * One version (pair) per suite: npm test. The full matrix (every version 14–18 and pair each suite
 * lists) is CI's Node.js 22 pass (--full), the packaging files and a run of named files:
 * on this two-core VM's slower hours npm test with the full matrix took 456–501 s, over its six
 * minutes; one version per suite, 291–326 s.
 */
const oneVersion = !full && !packaging && named.length === 0;

const glob = (dir: string, depth = 1): string[] =>
  fs.existsSync(path.join(ROOT, dir))
    ? fs
        .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
        .flatMap((e) =>
          e.isDirectory() && depth > 1
            ? glob(path.join(dir, e.name), depth - 1)
            : e.name.endsWith(".test.ts")
              ? [path.join(dir, e.name)]
              : [],
        )
    : [];

const fast = glob("test/unit", 2);
const slow = [...glob("test/program"), ...glob("test/integration"), ...glob("test/e2e")];
/**
 * How the package reaches a program (the packed files and a consumer's type-check, every install
 * layout, the README's CLI path): CI runs them on every Node.js it tests (--packaging after npm
 * test, --full); npm test leaves them out (every other file still installs the packed package the
 * registry way).
 */
const PACKAGING = [
  "test/integration/package.test.ts",
  "test/integration/install.test.ts",
  "test/integration/readmeCli.test.ts",
];

/**
 * Left to the full matrix (`--full`, CI's Node.js 22 pass, which runs them on every run):
 * - files of one version (pair) whose suites npm test's one-version rule runs in another file:
 *   the drift suite on 15 → 15 and 15 → 18 (18 → 18 runs), the field topologies on 15 and 17 (18
 *   runs) — the 15 → 18 and 15 files ran no test in npm test, only a process (3–7 s each);
 * - the roles' timeouts through the host: 58 s of two cores' work in a CI run (tables of 100 000–
 *   200 000 rows copied, indexed and replayed under 100–400 ms timeouts), which took npm test to
 *   362 s; npm test runs the unit tests of its decisions;
 * - the catalog reads' scale guard: 1 650 tables created, copied and read on both servers, 54 s of
 *   a CI run's 354 s npm test: a guard of how the catalog reads grow, which only a change to a
 *   read can trip (`npx tsx test/run.ts test/integration/catalogScale.test.ts` beside one);
 * - the reliability drills, short (writers under topology changes and faults, 38 + 41 s of a CI
 *   run whose npm test took 376 s in a slow hour of the two-core VM): `npm run drill` runs them at
 *   full length; npm test keeps each operation's own tests (md5 per table after each).
 */
const FULL_ONLY = [
  "test/integration/drift.15-15.test.ts",
  "test/integration/drift.15-18.test.ts",
  "test/integration/topologies.15.test.ts",
  "test/integration/topologies.17.test.ts",
  "test/integration/roleTimeouts.test.ts",
  "test/integration/catalogScale.test.ts",
  "test/integration/drills.load.test.ts",
  "test/integration/drills.faults.test.ts",
];

interface FileResult {
  file: string;
  ok: boolean;
  seconds: number;
  tests: number;
  pass: number;
  fail: number;
  output: string;
}

function count(output: string, what: string): number {
  return Number(new RegExp(`^ℹ ${what} (\\d+)`, "m").exec(output)?.[1] ?? 0);
}

/**
 * Runs `files` in one `node --test` process (unit tests), or one file run directly (a lane's turn:
 * node:test runs a file's tests when the file is the main module, without a second process).
 */
function runFiles(files: string[], env: NodeJS.ProcessEnv, direct = false): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", TSX, ...(direct ? [] : ["--test"]), "--test-reporter=spec", ...files],
      {
        cwd: ROOT,
        env: { ...process.env, ...env, FORCE_COLOR: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) =>
      resolve({
        file: files.length === 1 ? files[0]! : `${files.length} files`,
        ok: code === 0,
        seconds: (Date.now() - started) / 1000,
        tests: count(output, "tests"),
        pass: count(output, "pass"),
        fail: count(output, "fail"),
        output,
      }),
    );
  });
}

function report(r: FileResult): void {
  process.stdout.write(r.output.replace(/\nℹ [a-z_]+ [\d.]+/g, ""));
  console.log(
    `${r.ok ? "✔" : "✖"} ${r.file}: ${r.pass}/${r.tests} passed in ${r.seconds.toFixed(1)} s${r.ok ? "" : " — FAILED"}\n`,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  // What runs killed before their exit handlers left: servers, then temp directories.
  reapOrphans();
  reapStaleTempDirs();
  const selected =
    named.length > 0
      ? named
      : packaging
        ? PACKAGING
        : [...fast, ...slow].filter((f) => full || (!PACKAGING.includes(f) && !FULL_ONLY.includes(f)));
  const unit = selected.filter((f) => fast.includes(f));
  const lanes = selected.filter((f) => !fast.includes(f));
  const results: FileResult[] = [];
  // Installs several files need (an older @pulumi/pulumi) are made once for all of them, and the
  // servers' initdb cluster (postgres.ts): the servers' user must reach it.
  const cache = ownedTempDir("pgrepl-cache-");
  fs.chmodSync(cache, 0o711);
  const common: NodeJS.ProcessEnv = {
    PGREPL_OWNER: String(process.pid),
    PGREPL_CACHE_DIR: cache,
    ...(oneVersion ? { PGREPL_MATRIX: "quick" } : {}),
  };

  // The unit tests (no server) run beside the lanes, in one process: one entry file imports them all.
  const entry = path.join(ownedTempDir("pgrepl-unit-"), "unit.test.ts");
  fs.writeFileSync(entry, unit.map((f) => `import ${JSON.stringify(path.join(ROOT, f))};\n`).join(""));
  const unitRun =
    unit.length > 0
      ? runFiles([entry], common).then((r) => {
          r.file = `${unit.length} unit test files`;
          report(r);
          results.push(r);
        })
      : Promise.resolve();
  const typecheckRun = typecheck
    ? new Promise<void>((resolve) => {
        const started = Date.now();
        const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
        const child = spawn(process.execPath, [tsc, "-p", "tsconfig.test.json", "--noEmit"], {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.once("exit", (code) => {
          const r = {
            file: "tsc -p tsconfig.test.json",
            ok: code === 0,
            seconds: (Date.now() - started) / 1000,
            tests: 0,
            pass: 0,
            fail: 0,
            output,
          };
          report(r);
          results.push(r);
          resolve();
        });
      })
    : Promise.resolve();
  if (lanes.length > 0) {
    common.PGREPL_TARBALL = packedTarball();
    // Longest first (as the last full run here measured them, else test/durations.json), each to
    // the lane that is free first.
    const read = (file: string) =>
      fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, number>) : {};
    const known = { ...read(path.join(ROOT, "test", "durations.json")), ...read(DURATIONS) };
    const weight = (f: string) => known[f] ?? fs.statSync(path.join(ROOT, f)).size / 400;
    const queue = [...lanes].sort((a, b) => weight(b) - weight(a));
    const poolRoot = ownedTempDir("pgrepl-lanes-");
    const endLanes = () => {
      for (const lane of fs.readdirSync(poolRoot)) endLaneProcesses(path.join(poolRoot, lane));
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      process.once(signal, () => {
        endLanes(); // the servers go with the next run's reapOrphans
        process.exit(130);
      });
    try {
      await Promise.all(
        Array.from({ length: Math.min(laneCount, queue.length) }, async (_, lane) => {
          const laneDir = path.join(poolRoot, `lane-${lane}`);
          fs.mkdirSync(laneDir);
          for (let file = queue.shift(); file; file = queue.shift()) {
            const r = await runFiles([file], { ...common, PGREPL_LANE_DIR: laneDir }, true);
            report(r);
            results.push(r);
          }
        }),
      );
    } finally {
      // The lanes' program workers and provider hosts, then their servers.
      endLanes();
      await stopPools(poolRoot);
    }
    await unitRun;
    if (named.length === 0) {
      fs.mkdirSync(path.dirname(DURATIONS), { recursive: true });
      // Merged: a run without the --full files keeps their last durations.
      fs.writeFileSync(
        DURATIONS,
        JSON.stringify({
          ...read(DURATIONS),
          ...Object.fromEntries(
            results.filter((r) => r.file.endsWith(".ts")).map((r) => [r.file, r.seconds]),
          ),
        }),
      );
    }
  }
  await unitRun;
  await typecheckRun;
  const sum = (k: "tests" | "pass" | "fail") => results.reduce((n, r) => n + r[k], 0);
  const failed = results.filter((r) => !r.ok);
  console.log(
    `${failed.length === 0 ? "✔" : "✖"} ${sum("tests")} tests in ${results.length} runs, ${sum("pass")} passed, ${sum("fail")} failed, ${((Date.now() - started) / 1000).toFixed(0)} s on ${laneCount} lane(s)${oneVersion ? ` (one version per suite; left to --packaging and --full: ${PACKAGING.map((f) => path.basename(f)).join(", ")}; every version: --full)` : ""}`,
  );
  for (const f of failed) console.log(`  failed: ${f.file}`);
  // The failures again, last (a CI log is often read from its end): node's own list of each failed
  // file, its assertion messages, without the stack frames inside node.
  for (const f of failed) {
    const at = f.output.lastIndexOf("✖ failing tests:");
    if (at < 0) continue;
    const failures = f.output.slice(at);
    const kept = failures.split("\n").filter((l) => !/^\s+at .*\(node:/.test(l) && !/^\s+at node:/.test(l));
    console.log(`\n== ${f.file}\n${kept.join("\n").slice(0, 6000).trimEnd()}`);
  }
  process.exit(failed.length === 0 ? 0 : 1);
}

void main();
