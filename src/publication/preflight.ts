// The Publication's preflight: what must hold on the primary before a publication is created or
// changed, each failure naming the setting or table and the exact fix. Pure functions over what
// pg/settings.ts and pg/tableFacts.ts read.

import type { CheckFailure } from "../kernel/check";
import { alterTableOwner, grantCreateOnDatabase, grantRole, setLogged } from "../pg/grants";
import { cloudAdmin, type RoleFacts } from "../pg/roles";
import type { ServerSettings } from "../pg/settings";
import type { TableFacts } from "../pg/tableFacts";
import { tableId, tableKey, type TableName, type TableSpec } from "../pg/tables";

/** The publisher must run with wal_level=logical and have WAL senders and replication slots. */
export function publisherFailures(property: string, s: ServerSettings): CheckFailure[] {
  const failures: CheckFailure[] = [];
  // Managed services expose logical decoding as a flag of their own; when present it is the fix.
  const cloud: [string, (v: string) => boolean, string][] = [
    [
      "rds.logical_replication",
      (v) => v === "1" || v === "on",
      "set rds.logical_replication = 1 in the DB parameter group and reboot the instance",
    ],
    ["cloudsql.logical_decoding", (v) => v === "on", "set the database flag cloudsql.logical_decoding = on"],
    [
      "azure.replication_support",
      (v) => v === "logical",
      "set the server parameter azure.replication_support = logical and restart",
    ],
  ];
  const flag = cloud.find(([name]) => name in s.settings);
  if (flag && !flag[1](s.settings[flag[0]]!))
    failures.push({
      property,
      reason: `the publisher has ${flag[0]} = ${s.settings[flag[0]]}; logical replication needs it on: ${flag[2]}.`,
    });
  const wal = s.settings["wal_level"];
  if (wal !== undefined && wal !== "logical" && failures.length === 0)
    failures.push({
      property,
      reason: `the publisher has wal_level = ${wal}; logical replication needs logical: ${flag ? flag[2] : "set wal_level = logical in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart the server"}.`,
    });
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
 * have a replica identity and publishes updates"). A column list or row filter on a partitioned
 * table needs publish_via_partition_root (CREATE and ALTER PUBLICATION fail with 22023 otherwise).
 */
export function tableFailures(
  property: string,
  tables: readonly TableSpec[],
  facts: readonly TableFacts[],
  publishesUpdatesOrDeletes: boolean,
  viaRoot = false,
  others: readonly (TableName & { kind: string })[] = [],
): CheckFailure[] {
  const byKey = new Map(facts.map((f) => [tableId(f), f]));
  const kinds = new Map(others.map((o) => [tableId(o), o.kind]));
  const failures: CheckFailure[] = [];
  tables.forEach((t, i) => {
    const f = byKey.get(tableId(t));
    const where = `${property}[${i}]`;
    const key = JSON.stringify(tableKey(t));
    if (!f) {
      const kind = kinds.get(tableId(t));
      failures.push({
        property: where,
        reason: kind
          ? `${key} is ${kind}, not a table: only tables (partitioned ones included) can be published${kind === "a sequence" ? "; a sequence's value is kept in step by SequenceSync" : kind.includes("view") ? "; publish the tables it is made from instead" : ""}.`
          : `table ${key} does not exist on the publisher; create it first or fix the name (names are taken literally, case included).`,
      });
      return;
    }
    if (f.system) {
      failures.push({
        property: where,
        reason: `${key} is a system table (made by initdb), which PostgreSQL cannot publish: leave it out.`,
      });
      return;
    }
    if (f.unlogged)
      failures.push({
        property: where,
        reason: `${key} is an unlogged table, whose changes are not written to the WAL, so PostgreSQL cannot publish it: make it logged (${setLogged(t.schema, t.name)}) or leave it out.`,
      });
    if (f.partitioned && !viaRoot)
      for (const [part, what] of [
        ["columns", "a column list"],
        ["where", "a row filter"],
      ] as const)
        if (t[part] !== undefined)
          failures.push({
            property: `${where}.${part}`,
            reason: `${JSON.stringify(tableKey(t))} is a partitioned table, and PostgreSQL takes ${what} on one only when the publication publishes through the root: set \`publishViaPartitionRoot: true\` (changes then travel as the root's), or list its partitions instead, each with its own \`${part}\`.`,
          });
    if (!publishesUpdatesOrDeletes) return;
    if (lacksIdentity(f)) failures.push({ property: where, reason: noIdentity(f) });
    else failures.push(...identityCoverage(where, t, f));
    if (uncomparable(f)) failures.push({ property: where, reason: unequalIdentity(f) });
  });
  return failures;
}

/**
 * The tables a publication covers by schema or FOR ALL TABLES, now and whenever the next preview
 * runs: each needs a replica identity when updates or deletes are published.
 */
export function coveredTableFailures(
  property: string,
  facts: readonly TableFacts[],
  publishesUpdatesOrDeletes: boolean,
): CheckFailure[] {
  if (!publishesUpdatesOrDeletes) return [];
  const through = `(it is published through \`${property}\`)`;
  return facts.flatMap((f) => [
    ...(lacksIdentity(f) ? [{ property, reason: `${noIdentity(f)} ${through}` }] : []),
    ...(uncomparable(f) ? [{ property, reason: `${unequalIdentity(f)} ${through}` }] : []),
  ]);
}

/**
 * REPLICA IDENTITY FULL with a column of a type without equality, on a table without a primary
 * key: a replica's copy of it has none either, compares every column to find the row an UPDATE or
 * DELETE changes, fails on that one ("could not identify an equality operator for type json"),
 * and its stream stops there, retried without end. With a primary key (FULL kept for full old
 * rows, as change-data-capture tools ask), a replica table that has it finds rows by it: measured
 * on 14 and 18, updates and deletes arrive. The Subscription judges the replica's table
 * (subscription/fullIdentity.ts).
 */
function uncomparable(f: TableFacts): boolean {
  return f.unequalColumns.length > 0 && !f.hasPrimaryKey;
}

function unequalIdentity(f: TableFacts): string {
  const columns = f.unequalColumns.map((c, i) => `${JSON.stringify(c)} (${f.unequalTypes[i]})`).join(", ");
  const plural = f.unequalColumns.length > 1;
  return `table ${JSON.stringify(tableKey(f))} has REPLICA IDENTITY FULL and ${plural ? "columns" : "column"} ${columns} of a type with no equality operator, and no primary key: the replica finds the row an UPDATE or DELETE changes by comparing every column, cannot compare ${plural ? "these" : "this one"}, and its stream would stop at the first such change (retried without end). Give the table a primary key (or REPLICA IDENTITY USING INDEX on a unique index of NOT NULL columns), change the column's type to one with equality (json → jsonb), or leave update and delete out of \`publish\`.`;
}

function lacksIdentity(f: TableFacts): boolean {
  return (
    f.replicaIdentity === "n" ||
    (f.replicaIdentity === "d" && !f.hasPrimaryKey) ||
    (f.replicaIdentity === "i" && !f.hasIdentityIndex)
  );
}

function noIdentity(f: TableFacts): string {
  return `table ${JSON.stringify(tableKey(f))} has no replica identity, so publishing updates/deletes would make UPDATE and DELETE on the primary fail; add a primary key, or run ALTER TABLE … REPLICA IDENTITY FULL (every column's type must then have an equality operator: not json, xml or point) or USING INDEX, or leave update and delete out of \`publish\`.`;
}

/**
 * With updates or deletes published, a row filter may only use replica identity columns, and a
 * column list must include them all; otherwise UPDATE/DELETE on the primary fail (PG15+).
 */
function identityCoverage(property: string, t: TableSpec, f: TableFacts): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const identity = new Set(f.identityColumns);
  const key = JSON.stringify(tableKey(t));
  if (t.where !== undefined) {
    const outside = filterColumns(t.where, f.columns).filter((c) => !identity.has(c));
    if (outside.length > 0)
      failures.push({
        property: `${property}.where`,
        reason: `the row filter of ${key} uses ${outside.map((c) => JSON.stringify(c)).join(", ")}, which ${outside.length > 1 ? "are" : "is"} not part of the replica identity, so UPDATE and DELETE on the primary would fail; filter on replica identity columns only, set REPLICA IDENTITY FULL on the table, or publish only inserts.`,
      });
  }
  if (t.columns !== undefined) {
    const listed = new Set(t.columns);
    const uncovered = f.identityColumns.filter((c) => !listed.has(c));
    if (uncovered.length > 0)
      failures.push({
        property: `${property}.columns`,
        reason: `the column list of ${key} leaves out replica identity column(s) ${uncovered.map((c) => JSON.stringify(c)).join(", ")}, so UPDATE and DELETE on the primary would fail; add them to \`columns\` or publish only inserts.`,
      });
  }
  return failures;
}

/**
 * The table's columns a filter expression mentions: quoted identifiers literally, bare words
 * folded to lower case as PostgreSQL does. String literals are skipped.
 */
export function filterColumns(expr: string, columns: readonly string[]): string[] {
  const known = new Set(columns);
  const found = new Set<string>();
  const token = /'(?:[^']|'')*'|"((?:[^"]|"")*)"|([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)/g;
  for (const m of expr.matchAll(token)) {
    const name = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]?.toLowerCase();
    if (name !== undefined && known.has(name)) found.add(name);
  }
  return [...found];
}

/**
 * What the connecting role needs on the primary (https://www.postgresql.org/docs/current/sql-createpublication.html):
 * CREATE on the database to create a publication, ownership of every listed table, a superuser for
 * FOR ALL TABLES and TABLES IN SCHEMA, the publication owner's privileges to alter it. Each failure
 * names the role, what is missing and the statement that grants it. Managed clouds' admin roles may
 * be allowed more than a plain role: for them the server decides.
 */
export function privilegeFailures(
  role: RoleFacts,
  inputs: { allTables?: boolean; schemas?: string[] },
  tables: readonly TableSpec[],
  facts: readonly TableFacts[],
  existing: { owner: string; owned: boolean } | undefined,
): CheckFailure[] {
  if (role.superuser) return [];
  const failures: CheckFailure[] = [];
  const who = JSON.stringify(role.user);
  if (!existing && !role.createOnDatabase)
    failures.push({
      property: "connection",
      reason: `role ${who} may not create publications in database ${JSON.stringify(role.database)}: run ${grantCreateOnDatabase(role.database, role.user)} as its owner or an admin.`,
    });
  if (existing && !existing.owned)
    failures.push({
      property: "connection",
      reason: `the publication is owned by ${JSON.stringify(existing.owner)}, and role ${who} does not have that role's privileges (ALTER and DROP PUBLICATION need them): run ${grantRole(existing.owner, role.user)}`,
    });
  const admin = cloudAdmin(role);
  if (!admin && inputs.allTables)
    failures.push({
      property: "allTables",
      reason: `FOR ALL TABLES needs a superuser, and role ${who} is not one: list the tables in \`tables\` instead, or connect as a superuser.`,
    });
  if (!admin && (inputs.schemas?.length ?? 0) > 0)
    failures.push({
      property: "schemas",
      reason: `FOR TABLES IN SCHEMA needs a superuser, and role ${who} is not one: list the tables in \`tables\` instead, or connect as a superuser.`,
    });
  const byKey = new Map(facts.map((f) => [tableId(f), f]));
  tables.forEach((t, i) => {
    const f = byKey.get(tableId(t));
    if (f && !f.owned)
      failures.push({
        property: `tables[${i}]`,
        reason: `role ${who} does not own table ${JSON.stringify(tableKey(t))} (its owner is ${JSON.stringify(f.owner)}), and publishing a table needs its owner's privileges: run ${alterTableOwner(t.schema, t.name, role.user)} or ${grantRole(f.owner, role.user)}`,
      });
  });
  return failures;
}

/**
 * Published columns of type oid (or `lo`) while the primary's database holds large objects: the
 * rows are replicated, the large objects they point at are not (PostgreSQL's logical replication
 * never carries them), so on the replica those values point at nothing. Said at every preview,
 * one line per table ("schema.table: column, column").
 */
export function largeObjectColumns(tables: readonly TableSpec[], facts: readonly TableFacts[]): string[] {
  const listed = new Map(tables.map((t) => [tableId(t), t.columns]));
  return facts.flatMap((f) => {
    const only = listed.get(tableId(f));
    const columns = f.largeObjectColumns.filter((c) => !only || only.includes(c));
    return columns.length > 0 ? [`${tableKey(f)} (${columns.join(", ")})`] : [];
  });
}
