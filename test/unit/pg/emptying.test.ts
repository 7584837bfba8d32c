// The statements that empty replica tables and probe them for rows: every name quoted, foreign
// keys among the emptied tables kept by one TRUNCATE, and one probe for many tables.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nonEmptyQuery, truncateTables } from "../../../src/pg/emptying";

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
