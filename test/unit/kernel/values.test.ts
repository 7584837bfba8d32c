// canonicalJson and tableId are written out by hand for speed, but their text is kept in state
// (table signatures' hashes, stored table keys): it must stay what JSON.stringify made before.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalJson } from "../../../src/kernel/values";
import { tableId } from "../../../src/pg/tables";

/** The form signatures were made with: JSON.stringify sorting each object's keys in a replacer. */
const reference = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );

const awkward = [
  "",
  "plain",
  'quote"d',
  "back\\slash",
  "new\nline",
  "tab\t\u0001\u001f",
  "ümlaut",
  "emoji 😀",
  "lone \ud800 surrogate",
  "a.b",
  "[bracket",
  "__proto__",
];

describe("canonicalJson", () => {
  it("writes what JSON.stringify with a key-sorting replacer writes", () => {
    const values: unknown[] = [
      null,
      true,
      0,
      -0,
      1.5,
      1e21,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "s",
      [],
      {},
      [1, undefined, () => 1, null, "x"],
      { b: 1, a: 2, c: undefined, d: () => 1, e: [{ z: 1, y: [{ q: null, p: "v" }] }] },
      { é: 1, e: 2, E: 3, "10": 4, "9": 5, "": 6 },
      { when: new Date(Date.UTC(2026, 11, 4)), nested: { toJSON: () => ({ b: 1, a: 2 }) } },
      Object.fromEntries(awkward.map((k, i) => [k, awkward[awkward.length - 1 - i]])),
      JSON.parse('{"__proto__": {"b": 1, "a": 2}, "x": 1}'),
      { boxed: [new String("s"), new Number(2), new Boolean(false)] },
      {
        schema: "public",
        name: "t",
        columns: [{ name: "id", type: "bigint", notNull: true, default: null, attnum: 1 }],
        constraints: [{ name: "t_pkey", definition: "PRIMARY KEY (id)" }],
      },
    ];
    for (const v of values) assert.equal(canonicalJson(v), reference(v), JSON.stringify(v));
    assert.equal(canonicalJson(undefined), reference(undefined));
  });
});

describe("tableId", () => {
  it("is JSON.stringify([schema, name]) for every name", () => {
    for (const schema of awkward)
      for (const name of awkward) assert.equal(tableId({ schema, name }), JSON.stringify([schema, name]));
  });
});
