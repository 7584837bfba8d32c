// SequenceSync's six handlers, loaded by the provider host (see kernel/provider.ts). Logical
// replication copies rows, not sequence values: before the replica takes writes, its sequences
// must be past the primary's. Check reads both sides, so the preview lists every sequence the
// target is behind on; up advances those with setval and never moves one backwards.

import { validate, type CheckFailure } from "../kernel/check";
import { blamed, blaming, operationError } from "../kernel/errors";
import * as log from "../kernel/log";
import { withBoundedReads, type Provider } from "../kernel/provider";
import { UNKNOWN } from "../kernel/unknown";
import { clean } from "../kernel/values";
import { dropComputed, fieldChanges, inputsOf, schemaOf } from "../kernel/fields";
import { endpoint, resolve, type Resolved } from "../pg/connection";
import { readPublishedTables } from "../pg/published";
import { grantSequence } from "../pg/grants";
import { readOnlyFailure, readRoleFacts } from "../pg/roles";
import { withSession } from "../pg/session";
import { canonicalTableRef, parseTableRef, tableId, tableKey, type TableSpec } from "../pg/tables";
import { SEQUENCE_SYNC_FIELDS } from "./fields";
import { ownedSequences, readSequences, type SequenceName, type SequenceState } from "./catalog";
import { planMove, type SequenceMove } from "./plan";
import * as sql from "./sql";
import { label, type SequenceSyncInputs, type SequenceSyncState, type SequenceValues } from "./types";

/** "schema.name" or "name" (schema public), taken literally as tables are. */
function sequenceName(text: string): SequenceName {
  const t = parseTableRef(text) as TableSpec;
  return { schema: t.schema, name: t.name };
}

/** The source and the target, resolved at the handler's start. */
type Ends = Resolved<"source" | "target">;

interface Sides {
  names: SequenceName[];
  sourceUser: string;
  targetUser: string;
  /** The target's sessions start read-only (a standby, default_transaction_read_only): setval fails there. */
  targetReadOnly?: CheckFailure;
  source: Map<string, SequenceState>;
  target: Map<string, SequenceState>;
}

/** Resolves the sequences (owned by the tables' columns, the publication's tables', or listed) and reads both sides. */
async function readSides(inputs: SequenceSyncInputs, ends: Ends): Promise<Sides> {
  const { names, ...source } = await blaming("source", () =>
    withSession(ends.source, async (s) => {
      let names: SequenceName[];
      if (inputs.sequences) names = inputs.sequences.map(sequenceName);
      else {
        const tables = inputs.tables
          ? inputs.tables.map(parseTableRef)
          : await readPublishedTables(s, [inputs.publication!]);
        names = await ownedSequences(s, tables);
      }
      return { names, source: await readSequences(s, names), user: (await readRoleFacts(s)).user };
    }),
  );
  const target = await withSession(ends.target, async (s) => ({
    sequences: await readSequences(s, names),
    role: await readRoleFacts(s),
  }));
  const readOnly = readOnlyFailure("target", target.role, "the sequences' values");
  return {
    names,
    sourceUser: source.user,
    targetUser: target.role.user,
    ...(readOnly ? { targetReadOnly: readOnly } : {}),
    source: new Map(source.source.map((q) => [tableId(q), q])),
    target: new Map(target.sequences.map((q) => [tableId(q), q])),
  };
}

/** The moves, and what stops them: sequences missing on a side, privileges, bounds. */
function plan(inputs: SequenceSyncInputs, sides: Sides): { moves: SequenceMove[]; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const moves: SequenceMove[] = [];
  const onlySource = sides.names.filter((q) => sides.source.has(tableId(q)) && !sides.target.has(tableId(q)));
  const notOnSource = sides.names.filter((q) => !sides.source.has(tableId(q)));
  if (onlySource.length > 0)
    failures.push({
      property: "target",
      reason: `sequence(s) ${onlySource.map(tableKey).join(", ")} exist on the source but not on the target: copy the tables first (SchemaSync), or list only sequences both have.`,
    });
  if (notOnSource.length > 0)
    failures.push({
      property: inputs.sequences ? "sequences" : "source",
      reason: `sequence(s) ${notOnSource.map(tableKey).join(", ")} do not exist on the source${notOnSource.some((q) => sides.target.has(tableId(q))) ? " (only on the target)" : ""}: fix the names (taken literally, case included).`,
    });
  const unreadable = [...sides.source.values()].filter((q) => !q.readable);
  if (unreadable.length > 0)
    failures.push({
      property: "source",
      reason: `role ${JSON.stringify(sides.sourceUser)} may not read ${unreadable.map(tableKey).join(", ")} on the source: run ${grantSequence("SELECT", unreadable, sides.sourceUser)}`,
    });
  const unwritable = [...sides.target.values()].filter((q) => !q.readable || !q.writable);
  if (unwritable.length > 0)
    failures.push({
      property: "target",
      reason: `role ${JSON.stringify(sides.targetUser)} may not advance ${unwritable.map(tableKey).join(", ")} on the target: run ${grantSequence("SELECT, UPDATE", unwritable, sides.targetUser)}`,
    });
  if (failures.length > 0) return { moves, failures };
  for (const [id, source] of sides.source) {
    const target = sides.target.get(id)!;
    try {
      const move = planMove(tableKey(source), source, target, inputs.margin ?? 0);
      if (move) moves.push(move);
    } catch (e) {
      failures.push({ property: "margin", reason: (e as Error).message });
    }
  }
  // Only a sequence to advance writes there.
  if (moves.length > 0 && sides.targetReadOnly) failures.push(sides.targetReadOnly);
  return { moves, failures };
}

function values(sides: Sides): Record<string, SequenceValues> {
  const valueOf = (q: SequenceState | undefined) => (q?.isCalled ? q.lastValue : null);
  return Object.fromEntries(
    [...sides.source].map(([id, q]) => [
      tableKey(q),
      { source: valueOf(q), target: valueOf(sides.target.get(id)) },
    ]),
  );
}

async function apply(inputs: SequenceSyncInputs, ends: Ends): Promise<SequenceSyncState> {
  const sides = await readSides(inputs, ends);
  const { moves, failures } = plan(inputs, sides);
  if (failures.length > 0) throw new Error(`${label()}: ${failures.map((f) => f.reason).join(" ")}`);
  await withSession(ends.target, (s) =>
    s.transaction(async () => {
      for (const m of moves) {
        const seq = sides.target.get(tableId(m.sequence))!;
        await s.query(sql.SETVAL, [sql.sequenceRegclass(seq.schema, seq.name), m.value.toString(), true]);
      }
    }),
  ).catch((e) => {
    throw operationError(label(), "setval", e);
  });
  const lastChanges = moves.map(
    (m) => `advance ${m.key} from ${m.target} to ${m.value} (source at ${m.source})`,
  );
  if (moves.length > 0) log.info(`${label()}: ${lastChanges.join("; ")}.`);
  // What the target holds now: setval(value, true) leaves last_value = value, is_called = true.
  for (const m of moves) {
    const id = tableId(m.sequence);
    sides.target.set(id, { ...sides.target.get(id)!, lastValue: m.value.toString(), isCalled: true });
  }
  const { behind: _b, ...kept } = inputs;
  return clean({ ...kept, values: values(sides), lastChanges });
}

const handlers: Provider<SequenceSyncInputs, SequenceSyncState> = {
  async check(_olds, news) {
    const { value, failures, unknown } = validate(schemaOf(SEQUENCE_SYNC_FIELDS), news);
    if (!value) return { inputs: news, failures };
    const inputs = value as unknown as SequenceSyncInputs;
    const checked = value as Record<string, unknown>;
    dropComputed(SEQUENCE_SYNC_FIELDS, inputs);
    const given = ["tables", "publication", "sequences"].filter(
      (k) => inputs[k as "tables"] !== undefined || unknown.has(k),
    );
    if (given.length !== 1)
      return {
        inputs: checked,
        failures: [
          {
            property: "tables",
            reason: "Exactly one of `tables`, `publication` or `sequences` must be provided.",
          },
        ],
      };
    if (inputs.tables && !unknown.has("tables"))
      try {
        inputs.tables = inputs.tables.map((t) => canonicalTableRef(parseTableRef(t)));
      } catch (e) {
        return { inputs: checked, failures: [{ property: "tables", reason: (e as Error).message }] };
      }
    if (unknown.size > 0) {
      checked.behind = UNKNOWN;
      return { inputs: checked, failures: [] };
    }
    const ends = resolve(inputs, "source", "target");
    try {
      const sides = await readSides(inputs, ends);
      const { moves, failures: problems } = plan(inputs, sides);
      if (moves.length > 0)
        inputs.behind = Object.fromEntries(moves.map((m) => [m.key, { source: m.source, target: m.target }]));
      return { inputs: checked, failures: problems };
    } catch (e) {
      // readSides marks the source's errors; the rest are the target's.
      return { inputs: checked, failures: [{ property: blamed(e, "target"), reason: (e as Error).message }] };
    }
  },

  async diff(_id, olds, news) {
    const changes =
      (news.behind !== undefined && Object.keys(news.behind).length > 0) ||
      fieldChanges(SEQUENCE_SYNC_FIELDS, olds, news).updates.length > 0;
    return { changes, replaces: [] };
  },

  async create(inputs) {
    const ends = resolve(inputs, "source", "target");
    return { id: endpoint(ends.target), outs: await apply(inputs, ends) };
  },

  async update(_id, _olds, news) {
    return { outs: await apply(news, resolve(news, "source", "target")) };
  },

  /** Refresh records both sides' values now. */
  async read(id, props) {
    const sides = await readSides(props, resolve(props, "source", "target"));
    const outs = { ...props, values: values(sides) };
    return {
      id,
      props: clean(outs),
      inputs: clean(inputsOf<SequenceSyncInputs>(SEQUENCE_SYNC_FIELDS, outs)),
    };
  },

  /** Sequences are the tables' own: nothing to remove. */
  async delete() {},
};

/** What the host calls: the handlers, their reads bounded (kernel/provider.ts). */
export const provider = withBoundedReads(handlers);
