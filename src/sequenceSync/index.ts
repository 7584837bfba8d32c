// SequenceSync: the replica's sequences advanced past the primary's before it takes writes (logical
// replication copies rows, not sequence values), previewed per sequence, never moved backwards.

import * as pulumi from "@pulumi/pulumi";
import { unset } from "../kernel/fields";
import type { ArgsOf, OutputsOf } from "../kernel/input";
import { delegatingProvider } from "../kernel/provider";
import {
  SEQUENCE_SYNC_SECRET_OUTPUTS,
  SEQUENCE_SYNC_STATE_KEYS,
  type SequenceSyncFields,
  type SequenceSyncOutputs,
} from "./types";

/** SequenceSync's arguments (each documented in SequenceSyncFields). */
export type SequenceSyncArgs = ArgsOf<SequenceSyncFields>;

/** The dynamic provider; the implementation is in provider.ts, loaded by the provider host. */
export const sequenceSyncProvider = delegatingProvider("sequenceSync");

/** Every argument and both sides' values are outputs (see SequenceSyncOutputs). */
export interface SequenceSync extends OutputsOf<SequenceSyncOutputs> {}

/** The replica's sequences advanced past the primary's. */
export class SequenceSync extends pulumi.dynamic.Resource {
  constructor(name: string, args: SequenceSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      sequenceSyncProvider,
      name,
      {
        ...args,
        source: pulumi.secret(args.source),
        target: pulumi.secret(args.target),
        ...unset(Object.keys(SEQUENCE_SYNC_STATE_KEYS) as (keyof typeof SEQUENCE_SYNC_STATE_KEYS)[]),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SEQUENCE_SYNC_SECRET_OUTPUTS }),
      "pg-replication",
      "SequenceSync",
    );
  }
}

export type { SequenceSyncFields, SequenceSyncOutputs, SequenceValues } from "./types";
export { SEQUENCE_SYNC_SECRET_OUTPUTS } from "./types";
