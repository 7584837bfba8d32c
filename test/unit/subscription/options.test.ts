import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { versionFailures } from "../../../src/kernel/versions";
import {
  alterableOptions,
  catalogColumns,
  createOptions,
  optionChanges,
  optionsFromCatalog,
  replacingOptions,
  versionGates,
} from "../../../src/subscription/options";

describe("subscription options", () => {
  it("puts every set option in CREATE's WITH list under its SQL name", () =>
    assert.deepEqual(
      createOptions({ enabled: false, copyData: false, streaming: "parallel", synchronousCommit: "local" }),
      { enabled: false, copy_data: false, streaming: "parallel", synchronous_commit: "local" },
    ));
  it("refuses options newer than the server, and a value newer than its option", () => {
    const gates = versionGates({ binary: true, failover: true, streaming: "parallel" });
    assert.deepEqual(
      versionFailures(150000, gates, "subscriber").map((f) => [f.property, f.reason.slice(0, 48)]),
      [
        ["streaming", '`streaming: "parallel"` needs PostgreSQL 16 or l'],
        ["failover", "`failover` needs PostgreSQL 17 or later; the sub"],
      ],
    );
    assert.deepEqual(versionFailures(170000, gates, "subscriber"), []);
  });
  it("alters two_phase in place from PostgreSQL 18 and replaces before", () => {
    assert.ok(replacingOptions(170000).includes("twoPhase"));
    assert.ok(!alterableOptions(170000).includes("twoPhase"));
    assert.ok(!replacingOptions(180000).includes("twoPhase"));
    assert.ok(alterableOptions(180000).includes("twoPhase"));
    assert.deepEqual(replacingOptions(180000), ["slotName"]);
  });
  it("changes the options whose wanted value the catalog does not have, disabling for failover", () => {
    const current = { binary: false, streaming: false, failover: false, origin: "any" as const };
    assert.deepEqual(optionChanges(current, { binary: false, origin: "any" }, 170000), {
      set: {},
      whileDisabled: false,
    });
    assert.deepEqual(optionChanges(current, { binary: true, failover: true }, 170000), {
      set: { binary: true, failover: true },
      whileDisabled: true,
    });
    assert.deepEqual(optionChanges(current, { streaming: "parallel" }, 170000), {
      set: { streaming: "parallel" },
      whileDisabled: false,
    });
  });
  it("returns an option the program no longer sets to PostgreSQL's default, per version", () => {
    const left = {
      binary: true,
      streaming: true,
      failover: true,
      disableOnError: true,
      origin: "none" as const,
    };
    assert.deepEqual(optionChanges(left, {}, 170000), {
      set: { binary: false, streaming: false, disable_on_error: false, origin: "any", failover: false },
      whileDisabled: true,
    });
    // PostgreSQL 18 streams in parallel by default.
    assert.deepEqual(optionChanges({ streaming: true }, {}, 180000).set, { streaming: "parallel" });
    // Options the server's catalog does not have are left alone.
    assert.deepEqual(optionChanges({ binary: false }, {}, 140000).set, {});
  });
  it("reads the catalog's values back in the arguments' vocabulary, per version", () => {
    assert.deepEqual(optionsFromCatalog({ binary: true, streaming: "p", origin: null, failover: null }), {
      binary: true,
      streaming: "parallel",
    });
    assert.deepEqual(optionsFromCatalog({ streaming: "false" }), { streaming: false });
    assert.deepEqual(optionsFromCatalog({ streaming: "t" }), { streaming: true });
    const pg14 = catalogColumns(140000);
    assert.ok(pg14.includes('NULL::boolean AS "failover"'));
    assert.ok(pg14.includes('s.subbinary AS "binary"'));
    assert.ok(catalogColumns(170000).includes('s.subfailover AS "failover"'));
  });
});
