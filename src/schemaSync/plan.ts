// The smallest change that makes the target match the source's snapshot, as DDL in order, plus
// the destructive differences that are refused unless `allowDestructive` is set, the objects only
// the replica has (kept), and the tables whose replicated rows the change loses (to re-copy). Pure.

import { sameValue } from "../kernel/values";
import { tableKey } from "../pg/tables";
import type { SchemaSnapshot, TableDefinition, TypeDefinition } from "./snapshot";
import * as sql from "./sql";

/** One statement of a plan. */
export interface PlanStep {
  sql: string;
  /** What it does, one readable line (for logs and previews). */
  what: string;
  /** The table it changes ("schema.name"), if any. */
  table?: string;
  /**
   * Post-data statements a SchemaSync of section "post-data" runs after the copy, on parallel
   * connections: "index" (indexes and the constraints that build one), "fk" (foreign keys, added
   * NOT VALID, one after the other), "validate" (their validation).
   */
  parallel?: "index" | "fk" | "validate";
}

export interface SchemaPlan {
  steps: PlanStep[];
  /** The statements, in the order they must run. */
  statements: string[];
  /** What the statements do, one line each. */
  summary: string[];
  /** Changes that lose data or cannot be made in place; in `steps` only when allowed. */
  destructive: string[];
  /** Problems no option fixes (an extension the target cannot install). */
  blockers: string[];
  /**
   * Post-data: tables the pre-data SchemaSync has not created yet. A preview of a first `up` plans
   * their indexes and constraints as if they existed (the pre-data runs first); an apply refuses.
   */
  awaiting: string[];
  /** Objects only the replica has (indexes, constraints): kept. */
  kept: string[];
  /** Tables that held replicated rows this change cannot restore (re-created, or a column re-added). */
  recopy: { table: string; reason: string }[];
}

export interface PlanOptions {
  allowDestructive: boolean;
  /** Extensions the target has installed, and those it could install. */
  target?: { installed: string[]; available: string[]; version?: number };
  /** Per table, the highest column number the source had when it was last applied (state). */
  applied?: Record<string, number>;
  /** "post-data": foreign keys NOT VALID, then validated (the tables hold rows by then). */
  section?: "all" | "pre-data" | "post-data";
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

/** Backwards-compatible signature: (desired, actual, allowDestructive, target?). */
export function planSchema(
  desired: SchemaSnapshot,
  actual: SchemaSnapshot,
  allowDestructive: boolean | PlanOptions,
  target?: { installed: string[]; available: string[] },
): SchemaPlan {
  const opts: PlanOptions =
    typeof allowDestructive === "boolean"
      ? { allowDestructive, ...(target ? { target } : {}) }
      : allowDestructive;
  return new Planner(desired, actual, opts).plan();
}

class Planner {
  private readonly out: SchemaPlan = {
    steps: [],
    statements: [],
    summary: [],
    destructive: [],
    blockers: [],
    awaiting: [],
    kept: [],
    recopy: [],
  };
  private readonly schemas: Set<string>;
  private readonly post: boolean;

  constructor(
    private readonly desired: SchemaSnapshot,
    private readonly actual: SchemaSnapshot,
    private readonly opts: PlanOptions,
  ) {
    this.schemas = new Set(actual.tables.map((t) => t.schema));
    this.post = opts.section === "post-data";
  }

  private step(sqlText: string, what: string, extra: Omit<PlanStep, "sql" | "what"> = {}): void {
    this.out.steps.push({ sql: sqlText, what, ...extra });
    this.out.statements.push(sqlText);
    this.out.summary.push(what);
  }

  private destructive(sqlText: string | undefined, what: string, table?: string): void {
    this.out.destructive.push(what);
    if (this.opts.allowDestructive && sqlText) this.step(sqlText, what, table ? { table } : {});
  }

  private ensureSchema(schema: string): void {
    if (this.schemas.has(schema)) return;
    this.step(sql.createSchema(schema), `create schema ${schema} if missing`);
    this.schemas.add(schema);
  }

  plan(): SchemaPlan {
    if (!this.post) {
      this.planExtensions();
      this.planCollations();
      for (const t of this.desired.types)
        if (!this.actual.types.some((a) => a.name === t.name)) this.ensureSchema(t.schema);
      this.planTypes();
    }
    const late: PlanStep[] = []; // foreign keys, sequence ownership, replica identity: once every table exists
    const created = new Set(this.actual.tables.map(tableKey));
    const copied = new Set(this.desired.tables.map(tableKey));
    const have = new Map(this.actual.tables.map((t) => [tableKey(t), t]));
    for (const want of this.desired.tables) {
      const key = tableKey(want);
      const cur = have.get(key);
      if (!cur && this.post) this.out.awaiting.push(key);
      const inlined = new Set<string>();
      if (!cur && !this.post) {
        this.createTable(want, created, inlined, late);
        created.add(key);
      } else if (cur && !this.post) this.planColumns(want, cur);
      this.planConstraints(want, cur, copied, inlined, late);
      for (const [name, def] of Object.entries(want.indexes))
        if (cur?.indexes[name] !== def) {
          if (cur?.indexes[name] !== undefined)
            this.step(
              sql.dropIndex(want.schema, name),
              `rebuild index ${name} on ${key}: its definition differs`,
              {
                table: key,
              },
            );
          this.step(sql.createIndex(def), `create index ${name} on ${key}`, {
            table: key,
            parallel: "index",
          });
        }
      if (cur) this.keepReplicaOnly(want, cur);
      const identityDiffers = cur
        ? cur.replicaIdentity !== want.replicaIdentity || cur.identityIndex !== want.identityIndex
        : want.replicaIdentity !== "d";
      if (identityDiffers && !this.post)
        late.push({
          sql: sql.replicaIdentity(want.schema, want.name, want.replicaIdentity, want.identityIndex),
          what: `set replica identity of ${key}`,
          table: key,
        });
    }
    for (const s of late)
      this.step(s.sql, s.what, {
        ...(s.table ? { table: s.table } : {}),
        ...(s.parallel ? { parallel: s.parallel } : {}),
      });
    return this.out;
  }

  private planExtensions(): void {
    const target = this.opts.target ?? {
      installed: this.desired.extensions.map((e) => e.name),
      available: [],
    };
    for (const ext of this.desired.extensions) {
      if (target.installed.includes(ext.name)) continue;
      if (!target.available.includes(ext.name))
        this.out.blockers.push(
          `extension ${ext.name} (needed by a column type or index) is not available on the target: install its package on the replica's server`,
        );
      else {
        this.ensureSchema(ext.schema);
        this.step(sql.createExtension(ext.name, ext.schema), `create extension ${ext.name}`);
      }
    }
  }

  private planCollations(): void {
    const have = new Set((this.actual.collations ?? []).map((c) => c.name));
    for (const c of this.desired.collations ?? []) {
      if (have.has(c.name)) continue;
      this.ensureSchema(c.schema);
      this.step(sql.createCollation(c), `create collation ${c.name}`);
    }
  }

  private planTypes(): void {
    const have = new Map(this.actual.types.map((t) => [t.name, t]));
    for (const t of this.desired.types) {
      const cur = have.get(t.name);
      if (!cur) {
        this.step(createType(t), `create ${t.kind === "composite" ? "type" : t.kind} ${t.name}`);
        continue;
      }
      if (t.kind === "enum" && cur.kind === "enum") {
        const labels = cur.labels ?? [];
        const wanted = t.labels ?? [];
        wanted.forEach((label, i) => {
          if (!labels.includes(label))
            this.step(
              sql.addEnumValue(t.name, label, i > 0 ? wanted[i - 1] : undefined),
              `add value ${label} to ${t.name}`,
            );
        });
        for (const label of labels)
          if (!wanted.includes(label))
            this.destructive(
              undefined,
              `enum ${t.name} lost value ${label} on the source (PostgreSQL cannot drop enum values)`,
            );
      } else if (!sameValue(t, cur))
        // An existing type (another SchemaSync's, or made by hand) with the same name is reused when
        // it says the same; another definition is a destructive difference.
        this.destructive(
          undefined,
          `type ${t.name} on the target differs from the source's; recreate it by hand`,
        );
    }
  }

  private createTable(
    want: TableDefinition,
    created: Set<string>,
    inlined: Set<string>,
    late: PlanStep[],
  ): void {
    const key = tableKey(want);
    this.ensureSchema(want.schema);
    const applied = this.opts.applied?.[key];
    if (applied !== undefined)
      this.out.recopy.push({
        table: key,
        reason: "the table was dropped on the replica; it is created again, empty",
      });
    // Fewer, cheaper statements than pg_dump: serial columns instead of sequence + default +
    // ownership, and constraints inside CREATE TABLE (a new table needs no validation scan).
    const serials = new Set(want.sequences.filter((q) => q.serial).map((q) => q.column));
    for (const seq of want.sequences.filter((q) => !q.serial)) {
      this.step(
        sql.createSequence(seq.schema, seq.name, seq.type),
        `create sequence ${seq.schema}.${seq.name}`,
        { table: key },
      );
      late.push({
        sql: sql.sequenceOwnedBy(seq.schema, seq.name, want.schema, want.name, seq.column),
        what: `attach sequence ${seq.name}`,
        table: key,
      });
    }
    const virtual = want.columns.filter((c) => c.virtual);
    if (virtual.length > 0 && this.opts.target?.version !== undefined && this.opts.target.version < 180000)
      this.out.blockers.push(
        `${key} has VIRTUAL generated column(s) ${virtual.map((c) => c.name).join(", ")}, which need PostgreSQL 18 on the target: upgrade the replica, or make them STORED on the source`,
      );
    if (want.partitionOf) {
      const p = want.partitionOf;
      this.step(
        sql.createPartition(want.schema, want.name, p.schema, p.name, p.bound),
        `create partition ${key} of ${p.schema}.${p.name}`,
        {
          table: key,
        },
      );
      return;
    }
    const columns = want.columns.map((c) => (serials.has(c.name) ? sql.serialColumn(c) : c));
    for (const [name, con] of Object.entries(want.constraints)) {
      if (/ NOT VALID$/.test(con.definition)) continue;
      const ref = con.type === "f" ? referencedTable(con.definition) : undefined;
      if (ref === undefined || ref === key || created.has(ref)) inlined.add(name);
    }
    const inline = Object.entries(want.constraints)
      .filter(([name]) => inlined.has(name))
      .map(([name, con]) => ({ name, definition: con.definition }));
    this.step(
      sql.createTable(want.schema, want.name, columns, inline, want.partitionKey),
      `create table ${key} (${want.columns.length} columns, ${inline.length} constraints)`,
      { table: key },
    );
    for (const c of want.columns)
      for (const s of sql.columnSettings(want.schema, want.name, c))
        this.step(s, `set storage or statistics of ${key}.${c.name}`, { table: key });
  }

  private planColumns(want: TableDefinition, cur: TableDefinition): void {
    const key = tableKey(want);
    const cols = new Map(cur.columns.map((c) => [c.name, c]));
    const applied = this.opts.applied?.[key];
    for (const c of want.columns) {
      const old = cols.get(c.name);
      if (!old) {
        // A column the source had at the last apply was dropped on the replica: its values are gone.
        if (applied !== undefined && c.attnum !== undefined && c.attnum <= applied)
          this.emptyForRecopy(key, c.name);
        this.step(sql.addColumn(want.schema, want.name, c), `add column ${key}.${c.name} ${c.type}`, {
          table: key,
        });
        for (const s of sql.columnSettings(want.schema, want.name, c))
          this.step(s, `set storage or statistics of ${key}.${c.name}`, { table: key });
        continue;
      }
      if (old.type !== c.type) {
        const s = sql.alterColumnType(want.schema, want.name, c.name, c.type);
        if (isWidening(old.type, c.type))
          this.step(s, `widen ${key}.${c.name} from ${old.type} to ${c.type}`, { table: key });
        else this.destructive(s, `change type of ${key}.${c.name} from ${old.type} to ${c.type}`, key);
      }
      if ((old.default ?? null) !== (c.default ?? null) && !c.identity && c.generated === undefined)
        this.step(
          sql.setColumnDefault(want.schema, want.name, c.name, c.default),
          `set default of ${key}.${c.name}`,
          { table: key },
        );
      if (old.notNull !== c.notNull)
        this.step(
          sql.setColumnNotNull(want.schema, want.name, c.name, c.notNull),
          `${c.notNull ? "set" : "drop"} not null on ${key}.${c.name}`,
          { table: key },
        );
      if (
        (old.identityOptions ?? "") !== (c.identityOptions ?? "") ||
        (old.virtual ?? false) !== (c.virtual ?? false)
      )
        this.destructive(
          undefined,
          `the identity or generation of ${key}.${c.name} differs from the source's; recreate the column by hand`,
          key,
        );
      if ((old.compression ?? "") !== (c.compression ?? ""))
        this.step(
          sql.setColumnCompression(want.schema, want.name, c.name, c.compression),
          `set compression of ${key}.${c.name}`,
          { table: key },
        );
      if (
        (c.storage !== undefined && old.storage !== c.storage) ||
        (old.statistics ?? -1) !== (c.statistics ?? -1)
      )
        for (const s of sql.columnSettings(want.schema, want.name, { ...c, statistics: c.statistics ?? -1 }))
          this.step(s, `set storage or statistics of ${key}.${c.name}`, { table: key });
    }
    const wanted = new Set(want.columns.map((c) => c.name));
    for (const c of cur.columns)
      if (!wanted.has(c.name))
        this.destructive(sql.dropColumn(want.schema, want.name, c.name), `drop column ${key}.${c.name}`, key);
    for (const [name, con] of Object.entries(cur.constraints)) {
      const w = want.constraints[name];
      if (w && w.definition !== con.definition)
        this.step(
          sql.dropConstraint(want.schema, want.name, name),
          `drop constraint ${name} on ${key}: its definition differs`,
          {
            table: key,
          },
        );
    }
  }

  private emptied = false;

  /**
   * A column re-added loses its values (NULLs where the primary has data, or NOT NULL fails): the
   * copied tables are emptied, in one statement (foreign keys among them hold), and a dependent
   * Subscription copies them again in the same `up`.
   */
  private emptyForRecopy(key: string, column: string): void {
    if (this.emptied) {
      if (!this.out.recopy.some((r) => r.table === key))
        this.out.recopy.push({ table: key, reason: `column ${column} was dropped on the replica` });
      return;
    }
    this.emptied = true;
    const existing = this.actual.tables.filter((t) =>
      this.desired.tables.some((d) => tableKey(d) === tableKey(t)),
    );
    this.step(
      sql.truncateTables(existing),
      `empty ${existing.map(tableKey).join(", ")} for their re-copy: column ${column} of ${key} was dropped on the replica`,
      { table: key },
    );
    for (const t of existing)
      this.out.recopy.push({
        table: tableKey(t),
        reason:
          tableKey(t) === key
            ? `column ${column} was dropped on the replica; it is added again and the table emptied for its re-copy`
            : `emptied with ${key} (column ${column} was dropped on the replica) for their re-copy`,
      });
  }

  /** Indexes and constraints only the replica has are kept (an analytics replica's own indexes). */
  private keepReplicaOnly(want: TableDefinition, cur: TableDefinition): void {
    const key = tableKey(want);
    for (const name of Object.keys(cur.indexes))
      if (!(name in want.indexes)) this.out.kept.push(`index ${name} on ${key}`);
    for (const name of Object.keys(cur.constraints))
      if (!(name in want.constraints)) this.out.kept.push(`constraint ${name} on ${key}`);
  }

  private planConstraints(
    want: TableDefinition,
    cur: TableDefinition | undefined,
    copied: Set<string>,
    inlined: Set<string>,
    late: PlanStep[],
  ): void {
    const key = tableKey(want);
    for (const [name, con] of Object.entries(want.constraints)) {
      if (inlined.has(name)) continue;
      if (cur && cur.constraints[name]?.definition === con.definition) continue;
      const add = sql.addConstraint(want.schema, want.name, name, con.definition);
      if (con.type !== "f") {
        this.step(add, `add constraint ${name} on ${key}`, {
          table: key,
          ...(con.type === "u" || con.type === "x" ? { parallel: "index" as const } : {}),
        });
        continue;
      }
      const ref = referencedTable(con.definition);
      if (ref !== undefined && !copied.has(ref))
        this.out.summary.push(
          `skip foreign key ${name} on ${key}: it references ${ref}, which is not copied`,
        );
      else if (this.post && !/ NOT VALID$/.test(con.definition)) {
        // On tables that already hold the copied rows: add without a scan, then validate in parallel.
        late.push({
          sql: sql.addConstraint(want.schema, want.name, name, con.definition, true),
          what: `add foreign key ${name} on ${key} (NOT VALID)`,
          table: key,
          parallel: "fk",
        });
        late.push({
          sql: sql.validateConstraint(want.schema, want.name, name),
          what: `validate foreign key ${name} on ${key}`,
          table: key,
          parallel: "validate",
        });
      } else late.push({ sql: add, what: `add foreign key ${name} on ${key}`, table: key });
    }
  }
}

function createType(t: TypeDefinition): string {
  if (t.kind === "enum") return sql.createEnum(t.name, t.labels ?? []);
  if (t.kind === "domain") return sql.createDomain(t.name, { base: t.base!, ...t });
  if (t.kind === "composite") return sql.createComposite(t.name, t.attributes ?? []);
  return sql.createRange(t.name, t.subtype!);
}

/** "schema.name" of the table a FOREIGN KEY definition references. */
export function referencedTable(definition: string): string | undefined {
  const ref = /REFERENCES ((?:"(?:[^"]|"")*"|[^".(\s]+)\.(?:"(?:[^"]|"")*"|[^".(\s]+))/.exec(definition);
  return ref ? unquoteQualified(ref[1]!) : undefined;
}

function unquoteQualified(text: string): string {
  const parts = text.match(/"(?:[^"]|"")*"|[^".]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p)).join(".");
}
