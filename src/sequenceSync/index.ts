// SequenceSync: the replica's sequences advanced past the primary's before it takes writes (logical
// replication copies rows, not sequence values), previewed per sequence, never moved backwards.

import * as pulumi from "@pulumi/pulumi";
import type { DeclaredOutputs, DeepInput, SameKeys } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import type { Connection } from "../pg/connection";
import type { TableRef } from "../pg/tables";
import {
  SEQUENCE_SYNC_SECRET_OUTPUTS,
  type SequenceSyncInputs,
  type SequenceSyncOutputs,
  type SequenceValues,
} from "./types";

export interface SequenceSyncArgs {
  /** Where the values are read (the primary). Stored as a secret. */
  source: DeepInput<Connection>;
  /** Where the sequences are advanced (the replica). Stored as a secret. */
  target: DeepInput<Connection>;
  /** The sequences owned by these tables' columns (serial and identity). Give one of tables, publication or sequences. */
  tables?: DeepInput<TableRef[]>;
  /** The sequences owned by the columns of every table this publication on the source publishes. */
  publication?: pulumi.Input<string>;
  /** Sequences by name: "name" (schema public) or "schema.name", taken literally. */
  sequences?: DeepInput<string[]>;
  /** Values left unused between the source's last one and the target's next (default 0). */
  margin?: pulumi.Input<number>;
}

const argsMatchSchema: SameKeys<SequenceSyncArgs, Omit<SequenceSyncInputs, "behind">> = true;
void argsMatchSchema;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const sequenceSyncProvider = delegatingProvider("sequenceSync");

/** The replica's sequences advanced past the primary's. */
export class SequenceSync extends pulumi.dynamic.Resource {
  /** The source, as given (secret). */
  declare readonly source: pulumi.Output<Connection>;
  /** The target, as given (secret). */
  declare readonly target: pulumi.Output<Connection>;
  declare readonly tables: pulumi.Output<TableRef[] | undefined>;
  declare readonly publication: pulumi.Output<string | undefined>;
  declare readonly sequences: pulumi.Output<string[] | undefined>;
  declare readonly margin: pulumi.Output<number | undefined>;
  /** Per sequence ("schema.name"), the source's and the target's last values at the last operation (null: never used). */
  declare readonly values: pulumi.Output<Record<string, SequenceValues>>;
  /** What the last create/update advanced. */
  declare readonly lastChanges: pulumi.Output<string[]>;

  constructor(name: string, args: SequenceSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      sequenceSyncProvider,
      name,
      {
        ...args,
        source: pulumi.secret(args.source),
        target: pulumi.secret(args.target),
        behind: undefined,
        values: undefined,
        lastChanges: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SEQUENCE_SYNC_SECRET_OUTPUTS }),
      "pg-replication",
      "SequenceSync",
    );
  }
}

const outputsDeclared: SameKeys<DeclaredOutputs<SequenceSync>, Required<SequenceSyncOutputs>> = true;
void outputsDeclared;

export type { SequenceSyncOutputs, SequenceValues } from "./types";
export { SEQUENCE_SYNC_SECRET_OUTPUTS } from "./types";
