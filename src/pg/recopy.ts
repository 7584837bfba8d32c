// Re-copy requests: the agreement between a SchemaSync and a Subscription that depends on it. When
// SchemaSync re-creates a table on the replica (or a column of it), the rows replicated into it are
// gone and only a new initial copy restores them: SchemaSync records a request per table, with an
// id made by the apply that needed it; the Subscription serves each id once (a re-copy announced in
// its preview) and records it as served.

import { legacyTableName, type TableName } from "./tables";

export interface RecopyRequest extends TableName {
  /** Why, one sentence. */
  reason: string;
  /** Which apply made it ("next" in a preview: the apply gives each its own). */
  id: string;
}

/** A new request id (unique per apply). */
export function newRequestId(): string {
  return `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
}

/** Requests as state before 0.3.0 held them ({ table: "schema.name", reason, id }). */
export function upgradeRequests(requests: unknown): RecopyRequest[] | undefined {
  if (!Array.isArray(requests)) return undefined;
  return requests.map((r: { table?: string; schema?: string; name?: string; reason: string; id: string }) =>
    r.table !== undefined
      ? { ...legacyTableName(r.table), reason: r.reason, id: r.id }
      : { schema: r.schema!, name: r.name!, reason: r.reason, id: r.id },
  );
}
