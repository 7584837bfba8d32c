// SchemaSync's six handlers, loaded by the provider host (see kernel/provider.ts).

import * as log from "../kernel/log";
import { validate, type CheckFailure } from "../kernel/check";
import { operationError } from "../kernel/errors";
import type { Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { clean } from "../kernel/values";
import { endpoint, parseConnection, sameConnection, type Connection } from "../pg/connection";
import { readRoleFacts } from "../pg/roles";
import { withSession } from "../pg/session";
import { canonicalTableRef, parseTableRef, sameTableSets } from "../pg/tables";
import { readExtensions, readFingerprint, readSchema, readTargetAccess } from "./catalog";
import { targetFailures } from "./privileges";
import { planSchema } from "./plan";
import { EMPTY_SNAPSHOT, type SchemaSnapshot } from "./snapshot";
import { readSource } from "./source";
import * as sql from "./sql";
import { label, schemaSyncSchema, type SchemaSyncInputs, type SchemaSyncState } from "./types";

async function apply(inputs: SchemaSyncInputs): Promise<SchemaSyncState> {
  // In `pulumi up`, check has just read the source: when its fingerprint still holds, reuse that read.
  const previous = inputs.sourceFingerprint
    ? { fingerprint: inputs.sourceFingerprint, schema: inputs.sourceSchema }
    : undefined;
  const { tables, snapshot, missing, fingerprint } = await readSource(inputs, previous);
  const where = endpoint(parseConnection(inputs.source));
  if (!tables)
    throw new Error(
      `${label(inputs)}: publication ${JSON.stringify(inputs.publication)} does not exist on ${where}.`,
    );
  if (missing.length > 0)
    throw new Error(
      `${label(inputs)}: table(s) ${missing.join(", ")} do not exist on the source ${where}; fix \`tables\`.`,
    );
  const target = parseConnection(inputs.target);
  const copied = snapshot.tables.map(({ schema, name }) => ({ schema, name }));
  const lastChanges = await withSession(target, async (s) => {
    const actual = await readSchema(s, copied);
    const plan = planSchema(snapshot, actual, inputs.allowDestructive ?? false, await readExtensions(s));
    if (plan.blockers.length > 0) throw new Error(`${label(inputs)}: ${plan.blockers.join("; ")}.`);
    if (plan.destructive.length > 0 && !inputs.allowDestructive)
      throw new Error(
        `${label(inputs)}: refusing destructive changes on ${endpoint(target)}: ${plan.destructive.join("; ")}. Set \`allowDestructive: true\` to apply them, or change the source back.`,
      );
    if (plan.statements.length > 0)
      log.info(
        `${label(inputs)}: applying ${plan.statements.length} statement(s) in one transaction: ${plan.summary.slice(0, 20).join("; ")}${plan.summary.length > 20 ? "; …" : ""}`,
      );
    await s
      .transaction(() => s.execBatch(plan.statements))
      .catch((e) => {
        throw operationError(label(inputs), "schema copy (rolled back, nothing applied)", e);
      });
    return plan.summary;
  });
  return clean({
    ...inputs,
    sourceSchema: snapshot,
    sourceFingerprint: fingerprint,
    syncedTables: snapshot.tables.map(({ schema, name }) => canonicalTableRef({ schema, name })),
    targetEndpoint: endpoint(target),
    lastChanges,
  });
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
  try {
    return await withSession(parseConnection(target), async (s) =>
      targetFailures(
        await readRoleFacts(s),
        await readTargetAccess(
          s,
          schemas,
          snapshot.extensions.map((e) => e.name),
        ),
      ),
    );
  } catch (e) {
    return [{ property: "target", reason: (e as Error).message }];
  }
}

export const provider: Provider<SchemaSyncInputs, SchemaSyncState> = {
  async check(olds, news) {
    const { value: inputs, failures, unknown } = validate(schemaSyncSchema(), news);
    if (!inputs) return { inputs: news, failures };
    const checked: Record<string, unknown> = inputs;
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
    if (["source", "tables", "publication"].some((k) => unknown.has(k))) {
      checked.sourceSchema = UNKNOWN;
      return { inputs: checked, failures: [] };
    }
    try {
      const previous = {
        fingerprint: olds.sourceFingerprint as string | undefined,
        schema: olds.sourceSchema as SchemaSnapshot | undefined,
      };
      const { tables, snapshot, missing, fingerprint } = await readSource(inputs, previous);
      // Without tables the publication is created in the same run: its tables are known only at `up`.
      // A reused snapshot came from state and is already plain JSON.
      const reused = snapshot === olds.sourceSchema;
      checked.sourceSchema = !tables ? UNKNOWN : reused ? snapshot : clean(snapshot);
      if (tables) inputs.sourceFingerprint = fingerprint;
      else delete inputs.sourceFingerprint;
      const failures: CheckFailure[] = missing.map((t) => ({
        property: "tables",
        reason: `table ${JSON.stringify(t)} does not exist on the source.`,
      }));
      if (!unknown.has("target")) failures.push(...(await targetPrivileges(inputs.target, snapshot)));
      return { inputs: checked, failures };
    } catch (e) {
      return { inputs: checked, failures: [{ property: "source", reason: (e as Error).message }] };
    }
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    if (olds.targetEndpoint !== endpoint(parseConnection(news.target))) replaces.push("target");
    const changes =
      replaces.length > 0 ||
      // The same fingerprint means the same definitions (check reused them); compare in full otherwise.
      !(olds.sourceFingerprint !== undefined && olds.sourceFingerprint === news.sourceFingerprint
        ? true
        : JSON.stringify(olds.sourceSchema) === JSON.stringify(news.sourceSchema)) ||
      !sameTableSets((olds.tables ?? []).map(parseTableRef), (news.tables ?? []).map(parseTableRef)) ||
      olds.publication !== news.publication ||
      !sameConnection(parseConnection(olds.source), parseConnection(news.source)) ||
      !sameConnection(parseConnection(olds.target), parseConnection(news.target)) ||
      olds.dropOnDelete !== news.dropOnDelete ||
      olds.allowDestructive !== news.allowDestructive;
    return { changes, replaces };
  },

  async create(inputs) {
    const outs = await apply(inputs);
    return { id: `${outs.targetEndpoint}`, outs };
  },

  async update(_id, _olds, news) {
    return { outs: await apply(news) };
  },

  /** Refresh reads the target: when it no longer matches what was applied, the definitions recorded change. */
  async read(id, props) {
    const target = parseConnection(props.target);
    const tables = (props.syncedTables ?? []).map(parseTableRef);
    const recorded = props.sourceSchema ?? EMPTY_SNAPSHOT;
    const { drifted, fingerprint } = await withSession(target, async (s) => {
      const fingerprint = await readFingerprint(s, tables);
      // Untouched since the last refresh that found it in order: nothing to compare.
      if (fingerprint === props.targetFingerprint) return { drifted: undefined, fingerprint };
      const actual = await readSchema(s, tables);
      // Extensions are not compared here: the plan would only re-create them if missing.
      const installed = recorded.extensions.map((e) => e.name);
      const plan = planSchema(recorded, actual, true, { installed, available: [] });
      const inOrder = plan.statements.length === 0 && plan.destructive.length === 0;
      return { drifted: inOrder ? undefined : actual, fingerprint };
    });
    // On drift the recorded definitions become the target's, so the next preview shows the repair;
    // the fingerprints are dropped so that the next preview and refresh read in full.
    const outs = clean(
      drifted
        ? { ...props, sourceSchema: drifted, sourceFingerprint: undefined, targetFingerprint: undefined }
        : { ...props, targetFingerprint: fingerprint },
    );
    const { syncedTables: _s, targetEndpoint: _t, lastChanges: _l, targetFingerprint: _f, ...inputs } = outs;
    return { id, props: outs, inputs };
  },

  async delete(_id, props) {
    if (!props.dropOnDelete) return;
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
