// Which encodings a replica's database can take the publisher's text into (encodingGap).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodingGap } from "../../../src/pg/settings";

describe("a publisher's text into a replica's database encoding (encodingGap)", () => {
  it("lets through the same encoding, a UTF8 replica and a SQL_ASCII one", () => {
    for (const [p, r] of [
      ["UTF8", "UTF8"],
      ["LATIN1", "UTF8"],
      ["EUC_JP", "UTF8"],
      ["UTF8", "SQL_ASCII"],
      ["LATIN1", "LATIN1"],
    ])
      assert.equal(encodingGap(p!, r!), undefined, `${p} → ${r}`);
  });
  it("names a replica encoding narrower than the publisher's, and a SQL_ASCII publisher", () => {
    assert.match(
      encodingGap("UTF8", "LATIN1")!,
      /encoded UTF8 and the replica's LATIN1, which cannot hold every UTF8/,
    );
    assert.match(encodingGap("LATIN1", "WIN1252")!, /the replica's WIN1252/);
    assert.match(encodingGap("SQL_ASCII", "UTF8")!, /SQL_ASCII .* not valid UTF8/);
  });
});
