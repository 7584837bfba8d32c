// The SchemaSync provider's implementation. The provider object in schemaSync.ts only delegates here, so
// its serialized closure is a require of this module (a few hundred bytes), not this code.

import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { readPublishedTables } from "./catalog";
import { connectionSchema, endpoint, parseConnection, withSession } from "./connection";
import { clean, identifier, operationError, UNKNOWN, validate, type CheckFailure } from "./provider";
import { readExtensions, readFingerprint, readSchema, type SchemaSnapshot } from "./schemaCatalog";
import { EMPTY_SNAPSHOT, planSchema, projectColumns } from "./schemaPlan";
import * as sql from "./sql";
import { canonicalTableRef, parseTableRef, tableKey, type TableRef, type TableSpec } from "./tables";

import type { SchemaSyncInputs, SchemaSyncOutputs } from "./schemaSync";

function argsSchema() {
  const tableRef = z.union([
    z.string().min(1),
    z
      .object({
        schema: z.string().min(1).optional(),
        name: z.string().min(1),
        columns: z.array(z.string()).optional(),
        where: z.string().optional(),
      })
      .strict(),
  ]);
  return z.object({
    source: connectionSchema(),
    target: connectionSchema(),
    tables: z.array(tableRef).optional(),
    publication: identifier("the publication name").optional(),
    dropOnDelete: z.boolean().optional(),
    allowDestructive: z.boolean().optional(),
    sourceSchema: z.any().optional(),
    sourceFingerprint: z.string().optional(),
  });
}

function label(inputs: { tables?: TableRef[]; publication?: string }): string {
  return inputs.publication !== undefined
    ? `SchemaSync of publication ${JSON.stringify(inputs.publication)}`
    : "SchemaSync";
}

interface SourceRead {
  /** The tables asked for; undefined when the publication does not exist (yet). */
  tables?: TableSpec[];
  /** Their definitions with partition trees, types and extensions. */
  snapshot: SchemaSnapshot;
  /** Listed tables the source does not have, "schema.name". */
  missing: string[];
  /** Fingerprint of the catalog rows read, with the table list and column lists. */
  fingerprint?: string;
}

/**
 * Resolves the table list (listed, or what the publication publishes) and reads it, in one
 * session. With a `previous` read whose fingerprint still matches, its definitions are reused.
 */
async function readSource(
  inputs: SchemaSyncInputs,
  previous?: { fingerprint?: string; schema?: SchemaSnapshot },
): Promise<SourceRead> {
  return withSession(parseConnection(inputs.source), async (s) => {
    let tables: TableSpec[] | undefined;
    // Tables published with a column list get only those columns on the replica.
    const columnLists = new Map<string, string[]>();
    if (inputs.tables) {
      const specs = inputs.tables.map(parseTableRef);
      for (const t of specs) if (t.columns) columnLists.set(tableKey(t), t.columns);
      tables = specs.map(({ schema, name }) => ({ schema, name }));
    } else {
      const exists = await s.query("SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1", [
        inputs.publication,
      ]);
      if (exists.length === 0) return { snapshot: EMPTY_SNAPSHOT, missing: [] };
      const published = await readPublishedTables(s, [inputs.publication!], true);
      for (const t of published) if (t.columns) columnLists.set(tableKey(t), t.columns);
      tables = published.map(({ schema, name }) => ({ schema, name }));
    }
    const { createHash } = require("crypto") as typeof import("crypto");
    const scope = createHash("md5")
      .update(JSON.stringify([tables, [...columnLists]]))
      .digest("hex");
    // The fingerprint only serves reuse; without a previous read to compare with, skip it.
    const fingerprint = previous ? `${await readFingerprint(s, tables)}:${scope}` : undefined;
    const reuse =
      previous?.schema && typeof previous.schema === "object" && previous.fingerprint === fingerprint;
    const wanted = tables.map((t) =>
      columnLists.has(tableKey(t)) ? { ...t, columns: columnLists.get(tableKey(t))! } : t,
    );
    const snapshot = reuse ? previous.schema! : projectColumns(await readSchema(s, wanted), columnLists);
    const found = new Set(snapshot.tables.map(tableKey));
    return {
      tables,
      snapshot,
      fingerprint,
      missing: tables.filter((t) => !found.has(tableKey(t))).map(tableKey),
    };
  });
}

async function apply(inputs: SchemaSyncInputs): Promise<SchemaSyncOutputs> {
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
      pulumi.log.info(
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

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { value, failures, unknown } = validate(argsSchema(), news);
    if (!value) return { inputs: news, failures };
    const inputs = value as unknown as SchemaSyncInputs;
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
    if (structural.length > 0) return { inputs: inputs as never, failures: structural };
    if (["source", "tables", "publication"].some((k) => unknown.has(k))) {
      inputs.sourceSchema = UNKNOWN as never;
      return { inputs: inputs as never, failures: [] };
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
      inputs.sourceSchema = !tables ? (UNKNOWN as never) : reused ? snapshot : clean(snapshot);
      if (tables) inputs.sourceFingerprint = fingerprint;
      else delete inputs.sourceFingerprint;
      const failures = missing.map((t) => ({
        property: "tables",
        reason: `table ${JSON.stringify(t)} does not exist on the source.`,
      }));
      return { inputs: inputs as never, failures };
    } catch (e) {
      return { inputs: inputs as never, failures: [{ property: "source", reason: (e as Error).message }] };
    }
  },

  async diff(_id: string, olds: SchemaSyncOutputs, news: SchemaSyncInputs) {
    const replaces: string[] = [];
    if (olds.targetEndpoint !== endpoint(parseConnection(news.target))) replaces.push("target");
    const changes =
      replaces.length > 0 ||
      // The same fingerprint means the same definitions (check reused them); compare in full otherwise.
      !(olds.sourceFingerprint !== undefined && olds.sourceFingerprint === news.sourceFingerprint
        ? true
        : JSON.stringify(olds.sourceSchema) === JSON.stringify(news.sourceSchema)) ||
      JSON.stringify(olds.tables) !== JSON.stringify(news.tables) ||
      olds.publication !== news.publication ||
      JSON.stringify(olds.source) !== JSON.stringify(news.source) ||
      JSON.stringify(olds.target) !== JSON.stringify(news.target) ||
      olds.dropOnDelete !== news.dropOnDelete ||
      olds.allowDestructive !== news.allowDestructive;
    return { changes, replaces };
  },

  async create(inputs: SchemaSyncInputs) {
    const outs = await apply(inputs);
    return { id: `${outs.targetEndpoint}`, outs };
  },

  async update(_id: string, _olds: SchemaSyncOutputs, news: SchemaSyncInputs) {
    return { outs: await apply(news) };
  },

  /** Refresh reads the target: when it no longer matches what was applied, the definitions recorded change. */
  async read(id: string, props: SchemaSyncOutputs) {
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

  async delete(_id: string, props: SchemaSyncOutputs) {
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
