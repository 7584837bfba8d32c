// projectSection decides what a pre-data and a post-data SchemaSync each copy (and so what is
// built before and after the initial copy): a table of which constraint and index goes where.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { projectSection } from "../../../src/schemaSync/section";
import type { SchemaSnapshot, TableDefinition } from "../../../src/schemaSync/snapshot";

const table: TableDefinition = {
  schema: "public",
  name: "orders",
  columns: [{ name: "id", type: "bigint", notNull: true }],
  constraints: {
    orders_pkey: { type: "p", definition: "PRIMARY KEY (id)" },
    orders_amount_check: { type: "c", definition: "CHECK (amount > 0)" },
    orders_code_key: { type: "u", definition: "UNIQUE (code)" },
    orders_user_fkey: { type: "f", definition: "FOREIGN KEY (user_id) REFERENCES public.users(id)" },
    orders_period_excl: { type: "x", definition: "EXCLUDE USING gist (period WITH &&)" },
  },
  indexes: {
    orders_user_idx: "CREATE INDEX orders_user_idx ON public.orders USING btree (user_id)",
    orders_identity: "CREATE UNIQUE INDEX orders_identity ON public.orders USING btree (code)",
  },
  sequences: [],
  replicaIdentity: "i",
  identityIndex: "orders_identity",
};
const snapshot: SchemaSnapshot = {
  extensions: [{ name: "btree_gist", schema: "public" }],
  types: [{ name: "public.mood", schema: "public", kind: "enum", labels: ["a"] }],
  tables: [table],
};

const cases: [string, "pre-data" | "post-data", string[], string[]][] = [
  [
    "pre-data keeps what the copy needs: the primary key, checks, the replica identity's index",
    "pre-data",
    ["orders_amount_check", "orders_pkey"],
    ["orders_identity"],
  ],
  [
    "post-data builds the rest after the copy: unique and exclusion constraints, foreign keys, indexes",
    "post-data",
    ["orders_code_key", "orders_period_excl", "orders_user_fkey"],
    ["orders_user_idx"],
  ],
];

describe("schema sections", () => {
  for (const [what, section, constraints, indexes] of cases)
    it(what, () => {
      const t = projectSection(snapshot, section).tables[0]!;
      assert.deepEqual(Object.keys(t.constraints).sort(), constraints);
      assert.deepEqual(Object.keys(t.indexes).sort(), indexes);
      assert.deepEqual(t.columns, table.columns, "columns are never split");
    });
  it("leaves types and extensions to pre-data", () => {
    assert.equal(projectSection(snapshot, "pre-data").types.length, 1);
    assert.deepEqual(projectSection(snapshot, "post-data").types, []);
    assert.deepEqual(projectSection(snapshot, "post-data").extensions, []);
  });
  it("copies everything in section all", () => assert.equal(projectSection(snapshot, "all"), snapshot));
});
