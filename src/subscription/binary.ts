// `binary: "auto"`: binary transfer (the initial copy included, PG16+) when it is sure to work and
// to pay: both servers of the same major version, 16 or later, every replicated column of the same
// type on both sides, and every type it is made of able to send on the publisher and receive on the
// subscriber. Anything else, or anything that cannot be read, is text, PostgreSQL's default.

import type { ColumnIO } from "./catalog";

export interface BinaryChoice {
  /** true or false; undefined when the replica's tables do not exist yet (decided at apply). */
  binary: boolean | undefined;
  /** Why, in a few words, for the log. */
  why: string;
}

const major = (serverVersion: number) => Math.floor(serverVersion / 10000);

/**
 * The choice for `binary: "auto"`. `publisher` is undefined when the program cannot reach it (the
 * subscriber may be the only one that can). `tables`: "schema.name" of the replicated tables.
 */
export function chooseBinary(
  publisher: { serverVersion: number; columns: ColumnIO[] } | undefined,
  subscriber: { serverVersion: number; columns: ColumnIO[] },
  tables: readonly string[],
): BinaryChoice {
  if (!publisher) return { binary: false, why: "the publisher cannot be read from here" };
  if (major(publisher.serverVersion) < 16 || major(subscriber.serverVersion) < 16)
    return { binary: false, why: "binary copy needs PostgreSQL 16 or later on both sides" };
  if (major(publisher.serverVersion) !== major(subscriber.serverVersion))
    return {
      binary: false,
      why: `the servers differ in major version (${major(publisher.serverVersion)} and ${major(subscriber.serverVersion)})`,
    };
  if (tables.length === 0) return { binary: false, why: "no table is replicated yet" };
  const onReplica = new Map(subscriber.columns.map((c) => [`${c.table}\0${c.column}`, c]));
  const replicaTables = new Set(subscriber.columns.map((c) => c.table));
  const missing = tables.filter((t) => !replicaTables.has(t));
  if (missing.length > 0) return { binary: undefined, why: `${missing[0]} is not on the replica yet` };
  for (const c of publisher.columns) {
    const r = onReplica.get(`${c.table}\0${c.column}`);
    if (!r) return { binary: false, why: `${c.table}.${c.column} is not on the replica` };
    if (r.type !== c.type)
      return {
        binary: false,
        why: `${c.table}.${c.column} is ${c.type} on the publisher and ${r.type} on the replica`,
      };
    if (!c.send || !r.receive)
      return { binary: false, why: `the type of ${c.table}.${c.column} (${c.type}) has no binary I/O` };
  }
  return {
    binary: true,
    why: `PostgreSQL ${major(publisher.serverVersion)} on both sides, every column type alike with binary I/O`,
  };
}
