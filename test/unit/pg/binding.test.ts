// Bindings as each version wrote them (state, and a Publication's output handed to a Subscription
// before this version refreshed it) read into today's form: member ids beside the tables.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { membersOf, storedBinding, upgradeBinding } from "../../../src/pg/binding";
import { bindingSchema } from "../../../src/pg/schemas";

const a = { schema: "public", name: "a" };
const dotted = { schema: "x.y", name: "z" };
const other = { schema: "x", name: "y.z" };

describe("bindings of earlier versions", () => {
  it("reads member objects naming their table (earlier 0.3 builds) as ids beside the tables, 0 where a table has none", () => {
    const old = {
      name: "p",
      oid: 9,
      tables: [a, dotted, other],
      members: [
        { ...other, id: 6 },
        { ...a, id: 5 },
      ],
    };
    const now = upgradeBinding(old);
    assert.deepEqual(now, { name: "p", oid: 9, tables: [a, dotted, other], memberIds: [5, 0, 6] });
    assert.deepEqual(membersOf(now), [
      { ...a, id: 5 },
      { ...other, id: 6 },
    ]);
  });

  it("reads 0.2's strings and record of members", () => {
    const now = upgradeBinding({ name: "p", tables: ["public.a", "s.b"], members: { "s.b": 3 } });
    assert.deepEqual(now, {
      name: "p",
      tables: [a, { schema: "s", name: "b" }],
      memberIds: [0, 3],
    });
  });

  it("accepts both forms as a Subscription's input (a Publication's output this version has not rewritten yet)", () => {
    const earlier = { name: "p", oid: 9, tables: [a], members: [{ ...a, id: 5 }] };
    assert.deepEqual(upgradeBinding(bindingSchema().parse(earlier)).memberIds, [5]);
    assert.ok(bindingSchema().safeParse({ name: "p", tables: [a], memberIds: [5] }).success);
    assert.ok(!bindingSchema().safeParse({ name: "p", tables: [a], memberIds: ["5"] }).success);
  });

  it("leaves today's form as it is, and a binding without members without them", () => {
    const today = { name: "p", oid: 1, tables: [a], memberIds: [4] };
    assert.deepEqual(upgradeBinding(today), today);
    assert.deepEqual(upgradeBinding({ name: "p", tables: [a] }), { name: "p", tables: [a] });
    assert.deepEqual(membersOf({ name: "p", tables: [a] }), []);
  });
});

describe("bindings as this version keeps them", () => {
  it("stores plain names as strings, dotted ones as objects, and reads both back", () => {
    const b = { name: "p", oid: 9, tables: [a, dotted, other], memberIds: [5, 0, 6] };
    const stored = storedBinding(b);
    assert.deepEqual(stored.tables, ["public.a", dotted, other]);
    assert.deepEqual(upgradeBinding(stored), b);
    assert.ok(bindingSchema().safeParse(stored).success, "the schema takes the stored form");
  });
});
