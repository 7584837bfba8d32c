// The smallest change that makes the target match the source's snapshot, as DDL in order, plus
// the destructive differences that are refused unless `allowDestructive` is set. Pure.

import { tableKey } from "../pg/tables";
import type { SchemaSnapshot, TableDefinition, TypeDefinition } from "./snapshot";
import * as sql from "./sql";

export interface SchemaPlan {
  /** DDL in the order it must run (one transaction). */
  statements: string[];
  /** What the statements do, one readable line each (for logs and previews). */
  summary: string[];
  /** Changes that lose data or cannot be made in place; in `statements` only when allowed. */
  destructive: string[];
  /** Problems no option fixes (an extension the target cannot install). */
  blockers: string[];
}

const WIDENINGS: Record<string, string[]> = {
  smallint: ["integer", "bigint", "numeric", "real", "double precision"],
  integer: ["bigint", "numeric", "double precision"],
  bigint: ["numeric"],
  real: ["double precision"],
  "character varying": ["text"],
  text: [],
};

/** True when `to` holds every value of `from` (int → bigint, varchar(10) → varchar(20) or text, …). */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true;
  const param = /^(character varying|character|numeric|bit varying)\((\d+)(?:,(\d+))?\)$/;
  const a = param.exec(from);
  const b = param.exec(to);
  if (a && b && a[1] === b[1]) {
    if (a[1] === "numeric")
      return (
        Number(b[2]) - Number(b[3] ?? 0) >= Number(a[2]) - Number(a[3] ?? 0) &&
        Number(b[3] ?? 0) >= Number(a[3] ?? 0)
      );
    return Number(b[2]) >= Number(a[2]);
  }
  if (
    a &&
    (to === a[1] ||
      (a[1] === "character varying" && to === "text") ||
      (a[1] === "numeric" && to === "numeric"))
  )
    return true;
  if (a && a[1] === "character" && (to === "text" || to === "character varying")) return true;
  return WIDENINGS[from]?.includes(to) ?? false;
}

export function planSchema(
  desired: SchemaSnapshot,
  actual: SchemaSnapshot,
  allowDestructive: boolean,
  target: { installed: string[]; available: string[] } = {
    installed: desired.extensions.map((e) => e.name),
    available: [],
  },
): SchemaPlan {
  const plan: SchemaPlan = { statements: [], summary: [], destructive: [], blockers: [] };
  const schemas = new Set(actual.tables.map((t) => t.schema));
  const step = (statement: string, what: string) => {
    plan.statements.push(statement);
    plan.summary.push(what);
  };
  const destructive = (statement: string | undefined, what: string) => {
    plan.destructive.push(what);
    if (allowDestructive && statement) step(statement, what);
  };

  for (const ext of desired.extensions) {
    if (target.installed.includes(ext.name)) continue;
    if (!target.available.includes(ext.name))
      plan.blockers.push(
        `extension ${ext.name} (needed by a column type or index) is not available on the target: install its package on the replica's server`,
      );
    else {
      if (!schemas.has(ext.schema)) {
        step(sql.createSchema(ext.schema), `create schema ${ext.schema} if missing`);
        schemas.add(ext.schema);
      }
      step(sql.createExtension(ext.name, ext.schema), `create extension ${ext.name}`);
    }
  }
  const collationsHave = new Set((actual.collations ?? []).map((c) => c.name));
  for (const c of desired.collations ?? []) {
    if (collationsHave.has(c.name)) continue;
    if (!schemas.has(c.schema)) {
      step(sql.createSchema(c.schema), `create schema ${c.schema} if missing`);
      schemas.add(c.schema);
    }
    step(sql.createCollation(c), `create collation ${c.name}`);
  }
  const have = new Set(actual.types.map((t) => t.name));
  for (const t of desired.types)
    if (!have.has(t.name) && !schemas.has(t.schema)) {
      step(sql.createSchema(t.schema), `create schema ${t.schema} if missing`);
      schemas.add(t.schema);
    }
  planTypes(desired.types, actual.types, step, destructive);

  const tablesHave = new Map(actual.tables.map((t) => [tableKey(t), t]));
  const copied = new Set(desired.tables.map(tableKey));
  const created = new Set(actual.tables.map(tableKey)); // tables that exist by the time a statement runs
  const inlined = new Set<string>(); // "table\0constraint" written inside CREATE TABLE
  const late: [string, string][] = []; // foreign keys and sequence ownership, once every table exists
  for (const want of desired.tables) {
    const key = tableKey(want);
    const cur = tablesHave.get(key);
    if (!cur) {
      if (!schemas.has(want.schema)) {
        step(sql.createSchema(want.schema), `create schema ${want.schema} if missing`);
        schemas.add(want.schema);
      }
      // Fewer, cheaper statements than pg_dump: serial columns instead of sequence + default +
      // ownership, and constraints inside CREATE TABLE (a new table needs no validation scan).
      const serials = new Set(want.sequences.filter((q) => q.serial).map((q) => q.column));
      for (const seq of want.sequences.filter((q) => !q.serial)) {
        step(sql.createSequence(seq.schema, seq.name, seq.type), `create sequence ${seq.schema}.${seq.name}`);
        late.push([
          sql.sequenceOwnedBy(seq.schema, seq.name, want.schema, want.name, seq.column),
          `attach sequence ${seq.name}`,
        ]);
      }
      if (want.partitionOf) {
        const p = want.partitionOf;
        step(
          sql.createPartition(want.schema, want.name, p.schema, p.name, p.bound),
          `create partition ${key} of ${p.schema}.${p.name}`,
        );
      } else {
        const columns = want.columns.map((c) => (serials.has(c.name) ? sql.serialColumn(c) : c));
        for (const [name, con] of Object.entries(want.constraints)) {
          if (/ NOT VALID$/.test(con.definition)) continue;
          const ref = con.type === "f" ? referencedTable(con.definition) : undefined;
          if (ref === undefined || ref === key || created.has(ref)) inlined.add(`${key}\u0000${name}`);
        }
        const inline = Object.entries(want.constraints)
          .filter(([name]) => inlined.has(`${key}\u0000${name}`))
          .map(([name, con]) => ({ name, definition: con.definition }));
        const create = sql.createTable(want.schema, want.name, columns, inline, want.partitionKey);
        step(create, `create table ${key} (${want.columns.length} columns, ${inline.length} constraints)`);
      }
      created.add(key);
    } else planColumns(want, cur, step, destructive);
    planConstraints(want, cur, copied, step, late, plan.summary, inlined);
    for (const [name, def] of Object.entries(want.indexes))
      if (cur?.indexes[name] !== def) step(sql.createIndex(def), `create index ${name} on ${key}`);
    const identityDiffers = cur
      ? cur.replicaIdentity !== want.replicaIdentity || cur.identityIndex !== want.identityIndex
      : want.replicaIdentity !== "d";
    if (identityDiffers)
      late.push([
        sql.replicaIdentity(want.schema, want.name, want.replicaIdentity, want.identityIndex),
        `set replica identity of ${key}`,
      ]);
  }
  for (const [statement, what] of late) step(statement, what);
  return plan;
}

type Step = (statement: string, what: string) => void;
type Destructive = (statement: string | undefined, what: string) => void;

function planTypes(
  desired: TypeDefinition[],
  actual: TypeDefinition[],
  step: Step,
  destructive: Destructive,
): void {
  const have = new Map(actual.map((t) => [t.name, t]));
  for (const t of desired) {
    const cur = have.get(t.name);
    if (!cur) {
      if (t.kind === "enum") step(sql.createEnum(t.name, t.labels ?? []), `create enum ${t.name}`);
      else if (t.kind === "domain")
        step(sql.createDomain(t.name, { base: t.base!, ...t }), `create domain ${t.name}`);
      else if (t.kind === "composite")
        step(sql.createComposite(t.name, t.attributes ?? []), `create type ${t.name}`);
      else if (t.kind === "range") step(sql.createRange(t.name, t.subtype!), `create range type ${t.name}`);
      continue;
    }
    if (t.kind === "enum" && cur.kind === "enum") {
      const labels = cur.labels ?? [];
      const wanted = t.labels ?? [];
      wanted.forEach((label, i) => {
        if (!labels.includes(label))
          step(
            sql.addEnumValue(t.name, label, i > 0 ? wanted[i - 1] : undefined),
            `add value ${label} to ${t.name}`,
          );
      });
      for (const label of labels)
        if (!wanted.includes(label))
          destructive(
            undefined,
            `enum ${t.name} lost value ${label} on the source (PostgreSQL cannot drop enum values)`,
          );
    } else if (JSON.stringify(t) !== JSON.stringify(cur))
      destructive(undefined, `type ${t.name} differs from the source; recreate it by hand`);
  }
}

function planColumns(
  want: TableDefinition,
  cur: TableDefinition,
  step: Step,
  destructive: Destructive,
): void {
  const key = tableKey(want);
  const cols = new Map(cur.columns.map((c) => [c.name, c]));
  for (const c of want.columns) {
    const old = cols.get(c.name);
    if (!old) {
      step(sql.addColumn(want.schema, want.name, c), `add column ${key}.${c.name} ${c.type}`);
      continue;
    }
    if (old.type !== c.type) {
      const s = sql.alterColumnType(want.schema, want.name, c.name, c.type);
      if (isWidening(old.type, c.type)) step(s, `widen ${key}.${c.name} from ${old.type} to ${c.type}`);
      else destructive(s, `change type of ${key}.${c.name} from ${old.type} to ${c.type}`);
    }
    if ((old.default ?? null) !== (c.default ?? null) && !c.identity && c.generated === undefined)
      step(
        sql.setColumnDefault(want.schema, want.name, c.name, c.default),
        `set default of ${key}.${c.name}`,
      );
    if (old.notNull !== c.notNull)
      step(
        sql.setColumnNotNull(want.schema, want.name, c.name, c.notNull),
        `${c.notNull ? "set" : "drop"} not null on ${key}.${c.name}`,
      );
  }
  const wanted = new Set(want.columns.map((c) => c.name));
  for (const c of cur.columns)
    if (!wanted.has(c.name))
      destructive(sql.dropColumn(want.schema, want.name, c.name), `drop column ${key}.${c.name}`);
  for (const [name, con] of Object.entries(cur.constraints))
    if (want.constraints[name]?.definition !== con.definition)
      step(sql.dropConstraint(want.schema, want.name, name), `drop constraint ${name} on ${key}`);
  for (const [name, def] of Object.entries(cur.indexes))
    if (want.indexes[name] !== def) step(sql.dropIndex(want.schema, name), `drop index ${name}`);
}

function planConstraints(
  want: TableDefinition,
  cur: TableDefinition | undefined,
  copied: Set<string>,
  step: Step,
  late: [string, string][],
  summary: string[],
  inlined: Set<string>,
): void {
  const key = tableKey(want);
  for (const [name, con] of Object.entries(want.constraints)) {
    if (inlined.has(`${key}\u0000${name}`)) continue;
    if (cur && cur.constraints[name]?.definition === con.definition) continue;
    const statement = sql.addConstraint(want.schema, want.name, name, con.definition);
    if (con.type !== "f") {
      step(statement, `add constraint ${name} on ${key}`);
      continue;
    }
    const ref = referencedTable(con.definition);
    if (ref !== undefined && !copied.has(ref))
      summary.push(`skip foreign key ${name} on ${key}: it references ${ref}, which is not copied`);
    else late.push([statement, `add foreign key ${name} on ${key}`]);
  }
}

/** "schema.name" of the table a FOREIGN KEY definition references. */
function referencedTable(definition: string): string | undefined {
  const ref = /REFERENCES ((?:"(?:[^"]|"")*"|[^".(\s]+)\.(?:"(?:[^"]|"")*"|[^".(\s]+))/.exec(definition);
  return ref ? unquoteQualified(ref[1]!) : undefined;
}

function unquoteQualified(text: string): string {
  const parts = text.match(/"(?:[^"]|"")*"|[^".]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p)).join(".");
}

/**
 * The part of a snapshot a column-listed publication delivers: for each table with a column list,
 * only those columns, and only the constraints and indexes that use nothing else (a NOT NULL
 * column left out would make every replicated insert fail).
 */
export function projectColumns(
  snapshot: SchemaSnapshot,
  columnLists: ReadonlyMap<string, readonly string[]>,
): SchemaSnapshot {
  if (columnLists.size === 0) return snapshot;
  const tables = snapshot.tables.map((t) => {
    const list = columnLists.get(tableKey(t));
    if (!list) return t;
    const keep = new Set(list);
    const uses = (name: string) => {
      const cols = t.columnUse?.[name];
      return cols !== undefined && cols !== null && cols.every((c) => keep.has(c));
    };
    const projected: TableDefinition = {
      ...t,
      columns: t.columns.filter((c) => keep.has(c.name)),
      constraints: Object.fromEntries(Object.entries(t.constraints).filter(([name]) => uses(name))),
      indexes: Object.fromEntries(Object.entries(t.indexes).filter(([name]) => uses(name))),
      sequences: t.sequences.filter((q) => keep.has(q.column)),
    };
    if (t.replicaIdentity === "i" && t.identityIndex && !uses(t.identityIndex)) {
      projected.replicaIdentity = "d";
      delete projected.identityIndex;
    }
    return projected;
  });
  return { ...snapshot, tables };
}
