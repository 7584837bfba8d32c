// withBoundedReads: a resource's check, diff and read run with their lock waits bounded (the
// sessions they open take the bound: pg/session.ts); create, update and delete do not.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readWait, readWaitSeconds } from "../../../src/kernel/lockWaits";
import { withBoundedReads, type Provider } from "../../../src/kernel/provider";

describe("lock waits of reads (withBoundedReads)", () => {
  it("bounds a read to LOCK_TRIES times the resource's lockTimeoutSeconds, 5 s when it does not say", () => {
    assert.equal(readWaitSeconds({ lockTimeoutSeconds: 2 }), 6);
    assert.equal(readWaitSeconds({}), 15);
    assert.equal(readWaitSeconds(undefined), 15);
    // A preview's unknown, or a value check has not validated yet.
    assert.equal(readWaitSeconds({ lockTimeoutSeconds: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }), 15);
    assert.equal(readWaitSeconds({ lockTimeoutSeconds: -1 }), 15);
  });

  it("sets the bound for check, diff and read from their inputs or state, and none for the changes", async () => {
    const seen: Record<string, number | undefined> = {};
    const note = async (op: string) => {
      await new Promise((r) => setImmediate(r)); // across an await, as a session is opened
      seen[op] = readWait();
    };
    type V = { lockTimeoutSeconds?: number };
    const handlers: Provider<V, V> = {
      check: async () => (await note("check"), { inputs: {}, failures: [] }),
      diff: async () => (await note("diff"), { changes: false }),
      create: async () => (await note("create"), { id: "x", outs: {} }),
      read: async () => (await note("read"), {}),
      update: async () => (await note("update"), { outs: {} }),
      delete: async () => void (await note("delete")),
    };
    const p = withBoundedReads(handlers);
    await Promise.all([
      p.check({}, { lockTimeoutSeconds: 1 }),
      p.diff("x", { lockTimeoutSeconds: 9 }, { lockTimeoutSeconds: 2 }),
      p.read("x", {}),
      p.create({ lockTimeoutSeconds: 1 }),
      p.update("x", {}, { lockTimeoutSeconds: 1 }),
      p.delete("x", { lockTimeoutSeconds: 1 }),
    ]);
    assert.deepEqual(seen, {
      check: 3,
      diff: 6,
      read: 15,
      create: undefined,
      update: undefined,
      delete: undefined,
    });
    assert.equal(readWait(), undefined, "nothing outside the calls");
  });
});
