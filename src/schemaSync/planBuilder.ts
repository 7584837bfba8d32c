// A schema plan's shape, and the builder every part of the planner adds its steps to (plan.ts
// drives it table by table). Pure.

import type { TableStakes } from "../pg/emptying";
import { tableId, type TableName } from "../pg/tables";
import type { RelationName } from "./catalog";
import type { SchemaSnapshot } from "./snapshot";
import * as sql from "./sql";

/** One statement of a plan. */
export interface PlanStep {
  sql: string;
  /** What it does, one readable line (for logs and previews). */
  what: string;
  /** The table it changes, if any. */
  table?: TableName;
  /**
   * Post-data statements a SchemaSync of section "post-data" runs after the copy, on parallel
   * connections: "index" (indexes and the constraints that build one), "fk" (foreign keys, added
   * NOT VALID, one after the other), "validate" (their validation).
   */
  parallel?: "index" | "fk" | "validate";
}

export interface SchemaPlan {
  steps: PlanStep[];
  /** What is left undone on purpose, one line each (a foreign key to a table that is not copied). */
  notes: string[];
  /** Changes that lose data or cannot be made in place; in `steps` only when allowed. */
  destructive: string[];
  /** Problems no option fixes (an extension the target cannot install). */
  blockers: string[];
  /**
   * Post-data: tables the pre-data SchemaSync has not created yet. A preview of a first `up` plans
   * their indexes and constraints as if they existed (the pre-data runs first); an apply refuses.
   */
  awaiting: TableName[];
  /** Objects only the replica has (indexes, constraints): kept. */
  kept: string[];
  /** Tables that held replicated rows this change cannot restore (re-created, or a column re-added). */
  recopy: (TableName & { reason: string })[];
}

export interface PlanOptions {
  allowDestructive: boolean;
  /** Extensions the target has installed, and those it could install. */
  target?: { installed: string[]; available: string[]; version?: number };
  /** Per table (by tableId), the highest column number the source had when it was last applied (state). */
  applied?: ReadonlyMap<string, number>;
  /** "post-data": foreign keys NOT VALID, then validated (the tables hold rows by then). */
  section?: "all" | "pre-data" | "post-data";
  /** Who else has a stake in the copied tables' rows on the target (see pg/emptying.ts). */
  stakes?: readonly TableStakes[];
  /** The relation names the target's schemas hold already (a name the copy creates must be free). */
  relations?: readonly RelationName[];
  /** Retyped columns whose values the source changed with their type (retyped.ts, retypedKey). */
  retyped?: ReadonlySet<string>;
  /** Subscriptions of the target that fill copied tables from another server than the source (feeders.ts). */
  otherSources?: ReadonlySet<string>;
  /** The replica's own columns, by tableId (replicaOwnColumns): kept, never dropped. */
  own?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The plan being built, and what every part of the planner needs to add to it. */
export class PlanBuilder {
  readonly out: SchemaPlan = {
    steps: [],
    notes: [],
    destructive: [],
    blockers: [],
    awaiting: [],
    kept: [],
    recopy: [],
  };
  /** Foreign keys, sequence ownership, replica identity: added once every table exists. */
  readonly late: PlanStep[] = [];
  private readonly schemas: Set<string>;
  /** Whether the copied tables were emptied already (one TRUNCATE for all of them). */
  emptied = false;
  /** Sequences (JSON [schema, name]) the target has, or the plan creates by now. */
  private readonly sequences = new Set<string>();
  /** Relation names in use on the target, by schema and name, with what holds them. */
  private readonly taken = new Map<string, string>();
  /** The subscriptions writing into each target table (tableId), from the stakes: see feeders(). */
  private fedBy?: Map<string, readonly string[]>;

  constructor(
    readonly desired: SchemaSnapshot,
    readonly actual: SchemaSnapshot,
    readonly opts: PlanOptions,
  ) {
    this.schemas = new Set(actual.tables.map((t) => t.schema));
    const kinds: Record<string, string> = {
      i: "index",
      I: "index",
      S: "sequence",
      v: "view",
      m: "materialized view",
    };
    for (const r of opts.relations ?? []) if (r.kind === "S") this.sequenceMade(r);
    for (const r of opts.relations ?? [])
      this.taken.set(
        JSON.stringify([r.schema, r.name]),
        r.table !== undefined
          ? `index ${r.name} of table ${r.schema}.${r.table}`
          : `${kinds[r.kind] ?? "table"} ${r.schema}.${r.name}`,
      );
  }

  /** The subscriptions of the target that write into `table` (its stakes, by table, built once). */
  feeders(table: TableName): readonly string[] {
    this.fedBy ??= new Map((this.opts.stakes ?? []).map((t) => [tableId(t), t.fedBy]));
    return this.fedBy.get(tableId(table)) ?? [];
  }

  /**
   * The plan creates a relation named `name` in `schema` (a table, an index, the index of a primary
   * key or unique constraint, a sequence): a name another relation holds on the target is a
   * blocker found now, not an error half-way through `up`.
   */
  claim(schema: string, name: string, what: string): void {
    const key = JSON.stringify([schema, name]);
    const holder = this.taken.get(key);
    if (holder !== undefined)
      this.out.blockers.push(
        `${what} needs the name ${JSON.stringify(name)} in schema ${JSON.stringify(schema)}, which ${holder} holds on the target: rename or drop that by hand (if the source renamed a table, rename the replica's the same way), then run up again`,
      );
    this.taken.set(key, what);
  }

  /** Whether the target has sequence `q`, or the plan creates it by now. */
  hasSequence(q: { schema: string; name: string }): boolean {
    return this.sequences.has(JSON.stringify([q.schema, q.name]));
  }

  /** Sequence `q` exists from here on in the plan. */
  sequenceMade(q: { schema: string; name: string }): void {
    this.sequences.add(JSON.stringify([q.schema, q.name]));
  }

  /** A relation renamed (or dropped) in the plan frees its old name. */
  release(schema: string, name: string): void {
    this.taken.delete(JSON.stringify([schema, name]));
  }

  get post(): boolean {
    return this.opts.section === "post-data";
  }

  step(sqlText: string, what: string, extra: Omit<PlanStep, "sql" | "what"> = {}): void {
    this.out.steps.push({ sql: sqlText, what, ...extra });
  }

  /** A change that loses data: in the plan only when allowed, always listed. */
  destructive(sqlText: string | undefined, what: string, table?: TableName): void {
    this.out.destructive.push(what);
    if (this.opts.allowDestructive && sqlText) this.step(sqlText, what, table ? { table } : {});
  }

  ensureSchema(schema: string): void {
    if (this.schemas.has(schema)) return;
    this.step(sql.createSchema(schema), `create schema ${schema} if missing`);
    this.schemas.add(schema);
  }
}
