import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ident, literal } from "../../../src/pg/quote";

describe("ident", () => {
  const cases: [string, string][] = [
    ["users", '"users"'],
    ["Users", '"Users"'],
    ['a"b', '"a""b"'],
    ["semi;colon", '"semi;colon"'],
    ["space name", '"space name"'],
    ["ünïcødé", '"ünïcødé"'],
    ['"; DROP TABLE canary; --', '"""; DROP TABLE canary; --"'],
    ["back\\slash", '"back\\slash"'],
  ];
  for (const [input, expected] of cases)
    it(`quotes ${JSON.stringify(input)}`, () => assert.equal(ident(input), expected));
  it("refuses NUL bytes", () => assert.throws(() => ident("a\u0000b"), /NUL/));
});

describe("literal", () => {
  const cases: [string, string][] = [
    ["plain", "'plain'"],
    ["it's", "'it''s'"],
    ["back\\slash", "E'back\\\\slash'"],
    ["'\\'", "E'''\\\\'''"],
    ["$$x$$", "'$$x$$'"],
  ];
  for (const [input, expected] of cases)
    it(`quotes ${JSON.stringify(input)}`, () => assert.equal(literal(input), expected));
});
