import { tableId } from "../../../src/pg/tables";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SchemaSnapshot, TableDefinition } from "../../../src/schemaSync/snapshot";
import {
  lastChanges,
  LAST_CHANGES_KEPT,
  planSchema,
  statements,
  summary,
} from "../../../src/schemaSync/plan";
import { isWidening } from "../../../src/schemaSync/widening";
import { pendingRetypes, retypedKey } from "../../../src/schemaSync/retyped";
import { pendingOf } from "../../../src/schemaSync/observe";
import { plainPublished, projectColumns } from "../../../src/schemaSync/section";

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

const snap = (...tables: TableDefinition[]): SchemaSnapshot => ({ extensions: [], types: [], tables });

describe("schema plan", () => {
  it("keeps lastChanges short with thousands of tables: the first lines and a count of the rest", () => {
    const few = planSchema(snap(users()), snap(), { allowDestructive: false });
    assert.deepEqual(lastChanges(few), summary(few));
    const many = planSchema(
      snap(...Array.from({ length: 300 }, (_, i) => users({ name: `t${i}` }))),
      snap(),
      { allowDestructive: false },
    );
    const all = summary(many);
    assert.ok(all.length > LAST_CHANGES_KEPT);
    assert.deepEqual(lastChanges(many), [
      ...all.slice(0, LAST_CHANGES_KEPT),
      `… and ${all.length - LAST_CHANGES_KEPT} more (${all.length} in all)`,
    ]);
  });
  it("refuses to empty a table for its re-copy when a table of the replica's own references it", () => {
    const withName = users({
      columns: [...users().columns, { name: "name", type: "text", notNull: false, attnum: 3 }],
    });
    // The last apply had made it (attnum 3 of the source then).
    const applied = new Map([[tableId(withName), 3]]);
    const stake = (referencedBy: { schema: string; name: string }[]) => ({
      schema: "public",
      name: "users",
      publishedBy: [],
      fedBy: [],
      referencedBy,
    });
    // The column dropped on the replica: added back empty, so the table is emptied for its re-copy.
    const alone = planSchema(snap(withName), snap(users()), {
      allowDestructive: false,
      applied,
      stakes: [stake([])],
    });
    assert.deepEqual(alone.blockers, []);
    assert.ok(alone.recopy.length > 0, "a re-copy");
    const referenced = planSchema(snap(withName), snap(users()), {
      allowDestructive: false,
      applied,
      stakes: [stake([{ schema: "local", name: "notes" }])],
    });
    assert.match(
      referenced.blockers.join("\n"),
      /column name of public\.users was dropped on the replica.*"local\.notes" on the replica has a foreign key to "public\.users"/,
    );
    assert.deepEqual(referenced.recopy, []);
  });
  it("drops a column the source lacks only where the one subscription filling the table streams from this source", () => {
    const withTier = users({
      columns: [...users().columns, { name: "tier", type: "text", notNull: false, attnum: 3 }],
    });
    const fedBy = (...subs: string[]) => [
      { schema: "public", name: "users", publishedBy: [], fedBy: subs, referencedBy: [] },
    ];
    const plan = (subs: string[], otherSources?: Set<string>) =>
      planSchema(snap(users()), snap(withTier), {
        allowDestructive: false,
        stakes: fedBy(...subs),
        ...(otherSources ? { otherSources } : {}),
      });
    // This source's own subscription (or none): the column is the source's to drop (destructive).
    assert.deepEqual(plan(["mine"]).destructive, ["drop column public.users.tier"]);
    assert.deepEqual(plan([]).destructive, ["drop column public.users.tier"]);
    // Another server's subscription alone (this source's not made yet), or two of them: kept.
    const other = plan(["shard1"], new Set(["shard1"]));
    assert.deepEqual([other.destructive, other.steps], [[], []]);
    assert.match(
      other.kept.join("\n"),
      /column public\.users\.tier, which this source lacks: subscription "shard1" fills the table from another server/,
    );
    assert.deepEqual(plan(["shard1", "mine"]).destructive, []);
  });
  describe("a column the source added to a table the replica holds rows of", () => {
    const stake = (extra: { fedBy?: string[]; publishedBy?: string[] } = {}) => ({
      schema: "public",
      name: "users",
      publishedBy: extra.publishedBy ?? [],
      fedBy: extra.fedBy ?? ["sub"],
      referencedBy: [],
    });
    const added = (c: Partial<TableDefinition["columns"][number]>) =>
      users({ columns: [...users().columns, { name: "c", type: "text", notNull: false, attnum: 3, ...c }] });
    const plan = (c: Partial<TableDefinition["columns"][number]>, s = stake()) =>
      planSchema(snap(added(c)), snap(users()), {
        allowDestructive: false,
        applied: new Map([[tableId(users()), 2]]),
        stakes: [s],
      });

    it("gives the older rows the value the source kept for them, then the source's current default", () => {
      const p = plan({ default: "'now'::text", notNull: true, olderRows: { value: "it's \\ {x}" } });
      assert.deepEqual(statements(p), [
        `ALTER TABLE "public"."users" ADD COLUMN "c" text DEFAULT E'it''s \\\\ {x}'::text NOT NULL`,
        `ALTER TABLE "public"."users" ALTER COLUMN "c" SET DEFAULT 'now'::text`,
      ]);
      assert.deepEqual(p.recopy, []);
      // Its default dropped since: the kept value, then no default.
      assert.match(
        statements(plan({ olderRows: { value: "5" } })).join("\n"),
        /DEFAULT '5'::text\n.*DROP DEFAULT$/,
      );
    });
    it("adds a column without a default and without a kept value as NULL, with no re-copy", () => {
      const p = plan({});
      assert.deepEqual(statements(p), [`ALTER TABLE "public"."users" ADD COLUMN "c" text`]);
      assert.deepEqual(p.recopy, []);
      // A default that is not volatile, set after the column was added: the older rows NULL.
      assert.deepEqual(statements(plan({ default: "'x'::text" })), [
        `ALTER TABLE "public"."users" ADD COLUMN "c" text`,
        `ALTER TABLE "public"."users" ALTER COLUMN "c" SET DEFAULT 'x'::text`,
      ]);
    });
    it("empties the copied tables for a re-copy where the source wrote the values row by row", () => {
      for (const c of [
        // A volatile default, as the catalog read marks it.
        { default: "gen_random_uuid()", olderRows: { unknown: true as const } },
        { default: "nextval('public.users_c_seq'::regclass)" },
        { identity: "a" as const, notNull: true },
        { notNull: true },
        { olderRows: { unknown: true as const } },
      ]) {
        const p = plan(c);
        assert.equal(statements(p)[0], 'TRUNCATE "public"."users"', JSON.stringify(c));
        assert.deepEqual(
          p.recopy.map((r) => r.reason),
          [
            "column c was added on the source with values written row by row; the table is emptied for its re-copy",
          ],
        );
      }
      // A generated column the replica computes itself needs nothing.
      assert.deepEqual(plan({ generated: "(email || 'x')" }).recopy, []);
    });
    it("refuses where the replica's rows are not only the primary's, and leaves a table no subscription fills alone", () => {
      const p = plan({ default: "random()", olderRows: { unknown: true } }, stake({ publishedBy: ["back"] }));
      assert.match(
        p.blockers.join("\n"),
        /column c of public\.users was added on the source, which wrote its value row by row.*the replica publishes "public\.users" itself.*Add the column on the replica by hand and give its rows the primary's values/,
      );
      assert.deepEqual(p.recopy, []);
      const alone = plan({ default: "random()", olderRows: { unknown: true } }, stake({ fedBy: [] }));
      assert.deepEqual(statements(alone), [
        `ALTER TABLE "public"."users" ADD COLUMN "c" text DEFAULT random()`,
      ]);
      assert.match(alone.notes.join("\n"), /no subscription writes into public\.users on the replica/);
    });
    it("re-copies where the source's column is newer than the last apply but the replica has one of its name", () => {
      const again = planSchema(snap(added({ attnum: 4, default: "'x'::text" })), snap(added({ attnum: 3 })), {
        allowDestructive: false,
        applied: new Map([[tableId(users()), 3]]),
        stakes: [stake()],
      });
      assert.equal(statements(again)[0], 'TRUNCATE "public"."users"');
      assert.deepEqual(
        again.recopy.map((r) => r.reason),
        ["column c was added again on the source; the table is emptied for its re-copy"],
      );
      // The same column as at the last apply: nothing to re-copy.
      const same = planSchema(snap(added({ attnum: 3 })), snap(added({ attnum: 3 })), {
        allowDestructive: false,
        applied: new Map([[tableId(users()), 3]]),
        stakes: [stake()],
      });
      assert.deepEqual([statements(same), same.recopy], [[], []]);
    });
    it("creates the sequence of a serial column added to an existing table before the column", () => {
      const p = planSchema(
        snap(
          users({
            columns: [
              ...users().columns,
              {
                name: "n",
                type: "bigint",
                notNull: true,
                attnum: 3,
                default: "nextval('public.users_n_seq'::regclass)",
              },
            ],
            sequences: [{ schema: "public", name: "users_n_seq", type: "bigint", column: "n", serial: true }],
          }),
        ),
        snap(users()),
        { allowDestructive: false, stakes: [stake({ fedBy: [] })] },
      );
      assert.deepEqual(statements(p), [
        'CREATE SEQUENCE IF NOT EXISTS "public"."users_n_seq" AS bigint',
        `ALTER TABLE "public"."users" ADD COLUMN "n" bigint DEFAULT nextval('public.users_n_seq'::regclass) NOT NULL`,
        'ALTER SEQUENCE "public"."users_n_seq" OWNED BY "public"."users"."n"',
      ]);
    });
  });
  describe("a column the source changed the type of", () => {
    const withName = (type: string) =>
      users({ columns: [...users().columns, { name: "name", type, notNull: false }] });
    const fed = { schema: "public", name: "users", publishedBy: [], fedBy: ["sub"], referencedBy: [] };
    it("finds the retyped columns of tables on both sides, with the columns to compare the rest of a row by", () => {
      const want = users({
        columns: [...withName("text").columns, { name: "only_source", type: "int", notNull: false }],
      });
      const have = users({
        columns: [
          ...withName("character varying(100)").columns,
          { name: "only_replica", type: "int", notNull: false },
        ],
      });
      assert.deepEqual(pendingRetypes(snap(want), snap(have)), [
        {
          table: { schema: "public", name: "users" },
          columns: [{ name: "name", type: "text" }],
          sourceSkip: ["name", "only_source"],
          targetSkip: ["name", "only_replica"],
        },
      ]);
      assert.deepEqual(pendingRetypes(snap(withName("text")), snap(withName("text"))), []);
      assert.deepEqual(pendingRetypes(snap(withName("text")), snap()), []);
    });
    it("widens in place, and empties the copied tables first where the source rewrote the values", () => {
      const plan = (retyped?: Set<string>) =>
        planSchema(snap(withName("text")), snap(withName("character varying(100)")), {
          allowDestructive: false,
          stakes: [fed],
          ...(retyped ? { retyped } : {}),
        });
      assert.deepEqual(statements(plan()), ['ALTER TABLE "public"."users" ALTER COLUMN "name" TYPE text']);
      const rewritten = plan(new Set([retypedKey({ schema: "public", name: "users" }, "name")]));
      assert.deepEqual(statements(rewritten), [
        'TRUNCATE "public"."users"',
        'ALTER TABLE "public"."users" ALTER COLUMN "name" TYPE text',
      ]);
      assert.deepEqual(
        rewritten.recopy.map((r) => r.reason),
        ["column name changed type and values on the source; the table is emptied for its re-copy"],
      );
    });
  });
  it("creates the sequences defaults use that their table does not own: shared ones with their parameters, another table's before it", () => {
    const seqDefault = (seq: string) => `nextval('public.${seq}'::regclass)`;
    const orders = users({
      name: "orders",
      columns: [
        { name: "id", type: "bigint", notNull: true, default: seqDefault("shared_no") },
        { name: "owner", type: "bigint", notNull: false, default: seqDefault("users_id_seq") },
      ],
      constraints: {},
      uses: [
        {
          schema: "public",
          name: "shared_no",
          type: "bigint",
          options: "INCREMENT BY 5 MINVALUE 1 MAXVALUE 9 START WITH 1",
        },
        {
          schema: "public",
          name: "users_id_seq",
          type: "bigint",
          options: "MINVALUE 1",
          owner: { schema: "public", name: "users" },
        },
      ],
    });
    const owner = users({
      columns: [{ name: "id", type: "bigint", notNull: true, default: seqDefault("users_id_seq") }],
      sequences: [{ schema: "public", name: "users_id_seq", type: "bigint", column: "id", serial: true }],
    });
    // orders comes first: it makes users' sequence, which users then owns (no serial of its own).
    const plan = planSchema(snap(orders, owner), snap(), { allowDestructive: false });
    assert.deepEqual(plan.blockers, []);
    assert.deepEqual(statements(plan), [
      'CREATE SCHEMA IF NOT EXISTS "public"',
      'CREATE SEQUENCE IF NOT EXISTS "public"."shared_no" AS bigint INCREMENT BY 5 MINVALUE 1 MAXVALUE 9 START WITH 1',
      'CREATE SEQUENCE IF NOT EXISTS "public"."users_id_seq" AS bigint MINVALUE 1',
      `CREATE TABLE "public"."orders" ("id" bigint DEFAULT ${seqDefault("shared_no")} NOT NULL, "owner" bigint DEFAULT ${seqDefault("users_id_seq")})`,
      `CREATE TABLE "public"."users" ("id" bigint DEFAULT ${seqDefault("users_id_seq")} NOT NULL, CONSTRAINT "users_pkey" PRIMARY KEY (id))`,
      'ALTER SEQUENCE "public"."users_id_seq" OWNED BY "public"."users"."id"',
    ]);
    // The target has the shared one already: nothing to make, no clash.
    const again = planSchema(snap(orders), snap(), {
      allowDestructive: false,
      relations: [{ schema: "public", name: "shared_no", kind: "S" }],
    });
    assert.deepEqual(again.blockers, []);
    assert.ok(!statements(again).some((s) => s.includes('"shared_no" AS')));
  });
  it("creates an owned sequence with the source's parameters, and makes an existing one step as the source's", () => {
    const options = "INCREMENT BY 2 MINVALUE 1 MAXVALUE 99 START WITH 1 CACHE 3";
    const odd = (opts?: string) =>
      users({
        columns: [
          { name: "id", type: "bigint", notNull: true, default: "nextval('public.users_id_seq'::regclass)" },
        ],
        sequences: [
          {
            schema: "public",
            name: "users_id_seq",
            type: "bigint",
            column: "id",
            ...(opts ? { options: opts } : {}),
          },
        ],
      });
    assert.ok(
      statements(planSchema(snap(odd(options)), snap(), { allowDestructive: false })).includes(
        `CREATE SEQUENCE IF NOT EXISTS "public"."users_id_seq" AS bigint ${options}`,
      ),
    );
    const existing = planSchema(snap(odd(options)), snap(odd("MINVALUE 1 MAXVALUE 99 START WITH 1")), {
      allowDestructive: false,
    });
    assert.deepEqual(statements(existing), [
      'ALTER SEQUENCE "public"."users_id_seq" INCREMENT BY 2 CACHE 3 NO CYCLE',
    ]);
    // Bounds or start alone differ: left as they are (the current value may lie outside them).
    assert.deepEqual(
      statements(
        planSchema(
          snap(odd(options)),
          snap(odd("INCREMENT BY 2 MINVALUE 5 MAXVALUE 99 START WITH 9 CACHE 3")),
          { allowDestructive: false },
        ),
      ),
      [],
    );
    // State read by an earlier version (no options): nothing compared.
    assert.deepEqual(
      statements(planSchema(snap(odd(options)), snap(odd()), { allowDestructive: false })),
      [],
    );
  });
  it("keeps the preview's pending list short too: every change of the first tables, a count of the rest, every refusal", () => {
    const few = planSchema(snap(users()), snap(), { allowDestructive: false });
    assert.deepEqual(Object.keys(pendingOf(few)), ["(target)", "public.users"]);
    const many = planSchema(
      snap(...Array.from({ length: 300 }, (_, i) => users({ name: `t${i}` }))),
      snap(),
      { allowDestructive: false },
    );
    many.destructive.push("drop column x of public.t299 (refused)");
    const pending = pendingOf(many);
    const tables = Object.keys(pending).filter((k) => k.startsWith("public."));
    assert.equal(tables.length, LAST_CHANGES_KEPT);
    assert.deepEqual(pending["public.t0"], ["create table public.t0 (2 columns, 1 constraints)"]);
    assert.deepEqual(pending["(more)"], ["200 more table(s) with 200 change(s) (300 tables in all)"]);
    assert.deepEqual(pending["(refused)"], ["drop column x of public.t299 (refused)"]);
  });
  it("creates a missing table with its constraints inside CREATE TABLE", () => {
    const plan = planSchema(snap(users()), snap(), { allowDestructive: false });
    assert.deepEqual(statements(plan), [
      'CREATE SCHEMA IF NOT EXISTS "public"',
      'CREATE TABLE "public"."users" ("id" bigint NOT NULL, "email" text NOT NULL, CONSTRAINT "users_pkey" PRIMARY KEY (id))',
    ]);
    assert.deepEqual(plan.destructive, []);
  });
  it("writes a serial column instead of sequence, default and ownership when serial would recreate them", () => {
    const t = users({
      columns: [
        { name: "id", type: "bigint", notNull: true, default: "nextval('public.users_id_seq'::regclass)" },
      ],
      sequences: [{ schema: "public", name: "users_id_seq", type: "bigint", column: "id", serial: true }],
    });
    assert.equal(
      statements(planSchema(snap(t), snap(), { allowDestructive: false }))[1],
      'CREATE TABLE "public"."users" ("id" bigserial, CONSTRAINT "users_pkey" PRIMARY KEY (id))',
    );
  });
  it("adds a foreign key to a table created later in the plan after both exist", () => {
    const child = users({
      name: "child",
      constraints: { child_fk: { type: "f", definition: "FOREIGN KEY (id) REFERENCES public.zparent(id)" } },
    });
    const parent = users({ name: "zparent", constraints: {} });
    const plan = planSchema(snap(child, parent), snap(), { allowDestructive: false });
    assert.equal(
      statements(plan).at(-1),
      'ALTER TABLE "public"."child" ADD CONSTRAINT "child_fk" FOREIGN KEY (id) REFERENCES public.zparent(id)',
    );
  });
  it("attaches a table the source attached as a partition, and detaches one it detached", () => {
    const root = users({ name: "events", partitionKey: "RANGE (id)" });
    const leaf = users({
      name: "events_1",
      constraints: {},
      partitionOf: { schema: "public", name: "events", bound: "FOR VALUES FROM (1) TO (100)" },
    });
    const alone = { ...leaf, partitionOf: undefined };
    assert.deepEqual(
      statements(planSchema(snap(root, leaf), snap(root, alone), { allowDestructive: false })),
      ['ALTER TABLE "public"."events" ATTACH PARTITION "public"."events_1" FOR VALUES FROM (1) TO (100)'],
    );
    const detached = planSchema(snap(root), snap(root, leaf), {
      allowDestructive: false,
      applied: new Map([
        [tableId(root), 2],
        [tableId(leaf), 2],
      ]),
    });
    assert.deepEqual(statements(detached), [
      'ALTER TABLE "public"."events" DETACH PARTITION "public"."events_1"',
    ]);
  });
  it("does nothing when the target matches", () =>
    assert.deepEqual(statements(planSchema(snap(users()), snap(users()), { allowDestructive: false })), []));
  it("adds a new column in place", () => {
    const wanted = users({ columns: [...users().columns, { name: "age", type: "integer", notNull: false }] });
    assert.deepEqual(statements(planSchema(snap(wanted), snap(users()), { allowDestructive: false })), [
      'ALTER TABLE "public"."users" ADD COLUMN "age" integer',
    ]);
  });
  it("makes a published generated column plain, and refuses a plain one whose values nothing sends", () => {
    const computed = users({
      columns: [
        ...users().columns,
        { name: "domain", type: "text", notNull: false, generated: "split_part(email, '@', 2)" },
      ],
    });
    const none = new Map<string, string[]>();
    // Published: every stored one, or one named by the publisher or a column list (virtual never).
    const plain = plainPublished(snap(computed), { generated: none, columnLists: none, allStored: true });
    assert.equal(plain.tables[0]!.columns[2]!.generated, undefined);
    const named = new Map([[tableId({ schema: "public", name: "users" }), ["domain"]]]);
    for (const o of [
      { generated: named, columnLists: none },
      { generated: none, columnLists: named },
    ])
      assert.equal(
        plainPublished(snap(computed), { ...o, allStored: false }).tables[0]!.columns[2]!.generated,
        undefined,
      );
    const unpublished = plainPublished(snap(computed), {
      generated: none,
      columnLists: none,
      allStored: false,
    });
    assert.equal(unpublished.tables[0]!.columns[2]!.generated, "split_part(email, '@', 2)");
    const virtual = users({ columns: [...users().columns, { ...computed.columns[2]!, virtual: true }] });
    assert.equal(
      plainPublished(snap(virtual), { generated: none, columnLists: none, allStored: true }).tables[0]!
        .columns[2]!.virtual,
      true,
    );
    // A publication not via the root names the partitions: their columns are the root's.
    const root = users({ partitionKey: "LIST (email)" });
    const leaf = users({
      name: "users_a",
      columns: [],
      partitionOf: { schema: "public", name: "users", bound: "FOR VALUES IN ('a')" },
    });
    const rooted = { ...root, columns: computed.columns };
    const viaLeaf = plainPublished(snap(rooted, leaf), {
      generated: new Map([[tableId(leaf), ["domain"]]]),
      columnLists: none,
      allStored: false,
    });
    assert.equal(viaLeaf.tables[0]!.columns[2]!.generated, undefined);
    // The replica's generated copy made plain, its values kept.
    assert.deepEqual(statements(planSchema(plain, snap(computed), { allowDestructive: false })), [
      'ALTER TABLE "public"."users" ALTER COLUMN "domain" DROP EXPRESSION',
    ]);
    // Plain on the replica, unpublished on the source: listed as destructive (the preview refuses it
    // unless allowDestructive), never applied: recreating the column is left to the user.
    for (const allowDestructive of [false, true]) {
      const refused = planSchema(unpublished, plain, { allowDestructive });
      assert.match(
        refused.destructive.join(),
        /public\.users\.domain is a plain column on the replica but generated/,
      );
      assert.deepEqual(statements(refused), []);
    }
  });
  it("keeps the replica's own columns (replicaOwnColumns) that the stream can fill, allowDestructive or not", () => {
    const mine = (cols: TableDefinition["columns"]) => users({ columns: [...users().columns, ...cols] });
    const own = new Map([[tableId(users()), new Set(["loaded_at", "note", "must"])]]);
    const replica = mine([
      { name: "loaded_at", type: "timestamp with time zone", notNull: true, default: "now()" },
      { name: "note", type: "text", notNull: false },
      { name: "tier", type: "text", notNull: false },
    ]);
    for (const allowDestructive of [false, true]) {
      const plan = planSchema(snap(users()), snap(replica), { allowDestructive, own });
      assert.deepEqual(plan.kept, [
        "column public.users.loaded_at (replicaOwnColumns)",
        "column public.users.note (replicaOwnColumns)",
      ]);
      // tier is not declared: the source's to drop, as before.
      assert.deepEqual(plan.destructive, ["drop column public.users.tier"]);
      assert.deepEqual(
        statements(plan),
        allowDestructive ? ['ALTER TABLE "public"."users" DROP COLUMN "tier"'] : [],
      );
    }
    // NOT NULL without a default: every replicated insert would fail on it.
    const strict = planSchema(snap(users()), snap(mine([{ name: "must", type: "integer", notNull: true }])), {
      allowDestructive: true,
      own,
    });
    assert.match(
      strict.blockers.join(),
      /column public\.users\.must is the replica's own \(replicaOwnColumns\) and NOT NULL without a default/,
    );
    assert.deepEqual(statements(strict), []);
    // The source gains a column of an own column's name: its values would land in the replica's.
    const clash = planSchema(
      snap(mine([{ name: "note", type: "text", notNull: false }])),
      snap(mine([{ name: "note", type: "text", notNull: false }])),
      { allowDestructive: false, own },
    );
    assert.match(
      clash.blockers.join(),
      /column public\.users\.note is the replica's own \(replicaOwnColumns\), and the source has a column of that name now/,
    );
    // A column the source adds where the replica's own one stands is not taken for a rename of it.
    const added = planSchema(
      snap(mine([{ name: "plan", type: "text", notNull: false }])),
      snap(mine([{ name: "note", type: "text", notNull: false }])),
      { allowDestructive: false, own },
    );
    assert.deepEqual(statements(added), ['ALTER TABLE "public"."users" ADD COLUMN "plan" text']);
    assert.deepEqual(added.kept, ["column public.users.note (replicaOwnColumns)"]);
    // Undeclared, the same column is taken for one the source renamed.
    assert.match(
      statements(
        planSchema(
          snap(mine([{ name: "plan", type: "text", notNull: false }])),
          snap(mine([{ name: "note", type: "text", notNull: false }])),
          { allowDestructive: false },
        ),
      ).join(),
      /RENAME COLUMN "note" TO "plan"/,
    );
  });
  it("refuses to drop a column unless destructive changes are allowed", () => {
    const narrower = users({ columns: [users().columns[0]!] });
    const refused = planSchema(snap(narrower), snap(users()), { allowDestructive: false });
    assert.deepEqual(refused.destructive, ["drop column public.users.email"]);
    assert.deepEqual(statements(refused), []);
    assert.deepEqual(statements(planSchema(snap(narrower), snap(users()), { allowDestructive: true })), [
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
    const plan = planSchema(snap(posts), snap(), { allowDestructive: false });
    assert.ok(summary(plan).some((s) => s.includes("skip foreign key posts_author_fkey")));
    assert.ok(!statements(plan).some((s) => s.includes("FOREIGN KEY")));
  });
  it("creates enums before the tables that use them and adds new labels in place", () => {
    const status = {
      name: 'public."Status"',
      schema: "public",
      kind: "enum" as const,
      labels: ["new", "done"],
    };
    const table = users({
      columns: [{ name: "s", type: 'public."Status"', notNull: false }],
      constraints: {},
    });
    const plan = planSchema({ extensions: [], types: [status], tables: [table] }, snap(), {
      allowDestructive: false,
    });
    assert.deepEqual(statements(plan).slice(0, 3), [
      'CREATE SCHEMA IF NOT EXISTS "public"',
      `CREATE TYPE public."Status" AS ENUM ('new', 'done')`,
      'CREATE TABLE "public"."users" ("s" public."Status")',
    ]);
    const grown = { ...status, labels: ["new", "doing", "done"] };
    const later = planSchema(
      { extensions: [], types: [grown], tables: [table] },
      { extensions: [], types: [status], tables: [table] },
      { allowDestructive: false },
    );
    assert.deepEqual(statements(later), [
      `ALTER TYPE public."Status" ADD VALUE IF NOT EXISTS 'doing' AFTER 'new'`,
    ]);
  });
  it("renames an enum label the source renamed (its rows follow), beside labels added around it", () => {
    const status = (labels: string[]) => ({
      name: "public.status",
      schema: "public",
      kind: "enum" as const,
      labels,
    });
    const table = users({ columns: [{ name: "s", type: "public.status", notNull: false }], constraints: {} });
    const plan = (want: string[], have: string[]) =>
      planSchema(
        { extensions: [], types: [status(want)], tables: [table] },
        { extensions: [], types: [status(have)], tables: [table] },
        { allowDestructive: false },
      );
    const renamed = plan(["draft", "published", "archived", "deleted"], ["draft", "live", "archived"]);
    assert.deepEqual(statements(renamed), [
      `ALTER TYPE public.status RENAME VALUE 'live' TO 'published'`,
      `ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'deleted' AFTER 'archived'`,
    ]);
    assert.deepEqual(renamed.destructive, []);
    // Two candidates in one place: which is which cannot be told; refused as before.
    const unclear = plan(["a", "x", "y"], ["a", "b", "c"]);
    assert.ok(!statements(unclear).some((s) => s.includes("RENAME")));
    assert.equal(unclear.destructive.length, 2);
  });
  it("creates an available extension in its source schema and blocks on a missing one", () => {
    const want: SchemaSnapshot = {
      extensions: [
        { name: "citext", schema: "public" },
        { name: "postgis", schema: "public" },
      ],
      types: [],
      tables: [],
    };
    const plan = planSchema(want, snap(), {
      allowDestructive: false,
      target: { installed: [], available: ["citext"] },
    });
    assert.deepEqual(statements(plan), [
      'CREATE SCHEMA IF NOT EXISTS "public"',
      'CREATE EXTENSION IF NOT EXISTS "citext" WITH SCHEMA "public"',
    ]);
    assert.match(plan.blockers[0]!, /extension postgis .* not available on the target/);
  });
  it("sets a non-default replica identity after the table exists", () => {
    const plan = planSchema(snap(users({ replicaIdentity: "f" })), snap(), { allowDestructive: false });
    assert.equal(statements(plan).at(-1), 'ALTER TABLE "public"."users" REPLICA IDENTITY FULL');
  });
});

describe("column-listed tables", () => {
  it("keep only the listed columns and the constraints and indexes that use nothing else", () => {
    const t = users({
      columns: [
        { name: "id", type: "bigint", notNull: true },
        { name: "email", type: "text", notNull: true },
        { name: "country", type: "text", notNull: false },
      ],
      constraints: {
        users_pkey: { type: "p", definition: "PRIMARY KEY (id)" },
        users_email_key: { type: "u", definition: "UNIQUE (email)" },
      },
      indexes: {
        users_country: "CREATE INDEX users_country ON public.users USING btree (country)",
        users_expr: "CREATE INDEX users_expr ON public.users USING btree (lower(country))",
      },
      columnUse: {
        users_pkey: ["id"],
        users_email_key: ["email"],
        users_country: ["country"],
        users_expr: null,
      },
    });
    const projected = projectColumns(
      snap(t),
      new Map([[tableId({ schema: "public", name: "users" }), ["id", "country"]]]),
    ).tables[0]!;
    assert.deepEqual(
      projected.columns.map((c) => c.name),
      ["id", "country"],
    );
    assert.deepEqual(Object.keys(projected.constraints), ["users_pkey"]);
    assert.deepEqual(Object.keys(projected.indexes), ["users_country"]);
  });
});
