// The LogicalReplication component through the provider host, run live (outputs flow as the engine
// hands them): publication, pre-data schema, subscription, then the indexes, unique constraints
// and foreign keys built after the copy. A table added later takes the same path in one `up`; an
// `up` interrupted between the phases (the host killed while the indexes are being built) is
// finished by the next one, and the preview in between says what is missing.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { pairBed } from "../harness/bed";
import { Engine, type PlannedStep } from "../harness/engine";
import { converge } from "../harness/drill/load";
import { ROOT } from "../harness/install";
import { runProgram } from "../harness/live";
import type { TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { holdTableLock } from "../harness/util";
import { COPY_APPLICATION } from "../../src/pg/holders";
import { CLOUD_ADMIN, cloudPair, roleUrl, seededPair } from "../harness/seed";
import { majors } from "../harness/matrix";

const PROGRAM = path.join(ROOT, "test", "fixtures", "component", "index.ts");
const summary = (steps: PlannedStep[]) => steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`);

/** Waits for the replica to catch up, then asserts it equals the primary: no row lost or duplicated, md5 equal. */
async function assertReplicated(primary: TestServer, replica: TestServer, tables: string[]): Promise<void> {
  const { comparisons } = await converge(primary, replica, "app", tables);
  for (const c of comparisons)
    assert.deepEqual([c.table, c.lost, c.duplicated, c.md5Equal], [c.table, 0, 0, true]);
}

for (const major of majors([15, 18]))
  describe(`LogicalReplication, PG${major} → PG${major}: indexes after the copy`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const config = (tables: string[]) => ({
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url("app"),
      tables: JSON.stringify(tables),
    });
    const run = async (tables: string[], mode: "preview" | "up") => {
      const r = await runProgram(engine, PROGRAM, config(tables), mode, "component");
      if (r.error) throw new Error(r.error);
      return r.steps;
    };
    const indexes = async (table: string) =>
      (
        await replica.query<{ i: string }>(
          "SELECT indexname AS i FROM pg_indexes WHERE tablename = $1 ORDER BY 1",
          [table],
          "app",
        )
      ).map((r) => r.i);
    const constraints = async (table: string) =>
      replica.query<{ n: string; v: boolean }>(
        "SELECT conname AS n, convalidated AS v FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY 1",
        [table],
        "app",
      );

    before(async () => {
      [primary, replica] = await seededPair(major, major);
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    scenario("both phases, a table added later, and an up interrupted between the phases", [
      [
        "previews both phases, then copies into tables without their secondary indexes and builds them after",
        async () => {
          const preview = await run(["users", "blog_posts"], "preview");
          assert.deepEqual(summary(preview), [
            "create app",
            "create app",
            "create app",
            "create app-indexes",
          ]);
          assert.deepEqual(
            preview.flatMap((s) => s.failures ?? []),
            [],
            "a first preview passes: the post-data plans for tables the pre-data will create",
          );
          const indexPlan = preview.find((s) => s.urn.endsWith("SchemaSync::app-indexes"))!.checked!
            .pending as Record<string, string[]>;
          assert.deepEqual(indexPlan["public.blog_posts"], [
            "create index blog_posts_user_idx on public.blog_posts",
            "add foreign key blog_posts_user_id_fkey on public.blog_posts (NOT VALID)",
            "validate foreign key blog_posts_user_id_fkey on public.blog_posts",
          ]);
          const steps = await run(["users", "blog_posts"], "up");
          assert.deepEqual(
            steps.map((s) => s.op),
            ["create", "create", "create", "create"],
          );
          const pre = steps.find((s) => s.urn.endsWith("SchemaSync::app"))!.checked!.pending as Record<
            string,
            string[]
          >;
          assert.ok(
            !JSON.stringify(pre).includes("blog_posts_user_idx"),
            "the pre-data phase builds no secondary index",
          );
          assert.deepEqual(await indexes("blog_posts"), ["blog_posts_pkey", "blog_posts_user_idx"]);
          assert.deepEqual(await indexes("users"), ["users_email_key", "users_pkey"]);
          assert.deepEqual(await constraints("blog_posts"), [{ n: "blog_posts_user_id_fkey", v: true }]);
          // binary "auto" (the default): binary on PG16+ with both sides alike, text before.
          assert.deepEqual(await replica.query("SELECT subbinary FROM pg_subscription", [], "app"), [
            { subbinary: major >= 16 },
          ]);
          await assertReplicated(primary, replica, ["users", "blog_posts"]);
          assert.deepEqual(
            summary(await run(["users", "blog_posts"], "preview")).map((s) => s.split(" ")[0]),
            ["same", "same", "same", "same"],
          );
        },
      ],

      [
        "takes a table added later through the same path in one up",
        async () => {
          assert.deepEqual(
            (await run(["users", "blog_posts", "comments"], "preview")).map((s) => s.op),
            ["update", "update", "update", "update"],
          );
          await run(["users", "blog_posts", "comments"], "up");
          assert.deepEqual(await indexes("comments"), ["comments_pkey"]);
          assert.deepEqual(await constraints("comments"), [{ n: "comments_post_id_fkey", v: true }]);
          assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM comments", [], "app"), [
            { n: 3 },
          ]);
        },
      ],

      [
        "finishes the indexes on the next up after one interrupted between the phases, the preview saying what is missing",
        async () => {
          const tables = ["users", "blog_posts", "comments"];
          await primary.query("CREATE INDEX comments_body_idx ON comments (body)", [], "app");
          // A session on the replica that holds ROW EXCLUSIVE on comments: replication goes on, but
          // CREATE INDEX (SHARE) waits — the host is killed while it waits.
          const blocker = new pg.Client({
            host: replica.socketDir,
            port: replica.port,
            user: "postgres",
            database: "app",
          });
          await blocker.connect();
          await blocker.query("BEGIN; UPDATE comments SET id = id WHERE false");
          const interrupted = runProgram(engine, PROGRAM, config(tables), "up", "component");
          for (let i = 0; i < 300; i++) {
            const waiting = await replica.query(
              "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'CREATE INDEX%'",
              [],
              "app",
            );
            if (waiting.length > 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          await engine.restartHost();
          const r = await interrupted;
          assert.ok(r.error, "the up was interrupted");
          // The server ends the killed host's statement too (it would notice the closed socket later).
          await replica.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX%' AND pid <> pg_backend_pid()",
            [],
            "app",
          );
          await blocker.query("ROLLBACK");
          await blocker.end();
          await primary.query(
            "INSERT INTO comments (post_id, body) VALUES (1, 'during the interruption')",
            [],
            "app",
          );
          const preview = await run(tables, "preview");
          assert.deepEqual(
            preview.map((s) => s.op),
            ["same", "same", "same", "update"],
          );
          assert.match(JSON.stringify(preview[3]!.checked!.pending), /create index comments_body_idx/);
          await run(tables, "up");
          assert.ok((await indexes("comments")).includes("comments_body_idx"));
          await assertReplicated(primary, replica, tables);
          await engine.refresh();
          assert.deepEqual(
            (await run(tables, "preview")).map((s) => s.op),
            ["same", "same", "same", "same"],
          );
          await engine.destroy();
        },
      ],
    ]);
  });

describe("LogicalReplication with sequences: true, PG15 → PG18, from the first up", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const run = async (mode: "preview" | "up") => {
    const config = {
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url("app"),
      tables: JSON.stringify(["users", "blog_posts"]),
      sequences: "true",
    };
    const r = await runProgram(engine, PROGRAM, config, mode, "component");
    if (r.error) throw new Error(r.error);
    return r.steps;
  };

  before(async () => {
    [primary, replica] = await seededPair(15, 18);
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("previews the SequenceSync before the replica has the tables, then advances the sequences in the same up", async () => {
    const preview = await run("preview");
    assert.deepEqual(summary(preview).sort(), [
      "create app",
      "create app",
      "create app",
      "create app-indexes",
      "create app-sequences",
    ]);
    assert.deepEqual(
      preview.flatMap((s) => s.failures ?? []),
      [],
      "no check failure for sequences the replica does not have yet",
    );
    await run("up");
    for (const [table, seq] of [
      ["users", "users_id_seq"],
      ["blog_posts", "blog_posts_id_seq"],
    ]) {
      const [p] = await primary.query<{ v: string }>(`SELECT last_value::text AS v FROM ${seq}`, [], "app");
      const inserted = await replica.query<{ id: string }>(
        table === "users"
          ? "INSERT INTO users (email) VALUES ('new@example.com') RETURNING id::text AS id"
          : "INSERT INTO blog_posts (user_id, title) VALUES (1, 'new') RETURNING id::text AS id",
        [],
        "app",
      );
      assert.equal(
        BigInt(inserted[0]!.id),
        BigInt(p!.v) + 1n,
        `${table}: the replica's next id follows the primary's`,
      );
    }
    // (The rows were only a probe: a replica that follows takes no writes of its own.)
    await replica.query(
      "DELETE FROM blog_posts WHERE title = 'new'; DELETE FROM users WHERE email = 'new@example.com'",
      [],
      "app",
    );
    await primary.query(
      "INSERT INTO users (email) VALUES ('later1@example.com'), ('later2@example.com')",
      [],
      "app",
    );
    const next = await run("preview");
    assert.deepEqual(
      summary(next.filter((s) => s.op !== "same")),
      ["update app-sequences"],
      "the primary used a value the replica has not reached",
    );
  });
});

describe("LogicalReplication as a managed cloud's admin role, PG18 → PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const { user, password } = CLOUD_ADMIN;
  before(async () => {
    [primary, replica] = await cloudPair(18, 18);
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("copies, builds the indexes after the copy and picks binary, with no superuser anywhere", async () => {
    const config = {
      primaryUrl: roleUrl(primary, user, password),
      replicaUrl: roleUrl(replica, user, password),
      tables: JSON.stringify(["users", "blog_posts"]),
    };
    const up = await runProgram(engine, PROGRAM, config, "up", "component");
    if (up.error) throw new Error(up.error);
    assert.deepEqual(
      await replica.query(
        "SELECT pg_catalog.pg_get_userbyid(subowner) AS owner, subbinary FROM pg_subscription",
        [],
        "app",
      ),
      [{ owner: user, subbinary: true }],
    );
    assert.deepEqual(
      (
        await replica.query<{ i: string }>(
          "SELECT indexname AS i FROM pg_indexes WHERE tablename = 'blog_posts' ORDER BY 1",
          [],
          "app",
        )
      ).map((r) => r.i),
      ["blog_posts_pkey", "blog_posts_user_idx"],
    );
    await assertReplicated(primary, replica, ["users", "blog_posts"]);
    const again = await runProgram(engine, PROGRAM, config, "preview", "component");
    assert.deepEqual(
      again.steps.map((st) => st.op),
      ["same", "same", "same", "same"],
    );
  });
});

describe("LogicalReplication, PG18 → PG18: a preview behind another session's table lock", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const tables = ["users", "blog_posts"];
  const configWith = (more: Record<string, string> = {}) => ({
    primaryUrl: primary.url("app"),
    replicaUrl: replica.url("app"),
    tables: JSON.stringify(tables),
    ...more,
  });
  pairBed(18, 18, (b) => ({ primary, replica, engine } = b));

  it("a preview behind a table locked on either server ends after its bound, naming who holds the lock, and passes once it is released", async () => {
    const first = await runProgram(engine, PROGRAM, configWith(), "up", "component");
    assert.equal(first.error, undefined);
    // lockTimeoutSeconds 1: a check, diff or refresh waits 3 s for a table lock.
    const config = configWith({ lockTimeoutSeconds: "1" });
    for (const [side, server, application] of [
      ["primary", primary, "migration"],
      ["replica", replica, "migration"],
      // As an `up`'s snapshot copy holds a table it fills (its sessions' name: pg/holders.ts).
      ["replica", replica, COPY_APPLICATION],
    ] as const) {
      // As an ALTER TABLE left in an open transaction holds it: catalog reads of the table
      // (pg_get_expr takes ACCESS SHARE on it) wait for it, as long as it stays open.
      const holder = await holdTableLock(
        server.url("app"),
        application,
        "LOCK TABLE users IN ACCESS EXCLUSIVE MODE",
      );
      try {
        // `pulumi preview` starts a provider host of its own: nothing read by the up before is
        // kept (a read kept in this host, its catalog rows unchanged, would need no table lock).
        await engine.restartHost();
        const started = Date.now();
        const bounded = runProgram(engine, PROGRAM, config, "preview", "component");
        const result = await Promise.race([
          bounded,
          new Promise<"hung">((r) => setTimeout(() => r("hung"), 25_000).unref()),
        ]);
        assert.notEqual(result, "hung", `${side}: the preview waited more than 25 s`);
        // A check failure, as `pulumi preview` reports it (the resource reading that server).
        const { steps } = result as Awaited<typeof bounded>;
        const error = steps
          .flatMap((st) => (st.failures ?? []).map((f) => `${f.property}: ${f.reason}`))
          .join("\n");
        const seconds = (Date.now() - started) / 1000;
        assert.ok(seconds < 20, `${side}: ended after ${seconds} s`);
        assert.match(error ?? "", /a read on \S+ waited 3 s for a table lock another session holds/, side);
        assert.match(
          error ?? "",
          new RegExp(
            `pid ${holder.pid} \\(user postgres, application "${application}", idle in transaction, transaction open \\d+ s\\) holds AccessExclusiveLock on public\\.users`,
          ),
          side,
        );
        assert.equal(
          /holds AccessExclusiveLock on public\.users: the snapshot copy of an `up` of this package running now/.test(
            error,
          ),
          application === COPY_APPLICATION,
          `${side}: says when the holder is this package's copy`,
        );
        assert.match(error ?? "", /Run again once it is released, or raise `lockTimeoutSeconds`/, side);
        assert.ok(!(error ?? "").includes(primary.password), "no password in the error");
      } finally {
        await holder.release();
      }
    }
    const after = await runProgram(engine, PROGRAM, config, "preview", "component");
    assert.equal(after.error, undefined);
    assert.deepEqual(
      after.steps.filter((s) => s.op !== "same").map((s) => s.urn.split("::").pop()),
      [],
      "released: the preview passes (lockTimeoutSeconds changes nothing on the servers)",
    );
  });
});
