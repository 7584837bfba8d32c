// The README's "With the pulumi CLI" section, run exactly as written on a copy of this checkout up
// to its first `pulumi` command (the CLI is not on the build machines); then what `pulumi up` would
// do: the root Pulumi.yaml's `main` program runs from its own directory, where the README's npm
// install linked the package (a `file:` dependency, i.e. a symlink), and the provider host starts
// there.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram } from "../harness/capture";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import type { TestServer } from "../harness/postgres";
import { seededPair } from "../harness/seed";
import { eventually } from "../harness/util";

/** The shell lines of the README's CLI section before the first `pulumi` command. */
function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## With the pulumi CLI"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const lines = block.split("\n").filter((l) => l.trim() !== "");
  return lines.slice(
    0,
    lines.findIndex((l) => l.startsWith("pulumi ")),
  );
}

describe("the README's pulumi CLI path (PG18)", () => {
  let primary: TestServer;
  let replica: TestServer;
  let repo: string;
  before(async () => {
    [primary, replica] = await seededPair(18, 18);
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-readme-"));
    const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
    })
      .split("\n")
      .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(repo, f));
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"));
  });
  after(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it("installs the package as a link where Pulumi runs the program, and up, refresh and destroy work there", async () => {
    const commands = readmeCommands();
    assert.deepEqual(commands, ["npm run build && npm install --prefix examples/quickstart"]);
    for (const c of commands)
      execFileSync("bash", ["-c", c], {
        cwd: repo,
        stdio: "pipe",
        env: {
          ...process.env,
          npm_config_audit: "false",
          npm_config_fund: "false",
          npm_config_prefer_offline: "true",
        },
      });
    const main = /^main:\s*(\S+)/m.exec(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8"))![1]!;
    const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8"))![1]!;
    const dir = path.join(repo, main);
    assert.ok(fs.lstatSync(path.join(dir, "node_modules", "pulumi-pg-replication")).isSymbolicLink());
    const resources = await captureProgram(
      path.join(dir, "index.ts"),
      { primaryUrl: primary.url("app"), replicaUrl: replica.url("app") },
      project,
      { dir },
    );
    const engine = await Engine.start(dir);
    try {
      assert.deepEqual(
        (await engine.preview(resources)).map((s) => s.op),
        ["create", "create", "create"],
      );
      await engine.up(resources);
      await eventually(async () => {
        const n = await replica.query<{ n: string }>("SELECT count(*) AS n FROM blog_posts", [], "app");
        assert.equal(Number(n[0]!.n), 2);
      });
      await engine.refresh();
      assert.deepEqual(
        (await engine.preview(resources)).map((s) => s.op),
        ["same", "same", "same"],
      );
      await engine.destroy();
      assert.deepEqual(await primary.query("SELECT slot_name FROM pg_replication_slots"), []);
    } finally {
      await engine.stop();
    }
  });
});
