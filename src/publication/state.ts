// The Publication's state: built after a write from the inputs and what the catalog says, and
// read back by refresh keeping what the program wrote wherever the catalog says the same.

import { clean, sameSet } from "../kernel/values";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { publishMark } from "../pg/binding";
import { memberIds, readMemberships, wouldPublish } from "../pg/published";
import { readServerId } from "../pg/roles";
import type { Session } from "../pg/session";
import { canonicalTableRef, nameOf, parseTableRef, tableId, type TableSpec } from "../pg/tables";
import { readPublication, type CatalogPublication } from "./catalog";
import { specs } from "./tables";
import { label, PUBLISH_OPERATIONS, type PublicationInputs, type PublicationState } from "./types";

/** The state after a create or update: the inputs, and the catalog as it is now. */
export async function stateAfterWrite(
  s: Session,
  inputs: PublicationInputs,
  at: ConnectionInfo,
): Promise<PublicationState> {
  const current = await readPublication(s, inputs.name);
  if (!current) throw new Error(`${label(inputs.name)} vanished right after it was written.`);
  return stateOf(s, inputs, current, at);
}

/** The state from the inputs (`at`: their connection, resolved) and what the catalog says now (the binding with the current oid). */
export async function stateOf(
  s: Session,
  inputs: PublicationInputs,
  current: CatalogPublication,
  at: ConnectionInfo,
): Promise<PublicationState> {
  const appliedFilters: Record<string, string> = {};
  for (const t of current.tables) if (t.where !== undefined) appliedFilters[tableId(t)] = t.where;
  const [serverId, published, memberships] = await s.concurrently([
    () => (inputs.serverId !== undefined ? Promise.resolve(inputs.serverId) : readServerId(s)),
    () =>
      wouldPublish(s, {
        tables: current.tables.map(nameOf),
        schemas: current.schemas,
        allTables: current.allTables,
        viaRoot: current.publishViaPartitionRoot,
      }),
    () => readMemberships(s, current.oid),
  ]);
  return clean({
    ...inputs,
    ...(serverId ? { serverId } : {}),
    binding: {
      name: inputs.name,
      oid: current.oid,
      tables: published.map(nameOf),
      memberIds: memberIds(memberships, published),
      ...publishMark(current.publish),
    },
    endpoint: endpoint(at),
    actualOwner: current.owner,
    appliedFilters,
    serverVersion: s.serverVersion,
  });
}

/** Exact refresh: keep what the user wrote wherever the catalog still says the same. */
export function inputsFromCatalog(state: CatalogPublication, olds: PublicationState): PublicationInputs {
  const oldSpecs = new Map(specs(olds).map((t) => [tableId(t), t]));
  const applied = (t: TableSpec) => olds.appliedFilters?.[tableId(t)];
  const tables = state.tables.map((t) => {
    const old = oldSpecs.get(tableId(t));
    const spec: TableSpec = { schema: t.schema, name: t.name };
    if (t.columns) spec.columns = old?.columns && sameSet(old.columns, t.columns) ? old.columns : t.columns;
    if (t.where !== undefined)
      spec.where = old?.where !== undefined && applied(t) === t.where ? old.where : t.where;
    return canonicalTableRef(spec);
  });
  // The program's order where the catalog (which lists tables by name) says the same.
  const order = new Map(specs(olds).map((t, i) => [tableId(t), i]));
  const rank = (r: (typeof tables)[number]) => order.get(tableId(parseTableRef(r))) ?? 1e9;
  tables.sort((a, b) => rank(a) - rank(b));
  const all = [...PUBLISH_OPERATIONS];
  const inputs: PublicationInputs = { connection: olds.connection, name: state.name };
  if (state.allTables || olds.allTables !== undefined) inputs.allTables = state.allTables;
  if (!state.allTables && (tables.length > 0 || olds.tables !== undefined)) inputs.tables = tables;
  if (state.schemas.length > 0 || olds.schemas !== undefined) inputs.schemas = state.schemas;
  if (olds.publish !== undefined || !sameSet(state.publish, all))
    inputs.publish = olds.publish && sameSet(olds.publish, state.publish) ? olds.publish : state.publish;
  if (olds.publishViaPartitionRoot !== undefined || state.publishViaPartitionRoot)
    inputs.publishViaPartitionRoot = state.publishViaPartitionRoot;
  if (olds.publishGeneratedColumns !== undefined || state.publishGeneratedColumns === "stored")
    inputs.publishGeneratedColumns = state.publishGeneratedColumns ?? "none";
  if (olds.owner !== undefined) inputs.owner = state.owner;
  if (olds.adopt !== undefined) inputs.adopt = olds.adopt;
  return inputs;
}
