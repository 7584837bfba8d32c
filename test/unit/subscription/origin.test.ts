// origin: "none" where the publisher's tables are fed by its own subscriptions: refused when a feed
// can come from neither this replica (two-way) nor a source the replica also subscribes to (a mesh),
// by the names of the publications involved.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TableStakes } from "../../../src/pg/emptying";
import type { SubscribedTable } from "../../../src/subscription/catalog";
import { unreachedFailures } from "../../../src/subscription/sharedTables";

const orders = { schema: "public", name: "orders" };
const fedBy = (...feeds: [string, string[]][]): SubscribedTable => ({
  ...orders,
  originNone: false,
  feeds: feeds.map(([subscription, publications]) => ({ subscription, publications, originNone: false })),
});
const stake = (publishedBy: string[], fedFrom: string[] = []): TableStakes => ({
  ...orders,
  publishedBy,
  fedBy: fedFrom.length > 0 ? ["direct"] : [],
  fedFrom,
  referencedBy: [],
});

describe("origin: none and the publisher's feeds", () => {
  it("refuses a cascade: the publisher's subscription takes a publication the replica neither publishes nor subscribes to", () => {
    const failures = unreachedFailures([fedBy(["upper", ["upper"]])], [stake([])]);
    assert.deepEqual(
      failures.map((f) => f.property),
      ["origin"],
    );
    assert.match(
      failures[0]!.reason,
      /public\.orders is written on the publisher by its subscription "upper"/,
    );
  });

  it("refuses it for a table the replica does not have yet (no stake at all)", () => {
    assert.equal(unreachedFailures([fedBy(["upper", ["upper"]])], []).length, 1);
  });

  it("takes two-way replication: the publisher's subscription takes the replica's own publication", () => {
    assert.deepEqual(unreachedFailures([fedBy(["from_b", ["pub_b"]])], [stake(["pub_b"])]), []);
  });

  it("takes a mesh: the replica subscribes to the same publication the publisher's other feed takes", () => {
    assert.deepEqual(
      unreachedFailures([fedBy(["from_b", ["pub_b"]], ["from_c", ["pub_c"]])], [stake(["pub_b"], ["pub_c"])]),
      [],
    );
  });

  it("names each feed that cannot reach the replica, once, with its tables", () => {
    const items = { schema: "public", name: "items" };
    const failures = unreachedFailures(
      [
        fedBy(["from_b", ["pub_b"]], ["from_c", ["pub_c"]]),
        {
          ...items,
          originNone: false,
          feeds: [{ subscription: "from_c", publications: ["pub_c"], originNone: false }],
        },
      ],
      [stake(["pub_b"]), { ...items, publishedBy: [], fedBy: [], fedFrom: [], referencedBy: [] }],
    );
    assert.equal(failures.length, 1);
    assert.match(
      failures[0]!.reason,
      /^public\.orders, public\.items are written on the publisher by its subscription "from_c"/,
    );
  });
});
