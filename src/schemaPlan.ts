// The smallest change that makes the target's tables match the source's, as DDL in order, plus the
// destructive differences that are refused unless `allowDestructive` is set. Pure.

import type { TableDefinition } from "./catalog";
import * as sql from "./sql";
import { tableKey } from "./tables";

export interface SchemaPlan {
  /** DDL in the order it must run (one transaction). */
  statements: string[];
  /** What the statements do, one readable line each (for logs and previews). */
  summary: string[];
  /** Changes that lose data or narrow a type; present in `statements` only when allowed. */
  destructive: string[];
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
  desired: readonly TableDefinition[],
  actual: readonly TableDefinition[],
  allowDestructive: boolean,
): SchemaPlan {
  const plan: SchemaPlan = { statements: [], summary: [], destructive: [] };
  const have = new Map(actual.map((t) => [tableKey(t), t]));
  const copied = new Set(desired.map(tableKey));
  const late: string[] = []; // foreign keys and sequence ownership, once every table exists
  const schemas = new Set(actual.map((t) => t.schema));
  const step = (statement: string, what: string) => {
    plan.statements.push(statement);
    plan.summary.push(what);
  };
  const destructive = (statement: string, what: string) => {
    plan.destructive.push(what);
    if (allowDestructive) step(statement, what);
  };

  for (const want of desired) {
    const key = tableKey(want);
    const cur = have.get(key);
    if (!cur) {
      if (!schemas.has(want.schema)) {
        step(sql.createSchema(want.schema), `create schema ${want.schema} if missing`);
        schemas.add(want.schema);
      }
      for (const seq of want.sequences)
        step(sql.createSequence(seq.schema, seq.name, seq.type), `create sequence ${seq.schema}.${seq.name}`);
      let create = sql.createTable(want.schema, want.name, want.columns);
      if (want.partitionKey) create += ` PARTITION BY ${want.partitionKey}`;
      step(create, `create table ${key} (${want.columns.length} columns)`);
      for (const seq of want.sequences)
        late.push(sql.sequenceOwnedBy(seq.schema, seq.name, want.schema, want.name, seq.column));
    } else {
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
      for (const [name, con] of Object.entries(cur.constraints)) {
        const target = want.constraints[name];
        if (!target || target.definition !== con.definition)
          step(sql.dropConstraint(want.schema, want.name, name), `drop constraint ${name} on ${key}`);
      }
      for (const [name, def] of Object.entries(cur.indexes))
        if (want.indexes[name] !== def)
          step(`DROP INDEX ${sql.qualified(want.schema, name)}`, `drop index ${name}`);
    }
    for (const [name, con] of Object.entries(want.constraints)) {
      if (cur && cur.constraints[name]?.definition === con.definition) continue;
      if (con.type === "f") {
        const ref = /REFERENCES ((?:"(?:[^"]|"")*"|[^".(\s]+)\.(?:"(?:[^"]|"")*"|[^".(\s]+))/.exec(
          con.definition,
        );
        if (ref && !copied.has(unquoteQualified(ref[1]!))) {
          plan.summary.push(
            `skip foreign key ${name} on ${key}: it references ${ref[1]}, which is not copied`,
          );
          continue;
        }
        late.push(sql.addConstraint(want.schema, want.name, name, con.definition));
      } else
        step(
          sql.addConstraint(want.schema, want.name, name, con.definition),
          `add constraint ${name} on ${key}`,
        );
    }
    for (const [name, def] of Object.entries(want.indexes))
      if (cur?.indexes[name] !== def) step(def, `create index ${name}`);
  }
  for (const s of late)
    step(s, s.startsWith("ALTER SEQUENCE") ? "attach sequence to its column" : "add foreign key");
  return plan;
}

function unquoteQualified(text: string): string {
  const parts = text.match(/"(?:[^"]|"")*"|[^".]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p)).join(".");
}
