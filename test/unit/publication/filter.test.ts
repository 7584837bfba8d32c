import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rowFilterProblem } from "../../../src/publication/filter";
import { definitionMismatch } from "../../../src/publication/verify";

describe("row filters", () => {
  const single = [
    "id > 5",
    "(a AND b) OR (c)",
    "name <> ')'",
    `"we)ird" IS NOT NULL`,
    "x = E'it\\'s )'",
    "x = 'it''s )'",
    "$$)$$ <> x",
    "$t$ ( $t$ <> x",
    "id IN (1, 2, (3))",
  ];
  for (const expr of single) it(`accepts ${expr}`, () => assert.equal(rowFilterProblem(expr), undefined));

  const refused: [string, RegExp][] = [
    ['id > 0), "public"."victim" WHERE (true', /close more than they open/],
    ["id > 0); DROP TABLE canary; --", /close more than they open/],
    ["true; DROP TABLE canary", /contains `;`/],
    ["id > 0 --", /comment/],
    ["id > 0 /* x */", /comment/],
    ["(id > 0", /do not balance/],
    ["x = 'abc", /unterminated/],
    ['"abc = 1', /unterminated/],
    ["$t$ abc", /unterminated dollar-quoted/],
    ["   ", /empty/],
  ];
  for (const [expr, why] of refused)
    it(`refuses ${JSON.stringify(expr)}`, () => assert.match(rowFilterProblem(expr) ?? "", why));
});

describe("verifying an applied publication", () => {
  const applied = (
    tables: { schema: string; name: string; where?: string; columns?: string[] }[],
    schemas: string[] = [],
  ) => ({
    name: "p",
    oid: 1,
    owner: "o",
    owned: true,
    allTables: false,
    publish: [],
    publishViaPartitionRoot: false,
    tables,
    schemas,
  });
  it("accepts exactly the declared tables, filters and column lists", () =>
    assert.deepEqual(
      definitionMismatch(applied([{ schema: "public", name: "t", where: "(id > 0)", columns: ["id"] }]), {
        allTables: false,
        tables: [{ schema: "public", name: "t", where: "id > 0", columns: ["id"] }],
        schemas: [],
      }),
      [],
    ));
  it("names a table nobody declared, and one filter that went missing", () =>
    assert.deepEqual(
      definitionMismatch(
        applied([
          { schema: "public", name: "t" },
          { schema: "public", name: "victim", where: "true" },
        ]),
        { allTables: false, tables: [{ schema: "public", name: "t", where: "id > 0" }], schemas: [] },
      ),
      [
        'the row filter of "public.t" is not the declared one',
        'it publishes "public.victim", which is not declared',
      ],
    ));
  it("names a declared table or schema that is not published", () =>
    assert.deepEqual(
      definitionMismatch(applied([], []), {
        allTables: false,
        tables: [{ schema: "public", name: "t" }],
        schemas: ["s"],
      }),
      ['it does not publish "public.t"', 'it publishes the schemas [], not ["s"]'],
    ));
});
