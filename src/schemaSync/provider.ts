// SchemaSync's six handlers, loaded by the provider host (see kernel/provider.ts).
//
// Check reads the source and the target and plans (observe.ts), so the preview shows per table
// what `up` will change. State keeps a signature per table (a hash and the highest column number),
// not the definitions: the definitions check read are reused by create/update within one provider
// host process.

import { validate, type CheckFailure } from "../kernel/check";
import { blamed, operationError } from "../kernel/errors";
import { dropComputed, fieldChanges, inputsOf, schemaOf } from "../kernel/fields";
import { withBoundedReads, withStoredForm, type Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { endpoint, parseConnection, resolve } from "../pg/connection";
import { withLockTries } from "../pg/lock";
import { withSession } from "../pg/session";
import { canonicalTableRef, parseTableRef, tableId, tableKey, type TableName } from "../pg/tables";
import { emptyingRefusals, readStakes, type TableStakes } from "../pg/emptying";
import * as log from "../kernel/log";
import { applySchemaSync, refuse } from "./apply";
import { observe, pendingOf, signatures, targetFingerprint, targetRoleFailures } from "./observe";
import { projectSection } from "./section";
import * as sql from "./sql";
import { SCHEMA_SYNC_FIELDS, ownColumnsOf, upgradeState, settingsOf, storeState } from "./fields";
import { label, type SchemaSyncInputs, type SchemaSyncState } from "./types";

/** Exactly one of `tables` or `publication`, and the tables in canonical form. */
function structuralFailures(inputs: SchemaSyncInputs, unknown: Set<string>): CheckFailure[] {
  const hasTables = inputs.tables !== undefined || unknown.has("tables");
  const hasPublication = inputs.publication !== undefined || unknown.has("publication");
  if (hasTables === hasPublication)
    return [{ property: "tables", reason: "Exactly one of `tables` or `publication` must be provided." }];
  if (!unknown.has("replicaOwnColumns"))
    try {
      ownColumnsOf(inputs);
    } catch (e) {
      return [{ property: "replicaOwnColumns", reason: (e as Error).message }];
    }
  if (inputs.tables && !unknown.has("tables"))
    try {
      inputs.tables = inputs.tables.map((t) => canonicalTableRef(parseTableRef(t)));
    } catch (e) {
      return [{ property: "tables", reason: (e as Error).message }];
    }
  return [];
}

/**
 * The tables `dropOnDelete` drops, and those it keeps with why: rows something else puts there (a
 * subscription of the replica — this stack's own is deleted before its SchemaSync — or the
 * replica publishing them on), or a table outside them referencing it.
 */
function droppable(
  tables: readonly TableName[],
  stakes: readonly TableStakes[],
): { drop: TableName[]; kept: (TableName & { reasons: string[] })[] } {
  // A kept table's foreign keys keep the tables it references too: until nothing more is kept.
  for (let together = new Set(tables.map(tableId)); ;) {
    const kept = stakes
      // No subscription's stake is allowed: "" names none of them.
      .map((t) => ({ schema: t.schema, name: t.name, reasons: emptyingRefusals([t], together, "") }))
      .filter((t) => t.reasons.length > 0);
    const keep = new Set(kept.map(tableId));
    const drop = tables.filter((t) => !keep.has(tableId(t)));
    if (drop.length === together.size) return { drop, kept };
    together = new Set(drop.map(tableId));
  }
}

const handlers: Provider<SchemaSyncInputs, SchemaSyncState> = {
  async check(olds, news) {
    const { value, failures, unknown } = validate(schemaOf(SCHEMA_SYNC_FIELDS), news);
    if (!value) return { inputs: news, failures };
    const inputs = value as unknown as SchemaSyncInputs;
    const checked = value as Record<string, unknown>;
    dropComputed(SCHEMA_SYNC_FIELDS, inputs);
    const structural = structuralFailures(inputs, unknown);
    if (structural.length > 0) return { inputs: checked, failures: structural };
    if (["source", "target", "tables", "publication"].some((k) => unknown.has(k))) {
      checked.pending = UNKNOWN;
      return { inputs: checked, failures: [] };
    }
    const previous = olds as unknown as SchemaSyncState;
    const ends = resolve(inputs, "source", "target");
    try {
      const { source, planned, unchanged } = await observe(inputs, ends, previous);
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
      const desired = projectSection(source.snapshot, settingsOf(inputs).section);
      inputs.sourceTables = signatures(desired);
      inputs.sourceFingerprint = source.fingerprint!;
      if (planned.serverId) inputs.targetServerId = planned.serverId;
      const { plan } = planned;
      const pending = pendingOf(plan);
      if (Object.keys(pending).length > 0) inputs.pending = pending;
      // In order: the next check may skip reading both sides while neither catalog changes.
      else inputs.targetFingerprint = await targetFingerprint(ends.target, source.snapshot.tables);
      // "next": the apply gives each request an id of its own, which a Subscription records once served.
      if (plan.recopy.length > 0) inputs.recopyRequests = plan.recopy.map((r) => ({ ...r, id: "next" }));
      const problems: CheckFailure[] = source.missing.map((t) => ({
        property: "tables",
        reason: `table ${JSON.stringify(tableKey(t))} does not exist on the source.`,
      }));
      const copied = new Set(source.tables.map(tableId));
      for (const ref of Object.keys(inputs.replicaOwnColumns ?? {}))
        if (!copied.has(tableId(parseTableRef(ref))))
          problems.push({
            property: "replicaOwnColumns",
            reason: `${JSON.stringify(ref)} is not a table this SchemaSync copies: name one of ${JSON.stringify(source.tables.slice(0, 5).map(tableKey))}${source.tables.length > 5 ? " …" : ""} (schema.table).`,
          });
      try {
        refuse(
          plan,
          { label: label(inputs), allowDestructive: settingsOf(inputs).allowDestructive, preview: true },
          endpoint(ends.target),
        );
      } catch (e) {
        problems.push({
          property: plan.blockers.length > 0 ? "target" : "allowDestructive",
          reason: (e as Error).message,
        });
      }
      problems.push(
        ...(await targetRoleFailures(ends.target, desired, {
          access: settingsOf(inputs).section !== "post-data",
          writes: Object.keys(pending).length > 0,
        })),
      );
      return { inputs: checked, failures: problems };
    } catch (e) {
      // Source reads are marked (observe.ts); every other statement here runs on the target.
      return { inputs: checked, failures: [{ property: blamed(e, "target"), reason: (e as Error).message }] };
    }
  },

  async diff(_id, olds, news) {
    const { updates } = fieldChanges(SCHEMA_SYNC_FIELDS, olds, news);
    const sameTarget =
      olds.targetServerId !== undefined && news.targetServerId !== undefined
        ? olds.targetServerId === news.targetServerId
        : olds.targetEndpoint === endpoint(parseConnection(news.target));
    const replaces = sameTarget ? [] : ["target"];
    const changes =
      replaces.length > 0 ||
      updates.length > 0 ||
      (news.pending !== undefined && Object.keys(news.pending).length > 0) ||
      (news.recopyRequests?.length ?? 0) > 0;
    return { changes, replaces };
  },

  async create(inputs) {
    const outs = await applySchemaSync(inputs, resolve(inputs, "source", "target"));
    return { id: `${outs.targetEndpoint}`, outs };
  },

  async update(_id, olds, news) {
    return { outs: await applySchemaSync(news, resolve(news, "source", "target"), olds) };
  },

  /** Refresh keeps the state: every check compares the source with the target anyway. */
  async read(id, props) {
    return { id, props, inputs: inputsOf<SchemaSyncInputs>(SCHEMA_SYNC_FIELDS, props) };
  },

  async delete(_id, props) {
    if (!props.dropOnDelete || props.section === "post-data") return;
    const synced = [...(props.syncedTables ?? [])].reverse().map(parseTableRef);
    // Each DROP waits for its table's lock a bounded time (behind a long query it would hold up
    // every later reader of the table), in tries; a give-up drops nothing.
    const seconds = settingsOf(props).lockTimeoutSeconds;
    await withSession(parseConnection(props.target), async (s) => {
      const { drop, kept } = droppable(synced, await readStakes(s, synced));
      if (kept.length > 0)
        log.warn(
          `${label(props)}: dropOnDelete keeps ${kept.map((k) => `${tableKey(k)} (${k.reasons.join("; ")})`).join(", ")}; ${drop.length > 0 ? `it drops ${drop.map(tableKey).join(", ")}` : "it drops nothing else"}.`,
        );
      await withLockTries(s, { label: label(props), seconds, where: "target", tables: drop }, async () => {
        for (const t of drop) await s.exec(sql.dropTable(t.schema, t.name));
      }).catch((e) => {
        throw operationError(label(props), "DROP TABLE (nothing dropped)", e, (e as { fix?: string }).fix);
      });
    });
  },
};

/** What the host calls: the handlers, their reads bounded (kernel/provider.ts), state in its stored form (fields.ts). */
export const provider = withStoredForm(withBoundedReads(handlers), {
  store: storeState,
  load: upgradeState,
});
