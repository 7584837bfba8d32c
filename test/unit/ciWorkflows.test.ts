// examples/ci/: the GitHub Actions workflows teams copy, validated against the workflow schema by
// @action-validator/cli, and checked for what each must do.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, "examples", "ci");
const validator = path.join(ROOT, "node_modules", ".bin", "action-validator");
/** The validator's verdict on one file: its exit status and what it printed. */
const validate = (file: string) =>
  new Promise<{ status: number; output: string }>((resolve) =>
    execFile(validator, [file], { encoding: "utf8" }, (e, stdout, stderr) =>
      resolve({ status: e ? Number((e as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
const read = (name: string) => fs.readFileSync(path.join(DIR, name), "utf8");

describe("CI workflows in examples/ci", () => {
  it("has the three workflows, each valid against the GitHub workflow schema", async () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".yml"));
    assert.deepEqual(files.sort(), ["drift.yml", "preview.yml", "up.yml"]);
    const verdicts = await Promise.all(files.map((f) => validate(path.join(DIR, f))));
    verdicts.forEach((r, i) => assert.equal(r.status, 0, `${files[i]}: ${r.output}`));
  });

  it("the validator refuses a malformed workflow (so the check above can fail)", async () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wf-")), "bad.yml");
    fs.writeFileSync(bad, read("preview.yml").replace("runs-on:", "run-on:"));
    assert.notEqual((await validate(bad)).status, 0);
  });

  it("previews pull requests with the plan posted on the PR, refreshing first", () => {
    const wf = read("preview.yml");
    assert.match(wf, /on:\n\s+pull_request:/);
    assert.match(wf, /command: preview/);
    assert.match(wf, /comment-on-pr: true/);
    assert.match(wf, /refresh: true/);
    assert.match(wf, /pull-requests: write/);
  });

  it("runs up on main, one run at a time", () => {
    const wf = read("up.yml");
    assert.match(wf, /push:\n\s+branches: \[main\]/);
    assert.match(wf, /command: up/);
    assert.match(wf, /cancel-in-progress: false/);
  });

  it("raises a drift alarm on a schedule from preview --refresh --expect-no-changes, telling drift (7) from failure", () => {
    const wf = read("drift.yml");
    assert.match(wf, /schedule:\n\s+- cron:/);
    assert.match(wf, /pulumi preview .*--refresh --expect-no-changes/);
    assert.match(wf, /7\) echo "::error title=Drift::/);
  });

  it("names the secrets and variables each workflow needs", () => {
    for (const f of ["preview.yml", "up.yml", "drift.yml"]) {
      const wf = read(f);
      assert.match(wf, /# Secrets: PULUMI_ACCESS_TOKEN/, f);
      assert.match(wf, /PULUMI_ACCESS_TOKEN: \$\{\{ secrets\.PULUMI_ACCESS_TOKEN \}\}/, f);
      assert.match(wf, /# Variables: PULUMI_STACK/, f);
    }
  });

  it("installs where the program is, from its committed lock file, on the Node the SDK declares", () => {
    const sdk = JSON.parse(
      fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
    ) as { engines?: { node?: string } };
    const wanted = Number(/(\d+)/.exec(sdk.engines?.node ?? ">=20")![1]);
    for (const f of ["preview.yml", "up.yml", "drift.yml"]) {
      const wf = read(f);
      const node = Number(/node-version: (\d+)/.exec(wf)![1]);
      assert.ok(node >= wanted, `${f}: Node ${node}, the SDK declares ${sdk.engines?.node}`);
      // setup-node's npm cache needs a lock file; at the repository root there may be none.
      assert.match(wf, /cache-dependency-path: \$\{\{ vars\.PULUMI_WORK_DIR \}\}\/package-lock\.json/, f);
      assert.match(wf, /- run: npm ci\n\s+working-directory: \$\{\{ vars\.PULUMI_WORK_DIR \}\}/, f);
    }
  });
});
