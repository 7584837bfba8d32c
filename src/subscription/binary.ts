// `binary: "auto"`: binary transfer (the initial copy included, PG16+) when it is sure to work and
// to pay: both servers of the same major version, 16 or later, every replicated column of the same
// type on both sides, and every type it is made of able to send on the publisher and receive on the
// subscriber. Anything else, or anything that cannot be read, is text, PostgreSQL's default.

import * as log from "../kernel/log";
import type { ConnectionInfo } from "../pg/connection";
import { readPublishedTables } from "../pg/published";
import { withSession, type Session } from "../pg/session";
import { nameOf, tableId, tableKey, type TableName } from "../pg/tables";
import { readColumnIO, type ColumnIO } from "./catalog";
import { label, publicationNames, type SubscriptionInputs } from "./types";

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
  tables: readonly TableName[],
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
  const columnId = (c: ColumnIO) => JSON.stringify([c.schema, c.name, c.column]);
  const onReplica = new Map(subscriber.columns.map((c) => [columnId(c), c]));
  const replicaTables = new Set(subscriber.columns.map(tableId));
  const missing = tables.filter((t) => !replicaTables.has(tableId(t)));
  if (missing.length > 0)
    return { binary: undefined, why: `${tableKey(missing[0]!)} is not on the replica yet` };
  for (const c of publisher.columns) {
    const r = onReplica.get(columnId(c));
    const what = `${tableKey(c)}.${c.column}`;
    // Not on the replica (yet): SchemaSync adds it with the publisher's type before the stream
    // needs it (PostgreSQL's apply stops on a missing column in either format), or a column list
    // leaves it out. Deciding false here made a preview announce a change its `up` did not make.
    if (!r) {
      if (!c.send || !c.receive)
        return { binary: false, why: `the type of ${what} (${c.type}) has no binary I/O` };
      continue;
    }
    if (r.type !== c.type)
      return { binary: false, why: `${what} is ${c.type} on the publisher and ${r.type} on the replica` };
    if (!c.send || !r.receive)
      return { binary: false, why: `the type of ${what} (${c.type}) has no binary I/O` };
  }
  return {
    binary: true,
    why: `PostgreSQL ${major(publisher.serverVersion)} on both sides, every column type alike with binary I/O`,
  };
}

/**
 * `binary: "auto"` settled to true or false on this subscriber (`s`) for the replicated tables:
 * those given, as check knows them, else what the publications publish now on `publisher`. Other
 * values are left as given. At check, a choice that needs the replica's tables waits for apply; at apply it is made
 * (false when unsure) and logged.
 */
export async function settleBinary(
  s: Session,
  inputs: SubscriptionInputs,
  publisher: ConnectionInfo,
  tables: readonly TableName[] | undefined,
  atApply: boolean,
): Promise<void> {
  if (inputs.binary !== "auto") return;
  const read = await withSession(publisher, async (p) => {
    const specs = tables
      ? [...tables]
      : (await readPublishedTables(p, publicationNames(inputs.publications))).map(nameOf);
    return { serverVersion: p.serverVersion, specs, columns: await readColumnIO(p, specs) };
  }).catch(() => undefined);
  const specs = read?.specs ?? [];
  const choice = chooseBinary(
    read,
    { serverVersion: s.serverVersion, columns: await readColumnIO(s, specs) },
    specs,
  );
  if (choice.binary === undefined && !atApply) return;
  inputs.binary = choice.binary ?? false;
  if (atApply) log.info(`${label(inputs.name)}: binary "auto" is ${inputs.binary}: ${choice.why}.`);
}
