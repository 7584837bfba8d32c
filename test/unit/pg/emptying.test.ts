// The statements that empty replica tables and probe them for rows: every name quoted, foreign
// keys among the emptied tables kept by one TRUNCATE, and one probe for many tables.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyingRefusals, nonEmptyQuery, truncateTables } from "../../../src/pg/emptying";
import { tableId } from "../../../src/pg/tables";

const tables = [
  { schema: "public", name: "a" },
  { schema: "s.x", name: 'we"ird' },
];

describe("emptying statements", () => {
  it("empties tables in one TRUNCATE, quoted", () => {
    assert.equal(truncateTables(tables), `TRUNCATE "public"."a", "s.x"."we""ird"`);
  });
  it("probes many tables for a row in one statement, each by its position", () => {
    assert.equal(
      nonEmptyQuery(tables),
      `SELECT 0 AS i WHERE EXISTS (SELECT 1 FROM "public"."a") UNION ALL SELECT 1 AS i WHERE EXISTS (SELECT 1 FROM "s.x"."we""ird")`,
    );
  });
});

describe("who else has a stake in a table that would be emptied", () => {
  const users = { schema: "public", name: "users" };
  const posts = { schema: "public", name: "posts" };
  const notes = { schema: "local", name: "notes" };
  const stake = (t: typeof users, referencedBy: (typeof users)[]) => ({
    ...t,
    publishedBy: [],
    fedBy: [],
    referencedBy,
  });
  const together = (...ts: (typeof users)[]) => new Set(ts.map(tableId));

  it("allows foreign keys among the tables emptied together", () => {
    assert.deepEqual(
      emptyingRefusals([stake(users, [posts]), stake(posts, [])], together(users, posts), "sub"),
      [],
    );
  });
  it("refuses a table another one references that is not emptied with it, naming both", () => {
    const [reason, ...more] = emptyingRefusals(
      [stake(users, [posts, notes]), stake(posts, [])],
      together(users, posts),
      "sub",
    );
    assert.equal(more.length, 0);
    assert.match(
      reason!,
      /^"local\.notes" on the replica has a foreign key to "public\.users" and is not copied with it/,
    );
    assert.match(reason!, /drop that constraint by hand, or copy that table too/);
  });
});
