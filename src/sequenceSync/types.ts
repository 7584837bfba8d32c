// SequenceSync's fields, declared once: the arguments (a plain interface, what users read), what
// check computes, the state, and the table every derived piece comes from.

import type { Connection } from "../pg/connection";
import type { TableRef } from "../pg/tables";
import { resourceLabel } from "../kernel/label";

/** SequenceSync's arguments, resolved (SequenceSyncArgs takes each as a pulumi.Input). */
export interface SequenceSyncFields {
  /** Where the values are read (the primary). Stored as a secret. */
  source: Connection;
  /** Where the sequences are advanced (the replica). Stored as a secret. */
  target: Connection;
  /** The sequences owned by these tables' columns (serial and identity). Give one of tables, publication or sequences. */
  tables?: TableRef[];
  /** The sequences owned by the columns of every table this publication on the source publishes. */
  publication?: string;
  /** Sequences by name: "name" (schema public) or "schema.name", taken literally. */
  sequences?: string[];
  /** Values left unused between the source's last one and the target's next (default 0). */
  margin?: number;
}

/** What check computes; never given by a program. */
export interface SequenceSyncComputed {
  /** Per sequence where the target is behind ("schema.name", for people): the source's and the target's last values. */
  behind?: Record<string, { source: string; target: string }>;
}

export type SequenceSyncInputs = SequenceSyncFields & SequenceSyncComputed;

/** Both sides of one sequence, as last_value (a string: bigint), null when it was never used. */
export interface SequenceValues {
  source: string | null;
  target: string | null;
}

/** What a SequenceSync reports. */
export interface SequenceSyncOutputs extends SequenceSyncFields {
  /** Per sequence ("schema.name"), the source's and the target's last values at the last operation (null: never used). */
  values: Record<string, SequenceValues>;
  /** What the last create/update advanced, one line each. */
  lastChanges: string[];
}

export interface SequenceSyncState extends SequenceSyncOutputs, SequenceSyncComputed {}

/** What the Resource class registers besides the arguments (each becomes an output). */
export const SEQUENCE_SYNC_STATE_KEYS = {
  behind: true,
  values: true,
  lastChanges: true,
} as const satisfies Record<Exclude<keyof SequenceSyncState, keyof SequenceSyncFields>, true>;

export const SEQUENCE_SYNC_SECRET_OUTPUTS = ["source", "target"];

export function label(): string {
  return resourceLabel("SequenceSync");
}
