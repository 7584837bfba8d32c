import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalTableRef,
  parseTableRef,
  sameTableSets,
  storedTableKey,
  storedTableName,
  tableFromStored,
  tableFromStoredKey,
} from "../../../src/pg/tables";

describe("table references", () => {
  it("puts a bare name in schema public", () =>
    assert.deepEqual(parseTableRef("users"), { schema: "public", name: "users" }));
  it("splits schema.name literally, case kept", () =>
    assert.deepEqual(parseTableRef("Sales.Orders"), { schema: "Sales", name: "Orders" }));
  it("refuses a name with two dots and names the fix", () =>
    assert.throws(() => parseTableRef("a.b.c"), /schema: "…", name: "…"/));
  it("keeps the object form for names containing dots", () =>
    assert.deepEqual(canonicalTableRef({ schema: "public", name: "v1.2" }), {
      schema: "public",
      name: "v1.2",
    }));
  it("canonicalises plain names to schema.name", () =>
    assert.equal(canonicalTableRef(parseTableRef("users")), "public.users"));
  it("compares sets ignoring order of tables and of columns", () =>
    assert.ok(
      sameTableSets(
        [
          { schema: "a", name: "t", columns: ["x", "y"] },
          { schema: "a", name: "u" },
        ],
        [
          { schema: "a", name: "u" },
          { schema: "a", name: "t", columns: ["y", "x"] },
        ],
      ),
    ));
  it("sees a changed row filter as a different set", () =>
    assert.ok(
      !sameTableSets(
        [{ schema: "a", name: "t", where: "x > 1" }],
        [{ schema: "a", name: "t", where: "x > 2" }],
      ),
    ));
});

describe("table names as state keeps them", () => {
  const names = [
    { schema: "public", name: "users" },
    { schema: "a.b", name: "c" },
    { schema: "a", name: "b.c" },
    { schema: "[x", name: "y" },
    { schema: "Mixed Case", name: 'quo"te' },
  ];
  it("keeps a string where splitting at the dot gives the table back, the object otherwise", () => {
    assert.deepEqual(names.map(storedTableName), [
      "public.users",
      { schema: "a.b", name: "c" },
      { schema: "a", name: "b.c" },
      "[x.y",
      'Mixed Case.quo"te',
    ]);
    assert.deepEqual(names.map(storedTableName).map(tableFromStored), names);
  });
  it("keys records by that string, or by the JSON id where it would not read back", () => {
    assert.deepEqual(names.map(storedTableKey), [
      "public.users",
      '["a.b","c"]',
      '["a","b.c"]',
      '["[x","y"]',
      'Mixed Case.quo"te',
    ]);
    assert.deepEqual(names.map(storedTableKey).map(tableFromStoredKey), names);
  });
});
