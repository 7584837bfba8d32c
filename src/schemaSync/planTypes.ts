// The plan's first part: the extensions, collations and user-defined types the copied tables
// need, created on the target where missing (a type another SchemaSync made is reused when it says
// the same). Pure.

import { sameValue } from "../kernel/values";
import type { PlanBuilder } from "./planBuilder";
import type { TypeDefinition } from "./snapshot";
import * as sql from "./sql";

export function planTypes(b: PlanBuilder): void {
  planExtensions(b);
  planCollations(b);
  for (const t of b.desired.types)
    if (!b.actual.types.some((a) => a.name === t.name)) b.ensureSchema(t.schema);
  const have = new Map(b.actual.types.map((t) => [t.name, t]));
  for (const t of b.desired.types) {
    const cur = have.get(t.name);
    if (!cur) b.step(createType(t), `create ${t.kind === "composite" ? "type" : t.kind} ${t.name}`);
    else if (t.kind === "enum" && cur.kind === "enum") planEnum(b, t, cur);
    else if (!sameValue(t, cur))
      // An existing type (another SchemaSync's, or made by hand) with the same name is reused when
      // it says the same; another definition is a destructive difference.
      b.destructive(undefined, `type ${t.name} on the target differs from the source's; recreate it by hand`);
  }
}

function planExtensions(b: PlanBuilder): void {
  const target = b.opts.target ?? { installed: b.desired.extensions.map((e) => e.name), available: [] };
  for (const ext of b.desired.extensions) {
    if (target.installed.includes(ext.name)) continue;
    if (!target.available.includes(ext.name))
      b.out.blockers.push(
        `extension ${ext.name} (needed by a column type or index) is not available on the target: install its package on the replica's server`,
      );
    else {
      b.ensureSchema(ext.schema);
      b.step(sql.createExtension(ext.name, ext.schema), `create extension ${ext.name}`);
    }
  }
}

function planCollations(b: PlanBuilder): void {
  const have = new Set((b.actual.collations ?? []).map((c) => c.name));
  for (const c of b.desired.collations ?? []) {
    if (have.has(c.name)) continue;
    b.ensureSchema(c.schema);
    b.step(sql.createCollation(c), `create collation ${c.name}`);
  }
}

/**
 * A label the source renamed (ALTER TYPE … RENAME VALUE: its rows read the new name there) is
 * renamed here too, so the replica's rows read it as well; new labels go where the source has them;
 * a label the source lacks otherwise cannot be dropped here.
 */
function planEnum(b: PlanBuilder, t: TypeDefinition, cur: TypeDefinition): void {
  const wanted = t.labels ?? [];
  const labels = [...(cur.labels ?? [])];
  for (const [from, to] of renamedLabels(labels, wanted)) {
    b.step(
      sql.renameEnumValue(t.name, from, to),
      `rename value ${from} of ${t.name} to ${to} (renamed on the source; its rows follow)`,
    );
    labels[labels.indexOf(from)] = to;
  }
  wanted.forEach((label, i) => {
    if (!labels.includes(label))
      b.step(
        sql.addEnumValue(t.name, label, i > 0 ? wanted[i - 1] : undefined),
        `add value ${label} to ${t.name}`,
      );
  });
  for (const label of labels)
    if (!wanted.includes(label))
      b.destructive(
        undefined,
        `enum ${t.name} lost value ${label} on the source (PostgreSQL cannot drop enum values)`,
      );
}

/**
 * Labels the source renamed: where, between the same labels both sides have (PostgreSQL never
 * reorders them), the replica has exactly one label the source lacks and the source exactly one
 * the replica lacks.
 */
function renamedLabels(labels: readonly string[], wanted: readonly string[]): [string, string][] {
  const slots = (list: readonly string[], other: readonly string[]) => {
    const out = new Map<number, string[]>();
    let common = 0;
    for (const label of list)
      if (other.includes(label)) common++;
      else out.set(common, [...(out.get(common) ?? []), label]);
    return out;
  };
  const extra = slots(labels, wanted);
  const missing = slots(wanted, labels);
  const pairs: [string, string][] = [];
  for (const [slot, [from, ...more]] of extra) {
    const to = missing.get(slot);
    if (from !== undefined && more.length === 0 && to?.length === 1) pairs.push([from, to[0]!]);
  }
  return pairs;
}

function createType(t: TypeDefinition): string {
  if (t.kind === "enum") return sql.createEnum(t.name, t.labels ?? []);
  if (t.kind === "domain") return sql.createDomain(t.name, { base: t.base!, ...t });
  if (t.kind === "composite") return sql.createComposite(t.name, t.attributes ?? []);
  return sql.createRange(t.name, t.subtype!);
}
