// SequenceSync's inputs (one zod schema, the TypeScript types inferred from it) and state.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { connectionSchema } from "../pg/connection";
import { tableRefSchema } from "../pg/tables";

export function sequenceSyncSchema() {
  return z.object({
    source: connectionSchema(),
    target: connectionSchema(),
    tables: z.array(tableRefSchema()).optional(),
    publication: identifier("the publication name").optional(),
    sequences: z.array(z.string().min(1, "a sequence name must not be empty")).optional(),
    margin: z.number().int().min(0, "margin must not be negative").optional(),
    // Computed by check, never given by a program:
    /** Per sequence where the target is behind: the source's and the target's last values. */
    behind: z.record(z.string(), z.object({ source: z.string(), target: z.string() })).optional(),
  });
}

export type SequenceSyncInputs = z.infer<ReturnType<typeof sequenceSyncSchema>>;

/** Both sides of one sequence, as last_value (a string: bigint), null when it was never used. */
export interface SequenceValues {
  source: string | null;
  target: string | null;
}

/** What a SequenceSync reports. */
export interface SequenceSyncOutputs extends Omit<SequenceSyncInputs, "behind"> {
  /** Per sequence ("schema.name"), the source's and the target's last values at the last operation. */
  values: Record<string, SequenceValues>;
  /** What the last create/update advanced, one line each. */
  lastChanges: string[];
}

export interface SequenceSyncState extends SequenceSyncOutputs, Pick<SequenceSyncInputs, "behind"> {}

export const SEQUENCE_SYNC_SECRET_OUTPUTS = ["source", "target"];

export function label(): string {
  return "SequenceSync";
}
