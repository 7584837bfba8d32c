// withStoredForm: the provider hands the host its state in the stored form and reads back whatever
// the host hands it (the stored form, or an earlier version's) before a handler sees it. The
// Subscription's form, whose tables travel as strings.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withStoredForm, type Provider } from "../../../src/kernel/provider";
import { UNKNOWN } from "../../../src/kernel/unknown";
import { storeState, upgradeState } from "../../../src/subscription/fields";
import type { SubscriptionInputs, SubscriptionState } from "../../../src/subscription/types";

const users = { schema: "public", name: "users" };
const dotted = { schema: "a.b", name: "c" };
const internal = {
  name: "s",
  publishedTables: [users, dotted],
  bindings: [{ name: "p", oid: 1, tables: [users, dotted], memberIds: [11, 12] }],
};
const stored = {
  name: "s",
  publishedTables: ["public.users", dotted],
  bindings: [{ name: "p", oid: 1, tables: ["public.users", dotted], memberIds: [11, 12] }],
};

describe("state in its stored form across the host (withStoredForm)", () => {
  const seen: unknown[] = [];
  const handlers: Provider<SubscriptionInputs, SubscriptionState> = {
    check: async (olds, news) => (seen.push(olds), { inputs: { ...news, ...internal }, failures: [] }),
    diff: async (_id, olds, news) => (seen.push(olds, news), { changes: false }),
    create: async (inputs) => (
      seen.push(inputs),
      { id: "s", outs: internal as unknown as SubscriptionState }
    ),
    read: async (_id, props) => (
      seen.push(props),
      {
        id: "s",
        props: internal as unknown as SubscriptionState,
        inputs: internal as unknown as SubscriptionInputs,
      }
    ),
    update: async (_id, olds, news) => (
      seen.push(olds, news),
      { outs: internal as unknown as SubscriptionState }
    ),
    delete: async (_id, props) => void seen.push(props),
  };
  const provider = withStoredForm(handlers, {
    store: storeState,
    load: (v) => upgradeState(v as SubscriptionState) as SubscriptionState & SubscriptionInputs,
  });
  const s = stored as unknown as SubscriptionState;

  it("stores what it hands the host", async () => {
    assert.deepEqual((await provider.check({}, { name: "s" })).inputs, stored);
    assert.deepEqual((await provider.create(s as unknown as SubscriptionInputs)).outs, stored);
    const read = await provider.read("s", s);
    assert.deepEqual([read.props, read.inputs], [stored, stored]);
    assert.deepEqual((await provider.update("s", s, s as unknown as SubscriptionInputs)).outs, stored);
  });
  it("reads back what the host hands it, before a handler sees it", async () => {
    seen.length = 0;
    await provider.check(stored, { name: "s" });
    await provider.diff("s", s, s as unknown as SubscriptionInputs);
    await provider.delete("s", s);
    assert.equal(seen.length, 4);
    for (const v of seen) assert.deepEqual(v, internal);
  });
  it("leaves a preview's unknowns alone", () => {
    assert.deepEqual(storeState({ publishedTables: UNKNOWN }), { publishedTables: UNKNOWN });
    assert.equal(upgradeState({ publishedTables: UNKNOWN } as never).publishedTables, UNKNOWN);
  });
});
