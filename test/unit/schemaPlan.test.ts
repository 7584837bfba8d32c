import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TableDefinition } from "../../src/catalog";
import { isWidening, planSchema } from "../../src/schemaPlan";

const users = (extra: Partial<TableDefinition> = {}): TableDefinition => ({
  schema: "public",
  name: "users",
  columns: [
    { name: "id", type: "bigint", notNull: true },
    { name: "email", type: "text", notNull: true },
  ],
  constraints: { users_pkey: { type: "p", definition: "PRIMARY KEY (id)" } },
  indexes: {},
  sequences: [],
  replicaIdentity: "d",
  ...extra,
});

describe("schema plan", () => {
  it("creates a missing table, then its constraints", () => {
    const plan = planSchema([users()], [], false);
    assert.deepEqual(plan.statements, [
      'CREATE SCHEMA IF NOT EXISTS "public"',
      'CREATE TABLE "public"."users" ("id" bigint NOT NULL, "email" text NOT NULL)',
      'ALTER TABLE "public"."users" ADD CONSTRAINT "users_pkey" PRIMARY KEY (id)',
    ]);
    assert.deepEqual(plan.destructive, []);
  });
  it("does nothing when the target matches", () =>
    assert.deepEqual(planSchema([users()], [users()], false).statements, []));
  it("adds a new column in place", () => {
    const wanted = users({ columns: [...users().columns, { name: "age", type: "integer", notNull: false }] });
    assert.deepEqual(planSchema([wanted], [users()], false).statements, [
      'ALTER TABLE "public"."users" ADD COLUMN "age" integer',
    ]);
  });
  it("refuses to drop a column unless destructive changes are allowed", () => {
    const narrower = users({ columns: [users().columns[0]!] });
    const refused = planSchema([narrower], [users()], false);
    assert.deepEqual(refused.destructive, ["drop column public.users.email"]);
    assert.deepEqual(refused.statements, []);
    assert.deepEqual(planSchema([narrower], [users()], true).statements, [
      'ALTER TABLE "public"."users" DROP COLUMN "email"',
    ]);
  });
  it("widens types in place and treats narrowing as destructive", () => {
    assert.ok(isWidening("integer", "bigint"));
    assert.ok(isWidening("character varying(10)", "character varying(20)"));
    assert.ok(isWidening("character varying(10)", "text"));
    assert.ok(isWidening("numeric(10,2)", "numeric(12,2)"));
    assert.ok(!isWidening("bigint", "integer"));
    assert.ok(!isWidening("character varying(20)", "character varying(10)"));
    assert.ok(!isWidening("text", "integer"));
  });
  it("skips a foreign key to a table that is not copied, and says so", () => {
    const posts = users({
      name: "posts",
      constraints: {
        posts_author_fkey: { type: "f", definition: "FOREIGN KEY (id) REFERENCES public.authors(id)" },
      },
    });
    const plan = planSchema([posts], [], false);
    assert.ok(plan.summary.some((s) => s.includes("skip foreign key posts_author_fkey")));
    assert.ok(!plan.statements.some((s) => s.includes("FOREIGN KEY")));
  });
});
