// Drift and faults, each repaired by the next `up` without losing a row, with previews that tell
// the truth. Every scenario starts from a converged topology (the drift fixture: a publication,
// its schema copy, a subscription given the publication; a new stack, or the last scenario's when
// it ended converged on the same program), makes one change — to the program, by
// hand on a server, or a fault — while rows keep being written, then checks that:
//   - the preview's plan (per resource: same / update / replace / create / delete) is exactly what
//     `up` then does, and announces a repair (which tables, why) exactly when `up` re-copies;
//   - after `up` the replica equals the primary (row counts and an md5 per table);
//   - a refresh then a preview report no changes.
// Programs run live (test/harness/live.ts): outputs flow to dependents as the engine hands them.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { Engine, type Operation, type PlannedStep } from "../../harness/engine";
import { compare, converge } from "../../harness/drill/load";
import { ROOT } from "../../harness/install";
import { runProgram } from "../../harness/live";
import type { Major, TestServer } from "../../harness/postgres";
import { seededPair, SEED_SQL } from "../../harness/seed";
import { inMatrix } from "../../harness/matrix";
import { assertLockTriesError, eventually, holdTableLock } from "../../harness/util";

const PROGRAM = path.join(ROOT, "test", "fixtures", "drift", "index.ts");
const DB = "app";

interface Ctx {
  primary: TestServer;
  replica: TestServer;
  engine: Engine;
  config: Record<string, string>;
}

interface Scenario {
  name: string;
  /** The change: to the program (returns the new config), by hand, or a fault. */
  act: (c: Ctx) => Promise<Record<string, string> | void>;
  /** `pulumi preview --refresh` (and `up --refresh`) rather than plain. */
  refresh?: boolean;
  /** The plan for Publication, SchemaSync, Subscription. */
  expect: [Operation, Operation, Operation];
  /** Whether the Subscription's plan is a repair (a re-copy). */
  repair: boolean;
  /**
   * The preview refuses (nothing is emptied): the failure's property and reason; then `fix` does
   * what the README says to do by hand, and the next preview and `up` proceed.
   */
  refused?: { property: string; reason: RegExp; fix: (c: Ctx) => Promise<void> };
  /** The tables the replica must equal the primary on (default users, blog_posts). */
  tables?: string[];
  /** More to check after `up`. */
  after?: (c: Ctx) => Promise<void>;
  /** What the announced repair's reasons must say. */
  reason?: RegExp;
}

/** A statement run by hand; a deadlock with the apply worker (DDL on a replicated table) is retried, as a person would. */
const q = async (s: TestServer, sql: string) => {
  for (let attempt = 0; ; attempt++)
    try {
      return await s.query(sql, [], DB);
    } catch (e) {
      if ((e as { code?: string }).code !== "40P01" || attempt > 5) throw e;
    }
};
const dropSlot = async (c: Ctx) => {
  // The subscriber reconnects within seconds: terminate its walsender and drop the slot at once.
  for (let i = 0; i < 50; i++) {
    try {
      await q(
        c.primary,
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL",
      );
      await q(c.primary, "SELECT pg_drop_replication_slot('drift_sub')");
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("could not drop the slot");
};

/**
 * The subscriber away (its subscription disabled) while the primary writes past
 * max_slot_wal_keep_size: at the checkpoint PostgreSQL invalidates the slot (wal_status "lost").
 * The setting is put back, and the subscription enabled again, as when the subscriber returns.
 */
const invalidateSlot = async (c: Ctx) => {
  await q(c.primary, "ALTER SYSTEM SET max_slot_wal_keep_size = '16MB'");
  await q(c.primary, "SELECT pg_reload_conf()");
  await q(c.replica, "ALTER SUBSCRIPTION drift_sub DISABLE");
  try {
    await eventually(async () =>
      assert.deepEqual(await q(c.primary, "SELECT active FROM pg_replication_slots"), [{ active: false }]),
    );
    await q(
      c.primary,
      "INSERT INTO users (email, name) SELECT 'away' || g || '@example.com', 'away' FROM generate_series(1, 20) g",
    );
    for (let i = 0; i < 4; i++)
      await q(
        c.primary,
        "CREATE TABLE IF NOT EXISTS filler (x text); INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 5000); SELECT pg_switch_wal()",
      );
    // Before the checkpoint the slot is past the limit, not yet invalidated: a preview warns.
    assert.deepEqual(await q(c.primary, "SELECT wal_status FROM pg_replication_slots"), [
      { wal_status: "unreserved" },
    ]);
    await runProgram(c.engine, PROGRAM, c.config, "preview", "drift");
    assert.match(
      c.engine.log,
      /replication slot "drift_sub" has fallen more than max_slot_wal_keep_size behind on the publisher \(wal_status "unreserved"\)/,
    );
    await q(c.primary, "CHECKPOINT");
    assert.deepEqual(await q(c.primary, "SELECT wal_status FROM pg_replication_slots"), [
      { wal_status: "lost" },
    ]);
  } finally {
    await q(c.primary, "DROP TABLE IF EXISTS filler");
    await q(c.primary, "ALTER SYSTEM RESET max_slot_wal_keep_size");
    await q(c.primary, "SELECT pg_reload_conf()");
    await q(c.replica, "ALTER SUBSCRIPTION drift_sub ENABLE");
  }
};

const SCENARIOS: Scenario[] = [
  {
    name: "the program adds a table",
    act: async (c) => ({ ...c.config, tables: JSON.stringify(["users", "blog_posts", "comments"]) }),
    expect: ["update", "update", "update"],
    repair: false,
    tables: ["users", "blog_posts", "comments"],
  },
  {
    name: "the program removes a table",
    act: async (c) => ({ ...c.config, tables: JSON.stringify(["users"]) }),
    expect: ["update", "update", "update"],
    repair: false,
    tables: ["users"],
  },
  {
    name: "the program spells the primary's connection differently (localhost for 127.0.0.1)",
    act: async (c) => ({
      ...c.config,
      primaryUrl: c.config.primaryUrl!.replace("127.0.0.1", "localhost"),
    }),
    expect: ["update", "update", "update"],
    repair: false,
  },
  {
    name: "the program renames the publication (a replacement under the subscription)",
    act: async (c) => ({ ...c.config, publicationName: "drift_pub_2" }),
    expect: ["replace", "same", "update"],
    repair: true,
  },
  {
    name: "the publication is dropped by hand",
    act: async (c) => void (await q(c.primary, "DROP PUBLICATION drift_pub")),
    expect: ["update", "same", "update"],
    repair: true,
  },
  {
    // TRUNCATE empties the tables that reference the emptied ones too, or refuses: a table of the
    // replica's own holds rows no primary has.
    name: "the publication is dropped by hand while a table of the replica's own references a copied one: refused, then its foreign key dropped by hand",
    act: async (c) => {
      await q(
        c.replica,
        "DROP TABLE IF EXISTS notes; CREATE TABLE notes (post_id bigint CONSTRAINT notes_post REFERENCES blog_posts (id)); INSERT INTO notes SELECT min(id) FROM blog_posts",
      );
      await q(c.primary, "DROP PUBLICATION drift_pub");
    },
    expect: ["update", "same", "update"],
    repair: true,
    refused: {
      property: "repair",
      reason:
        /"public\.notes" on the replica has a foreign key to "public\.blog_posts" and is not copied with it/,
      fix: async (c) => void (await q(c.replica, "ALTER TABLE notes DROP CONSTRAINT notes_post")),
    },
  },
  {
    name: "the publication is dropped by hand, then refreshed",
    act: async (c) => void (await q(c.primary, "DROP PUBLICATION drift_pub")),
    refresh: true,
    expect: ["create", "same", "update"],
    repair: true,
  },
  {
    name: "the publication is dropped and created again by hand",
    act: async (c) =>
      void (await q(
        c.primary,
        "DROP PUBLICATION drift_pub; CREATE PUBLICATION drift_pub FOR TABLE users, blog_posts",
      )),
    expect: ["update", "same", "update"],
    repair: true,
  },
  {
    name: "a table is removed from the publication by hand and added back",
    act: async (c) =>
      void (await q(
        c.primary,
        "ALTER PUBLICATION drift_pub DROP TABLE blog_posts; ALTER PUBLICATION drift_pub ADD TABLE blog_posts",
      )),
    expect: ["update", "same", "update"],
    repair: true,
  },
  {
    name: "a table is removed from the publication by hand, then refreshed",
    act: async (c) => void (await q(c.primary, "ALTER PUBLICATION drift_pub DROP TABLE blog_posts")),
    refresh: true,
    expect: ["update", "same", "update"],
    repair: true,
  },
  {
    name: "the replication slot is dropped by hand",
    act: dropSlot,
    expect: ["same", "same", "update"],
    repair: true,
  },
  {
    name: "the replication slot is dropped by hand, then refreshed",
    act: dropSlot,
    refresh: true,
    expect: ["same", "same", "update"],
    repair: true,
  },
  {
    // Measured before (PG14, PG17): the slot's wal_status "lost", the replica stuck at the rows it
    // had, and a refreshed preview and up both said "same".
    name: "the replication slot is invalidated by the publisher (the subscriber away past max_slot_wal_keep_size), then refreshed",
    act: invalidateSlot,
    refresh: true,
    expect: ["same", "same", "update"],
    repair: true,
    reason:
      /replication slot "drift_sub" was invalidated by the publisher \(the WAL it still needed was removed/,
  },
  {
    name: "the subscription is dropped by hand",
    act: async (c) => void (await q(c.replica, "DROP SUBSCRIPTION drift_sub")),
    expect: ["same", "same", "update"],
    repair: true,
  },
  {
    // Refresh keeps it in the state as drift: the next up knows the replica's rows came from it.
    name: "the subscription is dropped by hand, then refreshed (the replica keeps its rows)",
    act: async (c) => void (await q(c.replica, "DROP SUBSCRIPTION drift_sub")),
    refresh: true,
    expect: ["same", "same", "update"],
    repair: true,
  },
  {
    // With the state gone too (pulumi state delete), nothing says the replica's rows came from the
    // primary: a new subscription never empties rows it did not copy. The README's by-hand step:
    // empty them, then up.
    name: "the subscription is dropped by hand and removed from the state: refused (rows of unknown origin), then emptied by hand",
    act: async (c) => {
      await q(c.replica, "DROP SUBSCRIPTION drift_sub");
      for (const urn of [...c.engine.state.keys()]) if (urn.endsWith("::sub")) c.engine.state.delete(urn);
    },
    expect: ["same", "same", "create"],
    repair: false,
    refused: {
      property: "copyData",
      reason:
        /public\.blog_posts, public\.users already hold rows on the replica that did not come from this subscription/,
      fix: async (c) => void (await q(c.replica, "TRUNCATE blog_posts, users")),
    },
  },
  {
    name: "the subscription is disabled by hand, then refreshed",
    act: async (c) => void (await q(c.replica, "ALTER SUBSCRIPTION drift_sub DISABLE")),
    refresh: true,
    expect: ["same", "same", "update"],
    repair: false,
  },
  {
    name: "a column is dropped on the replica (SchemaSync adds it back, the subscription re-copies)",
    act: async (c) => void (await q(c.replica, "ALTER TABLE users DROP COLUMN name")),
    expect: ["same", "update", "update"],
    repair: true,
  },
  {
    name: "a table is dropped on the replica (SchemaSync creates it again, the subscription re-copies)",
    act: async (c) => void (await q(c.replica, "DROP TABLE blog_posts")),
    expect: ["same", "update", "update"],
    repair: true,
  },
  {
    name: "a migration adds a column on the primary, and an index only the replica has is kept",
    act: async (c) => {
      await q(c.replica, "CREATE INDEX replica_only_name ON users (name)");
      await q(c.primary, "ALTER TABLE users ADD COLUMN age int");
    },
    expect: ["same", "update", "same"],
    repair: false,
    after: async (c) =>
      assert.deepEqual(
        await q(c.replica, "SELECT indexname FROM pg_indexes WHERE indexname = 'replica_only_name'"),
        [{ indexname: "replica_only_name" }],
      ),
  },
  {
    // Measured before: the replica's older rows got its own defaults (true, its own now(), 7 where
    // the primary's hold false, the migration's time, NULL), and the next preview said "same".
    name: "a migration adds columns with defaults on the primary: the replica's older rows get the primary's values, no re-copy",
    act: async (c) => {
      await q(
        c.primary,
        "ALTER TABLE users ADD COLUMN verified boolean NOT NULL DEFAULT false; ALTER TABLE users ALTER COLUMN verified SET DEFAULT true",
      );
      await new Promise((r) => setTimeout(r, 20));
      await q(c.primary, "ALTER TABLE users ADD COLUMN joined timestamptz DEFAULT now()");
      await q(
        c.primary,
        "ALTER TABLE users ADD COLUMN note text; ALTER TABLE users ALTER COLUMN note DROP DEFAULT",
      );
      // Added without a default, one set after: the older rows stay NULL (no re-copy for it).
      await q(
        c.primary,
        "ALTER TABLE users ADD COLUMN tier int; ALTER TABLE users ALTER COLUMN tier SET DEFAULT 1",
      );
    },
    expect: ["same", "update", "same"],
    repair: false,
    after: async (c) => {
      // The replica's own default for new rows is the primary's current one.
      const [d] = await q(
        c.replica,
        "SELECT pg_get_expr(adbin, adrelid) AS verified FROM pg_attrdef WHERE adrelid = 'users'::regclass AND adnum = (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'verified')",
      );
      assert.equal(d!.verified, "true");
    },
  },
  {
    name: "a migration adds a column with a volatile default on the primary (values per row): the subscription re-copies",
    act: async (c) =>
      void (await q(c.primary, "ALTER TABLE blog_posts ADD COLUMN slug uuid DEFAULT gen_random_uuid()")),
    expect: ["same", "update", "update"],
    repair: true,
  },
  {
    name: "a migration adds an enum column with a default on the primary, and rows use its values",
    act: async (c) => {
      await q(
        c.primary,
        "CREATE TYPE post_status AS ENUM ('draft', 'live'); ALTER TABLE blog_posts ADD COLUMN status post_status NOT NULL DEFAULT 'draft'",
      );
      await q(c.primary, "UPDATE blog_posts SET status = 'live' WHERE id = 1");
    },
    expect: ["same", "update", "same"],
    repair: false,
  },
  {
    // Before: the preview refused ("lost value live", measured); with allowDestructive the plan only
    // added "published", so the replica's rows would have kept reading "live".
    name: "an enum value is renamed on the primary: renamed on the replica, its rows follow",
    act: async (c) => void (await q(c.primary, "ALTER TYPE post_status RENAME VALUE 'live' TO 'published'")),
    expect: ["same", "update", "same"],
    repair: false,
    after: async (c) =>
      assert.deepEqual(await q(c.replica, "SELECT status::text FROM blog_posts WHERE id = 1"), [
        { status: "published" },
      ]),
  },
  {
    name: "a migration widens a column's type on the primary: widened in place on the replica, no re-copy",
    act: async (c) => void (await q(c.primary, "ALTER TABLE users ALTER COLUMN name TYPE varchar(200)")),
    expect: ["same", "update", "same"],
    repair: false,
  },
  {
    // Measured before: widened in place, the replica's rows kept their old values while the
    // primary's were rewritten, and the preview after said "same".
    name: "a migration changes a column's type with a USING that rewrites its values: the subscription re-copies",
    act: async (c) =>
      void (await q(c.primary, "ALTER TABLE users ALTER COLUMN name TYPE text USING upper(name)")),
    expect: ["same", "update", "update"],
    repair: true,
  },
  {
    // Measured before: the replica kept the old column's values (and its rows replicated since),
    // where the primary's rows all read 'n/a'; the preview after said "same".
    name: "a migration is rolled back and run again on the primary (a column dropped and added again): the subscription re-copies",
    act: async (c) =>
      void (await q(
        c.primary,
        "ALTER TABLE blog_posts DROP COLUMN body; ALTER TABLE blog_posts ADD COLUMN body text DEFAULT 'n/a'",
      )),
    expect: ["same", "update", "update"],
    repair: true,
  },
  {
    name: "the publisher restarts mid-stream",
    act: async (c) => void (await c.primary.restart()),
    expect: ["same", "same", "same"],
    repair: false,
  },
  {
    name: "nothing changes",
    act: async () => undefined,
    refresh: true,
    expect: ["same", "same", "same"],
    repair: false,
  },
];

const ops = (steps: PlannedStep[]) => steps.map((s) => s.op);
const repairOf = (steps: PlannedStep[]) =>
  steps.find((s) => s.urn.endsWith("::sub"))?.checked?.pendingRepair as
    { reasons: string[]; tables: string[] } | undefined;

/** The pairs the drift scenarios run on (a test file each, so that lanes share them out). */
export const DRIFT_PAIRS: [Major, Major][] = [
  [15, 15],
  [18, 18],
  [15, 18],
];

/** Every scenario, from a converged start, on one pair of versions. */
export function driftSuite(pubMajor: Major, subMajor: Major): void {
  if (!inMatrix([pubMajor, subMajor], DRIFT_PAIRS)) return;
  describe(`drift and faults, repaired by the next up, PG${pubMajor} → PG${subMajor}`, () => {
    const ctx = {} as Ctx;
    let written = 0;
    const write = async (n = 5) => {
      for (let i = 0; i < n; i++)
        await q(
          ctx.primary,
          `INSERT INTO users (email, name) VALUES ('w${++written}@example.com', 'writer'); INSERT INTO blog_posts (user_id, title) SELECT max(id), 'post ${written}' FROM users; INSERT INTO comments (post_id, body) VALUES (1, 'c${written}')`,
        );
    };
    const up = async (config: Record<string, string>) => {
      const r = await runProgram(ctx.engine, PROGRAM, config, "up", "drift");
      if (r.error) throw new Error(r.error);
      return r.steps;
    };
    /**
     * A gate on the replica's blog_posts that only table synchronisation passes through (the apply
     * worker fires no statement trigger): a copy of it stops there, holding the table's lock, until
     * the gate opens.
     */
    const gate = {
      close: () =>
        q(
          ctx.replica,
          `CREATE TABLE copy_gate (open boolean);
           CREATE FUNCTION copy_gate() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN WHILE NOT EXISTS (SELECT 1 FROM public.copy_gate) LOOP PERFORM pg_catalog.pg_sleep(0.05); END LOOP; RETURN NULL; END $$;
           CREATE TRIGGER copy_gate BEFORE INSERT ON blog_posts FOR EACH STATEMENT EXECUTE FUNCTION copy_gate();
           ALTER TABLE blog_posts ENABLE ALWAYS TRIGGER copy_gate`,
        ),
      open: () => q(ctx.replica, "INSERT INTO copy_gate VALUES (true)"),
      remove: async () => {
        await q(ctx.replica, "INSERT INTO copy_gate VALUES (true)");
        await q(ctx.replica, "DROP TRIGGER IF EXISTS copy_gate ON blog_posts");
        await q(ctx.replica, "DROP TABLE copy_gate; DROP FUNCTION copy_gate()");
      },
    };
    /** More rows written, then the replica equal to the primary: none lost, doubled or different. */
    const settlesEqual = async () => {
      await write();
      const { comparisons } = await converge(ctx.primary, ctx.replica, DB, ["users", "blog_posts"], 60_000);
      for (const c of comparisons)
        assert.deepEqual([c.table, c.lost, c.duplicated, c.differing, c.md5Equal], [c.table, 0, 0, 0, true]);
    };

    before(async () => {
      [ctx.primary, ctx.replica] = await seededPair(pubMajor, subMajor);
      ctx.engine = await Engine.start();
    });
    after(async () => {
      await ctx.engine?.stop();
      await Promise.all([ctx.primary?.stop(), ctx.replica?.stop()]);
    });

    /** A new stack from the seed: nothing left from the last scenario. */
    const freshStart = async () => {
      await ctx.engine.destroy();
      for (const s of await q(ctx.replica, "SELECT subname FROM pg_subscription"))
        await q(
          ctx.replica,
          `ALTER SUBSCRIPTION "${s.subname}" DISABLE; ALTER SUBSCRIPTION "${s.subname}" SET (slot_name = NONE); DROP SUBSCRIPTION "${s.subname}"`,
        );
      await q(ctx.replica, "DROP TABLE IF EXISTS comments, blog_posts, users CASCADE");
      await q(
        ctx.primary,
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active",
      );
      await q(
        ctx.primary,
        "DO $$ DECLARE p text; BEGIN FOR p IN SELECT pubname FROM pg_publication LOOP EXECUTE format('DROP PUBLICATION %I', p); END LOOP; END $$",
      );
      await q(ctx.primary, "DROP TABLE IF EXISTS comments, blog_posts, users CASCADE");
      await q(ctx.primary, SEED_SQL);
      ctx.config = { primaryUrl: ctx.primary.url(DB), replicaUrl: ctx.replica.url(DB) };
      assert.deepEqual(ops(await up(ctx.config)), ["create", "create", "create"]);
      await write();
    };

    // How the last scenario ended, when it ended converged on the starting program (the by-hand
    // drifts and faults do: repaired by their `up`, refreshed without changes): the next one
    // starts from there rather than from a new stack.
    let converged: { repaired: boolean } | undefined;
    // Repairs that began right after a repair (a re-created subscription): a drift there went
    // unseen once (the state kept the subscription the repair replaced).
    const afterRepair: string[] = [];

    for (const sc of SCENARIOS)
      it(sc.name, async () => {
        const from = converged;
        converged = undefined;
        if (!from) await freshStart();
        else {
          if (from.repaired && sc.repair) afterRepair.push(sc.name);
          await write();
        }

        const changed = (await sc.act(ctx)) ?? ctx.config;
        await write(); // rows written during the break must arrive too
        if (sc.refresh) await ctx.engine.refresh();
        let preview = await runProgram(ctx.engine, PROGRAM, changed, "preview", "drift");
        assert.equal(preview.error, undefined);
        if (sc.refused) {
          const failures = preview.steps.flatMap((s) => s.failures ?? []);
          assert.deepEqual(
            failures.map((f) => f.property),
            [sc.refused.property],
            "refused at preview",
          );
          assert.match(failures[0]!.reason, sc.refused.reason);
          const before = await compare(ctx.primary, ctx.replica, DB, sc.tables ?? ["users", "blog_posts"]);
          assert.ok(
            before.every((c) => c.replicaRows > 0),
            "nothing was emptied",
          );
          await sc.refused.fix(ctx);
          preview = await runProgram(ctx.engine, PROGRAM, changed, "preview", "drift");
        }
        assert.deepEqual(
          preview.steps.map((s) => s.failures),
          preview.steps.map(() => undefined),
          "no check failure",
        );
        assert.deepEqual(ops(preview.steps), sc.expect, "the preview's plan");
        const announced = repairOf(preview.steps);
        assert.equal(announced !== undefined, sc.repair, `a repair announced: ${JSON.stringify(announced)}`);
        if (announced) assert.ok(announced.tables.length > 0 && announced.reasons.length > 0);
        if (sc.reason) assert.match(announced?.reasons.join("; ") ?? "", sc.reason);

        if (sc.refresh) await ctx.engine.refresh();
        const applied = await up(changed);
        assert.deepEqual(ops(applied), sc.expect, "what up did is what the preview said");
        assert.deepEqual(
          repairOf(applied)?.tables,
          announced?.tables,
          "up re-copied what the preview announced",
        );

        await write();
        const tables = sc.tables ?? ["users", "blog_posts"];
        await converge(ctx.primary, ctx.replica, DB, tables, 60_000);
        for (const c of await compare(ctx.primary, ctx.replica, DB, tables))
          assert.deepEqual(
            [c.table, c.lost, c.duplicated, c.differing, c.md5Equal, c.replicaRows === c.primaryRows],
            [c.table, 0, 0, 0, true, true],
          );

        await sc.after?.(ctx);
        await ctx.engine.refresh();
        const again = await runProgram(ctx.engine, PROGRAM, changed, "preview", "drift");
        assert.deepEqual(ops(again.steps), ["same", "same", "same"], "no changes after refresh");
        if (changed === ctx.config) converged = { repaired: announced !== undefined };
      });

    it("repairs a drift right after a repair with no refresh in between", async () => {
      await freshStart();
      await q(ctx.primary, "DROP PUBLICATION drift_pub");
      await write();
      assert.ok(repairOf(await up(ctx.config)), "the first repair");
      // The next check has only the inputs the repair's check recorded (Pulumi hands check the
      // old inputs), which saw the subscription the repair replaced.
      await q(ctx.primary, "ALTER PUBLICATION drift_pub DROP TABLE users");
      await write();
      await q(ctx.primary, "ALTER PUBLICATION drift_pub ADD TABLE users");
      await write();
      const preview = await runProgram(ctx.engine, PROGRAM, ctx.config, "preview", "drift");
      assert.deepEqual(ops(preview.steps), ["update", "same", "update"], "the preview's plan");
      const announced = repairOf(preview.steps);
      assert.ok(announced, "a repair announced");
      assert.deepEqual(repairOf(await up(ctx.config))?.tables, announced.tables);
      await settlesEqual();
    });

    // Once, on the pair of two versions: the same code path on every pair.
    if (pubMajor !== subMajor)
      it("repairs a drift right after the subscription was replaced", async () => {
        await freshStart();
        // A replacement that copies nothing (copyData false, nothing written meanwhile): no repair,
        // a new subscription — the state's inputs are those of the check that saw the old one.
        const replaced = { ...ctx.config, slotName: "drift_sub_2", copyData: "false" };
        const applied = await up(replaced);
        assert.deepEqual(ops(applied), ["same", "same", "replace"]);
        assert.equal(repairOf(applied), undefined);
        await q(
          ctx.primary,
          "DROP PUBLICATION drift_pub; CREATE PUBLICATION drift_pub FOR TABLE users, blog_posts",
        );
        await write();
        const preview = await runProgram(ctx.engine, PROGRAM, replaced, "preview", "drift");
        assert.deepEqual(ops(preview.steps), ["update", "same", "update"], "the preview's plan");
        const announced = repairOf(preview.steps);
        assert.ok(announced, "a repair announced");
        assert.deepEqual(repairOf(await up(replaced))?.tables, announced.tables);
        await settlesEqual();
      });

    if (pubMajor !== subMajor)
      it("finishes a repair that outlasted its wait right after a repair, instead of starting it over", async () => {
        await freshStart();
        await q(ctx.primary, "DROP PUBLICATION drift_pub");
        await write();
        assert.ok(repairOf(await up(ctx.config)), "the first repair");
        // The gate holds blog_posts' table synchronisation back: the second repair's copy outlasts
        // its wait. (No table-sync workers at all is refused at preview now.)
        await gate.close();
        try {
          await q(
            ctx.primary,
            "DROP PUBLICATION drift_pub; CREATE PUBLICATION drift_pub FOR TABLE users, blog_posts",
          );
          await write();
          const slow = { ...ctx.config, copyMethod: "postgres", syncTimeout: "2" };
          const timedOut = await runProgram(ctx.engine, PROGRAM, slow, "up", "drift");
          assert.match(timedOut.error ?? "", /did not finish within 2 s/);
          const created = await q(ctx.replica, "SELECT oid::int FROM pg_subscription");
          assert.equal(created.length, 1);
          await write();
          const preview = await runProgram(ctx.engine, PROGRAM, slow, "preview", "drift");
          assert.equal(
            repairOf(preview.steps),
            undefined,
            "no repair announced: the copy under way is finished",
          );
          await gate.remove();
          const done = await up({ ...slow, syncTimeout: "60" });
          assert.equal(repairOf(done), undefined);
          assert.deepEqual(
            await q(ctx.replica, "SELECT oid::int FROM pg_subscription"),
            created,
            "the same subscription: nothing emptied and copied again",
          );
        } finally {
          await gate.remove().catch(() => undefined);
        }
        await settlesEqual();
      });

    // Measured before (PG17): the apply worker failed 16 times in 3 s on the row written on the
    // replica, the primary's later rows never arrived, and a refreshed preview and up said "same".
    it("says at preview that the stream stopped on a row written on the replica, fails up until the row is removed, then catches up", async () => {
      await freshStart();
      await q(
        ctx.replica,
        "INSERT INTO users (id, email, name) VALUES (900001, 'local@replica.example', 'written on the replica')",
      );
      await q(
        ctx.primary,
        "INSERT INTO users (id, email, name) VALUES (900001, 'p900001@example.com', 'from the primary')",
      );
      await write();
      // The apply worker has met the row (a preview run a moment later, as a user's would be).
      await eventually(async () =>
        assert.ok(
          Number(
            (await q(ctx.replica, "SELECT apply_error_count::int AS n FROM pg_stat_subscription_stats"))[0]!
              .n,
          ) > 0,
        ),
      );
      for (const refresh of [false, true]) {
        if (refresh) await ctx.engine.refresh();
        const preview = await runProgram(ctx.engine, PROGRAM, ctx.config, "preview", "drift");
        assert.deepEqual(ops(preview.steps), ["same", "same", "update"], `refresh: ${refresh}`);
      }
      // A state written before applyErrorsSeen (an upgraded stack): its refresh keeps the last
      // write's count, so the preview after it still sees the stall.
      for (const r of ctx.engine.state.values())
        if (r.urn.includes(":Subscription::")) {
          delete r.inputs.applyErrorsSeen;
          delete r.outputs.applyErrorsSeen;
        }
      await ctx.engine.refresh();
      const upgraded = await runProgram(ctx.engine, PROGRAM, ctx.config, "preview", "drift");
      assert.deepEqual(ops(upgraded.steps), ["same", "same", "update"], "an upgraded state, refreshed");
      assert.match(
        ctx.engine.log,
        /the stream has stopped: the apply worker failed \d+ time\(s\) since the last up/,
      );
      if (subMajor >= 18) assert.match(ctx.engine.log, /conflicts the subscriber counted: insert_exists \d+/);
      const failed = await runProgram(ctx.engine, PROGRAM, ctx.config, "up", "drift");
      assert.match(failed.error ?? "", /the stream has stopped.*delete the row the log names/);
      assert.deepEqual(await q(ctx.replica, "SELECT name FROM users WHERE id = 900001"), [
        { name: "written on the replica" },
      ]);
      await q(ctx.replica, "DELETE FROM users WHERE id = 900001");
      await up(ctx.config);
      await settlesEqual();
      await ctx.engine.refresh();
      const again = await runProgram(ctx.engine, PROGRAM, ctx.config, "preview", "drift");
      assert.deepEqual(ops(again.steps), ["same", "same", "same"], "no changes after refresh");
    });

    it("warns at preview how much WAL the slot of a subscription kept disabled holds on the publisher", async () => {
      await freshStart();
      const off = { ...ctx.config, enabled: "false" };
      await up(off);
      await write(50);
      const from = ctx.engine.log.length;
      await runProgram(ctx.engine, PROGRAM, off, "preview", "drift");
      assert.match(
        ctx.engine.log.slice(from),
        /the subscription is disabled, and its replication slot "drift_sub" holds \d+(\.\d+)? (kB|MB) of WAL on the publisher, more with every write there/,
      );
      await up(ctx.config);
      await settlesEqual();
    });

    // Measured before (PG17): with disableOnError, PostgreSQL disabled the subscription at the
    // row's collision; the plain preview said "same", and up re-enabled it and succeeded while
    // PostgreSQL disabled it again at once (the primary's later rows never arrived).
    it("says at preview that PostgreSQL disabled the subscription on an error (disableOnError), fails up while the cause is there, then catches up", async () => {
      await freshStart();
      const config = { ...ctx.config, disableOnError: "true" };
      assert.deepEqual(ops(await up(config)), ["same", "same", "update"]);
      await q(
        ctx.replica,
        "INSERT INTO users (id, email, name) VALUES (900002, 'local2@replica.example', 'written on the replica')",
      );
      await q(
        ctx.primary,
        "INSERT INTO users (id, email, name) VALUES (900002, 'p900002@example.com', 'from the primary')",
      );
      await write();
      await eventually(async () =>
        assert.deepEqual(await q(ctx.replica, "SELECT subenabled FROM pg_subscription"), [
          { subenabled: false },
        ]),
      );
      const from = ctx.engine.log.length;
      const preview = await runProgram(ctx.engine, PROGRAM, config, "preview", "drift");
      assert.deepEqual(ops(preview.steps), ["same", "same", "update"], "a plain preview");
      assert.match(
        ctx.engine.log.slice(from),
        /the stream has stopped: PostgreSQL disabled the subscription \(disableOnError\) after its apply worker failed \d+ time\(s\) since the last up/,
      );
      await ctx.engine.refresh();
      const sub = [...ctx.engine.state.values()].find((r) => r.urn.includes(":Subscription::"))!;
      assert.match(
        JSON.stringify(sub.outputs.drift),
        /PostgreSQL disabled the subscription \(disableOnError\)/,
      );
      const refreshed = await runProgram(ctx.engine, PROGRAM, config, "preview", "drift");
      assert.deepEqual(ops(refreshed.steps), ["same", "same", "update"], "a refreshed preview");
      const failed = await runProgram(ctx.engine, PROGRAM, config, "up", "drift");
      assert.match(
        failed.error ?? "",
        /the stream has stopped again: enabled, its apply worker failed .* PostgreSQL disabled it \(disableOnError\)/,
      );
      assert.deepEqual(await q(ctx.replica, "SELECT subenabled FROM pg_subscription"), [
        { subenabled: false },
      ]);
      await q(ctx.replica, "DELETE FROM users WHERE id = 900002");
      await up(config);
      assert.deepEqual(await q(ctx.replica, "SELECT subenabled FROM pg_subscription"), [
        { subenabled: true },
      ]);
      await settlesEqual();
      await ctx.engine.refresh();
      const again = await runProgram(ctx.engine, PROGRAM, config, "preview", "drift");
      assert.deepEqual(ops(again.steps), ["same", "same", "same"], "no changes after refresh");
    });

    // Every pair: a publisher on PG18 skips the gap's rows without an error (PG15 loops on one).
    it("judges a gap in the stream of a subscription whose copy outlasted its wait, against what that up bound it to", async () => {
      await freshStart();
      await dropSlot(ctx);
      await write();
      await gate.close();
      try {
        // The repair's re-copy: users is copied and streams, blog_posts's copy waits at the gate;
        // its up ends with the subscription created and marked.
        const slow = { ...ctx.config, copyMethod: "postgres", syncTimeout: "2" };
        const timedOut = await runProgram(ctx.engine, PROGRAM, slow, "up", "drift");
        assert.match(timedOut.error ?? "", /did not finish within 2 s/);
        const created = await q(ctx.replica, "SELECT oid::int FROM pg_subscription");
        const ready = "SELECT srrelid::regclass::text AS t FROM pg_subscription_rel WHERE srsubstate = 'r'";
        await eventually(async () =>
          assert.deepEqual(
            await q(ctx.replica, ready),
            [{ t: "users" }],
            "users copied, blog_posts at the gate",
          ),
        );
        assert.equal(
          repairOf((await runProgram(ctx.engine, PROGRAM, slow, "preview", "drift")).steps),
          undefined,
          "nothing to repair yet: its copy is under way",
        );
        // Then the publication is dropped by hand, rows are written, and it is created again:
        // users's stream has a gap (a PG18 publisher skips those rows, PG15 loops on an error).
        await q(ctx.primary, "DROP PUBLICATION drift_pub");
        await write();
        await q(ctx.primary, "CREATE PUBLICATION drift_pub FOR TABLE users, blog_posts");
        await write();
        const preview = await runProgram(ctx.engine, PROGRAM, slow, "preview", "drift");
        const announced = repairOf(preview.steps);
        assert.ok(announced, "a repair announced");
        assert.match(
          announced.reasons.join("; "),
          /what publishes public\.blog_posts, public\.users is dropped, re-created/,
        );
        await gate.open();
        const done = await up({ ...slow, syncTimeout: "60" });
        assert.deepEqual(repairOf(done)?.tables, announced.tables);
        assert.notDeepEqual(
          await q(ctx.replica, "SELECT oid::int FROM pg_subscription"),
          created,
          "subscribed again",
        );
      } finally {
        await gate.remove();
      }
      await settlesEqual();
    });

    if (pubMajor !== subMajor)
      it("leaves everything as it was when a long query on the replica holds a table the repair empties, and repairs once it ends", async () => {
        await freshStart();
        // The rows written before the publication goes are applied first (after it, none are): the
        // count below is then the replica's for good, unless the repair empties it.
        await converge(ctx.primary, ctx.replica, DB, ["users", "blog_posts"], 60_000);
        await q(ctx.primary, "DROP PUBLICATION drift_pub");
        await write();
        const before = await q(ctx.replica, "SELECT oid::int, subslotname FROM pg_subscription");
        const rows = await q(ctx.replica, "SELECT count(*)::int AS n FROM users");
        const report = await holdTableLock(
          ctx.replica.url(DB),
          "nightly report",
          "SELECT count(*) FROM users",
        );
        const quick = { ...ctx.config, lockTimeout: "1" };
        try {
          const refused = await runProgram(ctx.engine, PROGRAM, quick, "up", "drift");
          assert.ok(refused.error, "the up fails");
          assertLockTriesError(
            new Error(refused.error),
            {
              pid: report.pid,
              application: "nightly report",
              mode: "AccessShareLock",
              table: "public.users",
            },
            [ctx.primary.password, ctx.replica.password],
          );
          assert.match(refused.error, /Nothing was emptied or dropped/);
          assert.deepEqual(await q(ctx.replica, "SELECT oid::int, subslotname FROM pg_subscription"), before);
          assert.deepEqual(
            await q(ctx.replica, "SELECT count(*)::int AS n FROM users"),
            rows,
            "nothing emptied",
          );
          const slots = await q(ctx.primary, "SELECT slot_name FROM pg_replication_slots");
          assert.deepEqual(
            slots.map((r) => r.slot_name),
            ["drift_sub"],
            "the slot kept",
          );
        } finally {
          await report.release();
        }
        const preview = await runProgram(ctx.engine, PROGRAM, quick, "preview", "drift");
        assert.ok(repairOf(preview.steps), "the repair still announced");
        assert.ok(repairOf(await up(quick)), "then done");
        await settlesEqual();
      });

    if (pubMajor !== subMajor)
      it("drops the subscription first when its own initial copy holds a table the repair empties", async () => {
        await freshStart();
        await gate.close();
        try {
          const held = { ...ctx.config, copyMethod: "postgres", syncTimeout: "2", lockTimeout: "1" };
          await q(ctx.primary, "DROP PUBLICATION drift_pub");
          await write();
          const first = await runProgram(ctx.engine, PROGRAM, held, "up", "drift");
          assert.match(first.error ?? "", /did not finish within 2 s/, "the re-copy stops at the gate");
          const copying = `SELECT count(*)::int AS n FROM pg_stat_subscription WHERE relid = 'blog_posts'::regclass AND pid IS NOT NULL`;
          assert.deepEqual(await q(ctx.replica, copying), [{ n: 1 }], "blog_posts's copy is under way");
          await dropSlot(ctx);
          await write();
          const preview = await runProgram(ctx.engine, PROGRAM, held, "preview", "drift");
          assert.match(repairOf(preview.steps)?.reasons.join("; ") ?? "", /no longer exists/);
          // Its own copy holds blog_posts: waiting for that lock would fail; the drop stops it.
          const second = await runProgram(ctx.engine, PROGRAM, held, "up", "drift");
          assert.match(second.error ?? "", /did not finish within 2 s/, "repaired; the new copy at the gate");
          assert.doesNotMatch(second.error ?? "", /could not lock/);
          await gate.open();
          assert.equal(repairOf(await up({ ...held, syncTimeout: "60" })), undefined, "the copy finished");
          await settlesEqual();
        } finally {
          await gate.remove();
        }
      });

    it("ran repairs right after a repair (the order of the scenarios keeps that covered)", () =>
      assert.ok(afterRepair.length >= 3, `repairs after a repair: ${JSON.stringify(afterRepair)}`));
  });
}
