// Preflight: what must hold on a server before replication objects are created, each failure naming
// the setting or table and the exact fix. Pure functions over what catalog.ts read.

import type { ServerSettings, TableFacts } from "./catalog";
import type { CheckFailure } from "./provider";
import { tableKey, type TableSpec } from "./tables";

/** The publisher must run with wal_level=logical and have WAL senders and replication slots. */
export function publisherFailures(property: string, s: ServerSettings): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const wal = s.settings["wal_level"];
  if (wal !== undefined && wal !== "logical") {
    let fix =
      "set wal_level = logical in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart the server";
    if ("rds.logical_replication" in s.settings)
      fix = "set rds.logical_replication = 1 in the DB parameter group and reboot the instance";
    else if ("cloudsql.logical_decoding" in s.settings)
      fix = "set the database flag cloudsql.logical_decoding = on";
    else if ("azure.replication_support" in s.settings)
      fix = "set the server parameter azure.replication_support = logical and restart";
    failures.push({
      property,
      reason: `the publisher has wal_level = ${wal}; logical replication needs logical: ${fix}.`,
    });
  }
  for (const setting of ["max_wal_senders", "max_replication_slots"]) {
    const v = s.settings[setting];
    if (v !== undefined && Number(v) < 1)
      failures.push({
        property,
        reason: `the publisher has ${setting} = ${v}; set it to at least 10 (one per subscription plus its table syncs) and restart the server.`,
      });
  }
  return failures;
}

/**
 * Every listed table must exist; when updates or deletes are published, each needs a replica
 * identity, else writes on the primary fail (55000: "cannot update table … because it does not
 * have a replica identity and publishes updates").
 */
export function tableFailures(
  property: string,
  tables: readonly TableSpec[],
  facts: readonly TableFacts[],
  publishesUpdatesOrDeletes: boolean,
): CheckFailure[] {
  const byKey = new Map(facts.map((f) => [tableKey(f), f]));
  const failures: CheckFailure[] = [];
  tables.forEach((t, i) => {
    const f = byKey.get(tableKey(t));
    const where = `${property}[${i}]`;
    if (!f) {
      failures.push({
        property: where,
        reason: `table ${JSON.stringify(tableKey(t))} does not exist on the publisher; create it first or fix the name (names are taken literally, case included).`,
      });
      return;
    }
    if (!publishesUpdatesOrDeletes) return;
    const missing =
      f.replicaIdentity === "n" ||
      (f.replicaIdentity === "d" && !f.hasPrimaryKey) ||
      (f.replicaIdentity === "i" && !f.hasIdentityIndex);
    if (missing)
      failures.push({
        property: where,
        reason: `table ${JSON.stringify(tableKey(t))} has no replica identity, so publishing updates/deletes would make UPDATE and DELETE on the primary fail; add a primary key, or run ALTER TABLE … REPLICA IDENTITY FULL (or USING INDEX), or leave update and delete out of \`publish\`.`,
      });
  });
  return failures;
}
