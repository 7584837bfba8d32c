// What check learns from the primary: whether the publication exists, the server's identity, the
// binding the publication will have after this `up` (what a Subscription given it sees), and
// every preflight failure (settings, versions, tables, replica identity, privileges).

import type { CheckFailure } from "../kernel/check";
import { serverGates } from "../kernel/fields";
import { versionFailures } from "../kernel/versions";
import { publishMark, type Binding } from "../pg/binding";
import { memberIds, readMemberships, wouldPublish } from "../pg/published";
import { readOnlyFailure, readRoleFacts, readServerId } from "../pg/roles";
import type { Session } from "../pg/session";
import { readSettings } from "../pg/settings";
import { coveredTables, readOtherRelations, readTableFacts } from "../pg/tableFacts";
import { nameOf, tableId, type TableSpec } from "../pg/tables";
import { readPublication, type CatalogPublication } from "./catalog";
import {
  coveredTableFailures,
  largeObjectColumns,
  privilegeFailures,
  publisherFailures,
  tableFailures,
} from "./preflight";
import * as log from "../kernel/log";
import { PUBLICATION_FIELDS } from "./fields";
import { specs } from "./tables";
import { PUBLISH_OPERATIONS, type PublicationInputs } from "./types";

/** Per-table options → the PostgreSQL major version that introduced them (the arguments' are in fields.ts). */
const TABLE_GATES = { columns: 15, where: 15 } as const;

/** The checks that need the server: settings, versions, tables and replica identity, privileges. */
export async function serverFailures(
  s: Session,
  inputs: PublicationInputs,
  existing: CatalogPublication | undefined,
): Promise<CheckFailure[]> {
  const [settings, role, covered] = await s.concurrently([
    () => readSettings(s),
    () => readRoleFacts(s),
    () => coveredTables(s, { schemas: inputs.schemas, all: inputs.allTables }),
  ]);
  const tables = specs(inputs);
  const failures = publisherFailures("connection", settings);
  const gates = [
    ...serverGates(PUBLICATION_FIELDS, inputs),
    ...Object.entries(TABLE_GATES)
      .filter(([o]) => tables.some((t) => t[o as keyof typeof TABLE_GATES] !== undefined))
      .map(([property, since]) => ({ property, since })),
  ];
  failures.push(...versionFailures(s.serverVersion, gates, "publisher"));
  const publish = inputs.publish ?? [...PUBLISH_OPERATIONS];
  const updatesOrDeletes = publish.includes("update") || publish.includes("delete");
  const facts = await readTableFacts(s, [...tables, ...covered]);
  const found = new Set(facts.map(tableId));
  const others = await readOtherRelations(
    s,
    tables.filter((t) => !found.has(tableId(t))),
  );
  failures.push(
    ...tableFailures(
      "tables",
      tables,
      facts,
      updatesOrDeletes,
      inputs.publishViaPartitionRoot ?? false,
      others,
    ),
  );
  const coveredIds = new Set(covered.map(tableId));
  failures.push(
    ...coveredTableFailures(
      inputs.allTables ? "allTables" : "schemas",
      facts.filter((f) => coveredIds.has(tableId(f))),
      updatesOrDeletes,
    ),
  );
  failures.push(...privilegeFailures(role, inputs, tables, facts, existing));
  const readOnly = existing ? undefined : readOnlyFailure("connection", role, "the publication");
  if (readOnly) failures.push(readOnly);
  const pointing = largeObjectColumns([...tables, ...covered], facts);
  if (pointing.length > 0)
    log.warn(
      `Publication ${JSON.stringify(inputs.name)}: ${pointing.join(", ")} ${pointing.length > 1 ? "hold" : "holds"} oid values and the primary's database holds large objects: logical replication copies the rows, never the large objects they point at, so on the replica those values would point at nothing (Java's @Lob columns are stored this way). Copy the large objects yourself before an application reads them on the replica (lo_get/lo_from_bytea keeping their oids, or pg_dump's --large-objects), leave the column out with a column list, or store the data as bytea.`,
    );
  return failures;
}

/**
 * The binding after this `up`: the tables the publication will publish and, when it exists and
 * this change keeps it (`kept`), its oid and the catalog rows that keep publishing each table.
 */
export async function bindingAfter(
  s: Session,
  inputs: PublicationInputs,
  existing: CatalogPublication | undefined,
  kept: boolean,
  previous?: Partial<PublicationInputs>,
): Promise<Binding> {
  const published = await wouldPublish(s, {
    tables: specs(inputs).map(nameOf),
    schemas: inputs.schemas ?? [],
    allTables: inputs.allTables ?? false,
    viaRoot: inputs.publishViaPartitionRoot ?? false,
  });
  const tables = published.map(nameOf);
  const mark = publishMark(inputs.publish);
  if (!existing || !kept) return { name: inputs.name, tables, ...mark };
  const m = await readMemberships(s, existing.oid);
  // A table whose row filter or column list changes is published by a new catalog row (ALTER
  // PUBLICATION … SET TABLE re-adds it): the rows its new filter or columns take in were never
  // sent, so a subscription given this binding sees the gap (a re-copy) at preview, as at `up`.
  const refiltered = new Set(
    refilteredTables(inputs, existing, previous)
      .map((t) => m.tables.get(tableId(t)))
      .filter((id) => id !== undefined),
  );
  return {
    name: inputs.name,
    tables,
    oid: existing.oid,
    memberIds: memberIds(m, published).map((id) => (refiltered.has(id) ? 0 : id)),
    ...mark,
  };
}

/**
 * The tables listed both now and in the program whose column list or row filter the program
 * changes: compared with what the program said last (its previous inputs), where it said anything
 * of the table; else a column list with the catalog's (a filter's text there is the server's
 * deparse, not comparable: taken as unchanged).
 */
function refilteredTables(
  inputs: PublicationInputs,
  existing: CatalogPublication,
  previous: Partial<PublicationInputs> | undefined,
): TableSpec[] {
  const wanted = new Map(specs(inputs).map((t) => [tableId(t), t]));
  const before = new Map(specs(previous ?? {}).map((t) => [tableId(t), t]));
  const columns = (c?: string[]) => (c ? [...c].sort().join(",") : null);
  return existing.tables.filter((cur) => {
    const want = wanted.get(tableId(cur));
    if (!want) return false;
    const last = before.get(tableId(cur));
    if (!last) return columns(want.columns) !== columns(cur.columns);
    return columns(want.columns) !== columns(last.columns) || (want.where ?? null) !== (last.where ?? null);
  });
}

/**
 * What check reads from the primary, in one session. `keeps`: whether the change keeps the
 * publication (not a replacement), judged with the server's identity read here.
 */
export async function observe(
  s: Session,
  inputs: PublicationInputs,
  keeps: (identified: PublicationInputs) => boolean,
  previous?: Partial<PublicationInputs>,
): Promise<{ existing?: CatalogPublication; serverId?: string; binding: Binding; failures: CheckFailure[] }> {
  const [existing, serverId] = await s.concurrently([
    () => readPublication(s, inputs.name),
    () => readServerId(s),
  ]);
  const identified = serverId ? { ...inputs, serverId } : inputs;
  const [binding, failures] = await s.concurrently([
    () => bindingAfter(s, inputs, existing, existing !== undefined && keeps(identified), previous),
    () => serverFailures(s, inputs, existing),
  ]);
  return { ...(existing ? { existing } : {}), ...(serverId ? { serverId } : {}), binding, failures };
}
