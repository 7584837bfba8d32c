// The Publication's fields, declared once: the arguments (a plain interface, what users read),
// what check computes, the state, and the table every derived piece comes from (validation,
// defaults, diff, refresh, the Resource class's outputs).

import type { Binding } from "../pg/binding";
import type { Connection } from "../pg/connection";
import type { TableRef } from "../pg/tables";
import { resourceLabel } from "../kernel/label";

export const PUBLISH_OPERATIONS = ["insert", "update", "delete", "truncate"] as const;
export type PublishOperation = (typeof PUBLISH_OPERATIONS)[number];

/** The Publication's arguments, resolved (PublicationArgs takes each as a pulumi.Input). */
export interface PublicationFields {
  /** The primary (publisher) database. Stored as a secret. */
  connection: Connection;
  /** The publication's name, taken literally. Changing it replaces the publication. */
  name: string;
  /** Tables to publish: "name" (schema public), "schema.name", or objects with column lists and row filters (PG15+). */
  tables?: TableRef[];
  /** Publish every table of the database (FOR ALL TABLES). Switching to or from it replaces the publication. */
  allTables?: boolean;
  /** Publish every table of these schemas (FOR TABLES IN SCHEMA, PG15+). */
  schemas?: string[];
  /** Operations to publish; all four when left out. */
  publish?: PublishOperation[];
  /** Publish partition changes as their root table's (default false). */
  publishViaPartitionRoot?: boolean;
  /** Publish stored generated columns (PG18+); PostgreSQL's default "none" when left out. */
  publishGeneratedColumns?: "none" | "stored";
  /** The publication's owner; left as the connecting user when left out. */
  owner?: string;
  /** Take over an existing publication of the same name instead of failing. */
  adopt?: boolean;
  /**
   * How long CREATE or ALTER PUBLICATION waits for a lock on a table (behind a VACUUM, an index
   * built concurrently, another session's DDL) before it is rolled back and tried again (three
   * tries; default 5 s); then it fails naming who holds the lock.
   */
  lockTimeoutSeconds?: number;
}

/** What check computes; never given by a program. */
export interface PublicationComputed {
  /** The publisher's identity (system identifier and database), whatever spelling reaches it. */
  serverId?: string;
  /** What subscriptions given this publication need to know (see pg/binding.ts). */
  binding?: Binding;
  /**
   * With `adopt`, when a publication of this name exists and this `up` creates the resource: what
   * the create changes on it (["nothing"] when it already matches), shown by the preview.
   */
  adoption?: string[];
}

/** Set by the Resource class; never given by a program. */
export interface PublicationWired {
  /**
   * The Pulumi project and stack that declare it ("project/stack"), written on the publication
   * when it is created: another stack finding it refuses to take it over unasked.
   */
  declaredBy?: string;
}

/** Checked inputs (tables in canonical form). */
export type PublicationInputs = PublicationFields & PublicationComputed & PublicationWired;

/** What a Publication reports: its arguments (tables in canonical form) and what the server says. */
export interface PublicationOutputs extends PublicationFields {
  /** host:port/database of the publisher (no credentials). */
  endpoint: string;
  /** The owner as the catalog reports it. */
  actualOwner: string;
  /** server_version_num of the publisher, e.g. 180004. */
  serverVersion: number;
}

/** The state the engine keeps: the outputs, and what only the provider reads. */
export interface PublicationState extends PublicationOutputs, PublicationComputed, PublicationWired {
  /** Row filters as the server deparsed them at the last create/update, by table; keeps refresh exact. */
  appliedFilters: Record<string, string>;
}

/** What the Resource class registers besides the arguments (each becomes an output). */
export const PUBLICATION_STATE_KEYS = {
  endpoint: true,
  actualOwner: true,
  serverVersion: true,
  appliedFilters: true,
  serverId: true,
  binding: true,
  adoption: true,
} as const satisfies Record<Exclude<keyof PublicationState, keyof PublicationFields | "declaredBy">, true>;

/** Outputs that hold credentials. */
export const PUBLICATION_SECRET_OUTPUTS = ["connection"];

export function label(name: string): string {
  return resourceLabel("Publication", name);
}
