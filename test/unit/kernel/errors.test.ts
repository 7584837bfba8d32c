// Which input property an error belongs to is decided by where it was thrown (blaming), never by
// its wording: a check failure then names the source or the target as it should.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blamed, blaming } from "../../../src/kernel/errors";

describe("errors marked with the property they belong to", () => {
  it("keeps the innermost mark, and falls back where none was made", async () => {
    const thrown = await blaming("target", () =>
      blaming("source", async () => {
        throw new Error("Datenbank »x« existiert nicht");
      }),
    ).catch((e: unknown) => e);
    assert.equal(blamed(thrown, "target"), "source");
    assert.equal(blamed(new Error("target 127.0.0.1:5432/app"), "source"), "source");
    assert.equal(blamed("a string thrown", "target"), "target");
    assert.equal(await blaming("source", async () => 7), 7);
  });
});
