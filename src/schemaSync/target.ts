// Reading the target for a plan: the copied tables as they are there (and the ones copied before
// that the source no longer names: renamed ones are found among them), the types the source's
// definitions name (whoever created them: another SchemaSync's are reused), the extensions it has
// and could install, the names already taken in the copied tables' schemas, and its version.

import { createHash } from "node:crypto";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { readStakes, type TableStakes } from "../pg/emptying";
import type { Session } from "../pg/session";
import { sortedTables, tableId, type TableName } from "../pg/tables";
import {
  readExtensions,
  readFingerprint,
  readRelationNames,
  readSchema,
  readTypesByName,
  schemaReadSettings,
  type RelationName,
} from "./catalog";
import { otherSourceFeeders } from "./feeders";
import { kept } from "./kept";
import type { PlanOptions } from "./planBuilder";
import { pendingRetypes, readRetyped } from "./retyped";
import type { Section } from "./section";
import { EMPTY_SNAPSHOT, type SchemaSnapshot } from "./snapshot";

export interface TargetRead {
  actual: SchemaSnapshot;
  extensions: { installed: string[]; available: string[]; version: number };
  /** Who else has a stake in the copied tables' rows (emptying them for a re-copy is refused then). */
  stakes: TableStakes[];
  /** The relations (tables, indexes, sequences, views) of the schemas the copy creates names in. */
  relations: RelationName[];
}

/** The target's definitions of `tables` read on `where` (its endpoint), by fingerprint (kept.ts). */
const reads = kept<SchemaSnapshot>("target-snapshots");

/**
 * readSchema of `tables` on `s`, or the definitions a read earlier in this run found when the
 * catalog rows behind them are unchanged (their fingerprint): check reads the target to plan the
 * preview, and create or update plans again inside the lock from the same definitions unless they
 * changed since. At 2 000 tables the fingerprint takes ~50 ms, the definitions ~200 ms.
 */
async function readTargetSchema(
  s: Session,
  where: string,
  tables: readonly TableName[],
): Promise<SchemaSnapshot> {
  const fingerprint = await readFingerprint(s, tables);
  const key = JSON.stringify([
    where,
    fingerprint,
    createHash("md5")
      .update(JSON.stringify(tables.map(tableId)))
      .digest("hex"),
  ]);
  const read = reads.get(key);
  if (read) {
    // The session as readSchema leaves it (what runs on it next may rely on it).
    await schemaReadSettings(s);
    return read;
  }
  const fresh = await readSchema(s, tables);
  reads.set(key, fresh);
  return fresh;
}

/**
 * `before`: the tables the last apply copied (state), some of which the source may have renamed
 * since; `where`: the target's endpoint.
 */
export async function readTarget(
  s: Session,
  desired: SchemaSnapshot,
  before: readonly TableName[],
  where: string,
): Promise<TargetRead> {
  const tables = sortedTables([...desired.tables, ...before].map(({ schema, name }) => ({ schema, name })));
  const schemas = new Set(desired.tables.map((t) => t.schema));
  const names = await readRelationNames(s, [...new Set(tables.map((t) => t.schema))]);
  // None of the tables there yet (a first copy): nothing of theirs to read, the definitions query
  // (tens of milliseconds for a few hundred tables, most of it planning) is left out.
  const present = new Set(names.filter((r) => r.kind === "r" || r.kind === "p").map(tableId));
  const actual = tables.some((t) => present.has(tableId(t)))
    ? await readTargetSchema(s, where, tables)
    : EMPTY_SNAPSHOT;
  const known = new Set(actual.types.map((t) => t.name));
  const missing = desired.types.map((t) => t.name).filter((n) => !known.has(n));
  const others = await readTypesByName(s, missing);
  return {
    actual: { ...actual, types: [...actual.types, ...others] },
    extensions: { ...(await readExtensions(s)), version: s.serverVersion },
    stakes: actual.tables.length > 0 ? await readStakes(s, actual.tables) : [],
    relations: names.filter((r) => schemas.has(r.schema)),
  };
}

/**
 * The target as a plan needs it (readTarget on `s`, a session on `ends.target`), with what only
 * both sides tell: the columns whose values the source changed with their type (retyped.ts) and
 * the subscriptions filling tables from another server (feeders.ts) — neither for post-data, which
 * changes no column, nor without the source (a post-data apply given none).
 */
export async function readPlanContext(
  s: Session,
  ends: { source?: ConnectionInfo; target: ConnectionInfo },
  desired: SchemaSnapshot,
  section: Section,
  before: readonly TableName[] = [],
): Promise<{ actual: SchemaSnapshot; opts: Omit<PlanOptions, "allowDestructive" | "applied"> }> {
  const { actual, extensions, stakes, relations } = await readTarget(
    s,
    desired,
    before,
    endpoint(ends.target),
  );
  const source = section !== "post-data" ? ends.source : undefined;
  const retyped = source
    ? await readRetyped(source, ends.target, pendingRetypes(desired, actual))
    : undefined;
  const otherSources = source ? await otherSourceFeeders(s, source, desired, actual, stakes) : undefined;
  return {
    actual,
    opts: {
      target: extensions,
      section,
      stakes,
      relations,
      ...(retyped ? { retyped } : {}),
      ...(otherSources && otherSources.size > 0 ? { otherSources } : {}),
    },
  };
}
