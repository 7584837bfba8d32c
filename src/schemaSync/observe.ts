// What SchemaSync's check learns: both sides read and planned, so the preview shows per table what
// `up` will change on the target — a migration on the primary and drift on the replica alike — and
// which tables lose their replicated rows (re-created, or a column re-added) for a Subscription to
// re-copy. When neither side's catalog changed since the last apply (two fingerprints, cheap),
// nothing is read.

import type { CheckFailure } from "../kernel/check";
import { blaming } from "../kernel/errors";
import type { ConnectionInfo, Resolved } from "../pg/connection";
import { readOnlyFailure, readRoleFacts, readServerId } from "../pg/roles";
import { warm, withSession } from "../pg/session";
import { nameOf, tableId, tableKey, type TableName } from "../pg/tables";
import { readFingerprint, readTargetAccess } from "./catalog";
import { LAST_CHANGES_KEPT, planSchema, type SchemaPlan } from "./plan";
import { targetFailures } from "./privileges";
import { projectSection } from "./section";
import type { SchemaSnapshot } from "./snapshot";
import { readSource, tableSignature, type SourceRead } from "./source";
import { readPlanContext } from "./target";
import type { SchemaSyncInputs, TableSignature } from "./types";
import { ownColumnsOf, settingsOf } from "./fields";

/** Per table (tableId), the highest column number the source had at the last apply (from state). */
export function appliedColumns(
  signatures: readonly TableSignature[] | undefined,
): Map<string, number> | undefined {
  if (!signatures) return undefined;
  return new Map(
    signatures.map(([schema, name, signature]) => [
      tableId({ schema, name }),
      Number(signature.split(":")[1]),
    ]),
  );
}

/** Each table's signature, as state keeps them. */
export function signatures(snapshot: SchemaSnapshot): TableSignature[] {
  let signed = SIGNED.get(snapshot);
  if (!signed) {
    signed = snapshot.tables.map((t) => [t.schema, t.name, tableSignature(t)]);
    SIGNED.set(snapshot, signed);
  }
  return [...signed];
}

/** Signatures made, by snapshot (never changed once read): check and create sign the same kept read. */
const SIGNED = new WeakMap<SchemaSnapshot, TableSignature[]>();

/** The tables signed. */
export function signedTables(signatures: readonly TableSignature[]): TableName[] {
  return signatures.map(([schema, name]) => ({ schema, name }));
}

/** The fingerprint of the copied tables on the target (what the last apply left, when recorded). */
export async function targetFingerprint(
  target: ConnectionInfo,
  tables: readonly TableName[],
): Promise<string> {
  return withSession(target, (s) => readFingerprint(s, tables.map(nameOf)));
}

/**
 * What the target's role cannot do for the copy, as check failures, from one read of its facts:
 * `access`, the privileges the copy needs (schemas, extensions); `writes`, whether this plan
 * writes there, refused where sessions start read-only (a standby, default_transaction_read_only).
 * An unreachable target is left to apply.
 */
export async function targetRoleFailures(
  target: ConnectionInfo,
  snapshot: SchemaSnapshot,
  o: { access: boolean; writes: boolean },
): Promise<CheckFailure[]> {
  if (!o.access && !o.writes) return [];
  const schemas = [
    ...new Set([
      ...snapshot.tables.map((t) => t.schema),
      ...snapshot.types.map((t) => t.schema),
      ...(snapshot.collations ?? []).map((c) => c.schema),
      ...snapshot.extensions.map((e) => e.schema),
    ]),
  ];
  return withSession(target, async (s) => {
    const role = await readRoleFacts(s);
    const failures = o.access
      ? targetFailures(
          role,
          await readTargetAccess(
            s,
            schemas,
            snapshot.extensions.map((e) => e.name),
          ),
        )
      : [];
    const readOnly = o.writes ? readOnlyFailure("target", role, "the schema copy") : undefined;
    return readOnly ? [...failures, readOnly] : failures;
  });
}

export interface Observation {
  source: SourceRead;
  /** The plan, when the source's tables are known and something may have changed. */
  planned?: { plan: SchemaPlan; serverId?: string };
  /** Neither side changed since the last apply: the recorded signatures still hold. */
  unchanged?: boolean;
}

/** Reads both sides and plans (see the file's comment). */
export async function observe(
  inputs: SchemaSyncInputs,
  ends: Resolved<"source" | "target">,
  olds: Partial<SchemaSyncInputs>,
): Promise<Observation> {
  const section = settingsOf(inputs).section;
  const quiet =
    olds.sourceTables !== undefined && olds.targetFingerprint !== undefined && olds.pending === undefined
      ? olds.sourceFingerprint
      : undefined;
  const readFromSource = (unless?: string) =>
    blaming("source", () => readSource(ends.source, inputs, unless));
  // The target is read next: its connection is made while the source is read.
  warm(ends.target);
  let source = await readFromSource(quiet);
  if (source.unchanged) {
    if ((await targetFingerprint(ends.target, signedTables(olds.sourceTables!))) === olds.targetFingerprint)
      return { source, unchanged: true };
    source = await readFromSource();
  }
  if (!source.tables) return { source };
  const desired = projectSection(source.snapshot, section);
  const planned = await withSession(ends.target, async (s) => {
    const { actual, opts } = await readPlanContext(
      s,
      ends,
      desired,
      section,
      signedTables(olds.sourceTables ?? []),
    );
    const applied = appliedColumns(olds.sourceTables);
    const serverId = await readServerId(s);
    return {
      plan: planSchema(desired, actual, {
        ...opts,
        allowDestructive: settingsOf(inputs).allowDestructive,
        own: ownColumnsOf(inputs),
        ...(applied ? { applied } : {}),
      }),
      ...(serverId ? { serverId } : {}),
    };
  });
  return { source, planned };
}

/**
 * The preview's per-table lines: each step, and what is refused (always whole). Past
 * LAST_CHANGES_KEPT tables the rest are counted, as lastChanges counts its lines: with thousands
 * of tables the list travels from check to create through the host and stays in the state.
 */
export function pendingOf(plan: SchemaPlan): Record<string, string[]> {
  const pending: Record<string, string[]> = {};
  for (const st of plan.steps) (pending[st.table ? tableKey(st.table) : "(target)"] ??= []).push(st.what);
  const tables = Object.keys(pending).filter((k) => k !== "(target)");
  if (tables.length > LAST_CHANGES_KEPT) {
    const rest = tables.slice(LAST_CHANGES_KEPT);
    const changes = rest.reduce((n, k) => n + pending[k]!.length, 0);
    for (const k of rest) delete pending[k];
    pending["(more)"] = [
      `${rest.length} more table(s) with ${changes} change(s) (${tables.length} tables in all)`,
    ];
  }
  for (const d of plan.destructive) (pending["(refused)"] ??= []).push(d);
  return pending;
}
