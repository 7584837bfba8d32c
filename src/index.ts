// The public surface of pulumi-pg-replication.

import { publicationProvider } from "./publication";
import { schemaSyncProvider } from "./schemaSync";
import { sequenceSyncProvider } from "./sequenceSync";
import { subscriptionProvider } from "./subscription";

export {
  Publication,
  type PublicationArgs,
  type PublicationOutputs,
  PUBLICATION_SECRET_OUTPUTS,
} from "./publication";
export {
  SchemaSync,
  type SchemaSyncArgs,
  type SchemaSyncOutputs,
  SCHEMA_SYNC_SECRET_OUTPUTS,
} from "./schemaSync";
export {
  Subscription,
  type SubscriptionArgs,
  type SubscriptionOutputs,
  SUBSCRIPTION_SECRET_OUTPUTS,
} from "./subscription";
export {
  SequenceSync,
  type SequenceSyncArgs,
  type SequenceSyncOutputs,
  type SequenceValues,
  SEQUENCE_SYNC_SECRET_OUTPUTS,
} from "./sequenceSync";
export { LogicalReplication, type LogicalReplicationArgs } from "./logicalReplication";
export type { Connection } from "./pg/connection";
export type { TableRef } from "./pg/tables";

/** The raw dynamic providers, for tests and tooling. */
export const providers = {
  publication: publicationProvider,
  schemaSync: schemaSyncProvider,
  subscription: subscriptionProvider,
  sequenceSync: sequenceSyncProvider,
};
