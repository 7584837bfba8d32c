import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as sql from "../../../src/publication/sql";

describe("publication statements", () => {
  it("lists tables under one TABLE keyword (PG14 syntax), then schemas", () => {
    assert.equal(
      sql.createPublication({
        name: "p",
        tables: [
          { schema: "public", name: "users" },
          { schema: "Sales", name: "Orders" },
        ],
        schemas: ["s"],
      }),
      'CREATE PUBLICATION "p" FOR TABLE "public"."users", "Sales"."Orders", TABLES IN SCHEMA "s"',
    );
  });
  it("adds column lists, row filters and options", () => {
    assert.equal(
      sql.createPublication({
        name: "p",
        tables: [{ schema: "public", name: "t", columns: ["id", "Name"], where: "id > 5" }],
        publish: ["insert", "update"],
        publishViaPartitionRoot: true,
      }),
      `CREATE PUBLICATION "p" FOR TABLE "public"."t" ("id", "Name") WHERE (id > 5) WITH (publish = 'insert, update', publish_via_partition_root = true)`,
    );
  });
  it("creates FOR ALL TABLES", () =>
    assert.equal(
      sql.createPublication({ name: "all", allTables: true }),
      'CREATE PUBLICATION "all" FOR ALL TABLES',
    ));
  it("empties a publication by dropping its objects without filters", () =>
    assert.equal(
      sql.alterPublicationDropObjects("p", [{ schema: "public", name: "t", where: "x" }], []),
      'ALTER PUBLICATION "p" DROP TABLE "public"."t"',
    ));
  it("drops only if it exists", () =>
    assert.equal(sql.dropPublication('we"ird'), 'DROP PUBLICATION IF EXISTS "we""ird"'));
});
