// pendingRepair decides when `up` empties a subscription's tables and copies them again: a table
// of the situations it must repair, and of those it must leave alone.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Binding } from "../../../src/pg/binding";
import { pendingRepair, type Observed } from "../../../src/subscription/drift";
import { slotWarnings } from "../../../src/subscription/publisher";

const t = (name: string) => ({ schema: "public", name });
const users = t("users");
const posts = t("posts");
const binding = (oid: number | undefined, members: [string, number][]): Binding => ({
  name: "pub",
  ...(oid !== undefined ? { oid } : {}),
  tables: members.map(([n]) => t(n)),
  memberIds: members.map(([, id]) => id),
});
const steady = binding(10, [
  ["users", 11],
  ["posts", 12],
]);
const base: Observed = {
  previous: { bindings: [steady], publishedTables: [posts, users] },
  bindings: [steady],
  publishedTables: [posts, users],
  subscriptionExists: true,
  slotExists: true,
  slotName: "sub",
  nonEmpty: [],
  recopyRequests: [],
  stakes: [],
  name: "sub",
};

const cases: [string, Partial<Observed>, RegExp | undefined][] = [
  ["nothing changed", {}, undefined],
  [
    "the program asks for a re-copy (recopy, not served yet)",
    { asked: "2026-12-04" },
    /the program asks for its tables to be copied again \(recopy: "2026-12-04"\)/,
  ],
  [
    "a re-copy asked before the subscription exists: its first copy serves it",
    { asked: "x", subscriptionExists: false, previous: undefined },
    undefined,
  ],
  [
    "a re-copy asked of a subscription re-created since: its copy served it",
    { asked: "x", recreated: true },
    undefined,
  ],
  [
    "a snapshot copy left unfinished (a new stack's create, killed mid-copy)",
    { previous: undefined, unfinishedCopy: true },
    /snapshot copy an earlier `up` started did not finish/,
  ],
  [
    "the mark without the subscription is nothing to finish",
    { subscriptionExists: false, previous: undefined, unfinishedCopy: true },
    undefined,
  ],
  [
    "the publication is re-created (every membership row is new)",
    {
      bindings: [
        binding(20, [
          ["users", 21],
          ["posts", 22],
        ]),
      ],
    },
    /is dropped, re-created or replaced/,
  ],
  [
    "one table left the publication and came back",
    {
      bindings: [
        binding(10, [
          ["users", 11],
          ["posts", 13],
        ]),
      ],
    },
    /public\.posts is dropped/,
  ],
  [
    "the publication is to be created (no oid, no members)",
    { bindings: [{ name: "pub", tables: [posts, users] }] },
    /public\.posts, public\.users is dropped/,
  ],
  [
    "a new table joins (no gap for tables it had)",
    {
      bindings: [
        binding(10, [
          ["users", 11],
          ["posts", 12],
          ["c", 13],
        ]),
      ],
      publishedTables: [t("c"), posts, users],
    },
    undefined,
  ],
  ["the slot is gone", { slotExists: false }, /replication slot "sub" no longer exists/],
  ["this host cannot tell whether the slot exists", { slotExists: undefined }, undefined],
  [
    "the publisher invalidated the slot (max_slot_wal_keep_size)",
    { slotInvalidated: "wal_removed" },
    /replication slot "sub" was invalidated by the publisher \(the WAL it still needed was removed: it fell more than max_slot_wal_keep_size behind/,
  ],
  [
    "the publisher invalidated the slot (PG18: idle too long)",
    { slotInvalidated: "idle_timeout" },
    /invalidated by the publisher \(it stayed unused longer than idle_replication_slot_timeout\)/,
  ],
  ["the subscription was dropped by hand", { subscriptionExists: false }, /dropped outside Pulumi/],
  [
    "a new subscription meets rows on the replica",
    { previous: undefined, subscriptionExists: false, nonEmpty: [users] },
    /already hold rows/,
  ],
  [
    "a new subscription meets rows another subscription writes (fan-in: copied in beside them)",
    {
      previous: undefined,
      subscriptionExists: false,
      nonEmpty: [users],
      stakes: [{ ...users, publishedBy: [], fedBy: ["other"], referencedBy: [] }],
    },
    undefined,
  ],
  [
    "a new subscription meets rows another subscription writes, and rows of no subscription",
    {
      previous: undefined,
      subscriptionExists: false,
      nonEmpty: [posts, users],
      stakes: [{ ...users, publishedBy: [], fedBy: ["other"], referencedBy: [] }],
    },
    /public\.posts already hold rows/,
  ],
  [
    "a subscription dropped by hand, its tables also fed by another",
    {
      subscriptionExists: false,
      nonEmpty: [users],
      stakes: [{ ...users, publishedBy: [], fedBy: ["other"], referencedBy: [] }],
    },
    /dropped outside Pulumi/,
  ],
  ["a new subscription on empty tables", { previous: undefined, subscriptionExists: false }, undefined],
  [
    "SchemaSync re-created a published table",
    { recopyRequests: [{ ...users, reason: "the table was dropped on the replica" }] },
    /public\.users: the table was dropped/,
  ],
  [
    "SchemaSync re-created a table this subscription does not receive",
    { recopyRequests: [{ ...t("other"), reason: "x" }] },
    undefined,
  ],
  ["the bindings are unknown from here", { bindings: undefined }, undefined],
  [
    "a table loaded on its own was attached under a root published through it",
    { attachedRows: [t("events_2028")] },
    /public\.events_2028 was attached as a partition on the publisher holding rows written before the attach/,
  ],
  ["nothing attached with older rows", { attachedRows: [] }, undefined],
];

describe("subscription repairs (pendingRepair)", () => {
  for (const [what, change, reason] of cases)
    it(`${reason ? "repairs" : "leaves alone"}: ${what}`, () => {
      const repair = pendingRepair({ ...base, ...change });
      if (!reason) return assert.equal(repair, undefined);
      assert.ok(repair, "a repair");
      assert.match(repair.reasons.join("; "), reason);
      // A repair re-copies every table the subscription receives, in order.
      assert.deepEqual(
        repair.tables,
        [...(change.publishedTables ?? base.publishedTables)].sort((a, b) => (a.name < b.name ? -1 : 1)),
      );
    });
  it("keys tables structurally: a schema with a dot is not another table's prefix", () => {
    const dotted = { schema: "a.b", name: "c" };
    const other = { schema: "a", name: "b.c" };
    const prev = {
      name: "p",
      oid: 1,
      tables: [dotted, other],
      memberIds: [5, 6],
    };
    const now = { ...prev, memberIds: [5, 7] };
    const repair = pendingRepair({
      ...base,
      previous: { bindings: [prev], publishedTables: [dotted, other] },
      bindings: [now],
      publishedTables: [dotted, other],
    });
    assert.match(repair!.reasons[0]!, /^what publishes a\.b\.c is dropped/);
    assert.equal(repair!.reasons.length, 1);
  });
});

describe("an unfinished snapshot copy finished rather than redone (pendingRepair)", () => {
  const unfinished = { previous: undefined, unfinishedCopy: true };
  it("keeps the tables it finished, empties those copied in part, and leaves the rest to PostgreSQL", () => {
    const repair = pendingRepair({
      ...base,
      ...unfinished,
      publishedTables: [posts, users, t("big")],
      resumable: { kept: [users], partial: [t("big")] },
    });
    assert.deepEqual(repair?.resume, { kept: [users] });
    assert.deepEqual(repair?.tables, [t("big")], "only the table holding part of its rows is emptied");
    assert.match(
      repair!.reasons[0]!,
      /did not finish.*keeps the 1 table\(s\) it finished .* copy the other 2, emptying public\.big first/,
    );
  });
  it("redoes everything when the stream broke too (its slot gone)", () => {
    const repair = pendingRepair({
      ...base,
      ...unfinished,
      slotExists: false,
      previous: base.previous,
      resumable: { kept: [users], partial: [] },
    });
    assert.equal(repair?.resume, undefined);
    assert.deepEqual(repair?.tables, [posts, users]);
  });
});

describe("a subscription an unfinished `up` created, judged against its mark (pendingRepair)", () => {
  // The recorded inputs predate it (they bound another publication: id 99): its mark says what the
  // unfinished `up` bound it to.
  const marked: Partial<Observed> = {
    previous: { bindings: [binding(90, [["users", 99]])], publishedTables: [users] },
    recreated: true,
    bound: { ids: [11, 12], tables: [posts, users] },
  };
  it("leaves alone what still publishes its tables (the recorded inputs say nothing of it)", () =>
    assert.equal(pendingRepair({ ...base, ...marked }), undefined));
  it("repairs a table whose publication was re-created since it was created", () => {
    const repair = pendingRepair({
      ...base,
      ...marked,
      bindings: [
        binding(10, [
          ["users", 11],
          ["posts", 13],
        ]),
      ],
    });
    assert.match(
      repair!.reasons.join("; "),
      /what publishes public\.posts is dropped, re-created or replaced/,
    );
    assert.deepEqual(repair!.tables, [posts, users]);
  });
  it("leaves alone a table it does not know yet (added to the publication since)", () =>
    assert.equal(
      pendingRepair({
        ...base,
        ...marked,
        bound: { ids: [11], tables: [users] },
        bindings: [
          binding(10, [
            ["users", 11],
            ["posts", 13],
          ]),
        ],
      }),
      undefined,
    ));
  it("cannot judge a mark without ids (written by an earlier version, or the publisher unread)", () =>
    assert.equal(
      pendingRepair({ ...base, ...marked, bound: undefined, bindings: [binding(20, [["users", 21]])] }),
      undefined,
    ));
  it("redoes an unfinished snapshot copy rather than finishing it on a stream with a gap", () => {
    const repair = pendingRepair({
      ...base,
      ...marked,
      unfinishedCopy: true,
      resumable: { kept: [users], partial: [] },
      bindings: [
        binding(20, [
          ["users", 21],
          ["posts", 22],
        ]),
      ],
    });
    assert.equal(repair?.resume, undefined);
    assert.deepEqual(repair?.tables, [posts, users]);
  });
});

describe("what an existing subscription's slot puts at risk (slotWarnings)", () => {
  const facts = { active: false, retainedBytes: 3 * 1024 ** 3, lagBytes: 0 };
  it("a slot past max_slot_wal_keep_size; one a disabled subscription keeps, with the WAL it holds", () => {
    assert.deepEqual(slotWarnings("s", { ...facts, active: true }, false), []);
    assert.match(slotWarnings("s", { ...facts, unreserved: true }, false).join(), /wal_status "unreserved"/);
    assert.match(
      slotWarnings("s", facts, true).join(),
      /the subscription is disabled, and its replication slot "s" holds 3(\.0)? GB of WAL on the publisher/,
    );
    // Not in use by an enabled subscription (a worker restarting): the stall check's to judge.
    assert.deepEqual(slotWarnings("s", facts, false), []);
    // Invalidated: a repair's (drift.ts), not a warning.
    assert.deepEqual(slotWarnings("s", { ...facts, invalidated: "wal_removed" }, true), []);
  });
});
