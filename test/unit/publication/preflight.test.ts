import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TableFacts } from "../../../src/pg/tableFacts";
import {
  filterColumns,
  largeObjectColumns,
  publisherFailures,
  tableFailures,
} from "../../../src/publication/preflight";

const facts = (over: Partial<TableFacts>): TableFacts => ({
  schema: "public",
  name: "t",
  replicaIdentity: "d",
  partitioned: false,
  unlogged: false,
  system: false,
  hasPrimaryKey: true,
  hasIdentityIndex: false,
  columns: ["id", "email", "note"],
  identityColumns: ["id"],
  owner: "app",
  owned: true,
  canBecomeOwner: true,
  canSelect: true,
  canWrite: true,
  rowSecurity: false,
  ownerRowSecurity: false,
  ownerCanBecomeMe: true,
  largeObjectColumns: [],
  unequalColumns: [],
  unequalTypes: [],
  ...over,
});

describe("publication preflight", () => {
  it("asks for wal_level = logical with the plain fix, or the cloud's flag when there is one", () => {
    const plain = publisherFailures("connection", { version: 150000, settings: { wal_level: "replica" } });
    assert.match(plain[0]!.reason, /wal_level = replica.*ALTER SYSTEM SET wal_level = logical/);
    const rds = publisherFailures("connection", {
      version: 150000,
      settings: { wal_level: "replica", "rds.logical_replication": "0" },
    });
    assert.equal(rds.length, 1);
    assert.match(rds[0]!.reason, /rds.logical_replication = 1 in the DB parameter group/);
    assert.deepEqual(
      publisherFailures("connection", {
        version: 150000,
        settings: { wal_level: "logical", "cloudsql.logical_decoding": "on" },
      }),
      [],
    );
  });
  it("names max_wal_senders and max_replication_slots at 0", () =>
    assert.deepEqual(
      publisherFailures("connection", {
        version: 150000,
        settings: { wal_level: "logical", max_wal_senders: "0", max_replication_slots: "0" },
      }).map((f) => f.reason.slice(0, 40)),
      ["the publisher has max_wal_senders = 0; s", "the publisher has max_replication_slots "],
    ));
  it("names a missing table by its index", () => {
    const f = tableFailures("tables", [{ schema: "public", name: "Users" }], [], true);
    assert.deepEqual(f[0]!.property, "tables[0]");
    assert.match(f[0]!.reason, /"public.Users" does not exist/);
  });
  it("names what is not a publishable table: another kind of relation, an unlogged or a system table", () => {
    const spec = (name: string) => ({ schema: "public", name });
    const f = tableFailures(
      "tables",
      [spec("v"), spec("u"), spec("s")],
      [facts({ name: "u", unlogged: true }), facts({ name: "s", system: true })],
      true,
      false,
      [{ schema: "public", name: "v", kind: "a materialized view" }],
    );
    assert.deepEqual(
      f.map((x) => x.reason.slice(0, 41)),
      [
        '"public.v" is a materialized view, not a ',
        '"public.u" is an unlogged table, whose ch',
        '"public.s" is a system table (made by ini',
      ],
    );
  });
  it("refuses a table without replica identity only when updates or deletes are published", () => {
    const nopk = facts({ hasPrimaryKey: false, identityColumns: [] });
    assert.match(
      tableFailures("tables", [{ schema: "public", name: "t" }], [nopk], true)[0]!.reason,
      /no replica identity/,
    );
    assert.deepEqual(tableFailures("tables", [{ schema: "public", name: "t" }], [nopk], false), []);
    assert.deepEqual(
      tableFailures("tables", [{ schema: "public", name: "t" }], [facts({ replicaIdentity: "f" })], true),
      [],
    );
  });
  it("refuses a column list or row filter on a partitioned table unless published through its root", () => {
    const spec = [{ schema: "public", name: "t", where: "id > 0", columns: ["id"] }];
    const parted = facts({ partitioned: true, identityColumns: ["id"], columns: ["id"] });
    assert.deepEqual(
      tableFailures("tables", spec, [parted], false).map((x) => x.property),
      ["tables[0].columns", "tables[0].where"],
    );
    assert.deepEqual(tableFailures("tables", spec, [parted], false, true), []);
    assert.deepEqual(tableFailures("tables", spec, [{ ...parted, partitioned: false }], false), []);
  });
  it("refuses a row filter outside the replica identity, and a column list leaving it out", () => {
    const f = tableFailures(
      "tables",
      [{ schema: "public", name: "t", where: "email <> ''", columns: ["email"] }],
      [facts({})],
      true,
    );
    assert.deepEqual(
      f.map((x) => x.property),
      ["tables[0].where", "tables[0].columns"],
    );
  });
  it("finds the columns a filter uses: quoted names literally, bare words folded, literals skipped", () =>
    assert.deepEqual(
      filterColumns(`"Email" = 'id' AND ID > 3 AND note IS NULL`, ["Email", "id", "note", "x"]),
      ["Email", "id", "note"],
    ));
  it("names the published oid columns that may point at large objects, under the table's column list", () => {
    const docs = facts({ name: "docs", largeObjectColumns: ["body", "scan"] });
    assert.deepEqual(largeObjectColumns([{ schema: "public", name: "docs" }], [docs]), [
      "public.docs (body, scan)",
    ]);
    assert.deepEqual(
      largeObjectColumns([{ schema: "public", name: "docs", columns: ["id", "scan"] }], [docs]),
      ["public.docs (scan)"],
    );
    assert.deepEqual(largeObjectColumns([{ schema: "public", name: "docs", columns: ["id"] }], [docs]), []);
    assert.deepEqual(largeObjectColumns([{ schema: "public", name: "t" }], [facts({})]), []);
  });
});
