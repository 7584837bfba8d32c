// One table's part of the plan: created (constraints inline, serial columns, partitions of their
// parent), or brought to the source's columns, constraints and indexes; objects only the replica
// has are kept; where a change leaves the replica's rows with other values than the primary's, the
// copied tables are emptied for their re-copy (recopyPlan.ts). Pure.

import { tableId, tableKey } from "../pg/tables";
import type { PlanBuilder, PlanStep } from "./planBuilder";
import { emptyForRecopy, olderRowsOf, recopyFor, shortValue } from "./recopyPlan";
import { referencedTable } from "./references";
import { columnShape, indexShape } from "./renames";
import { retypedKey } from "./retyped";
import type { ColumnDefinition, TableDefinition } from "./snapshot";
import * as sql from "./sql";
import { isWidening } from "./widening";

/** Which tables exist on the target by now (tableId), and which are copied at all. */
export interface TableScope {
  created: ReadonlySet<string>;
  copied: ReadonlySet<string>;
}

export function planTable(
  b: PlanBuilder,
  want: TableDefinition,
  cur: TableDefinition | undefined,
  scope: TableScope,
): void {
  const key = tableKey(want);
  const table = { schema: want.schema, name: want.name };
  if (!cur && b.post) b.out.awaiting.push(table);
  const inlined = new Set<string>();
  if (!b.post) for (const u of want.uses ?? []) ensureUsedSequence(b, want, u, scope.copied);
  if (cur) cur = renameIndexesAndConstraints(b, want, cur);
  if (!cur && !b.post) createTable(b, want, scope.created, inlined);
  else if (cur && !b.post) {
    planColumns(b, want, cur);
    attachPartition(b, want, cur);
    planSequences(b, want, cur);
  }
  planConstraints(b, want, cur, scope.copied, inlined);
  for (const [name, def] of Object.entries(want.indexes))
    if (cur?.indexes[name] !== def) {
      if (cur?.indexes[name] !== undefined) {
        b.step(sql.dropIndex(want.schema, name), `rebuild index ${name} on ${key}: its definition differs`, {
          table,
        });
        b.release(want.schema, name);
      }
      b.claim(want.schema, name, `index ${name} of ${key}`);
      b.step(sql.createIndex(def), `create index ${name} on ${key}`, { table, parallel: "index" });
    }
  if (cur) keepReplicaOnly(b, want, cur);
  const identityDiffers = cur
    ? cur.replicaIdentity !== want.replicaIdentity || cur.identityIndex !== want.identityIndex
    : want.replicaIdentity !== "d";
  if (identityDiffers && !b.post)
    b.late.push({
      sql: sql.replicaIdentity(want.schema, want.name, want.replicaIdentity, want.identityIndex),
      what: `set replica identity of ${key}`,
      table,
    });
}

function createTable(
  b: PlanBuilder,
  want: TableDefinition,
  created: ReadonlySet<string>,
  inlined: Set<string>,
): void {
  const key = tableKey(want);
  const table = { schema: want.schema, name: want.name };
  b.ensureSchema(want.schema);
  b.claim(want.schema, want.name, `table ${key}`);
  if (b.opts.applied?.has(tableId(want)))
    b.out.recopy.push({
      ...table,
      reason: "the table was dropped on the replica; it is created again, empty",
    });
  // Fewer, cheaper statements than pg_dump: serial columns instead of sequence + default +
  // ownership, and constraints inside CREATE TABLE (a new table needs no validation scan).
  // A sequence another table's default made already (it uses this one's) is not serial's to make.
  const made = new Set(want.sequences.filter((q) => b.hasSequence(q)).map((q) => q.column));
  const serials = new Set(want.sequences.filter((q) => q.serial && !made.has(q.column)).map((q) => q.column));
  for (const q of want.sequences) b.claim(q.schema, q.name, `sequence ${q.schema}.${q.name} of ${key}`);
  for (const q of want.sequences) b.sequenceMade(q);
  for (const q of want.sequences.filter((q) => !serials.has(q.column)))
    ownedSequence(b, want, q, !made.has(q.column));
  const virtual = want.columns.filter((c) => c.virtual);
  if (virtual.length > 0 && b.opts.target?.version !== undefined && b.opts.target.version < 180000)
    b.out.blockers.push(
      `${key} has VIRTUAL generated column(s) ${virtual.map((c) => c.name).join(", ")}, which need PostgreSQL 18 on the target: upgrade the replica, or make them STORED on the source`,
    );
  if (want.partitionOf) {
    const p = want.partitionOf;
    b.step(
      sql.createPartition(want.schema, want.name, p.schema, p.name, p.bound),
      `create partition ${key} of ${p.schema}.${p.name}`,
      { table },
    );
    return;
  }
  const columns = want.columns.map((c) => (serials.has(c.name) ? sql.serialColumn(c) : c));
  for (const [name, con] of Object.entries(want.constraints)) {
    if (/ NOT VALID$/.test(con.definition)) continue;
    const ref = con.type === "f" ? referencedTable(con.definition) : undefined;
    if (ref === undefined || tableId(ref) === tableId(want) || created.has(tableId(ref))) inlined.add(name);
  }
  const inline = Object.entries(want.constraints)
    .filter(([name]) => inlined.has(name))
    .map(([name, con]) => ({ name, definition: con.definition }));
  // Primary keys, unique and exclusion constraints build an index of their name.
  for (const [name, con] of Object.entries(want.constraints))
    if (inlined.has(name) && "pux".includes(con.type))
      b.claim(want.schema, name, `constraint ${name} of ${key}`);
  b.step(
    sql.createTable(want.schema, want.name, columns, inline, want.partitionKey),
    `create table ${key} (${want.columns.length} columns, ${inline.length} constraints)`,
    { table },
  );
  for (const c of want.columns)
    for (const s of sql.columnSettings(want.schema, want.name, c))
      b.step(s, `set storage or statistics of ${key}.${c.name}`, { table });
}

/**
 * The replica's sequences of `want`'s columns made to step as the source's (an increment of 2 for
 * odd and even ids on two nodes; an earlier version created them with the defaults). Their value
 * is SequenceSync's; their bounds and start are left as they are (see sql.alterSequenceSteps).
 */
function planSequences(b: PlanBuilder, want: TableDefinition, cur: TableDefinition): void {
  for (const q of want.sequences) {
    const o = cur.sequences.find((x) => x.schema === q.schema && x.name === q.name);
    if (!o || q.options === undefined || o.options === undefined) continue;
    const steps = sql.sequenceSteps(q.options);
    if (JSON.stringify(sql.sequenceSteps(o.options)) !== JSON.stringify(steps))
      b.step(
        sql.alterSequenceSteps(q.schema, q.name, steps),
        `make sequence ${q.schema}.${q.name} step as the source's (increment ${steps.increment}, cache ${steps.cache}${steps.cycle ? ", cycle" : ""})`,
        { table: { schema: want.schema, name: want.name } },
      );
  }
}

/** A sequence of `want`'s column: created unless made already, owned by its column once every table exists. */
function ownedSequence(
  b: PlanBuilder,
  want: TableDefinition,
  q: TableDefinition["sequences"][number],
  create: boolean,
): void {
  const table = { schema: want.schema, name: want.name };
  if (create)
    b.step(sql.createSequence(q.schema, q.name, q.type, q.options), `create sequence ${q.schema}.${q.name}`, {
      table,
    });
  b.late.push({
    sql: sql.sequenceOwnedBy(q.schema, q.name, want.schema, want.name, q.column),
    what: `attach sequence ${q.name}`,
    table,
  });
}

/**
 * A sequence `want`'s defaults use that it does not own (a shared id sequence, another table's),
 * created before the table with the source's parameters unless the target has it or the plan made
 * it. One a copied table owns is that table's to claim (and to own, late).
 */
function ensureUsedSequence(
  b: PlanBuilder,
  want: TableDefinition,
  u: NonNullable<TableDefinition["uses"]>[number],
  copied: ReadonlySet<string>,
): void {
  if (b.hasSequence(u)) return;
  b.sequenceMade(u);
  b.ensureSchema(u.schema);
  if (!u.owner || !copied.has(tableId(u.owner))) b.claim(u.schema, u.name, `sequence ${u.schema}.${u.name}`);
  b.step(
    sql.createSequence(u.schema, u.name, u.type, u.options),
    `create sequence ${u.schema}.${u.name} (a default of ${tableKey(want)} uses it)`,
    { table: { schema: want.schema, name: want.name } },
  );
}

/** A table the source attached as a partition (again): attached on the replica too, its rows kept. */
function attachPartition(b: PlanBuilder, want: TableDefinition, cur: TableDefinition): void {
  const p = want.partitionOf;
  if (!p || cur.partitionOf) return;
  b.step(
    sql.attachPartition(p.schema, p.name, want.schema, want.name, p.bound),
    `attach partition ${tableKey(want)} to ${p.schema}.${p.name} (attached on the source; its rows are kept)`,
    { table: { schema: want.schema, name: want.name } },
  );
}

function planColumns(b: PlanBuilder, want: TableDefinition, cur: TableDefinition): void {
  const key = tableKey(want);
  const table = { schema: want.schema, name: want.name };
  const cols = new Map(cur.columns.map((c) => [c.name, c]));
  const own = b.opts.own?.get(tableId(want));
  // A column renamed on the source: one the replica lacks, where the replica has one the source
  // lacks (not one of its own), at the same place, alike in everything but its name.
  const wantedNames = new Set(want.columns.map((c) => c.name));
  const renamedTo = new Map<string, string>();
  want.columns.forEach((c, i) => {
    const old = cur.columns[i];
    if (cols.has(c.name) || !old || wantedNames.has(old.name) || own?.has(old.name)) return;
    if (columnShape(old) !== columnShape(c)) return;
    b.step(
      sql.renameColumn(want.schema, want.name, old.name, c.name),
      `rename column ${key}.${old.name} to ${c.name} (renamed on the source; its values are kept)`,
      { table },
    );
    cols.delete(old.name);
    cols.set(c.name, { ...old, name: c.name });
    renamedTo.set(old.name, c.name);
  });
  if (renamedTo.size > 0)
    cur = { ...cur, columns: cur.columns.map((c) => ({ ...c, name: renamedTo.get(c.name) ?? c.name })) };
  const applied = b.opts.applied?.get(tableId(want));
  for (const c of want.columns) {
    // The source now has a column of a name the replica keeps for its own values.
    if (own?.has(c.name))
      b.out.blockers.push(
        `column ${key}.${c.name} is the replica's own (replicaOwnColumns), and the source has a column of that name now: the stream would write the source's values into it. Rename the replica's column (and its entry in replicaOwnColumns), or take it out of replicaOwnColumns to let the source's column replace it`,
      );
    const old = cols.get(c.name);
    if (!old) {
      addColumn(b, want, cur, c, applied);
      continue;
    }
    // Newer on the source than the last apply, yet the replica has one of that name: dropped and
    // added again on the source (or added by hand on the replica). The replica's rows hold the old
    // column's values, and the stream went on into it since, so no value can be set for them.
    if (applied !== undefined && (c.attnum ?? 0) > applied && c.generated === undefined)
      recopyFor(b, table, {
        cause: `column ${c.name} of ${key} was added on the source since the last up while the replica kept a column of that name (dropped and added again on the source, or added by hand on the replica)`,
        why: "the replica's rows hold that column's values, not the source's",
        fix: "Drop the column on the replica and add it again with the source's values by hand, then run up again",
        reason: `column ${c.name} was added again on the source`,
      });
    if (old.type !== c.type) {
      if (b.opts.retyped?.has(retypedKey(table, c.name)))
        recopyFor(b, table, {
          cause: `column ${c.name} of ${key} changed type on the source with its values (ALTER … TYPE … USING: its first rows by key hold other values than the replica's cast gives)`,
          why: "the replica's own cast would leave its rows with other values",
          fix: "Change the column on the replica by hand with the source's USING expression, then run up again",
          reason: `column ${c.name} changed type and values on the source`,
        });
      const s = sql.alterColumnType(want.schema, want.name, c.name, c.type);
      if (isWidening(old.type, c.type))
        b.step(s, `widen ${key}.${c.name} from ${old.type} to ${c.type}`, { table });
      else b.destructive(s, `change type of ${key}.${c.name} from ${old.type} to ${c.type}`, table);
    }
    if ((old.default ?? null) !== (c.default ?? null) && !c.identity && c.generated === undefined)
      b.step(
        sql.setColumnDefault(want.schema, want.name, c.name, c.default),
        `set default of ${key}.${c.name}`,
        {
          table,
        },
      );
    // A stored generated column the source made plain, or whose values the publication now
    // publishes (PG18): the replica's copy becomes plain, keeping its values.
    if (old.generated !== undefined && !old.virtual && c.generated === undefined && !c.virtual)
      b.step(
        sql.dropExpression(want.schema, want.name, c.name),
        `make ${key}.${c.name} a plain column (its values come from the source)`,
        { table },
      );
    if (old.notNull !== c.notNull)
      b.step(
        sql.setColumnNotNull(want.schema, want.name, c.name, c.notNull),
        `${c.notNull ? "set" : "drop"} not null on ${key}.${c.name}`,
        { table },
      );
    if (
      (old.identityOptions ?? "") !== (c.identityOptions ?? "") ||
      (old.virtual ?? false) !== (c.virtual ?? false)
    )
      b.destructive(
        undefined,
        `the identity or generation of ${key}.${c.name} differs from the source's; recreate the column by hand`,
        table,
      );
    // Plain on the replica, computed on the source and its values not published (any more):
    // nothing would fill it for new rows.
    if (old.generated === undefined && c.generated !== undefined)
      b.destructive(
        undefined,
        `${key}.${c.name} is a plain column on the replica but generated on the source, whose publication does not publish its values: new rows would leave it empty; publish them (publishGeneratedColumns: "stored", PG18) or recreate the column as generated by hand`,
        table,
      );
    if ((old.compression ?? "") !== (c.compression ?? ""))
      b.step(
        sql.setColumnCompression(want.schema, want.name, c.name, c.compression),
        `set compression of ${key}.${c.name}`,
        { table },
      );
    if (
      (c.storage !== undefined && old.storage !== c.storage) ||
      (old.statistics ?? -1) !== (c.statistics ?? -1)
    )
      for (const s of sql.columnSettings(want.schema, want.name, { ...c, statistics: c.statistics ?? -1 }))
        b.step(s, `set storage or statistics of ${key}.${c.name}`, { table });
  }
  const wanted = new Set(want.columns.map((c) => c.name));
  // A table several subscriptions fill (fan-in: shards into one table), or one another server's
  // subscription fills (this source's not made yet), holds every source's columns: one this source
  // lacks (not migrated yet, or never) may hold another's values. Kept.
  // The replica's own columns (replicaOwnColumns): kept, where the stream can fill them.
  for (const c of cur.columns.filter((c) => !wanted.has(c.name) && own?.has(c.name)))
    if (!c.notNull || c.default !== undefined || c.identity || c.generated !== undefined)
      b.out.kept.push(`column ${key}.${c.name} (replicaOwnColumns)`);
    else
      b.out.blockers.push(
        `column ${key}.${c.name} is the replica's own (replicaOwnColumns) and NOT NULL without a default: every row the stream or a copy inserts fails on it. Give it a default on the replica (ALTER TABLE … ALTER COLUMN … SET DEFAULT …) or drop its NOT NULL`,
      );
  const dropped = cur.columns.filter((c) => !wanted.has(c.name) && !own?.has(c.name));
  const feeders = dropped.length === 0 ? [] : b.feeders(table);
  const elsewhere = feeders.filter((f) => b.opts.otherSources?.has(f));
  for (const c of dropped)
    if (feeders.length > 1)
      b.out.kept.push(
        `column ${key}.${c.name}, which this source lacks: subscriptions ${feeders.map((f) => JSON.stringify(f)).join(", ")} fill the table (fan-in), and another source may have it`,
      );
    else if (elsewhere.length > 0)
      b.out.kept.push(
        `column ${key}.${c.name}, which this source lacks: subscription ${JSON.stringify(elsewhere[0])} fills the table from another server (its slot is not on this source), which may have it`,
      );
    else b.destructive(sql.dropColumn(want.schema, want.name, c.name), `drop column ${key}.${c.name}`, table);
  for (const [name, con] of Object.entries(cur.constraints)) {
    const w = want.constraints[name];
    if (w && w.definition !== con.definition)
      b.step(
        sql.dropConstraint(want.schema, want.name, name),
        `drop constraint ${name} on ${key}: its definition differs`,
        {
          table,
        },
      );
  }
}

/**
 * Indexes and constraints the source renamed: the replica's one of the same definition under the
 * old name (one the source no longer has) is renamed in place, not built again beside it.
 */
function renameIndexesAndConstraints(
  b: PlanBuilder,
  want: TableDefinition,
  cur: TableDefinition,
): TableDefinition {
  const key = tableKey(want);
  const table = { schema: want.schema, name: want.name };
  const indexes = { ...cur.indexes };
  for (const [name, def] of Object.entries(want.indexes)) {
    if (indexes[name] !== undefined) continue;
    const old = Object.keys(indexes).find(
      (n) => !(n in want.indexes) && indexShape(indexes[n]!) === indexShape(def),
    );
    if (old === undefined) continue;
    b.step(sql.renameIndex(want.schema, old, name), `rename index ${old} on ${key} to ${name}`, { table });
    b.release(want.schema, old);
    b.claim(want.schema, name, `index ${name} of ${key}`);
    indexes[name] = def;
    delete indexes[old];
  }
  const constraints = { ...cur.constraints };
  for (const [name, con] of Object.entries(want.constraints)) {
    if (constraints[name] !== undefined) continue;
    const old = Object.keys(constraints).find(
      (n) =>
        !(n in want.constraints) &&
        constraints[n]!.type === con.type &&
        constraints[n]!.definition === con.definition,
    );
    if (old === undefined) continue;
    b.step(
      sql.renameConstraint(want.schema, want.name, old, name),
      `rename constraint ${old} on ${key} to ${name}`,
      {
        table,
      },
    );
    if ("pux".includes(con.type)) {
      b.release(want.schema, old);
      b.claim(want.schema, name, `constraint ${name} of ${key}`);
    }
    constraints[name] = con;
    delete constraints[old];
  }
  return { ...cur, indexes, constraints };
}

/**
 * A column the replica lacks, added. The rows it already holds get what the source's rows of that
 * age hold: the value PostgreSQL kept for them (its default, then the source's current default
 * set); NULL where the source has no such value and no default; where the source wrote them row
 * by row (a volatile default, identity, serial) only a re-copy gives them, as it does for a column
 * the source had at the last apply and the replica lost.
 */
function addColumn(
  b: PlanBuilder,
  want: TableDefinition,
  cur: TableDefinition,
  c: ColumnDefinition,
  applied: number | undefined,
): void {
  const key = tableKey(want);
  const table = { schema: want.schema, name: want.name };
  const lost = applied !== undefined && c.attnum !== undefined && c.attnum <= applied;
  const older = lost ? undefined : olderRowsOf(c);
  if (lost) {
    emptyForRecopy(b, table, {
      cause: `column ${c.name} of ${key} was dropped on the replica`,
      why: "adding it back leaves its values empty",
      fix: "Restore the column and its values on the replica by hand (the primary has them), then run up again",
      reason: `column ${c.name} was dropped on the replica`,
    });
  } else if (older === "per row")
    recopyFor(b, table, {
      cause: `column ${c.name} of ${key} was added on the source, which wrote its value row by row (a volatile default, identity or serial, or the table was rewritten since)`,
      why: "the rows the replica holds can only get those values by being copied again",
      fix: "Add the column on the replica by hand and give its rows the primary's values, then run up again",
      reason: `column ${c.name} was added on the source with values written row by row`,
    });
  for (const q of want.sequences.filter((q) => q.column === c.name))
    if (!cur.sequences.some((o) => o.schema === q.schema && o.name === q.name)) {
      const made = b.hasSequence(q);
      if (!made) b.claim(q.schema, q.name, `sequence ${q.schema}.${q.name} of ${key}`);
      b.sequenceMade(q);
      ownedSequence(b, want, q, !made);
    }
  if (older !== undefined && older !== "per row") {
    b.step(
      sql.addColumn(want.schema, want.name, { ...c, default: sql.typedLiteral(older.value, c.type) }),
      `add column ${key}.${c.name} ${c.type}, its existing rows holding the source's ${shortValue(older.value)}`,
      { table },
    );
    b.step(
      sql.setColumnDefault(want.schema, want.name, c.name, c.default),
      `set default of ${key}.${c.name}`,
      {
        table,
      },
    );
  } else if (!lost && older === undefined && c.default !== undefined) {
    // Older rows NULL there: the column added without its default, which is set after.
    const { default: _d, ...bare } = c;
    b.step(
      sql.addColumn(want.schema, want.name, bare),
      `add column ${key}.${c.name} ${c.type}, its existing rows NULL as on the source`,
      {
        table,
      },
    );
    b.step(
      sql.setColumnDefault(want.schema, want.name, c.name, c.default),
      `set default of ${key}.${c.name}`,
      {
        table,
      },
    );
  } else b.step(sql.addColumn(want.schema, want.name, c), `add column ${key}.${c.name} ${c.type}`, { table });
  for (const s of sql.columnSettings(want.schema, want.name, c))
    b.step(s, `set storage or statistics of ${key}.${c.name}`, { table });
}

/** Indexes and constraints only the replica has are kept (an analytics replica's own indexes). */
function keepReplicaOnly(b: PlanBuilder, want: TableDefinition, cur: TableDefinition): void {
  const key = tableKey(want);
  for (const name of Object.keys(cur.indexes))
    if (!(name in want.indexes)) b.out.kept.push(`index ${name} on ${key}`);
  for (const name of Object.keys(cur.constraints))
    if (!(name in want.constraints)) b.out.kept.push(`constraint ${name} on ${key}`);
}

function planConstraints(
  b: PlanBuilder,
  want: TableDefinition,
  cur: TableDefinition | undefined,
  copied: ReadonlySet<string>,
  inlined: ReadonlySet<string>,
): void {
  const key = tableKey(want);
  const table = { schema: want.schema, name: want.name };
  for (const [name, con] of Object.entries(want.constraints)) {
    if (inlined.has(name)) continue;
    if (cur && cur.constraints[name]?.definition === con.definition) continue;
    const add = sql.addConstraint(want.schema, want.name, name, con.definition);
    if ("pux".includes(con.type) && cur?.constraints[name] === undefined)
      b.claim(want.schema, name, `constraint ${name} of ${key}`);
    if (con.type !== "f") {
      b.step(add, `add constraint ${name} on ${key}`, {
        table,
        ...(con.type === "u" || con.type === "x" ? { parallel: "index" as const } : {}),
      });
      continue;
    }
    const ref = referencedTable(con.definition);
    const late = (step: PlanStep) => b.late.push(step);
    if (ref !== undefined && !copied.has(tableId(ref)))
      b.out.notes.push(
        `skip foreign key ${name} on ${key}: it references ${tableKey(ref)}, which is not copied`,
      );
    else if (b.post && !/ NOT VALID$/.test(con.definition)) {
      // On tables that already hold the copied rows: add without a scan, then validate in parallel.
      late({
        sql: sql.addConstraint(want.schema, want.name, name, con.definition, true),
        what: `add foreign key ${name} on ${key} (NOT VALID)`,
        table,
        parallel: "fk",
      });
      late({
        sql: sql.validateConstraint(want.schema, want.name, name),
        what: `validate foreign key ${name} on ${key}`,
        table,
        parallel: "validate",
      });
    } else late({ sql: add, what: `add foreign key ${name} on ${key}`, table });
  }
}
