// SequenceSync's field table (see kernel/fields.ts): validation, defaults and what a change does,
// for every argument and computed input of types.ts. Provider-side only: the public declarations
// (types.ts) never import zod.

import { z } from "zod";
import type { FieldTable } from "../kernel/fields";
import { identifier } from "../kernel/identifier";
import { parseConnection, type Connection } from "../pg/connection";
import { connectionSchema, tableRefSchema } from "../pg/schemas";
import { parseTableRef, tableIdentity } from "../pg/tables";
import type { SequenceSyncInputs } from "./types";
const byMeaning = (c: Connection) => parseConnection(c);

export const SEQUENCE_SYNC_FIELDS = {
  source: { kind: "arg", schema: () => connectionSchema(), compare: byMeaning },
  target: { kind: "arg", schema: () => connectionSchema(), compare: byMeaning },
  tables: {
    kind: "arg",
    schema: () => z.array(tableRefSchema()).optional(),
    default: [],
    compare: (t) => t.map((r) => tableIdentity(parseTableRef(r))).sort(),
  },
  publication: { kind: "arg", schema: () => identifier("the publication name").optional() },
  sequences: {
    kind: "arg",
    schema: () => z.array(z.string().min(1, "a sequence name must not be empty")).optional(),
    default: [],
    compare: (v) => [...v].sort(),
  },
  margin: {
    kind: "arg",
    schema: () => z.number().int().min(0, "margin must not be negative").optional(),
    default: 0,
  },
  behind: {
    kind: "computed",
    schema: () => z.record(z.string(), z.object({ source: z.string(), target: z.string() })).optional(),
  },
} as const satisfies FieldTable<SequenceSyncInputs>;
