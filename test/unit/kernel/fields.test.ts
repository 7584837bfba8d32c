// A resource's diff comes from its field table: which fields changed by meaning (defaults applied,
// lists as sets, connections parsed), and whether that updates or replaces.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldChanges } from "../../../src/kernel/fields";
import { PUBLICATION_FIELDS } from "../../../src/publication/fields";
import { SCHEMA_SYNC_FIELDS } from "../../../src/schemaSync/fields";
import { SUBSCRIPTION_FIELDS } from "../../../src/subscription/fields";

const pub = { connection: "postgres://u:p@h/db", name: "p", tables: ["public.a", "public.b"] };
const sub = {
  connection: "postgres://u:p@r/db",
  name: "s",
  publisher: "postgres://r:p@h/db",
  publications: ["p"],
};
const sync = { source: "postgres://u:p@h/db", target: "postgres://u:p@r/db", tables: ["public.a"] };

const cases: [string, object, object, object, number, { updates: string[]; replaces: string[] }][] = [
  ["nothing", PUBLICATION_FIELDS, pub, { ...pub }, 0, { updates: [], replaces: [] }],
  [
    "a default written out",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, publish: ["truncate", "delete", "insert", "update"], publishViaPartitionRoot: false },
    0,
    { updates: [], replaces: [] },
  ],
  [
    "tables in another order",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, tables: ["public.b", "public.a"] },
    0,
    { updates: [], replaces: [] },
  ],
  [
    "a table added",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, tables: ["public.a", "public.b", "public.c"] },
    0,
    { updates: ["tables"], replaces: [] },
  ],
  [
    "a row filter changed",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, tables: [{ name: "a", where: "x > 1" }, "public.b"] },
    0,
    { updates: ["tables"], replaces: [] },
  ],
  [
    "the connection respelt (same meaning)",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, connection: "host=h dbname=db user=u password=p" },
    0,
    { updates: [], replaces: [] },
  ],
  [
    "the password rotated",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, connection: "postgres://u:q@h/db" },
    0,
    { updates: ["connection"], replaces: [] },
  ],
  ["the name", PUBLICATION_FIELDS, pub, { ...pub, name: "q" }, 0, { updates: [], replaces: ["name"] }],
  [
    "FOR ALL TABLES",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, allTables: true },
    0,
    { updates: [], replaces: ["allTables"] },
  ],
  [
    "adopt (no change of its own)",
    PUBLICATION_FIELDS,
    pub,
    { ...pub, adopt: true },
    0,
    { updates: [], replaces: [] },
  ],
  [
    "two_phase on PG17 (replaces)",
    SUBSCRIPTION_FIELDS,
    sub,
    { ...sub, twoPhase: true },
    170000,
    { updates: [], replaces: ["twoPhase"] },
  ],
  [
    "two_phase on PG18 (in place)",
    SUBSCRIPTION_FIELDS,
    sub,
    { ...sub, twoPhase: true },
    180000,
    { updates: ["twoPhase"], replaces: [] },
  ],
  [
    "streaming left out on PG18 = parallel",
    SUBSCRIPTION_FIELDS,
    { ...sub, streaming: "parallel" },
    sub,
    180000,
    { updates: [], replaces: [] },
  ],
  [
    "streaming left out on PG17 = off",
    SUBSCRIPTION_FIELDS,
    { ...sub, streaming: "parallel" },
    sub,
    170000,
    { updates: ["streaming"], replaces: [] },
  ],
  [
    "copyData (used at create only)",
    SUBSCRIPTION_FIELDS,
    sub,
    { ...sub, copyData: false },
    180000,
    { updates: [], replaces: [] },
  ],
  [
    "publications reordered",
    SUBSCRIPTION_FIELDS,
    { ...sub, publications: ["p", "q"] },
    { ...sub, publications: ["q", "p"] },
    180000,
    { updates: [], replaces: [] },
  ],
  [
    "indexJobs at its default",
    SCHEMA_SYNC_FIELDS,
    sync,
    { ...sync, indexJobs: 4, maintenanceWorkMem: "256MB", section: "all" },
    0,
    { updates: [], replaces: [] },
  ],
  [
    "signatures missing on the old side (0.1.0 state)",
    SCHEMA_SYNC_FIELDS,
    sync,
    { ...sync, sourceTables: [["public", "a", "x:1"]] },
    0,
    { updates: [], replaces: [] },
  ],
  [
    "a signature changed",
    SCHEMA_SYNC_FIELDS,
    { ...sync, sourceTables: [["public", "a", "x:1"]] },
    { ...sync, sourceTables: [["public", "a", "y:2"]] },
    0,
    { updates: ["sourceTables"], replaces: [] },
  ],
];

describe("field changes", () => {
  for (const [what, table, olds, news, version, expected] of cases)
    it(`${expected.replaces.length ? "replaces on" : expected.updates.length ? "updates on" : "sees no change in"} ${what}`, () =>
      assert.deepEqual(fieldChanges(table as never, olds, news, version), expected));
});
