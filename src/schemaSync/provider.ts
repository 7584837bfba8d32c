// SchemaSync's six handlers, loaded by the provider host (see kernel/provider.ts).
//
// Check reads the source and the target and plans, so the preview shows per table what `up` will
// change — a migration on the primary and drift on the replica alike — and which tables lose
// their replicated rows (re-created, or a column re-added) for a Subscription to re-copy. State
// keeps a signature per table (a hash and the highest column number), not the definitions: the
// definitions check read are reused by create/update within one provider host process.

import { validate, type CheckFailure } from "../kernel/check";
import { operationError } from "../kernel/errors";
import type { Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { clean, sameValue } from "../kernel/values";
import { endpoint, parseConnection, sameConnection, type Connection } from "../pg/connection";
import { readRoleFacts, readServerId } from "../pg/roles";
import { withSession } from "../pg/session";
import { canonicalTableRef, parseTableRef, sameTableSets, splitTableKey, tableKey } from "../pg/tables";
import { applyPlan, refuse } from "./apply";
import { readFingerprint, readTargetAccess } from "./catalog";
import { planSchema } from "./plan";
import { targetFailures } from "./privileges";
import { projectSection, type Section } from "./section";
import type { SchemaSnapshot } from "./snapshot";
import { readSource, tableSignature } from "./source";
import * as sql from "./sql";
import { readTarget } from "./target";
import { label, schemaSyncSchema, type SchemaSyncInputs, type SchemaSyncState } from "./types";

const section = (inputs: { section?: Section }): Section => inputs.section ?? "all";

/** Per table, the highest column number the source had at the last apply. */
function appliedColumns(signatures: Record<string, string> | undefined): Record<string, number> | undefined {
  if (!signatures) return undefined;
  return Object.fromEntries(Object.entries(signatures).map(([t, sig]) => [t, Number(sig.split(":")[1])]));
}

/** The fingerprint of the copied tables on the target (what the last apply left, when recorded). */
async function targetFingerprint(
  target: Connection,
  tables: readonly { schema: string; name: string }[],
): Promise<string> {
  return withSession(parseConnection(target), (s) =>
    readFingerprint(
      s,
      tables.map(({ schema, name }) => ({ schema, name })),
    ),
  );
}

/** The target role's privileges for the copy (check failures; unreachable targets are left to apply). */
async function targetPrivileges(target: Connection, snapshot: SchemaSnapshot): Promise<CheckFailure[]> {
  const schemas = [
    ...new Set([
      ...snapshot.tables.map((t) => t.schema),
      ...snapshot.types.map((t) => t.schema),
      ...(snapshot.collations ?? []).map((c) => c.schema),
      ...snapshot.extensions.map((e) => e.schema),
    ]),
  ];
  return withSession(parseConnection(target), async (s) =>
    targetFailures(
      await readRoleFacts(s),
      await readTargetAccess(
        s,
        schemas,
        snapshot.extensions.map((e) => e.name),
      ),
    ),
  );
}

/**
 * Reads both sides and plans: the preview's per-table changes and the re-copies they need. When
 * neither side's catalog changed since the last apply (two fingerprints, cheap), nothing is read.
 */
async function observe(inputs: SchemaSyncInputs, olds: Partial<SchemaSyncInputs>) {
  const quiet =
    olds.sourceTables !== undefined && olds.targetFingerprint !== undefined && olds.pending === undefined
      ? olds.sourceFingerprint
      : undefined;
  let source = await readSource(inputs, quiet);
  if (source.unchanged) {
    // State keys are "schema.name": a schema name with a dot splits wrongly, the fingerprint then
    // differs, and both sides are read in full (slower, never wrong).
    const synced = Object.keys(olds.sourceTables!).map(splitTableKey);
    if ((await targetFingerprint(inputs.target, synced)) === olds.targetFingerprint)
      return { source, planned: undefined, unchanged: true };
    source = await readSource(inputs);
  }
  if (!source.tables) return { source, planned: undefined };
  const desired = projectSection(source.snapshot, section(inputs));
  const target = parseConnection(inputs.target);
  const planned = await withSession(target, async (s) => {
    const { actual, extensions } = await readTarget(s, desired);
    const applied = appliedColumns(olds.sourceTables);
    return {
      plan: planSchema(desired, actual, {
        allowDestructive: inputs.allowDestructive ?? false,
        target: extensions,
        section: section(inputs),
        ...(applied ? { applied } : {}),
      }),
      serverId: await readServerId(s),
    };
  });
  return { source, planned };
}

/** `previous`: the state before (its signatures say what the source had at the last apply). */
async function apply(inputs: SchemaSyncInputs, previous?: SchemaSyncState): Promise<SchemaSyncState> {
  const source = await readSource(inputs);
  const where = endpoint(parseConnection(inputs.source));
  if (!source.tables)
    throw new Error(
      `${label(inputs)}: publication ${JSON.stringify(inputs.publication)} does not exist on ${where}.`,
    );
  if (source.missing.length > 0)
    throw new Error(
      `${label(inputs)}: table(s) ${source.missing.join(", ")} do not exist on the source ${where}; fix \`tables\`.`,
    );
  const target = parseConnection(inputs.target);
  const applied = appliedColumns(previous?.sourceTables);
  const plan = await applyPlan(target, source.snapshot, {
    label: label(inputs),
    section: section(inputs),
    allowDestructive: inputs.allowDestructive ?? false,
    ...(applied ? { applied } : {}),
    indexJobs: inputs.indexJobs ?? 4,
    maintenanceWorkMem: inputs.maintenanceWorkMem ?? "256MB",
  });
  const desired = projectSection(source.snapshot, section(inputs));
  const { pending: _p, sourceSchema: _legacy, ...kept } = inputs;
  return clean({
    ...kept,
    // What this apply could not restore, once: a Subscription depending on this records the ids it
    // served. (Always a list, so that previews keeping this state show a known value.)
    recopyRequests: plan.recopy.map((r) => ({
      ...r,
      id: `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`,
    })),
    sourceTables: Object.fromEntries(desired.tables.map((t) => [tableKey(t), tableSignature(t)])),
    sourceFingerprint: source.fingerprint,
    targetFingerprint: await targetFingerprint(inputs.target, source.snapshot.tables),
    syncedTables: source.snapshot.tables.map(({ schema, name }) => canonicalTableRef({ schema, name })),
    targetEndpoint: endpoint(target),
    lastChanges: [...plan.summary, ...plan.kept.map((k) => `kept the replica's own ${k}`)],
  });
}

export const provider: Provider<SchemaSyncInputs, SchemaSyncState> = {
  async check(olds, news) {
    const { value: inputs, failures, unknown } = validate(schemaSyncSchema(), news);
    if (!inputs) return { inputs: news, failures };
    const checked: Record<string, unknown> = inputs;
    for (const k of [
      "sourceTables",
      "sourceFingerprint",
      "targetFingerprint",
      "pending",
      "recopyRequests",
      "targetServerId",
      "sourceSchema",
    ] as const)
      delete inputs[k];
    const structural: CheckFailure[] = [];
    const hasTables = inputs.tables !== undefined || unknown.has("tables");
    const hasPublication = inputs.publication !== undefined || unknown.has("publication");
    if (hasTables === hasPublication)
      structural.push({
        property: "tables",
        reason: "Exactly one of `tables` or `publication` must be provided.",
      });
    if (inputs.tables && !unknown.has("tables")) {
      try {
        inputs.tables = inputs.tables.map((t) => canonicalTableRef(parseTableRef(t)));
      } catch (e) {
        structural.push({ property: "tables", reason: (e as Error).message });
      }
    }
    if (structural.length > 0) return { inputs: checked, failures: structural };
    if (["source", "target", "tables", "publication"].some((k) => unknown.has(k))) {
      checked.pending = UNKNOWN;
      return { inputs: checked, failures: [] };
    }
    const previous = olds as Partial<SchemaSyncInputs>;
    try {
      const { source, planned, unchanged } = await observe(inputs, previous);
      if (unchanged) {
        // Neither side changed since the last apply: the recorded signatures still hold.
        inputs.sourceTables = previous.sourceTables!;
        inputs.sourceFingerprint = source.fingerprint!;
        inputs.targetFingerprint = previous.targetFingerprint!;
        if (previous.targetServerId) inputs.targetServerId = previous.targetServerId;
        return { inputs: checked, failures: [] };
      }
      // Without tables the publication is created in the same run: its tables are known only at `up`.
      if (!source.tables || !planned) {
        checked.pending = UNKNOWN;
        return { inputs: checked, failures: [] };
      }
      const desired = projectSection(source.snapshot, section(inputs));
      inputs.sourceTables = Object.fromEntries(desired.tables.map((t) => [tableKey(t), tableSignature(t)]));
      inputs.sourceFingerprint = source.fingerprint;
      if (planned.serverId) inputs.targetServerId = planned.serverId;
      const { plan } = planned;
      const pending: Record<string, string[]> = {};
      for (const st of plan.steps) (pending[st.table ?? "(target)"] ??= []).push(st.what);
      for (const d of plan.destructive) (pending["(refused)"] ??= []).push(d);
      if (Object.keys(pending).length > 0) inputs.pending = pending;
      // In order: the next check may skip reading both sides while neither catalog changes.
      else inputs.targetFingerprint = await targetFingerprint(inputs.target, source.snapshot.tables);
      // "next": the apply gives each request an id of its own, which a Subscription records once served.
      if (plan.recopy.length > 0) inputs.recopyRequests = plan.recopy.map((r) => ({ ...r, id: "next" }));
      const failures: CheckFailure[] = source.missing.map((t) => ({
        property: "tables",
        reason: `table ${JSON.stringify(t)} does not exist on the source.`,
      }));
      try {
        refuse(
          plan,
          { label: label(inputs), allowDestructive: inputs.allowDestructive ?? false, preview: true },
          endpoint(parseConnection(inputs.target)),
        );
      } catch (e) {
        failures.push({
          property: plan.blockers.length > 0 ? "target" : "allowDestructive",
          reason: (e as Error).message,
        });
      }
      if (section(inputs) !== "post-data") failures.push(...(await targetPrivileges(inputs.target, desired)));
      return { inputs: checked, failures };
    } catch (e) {
      const msg = (e as Error).message;
      return {
        inputs: checked,
        failures: [
          {
            property: msg.includes(endpoint(parseConnection(inputs.target))) ? "target" : "source",
            reason: msg,
          },
        ],
      };
    }
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    const sameTarget =
      olds.targetServerId !== undefined && news.targetServerId !== undefined
        ? olds.targetServerId === news.targetServerId
        : olds.targetEndpoint === endpoint(parseConnection(news.target));
    if (!sameTarget) replaces.push("target");
    const changes =
      replaces.length > 0 ||
      (news.pending !== undefined && Object.keys(news.pending).length > 0) ||
      (news.recopyRequests?.length ?? 0) > 0 ||
      // (State written before signatures existed has none to compare with.)
      (olds.sourceTables !== undefined &&
        news.sourceTables !== undefined &&
        !sameValue(olds.sourceTables, news.sourceTables)) ||
      !sameTableSets((olds.tables ?? []).map(parseTableRef), (news.tables ?? []).map(parseTableRef)) ||
      olds.publication !== news.publication ||
      !sameConnection(parseConnection(olds.source), parseConnection(news.source)) ||
      !sameConnection(parseConnection(olds.target), parseConnection(news.target)) ||
      (olds.dropOnDelete ?? false) !== (news.dropOnDelete ?? false) ||
      (olds.allowDestructive ?? false) !== (news.allowDestructive ?? false) ||
      section(olds) !== section(news) ||
      (olds.indexJobs ?? 4) !== (news.indexJobs ?? 4) ||
      (olds.maintenanceWorkMem ?? "256MB") !== (news.maintenanceWorkMem ?? "256MB");
    return { changes, replaces };
  },

  async create(inputs) {
    const outs = await apply(inputs);
    return { id: `${outs.targetEndpoint}`, outs };
  },

  async update(_id, olds, news) {
    return { outs: await apply(news, olds) };
  },

  /** Refresh keeps the state: every check compares the source with the target anyway. */
  async read(id, props) {
    const { syncedTables: _s, targetEndpoint: _t, lastChanges: _l, ...inputs } = props;
    return { id, props, inputs };
  },

  async delete(_id, props) {
    if (!props.dropOnDelete || section(props) === "post-data") return;
    const target = parseConnection(props.target);
    await withSession(target, (s) =>
      s.transaction(async () => {
        for (const t of [...(props.syncedTables ?? [])].reverse().map(parseTableRef))
          await s.exec(sql.dropTable(t.schema, t.name));
      }),
    ).catch((e) => {
      throw operationError(label(props), "DROP TABLE", e);
    });
  },
};
