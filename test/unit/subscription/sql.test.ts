import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as sql from "../../../src/subscription/sql";

describe("subscription statements", () => {
  it("quotes the conninfo as a literal and options by kind", () => {
    assert.equal(
      sql.createSubscription("s", "host='h' password='p\\'w'", ["a", "B"], {
        copy_data: false,
        slot_name: "x",
        streaming: "parallel",
      }),
      `CREATE SUBSCRIPTION "s" CONNECTION E'host=''h'' password=''p\\\\''w''' PUBLICATION "a", "B" WITH (copy_data = false, slot_name = 'x', streaming = 'parallel')`,
    );
  });
  it("detaches a slot with slot_name = NONE", () =>
    assert.equal(
      sql.alterSubscriptionOptions("s", { slot_name: { none: true } }),
      'ALTER SUBSCRIPTION "s" SET (slot_name = NONE)',
    ));
});
