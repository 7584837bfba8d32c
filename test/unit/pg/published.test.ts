// memberIds() decides which catalog row publishes each table — the row whose continuity tells a
// Subscription that its stream had no gap. A table of cases: listed tables, partitions under a
// listed parent, schema and FOR ALL TABLES publications, tables the publication does not cover.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { memberIds, type Memberships, type PublishedTable } from "../../../src/pg/published";
import { tableId } from "../../../src/pg/tables";

const t = (schema: string, name: string, ...ancestors: [string, string][]): PublishedTable => ({
  schema,
  name,
  ancestors: [{ schema, name }, ...ancestors.map(([s, n]) => ({ schema: s, name: n }))],
});
const m = (over: Partial<Memberships> = {}): Memberships => ({
  publication: 1,
  allTables: false,
  tables: new Map(),
  schemas: new Map(),
  ...over,
});
/** Each table with its member id, as "schema.name=id" (0: none). */
const members = (mm: Memberships, tables: PublishedTable[]) =>
  memberIds(mm, tables).map((id, i) => `${tables[i]!.schema}.${tables[i]!.name}=${id}`);
const ids = (x: string[]) => x;

describe("publication members", () => {
  it("gives a listed table its pg_publication_rel row", () =>
    assert.deepEqual(
      ids(
        members(m({ tables: new Map([[tableId({ schema: "public", name: "a" }), 7]]) }), [t("public", "a")]),
      ),
      ["public.a=7"],
    ));
  it("gives a leaf partition the row of the partitioned table listed above it", () =>
    assert.deepEqual(
      ids(
        members(m({ tables: new Map([[tableId({ schema: "public", name: "orders" }), 9]]) }), [
          t("public", "orders_2026", ["public", "orders"]),
          t("archive", "orders_2019", ["public", "orders_old"], ["public", "orders"]),
        ]),
      ),
      ["public.orders_2026=9", "archive.orders_2019=9"],
    ));
  it("gives a table of a published schema that schema's row (its own schema's, or its root's)", () =>
    assert.deepEqual(
      ids(
        members(m({ schemas: new Map([["sales", 4]]) }), [
          t("sales", "a"),
          t("other", "part", ["sales", "root"]),
        ]),
      ),
      ["sales.a=4", "other.part=4"],
    ));
  it("gives every table of FOR ALL TABLES the publication itself", () =>
    assert.deepEqual(ids(members(m({ allTables: true }), [t("x", "y")])), ["x.y=1"]));
  it("gives no member to a table nothing publishes yet (added in this update)", () =>
    assert.deepEqual(members(m(), [t("public", "new")]), ["public.new=0"]));
  it("tells a schema with a dot from a table name with one", () => {
    const mm = m({ tables: new Map([[tableId({ schema: "a.b", name: "c" }), 3]]) });
    assert.deepEqual(ids(members(mm, [t("a.b", "c"), t("a", "b.c")])), ["a.b.c=3", "a.b.c=0"]);
  });
});
