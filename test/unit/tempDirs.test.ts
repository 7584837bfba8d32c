// The test harness's temp directories (test/harness/util.ts): each marked with the process that
// made it, so that a run killed before its exit handlers ran (a test run's cache holds an initdb
// cluster per PostgreSQL build) is cleaned up by the next run, and nothing else is.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { OWNER_FILE, ownedTempDir, reapStaleTempDirs } from "../harness/util";

describe("the test harness's temp directories", () => {
  it("removes those of a process that is gone, and keeps a running one's and those it did not make", () => {
    // A process that has exited: its pid names no process now.
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    const left = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-reaptest-gone-"));
    fs.writeFileSync(path.join(left, OWNER_FILE), String(gone));
    fs.writeFileSync(path.join(left, "cluster"), "x");
    const mine = ownedTempDir("pgrepl-reaptest-live-");
    const unmarked = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-reaptest-plain-"));
    try {
      reapStaleTempDirs();
      assert.equal(fs.existsSync(left), false, "the gone process's directory is removed");
      assert.equal(fs.existsSync(mine), true, "this process's is kept");
      assert.equal(fs.readFileSync(path.join(mine, OWNER_FILE), "utf8"), String(process.pid));
      assert.equal(fs.existsSync(unmarked), true, "one without an owner is not this harness's to remove");
    } finally {
      fs.rmSync(left, { recursive: true, force: true });
      fs.rmSync(unmarked, { recursive: true, force: true });
    }
  });
});
