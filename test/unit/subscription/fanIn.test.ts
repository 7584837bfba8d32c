// Fan-in and TRUNCATE: a subscription whose publication publishes TRUNCATE of a table other
// subscriptions of the replica also fill is refused; not where the publication leaves TRUNCATE
// out, nor where the replica publishes the table itself (two-way, a mesh).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Binding } from "../../../src/pg/binding";
import type { TableStakes } from "../../../src/pg/emptying";
import { truncateBlocked, truncateFailures } from "../../../src/subscription/sharedTables";

const customers = { schema: "public", name: "customers" };
const orders = { schema: "public", name: "orders" };
const binding = (extra: Partial<Binding> = {}): Binding => ({
  name: "shard",
  tables: [customers, orders],
  ...extra,
});
const stakes = (fedBy: string[], publishedBy: string[] = []): TableStakes[] => [
  { ...customers, fedBy, publishedBy, referencedBy: [] },
  { ...orders, fedBy: [], publishedBy: [], referencedBy: [] },
];

describe("fan-in and TRUNCATE", () => {
  it("refuses a publication publishing TRUNCATE of a table another subscription fills, naming both", () => {
    const failures = truncateFailures([binding()], stakes(["other_shard"]));
    assert.deepEqual(
      failures.map((f) => f.property),
      ["publications"],
    );
    assert.match(
      failures[0]!.reason,
      /^publication "shard" publishes TRUNCATE of public\.customers, which subscription\(s\) "other_shard" also fill on the replica/,
    );
  });
  it("takes it without TRUNCATE, with no other feeder, or where the publisher takes the table back from the replica (two-way, a mesh)", () => {
    assert.deepEqual(truncateFailures([binding({ truncate: false })], stakes(["other_shard"])), []);
    assert.deepEqual(truncateFailures([binding()], stakes([])), []);
    const backFromReplica = [
      {
        ...customers,
        originNone: true,
        feeds: [{ subscription: "from_b", publications: ["mesh"], originNone: true }],
      },
    ];
    assert.deepEqual(truncateFailures([binding()], stakes(["from_c"], ["mesh"]), backFromReplica), []);
    // The publisher out of reach: a table the replica publishes is taken for two-way.
    assert.deepEqual(truncateFailures([binding()], stakes(["from_c"], ["mesh"])), []);
  });
  it("refuses it for shards consolidated and published onward (the publisher takes nothing back)", () => {
    assert.deepEqual(
      truncateFailures([binding()], stakes(["other_shard"], ["analytics"]), []).map((f) => f.property),
      ["publications"],
    );
  });
});

describe("TRUNCATE of a table a replica table of its own references (truncateBlocked)", () => {
  const notes = { schema: "public", name: "notes" };
  const referenced: TableStakes[] = [
    { ...customers, fedBy: [], publishedBy: [], referencedBy: [notes, orders] },
    { ...orders, fedBy: [], publishedBy: [], referencedBy: [] },
  ];
  it("names the table and the referencing tables this subscription does not fill", () => {
    assert.deepEqual(truncateBlocked([binding()], referenced, [customers, orders]), [
      "public.customers (referenced by public.notes)",
    ]);
  });
  it("says nothing when TRUNCATE is not published, or every referencing table is copied with it", () => {
    assert.deepEqual(truncateBlocked([binding({ truncate: false })], referenced, [customers, orders]), []);
    assert.deepEqual(truncateBlocked([binding()], referenced, [customers, orders, notes]), []);
  });
});
