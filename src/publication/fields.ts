// The Publication's field table (see kernel/fields.ts): validation, defaults and what a change
// does, for every argument and computed input of types.ts; and state of earlier versions read
// into today's form. Provider-side only: the public declarations (types.ts) never import zod.

import { z } from "zod";
import type { FieldTable } from "../kernel/fields";
import { identifier } from "../kernel/identifier";
import { isObject } from "../kernel/values";
import { storedBinding, upgradeBinding } from "../pg/binding";
import { parseConnection } from "../pg/connection";
import { bindingSchema, connectionSchema, lockTimeoutField, tableRefSchema } from "../pg/schemas";
import { parseTableRef, tableFromStoredKey, tableId, tableIdentity } from "../pg/tables";
import { PUBLISH_OPERATIONS, type PublicationInputs, type PublicationState } from "./types";
const sorted = (v: readonly string[]) => [...v].sort();

export const PUBLICATION_FIELDS = {
  // Another spelling of the same server (serverId) changes in place: compared by meaning.
  connection: { kind: "arg", schema: () => connectionSchema(), compare: (c) => parseConnection(c) },
  name: { kind: "arg", schema: () => identifier("the publication name"), change: "replace" },
  // A set: order aside, each table with its column list (order aside) and row filter.
  tables: {
    kind: "arg",
    schema: () => z.array(tableRefSchema()).optional(),
    default: [],
    compare: (t) => t.map((r) => tableIdentity(parseTableRef(r))).sort(),
  },
  allTables: { kind: "arg", schema: () => z.boolean().optional(), default: false, change: "replace" },
  schemas: {
    kind: "arg",
    schema: () => z.array(identifier("a schema name")).optional(),
    default: [],
    compare: sorted,
    server: 15,
  },
  publish: {
    kind: "arg",
    schema: () => z.array(z.enum(PUBLISH_OPERATIONS)).optional(),
    default: [...PUBLISH_OPERATIONS],
    compare: sorted,
  },
  publishViaPartitionRoot: { kind: "arg", schema: () => z.boolean().optional(), default: false },
  publishGeneratedColumns: {
    kind: "arg",
    schema: () => z.enum(["none", "stored"]).optional(),
    default: "none",
    server: 18,
  },
  // Compared with the owner the catalog reports (actualOwner).
  owner: { kind: "arg", schema: () => identifier("the owner").optional(), change: "none" },
  adopt: { kind: "arg", schema: () => z.boolean().optional(), change: "none" },
  lockTimeoutSeconds: lockTimeoutField,
  serverId: { kind: "computed", schema: () => z.string().optional() },
  binding: { kind: "computed", schema: () => bindingSchema().optional() },
  // Shown by a create's preview; no change of its own.
  adoption: { kind: "computed", schema: () => z.array(z.string()).optional(), change: "none" },
  // Used at create only (the publication's comment): a stack renamed later changes nothing.
  declaredBy: { kind: "wired", schema: () => z.string().optional() },
} as const satisfies FieldTable<PublicationInputs>;

/**
 * State as earlier versions wrote it, in today's form. 0.1.0 has no serverId, binding or
 * appliedFilters (each compared only once known); before 0.3.0 tables were "schema.name" strings
 * (the binding's, and appliedFilters' keys). Drop the conversions once no stack holds such state (the first 1.x).
 */
export function upgradeState(state: PublicationState): PublicationState {
  const filters = state.appliedFilters ?? {};
  return {
    ...state,
    ...(isObject(state.binding) ? { binding: upgradeBinding(state.binding) } : {}),
    // Keyed "schema.name" before 0.3.0; by tableId since.
    appliedFilters: Object.fromEntries(
      Object.entries(filters).map(([k, v]) => [tableId(tableFromStoredKey(k)), v]),
    ),
  };
}

/** The state (or checked inputs) in the form the host carries: the binding's tables as stored names. */
export function storeState(value: Record<string, unknown>): Record<string, unknown> {
  return isObject(value.binding)
    ? { ...value, binding: storedBinding(upgradeBinding(value.binding)) }
    : value;
}
