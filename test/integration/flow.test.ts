// Issue 2's flow end to end: the quickstart program captured under setMocks, its serialized
// providers loaded by Pulumi's dynamic-provider host from the installed package, driven over gRPC
// as `pulumi preview/up/refresh/destroy` would, on real PostgreSQL servers.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { captureProgram, type CapturedResource } from "../harness/capture";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import type { Major, TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { seededPair } from "../harness/seed";
import { eventually, plainOutputs } from "../harness/util";
import {
  PUBLICATION_SECRET_OUTPUTS,
  SCHEMA_SYNC_SECRET_OUTPUTS,
  SUBSCRIPTION_SECRET_OUTPUTS,
} from "../../src";
import { pairs } from "../harness/matrix";

const QUICKSTART = path.join(ROOT, "examples", "quickstart", "index.ts");
const SECRET_KEYS: Record<string, readonly string[]> = {
  Publication: PUBLICATION_SECRET_OUTPUTS,
  SchemaSync: SCHEMA_SYNC_SECRET_OUTPUTS,
  Subscription: SUBSCRIPTION_SECRET_OUTPUTS,
};

const PAIRS: [Major, Major][] = [
  [15, 15],
  [18, 18],
  [14, 18],
];

for (const [pubMajor, subMajor] of pairs(PAIRS)) {
  describe(`quickstart through the provider host, PG${pubMajor} → PG${subMajor}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const program = (tables?: string[]): Promise<CapturedResource[]> =>
      captureProgram(QUICKSTART, {
        primaryUrl: primary.url("app"),
        replicaUrl: replica.url("app"),
        ...(tables ? { tables: JSON.stringify(tables) } : {}),
      });
    const onReplica = <T>(sql: string) => replica.query<T>(sql, [], "app");
    const onPrimary = <T>(sql: string) => primary.query<T>(sql, [], "app");

    before(async () => {
      [primary, replica] = await seededPair(pubMajor, subMajor);
      engine = await Engine.start();
    });

    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it("serializes each provider as a small loader of the installed package, with no code of ours", async () => {
      for (const r of await program()) {
        const text = String(r.inputs.__provider);
        assert.match(text, /"pulumi-pg-replication\/dist\/[a-zA-Z]+\/provider\.js"/, r.type);
        assert.ok(text.length < 4096, `${r.type}: ${text.length} bytes`);
        assert.ok(!/withSession|CREATE |SELECT /.test(text), `${r.type}: implementation code was captured`);
        assert.ok(!text.includes(primary.password), `${r.type}: the closure captured a password`);
      }
    });

    scenario("the quickstart's life: preview, up, changes flowing, a table added, destroy", [
      [
        "previews three creates, then up copies the schema and the seed rows arrive",
        async () => {
          const resources = await program();
          const plan = await engine.preview(resources);
          assert.deepEqual(
            plan.map((s) => [s.urn.split("::").pop(), s.op, s.failures]),
            [
              ["users", "create", undefined],
              ["users", "create", undefined],
              ["users", "create", undefined],
            ],
          );
          await engine.up(resources);
          const users = await onReplica<{ email: string }>("SELECT email FROM users ORDER BY id");
          assert.deepEqual(
            users.map((u) => u.email),
            ["ada@example.com", "grace@example.com", "linus@example.com"],
          );
          const posts = await onReplica<{ title: string }>("SELECT title FROM blog_posts ORDER BY id");
          assert.deepEqual(
            posts.map((p) => p.title),
            ["Hello", "Compilers"],
          );
          const pk = await onReplica<{ def: string }>(
            "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'blog_posts'::regclass AND contype = 'p'",
          );
          assert.deepEqual(pk, [{ def: "PRIMARY KEY (id)" }]);
          const slots = await onPrimary<{ slot_name: string }>("SELECT slot_name FROM pg_replication_slots");
          assert.deepEqual(
            slots.map((s) => s.slot_name),
            ["postgresml_users"],
          );
        },
      ],

      [
        "replicates inserts, updates and deletes made on the primary",
        async () => {
          await onPrimary("INSERT INTO users (email, name) VALUES ('barbara@example.com', 'Barbara')");
          await onPrimary("UPDATE users SET name = 'Countess Ada' WHERE email = 'ada@example.com'");
          await onPrimary("DELETE FROM blog_posts WHERE title = 'Compilers'");
          await eventually(async () => {
            const users = await onReplica<{ email: string; name: string }>(
              "SELECT email, name FROM users ORDER BY id",
            );
            assert.deepEqual(users, [
              { email: "ada@example.com", name: "Countess Ada" },
              { email: "grace@example.com", name: "Grace" },
              { email: "linus@example.com", name: "Linus" },
              { email: "barbara@example.com", name: "Barbara" },
            ]);
            const posts = await onReplica<{ title: string }>("SELECT title FROM blog_posts ORDER BY id");
            assert.deepEqual(
              posts.map((p) => p.title),
              ["Hello"],
            );
          });
        },
      ],

      [
        "reports no changes on a second preview with unchanged inputs, nor after refresh",
        async () => {
          const resources = await program();
          assert.deepEqual(
            (await engine.preview(resources)).map((s) => s.op),
            ["same", "same", "same"],
          );
          await engine.refresh();
          assert.equal(engine.state.size, 3);
          assert.deepEqual(
            (await engine.preview(resources)).map((s) => s.op),
            ["same", "same", "same"],
          );
        },
      ],

      [
        "keeps passwords out of every output that is not secret and out of the host's log",
        () => {
          for (const s of engine.state.values()) {
            const kind = s.type.split(":").pop()!;
            const plain = plainOutputs(s.outputs, SECRET_KEYS[kind]!);
            assert.ok(
              !plain.includes(primary.password) && !plain.includes(replica.password),
              `${kind} leaks a password`,
            );
          }
          assert.ok(!engine.log.includes(primary.password) && !engine.log.includes(replica.password));
        },
      ],

      [
        "adds a table in place: publication, schema and subscription update, and its existing rows arrive",
        async () => {
          const resources = await program(["users", "blog_posts", "comments"]);
          // At preview the publication has not gained the table yet, so the subscription looks unchanged;
          // during up its check runs after the publication's update (it waits for pub.name) and refreshes.
          const plan = await engine.preview(resources);
          assert.deepEqual(
            plan.map((s) => s.op),
            ["update", "update", "same"],
          );
          const slotBefore = await onPrimary<{ slot_name: string }>(
            "SELECT slot_name FROM pg_replication_slots",
          );
          const steps = await engine.up(resources);
          assert.deepEqual(
            steps.map((s) => s.op),
            ["update", "update", "update"],
          );
          const comments = await onReplica<{ body: string }>("SELECT body FROM comments ORDER BY id");
          assert.deepEqual(
            comments.map((c) => c.body),
            ["Nice", "Agreed", "Classic"],
          );
          await onPrimary("INSERT INTO comments (post_id, body) VALUES (1, 'Late')");
          await eventually(async () => {
            const n = await onReplica<{ n: string }>("SELECT count(*) AS n FROM comments");
            assert.equal(Number(n[0]!.n), 4);
          });
          // No re-copy of the first tables: the same slot, and users were not duplicated.
          assert.deepEqual(await onPrimary("SELECT slot_name FROM pg_replication_slots"), slotBefore);
          const users = await onReplica<{ n: string }>("SELECT count(*) AS n FROM users");
          assert.equal(Number(users[0]!.n), 4);
          assert.deepEqual(
            (await engine.preview(resources)).map((s) => s.op),
            ["same", "same", "same"],
          );
        },
      ],

      [
        "leaves no publication, subscription or replication slot on either server after destroy",
        async () => {
          await engine.destroy();
          assert.deepEqual(await onPrimary("SELECT pubname FROM pg_publication"), []);
          assert.deepEqual(await onPrimary("SELECT slot_name FROM pg_replication_slots"), []);
          assert.deepEqual(await onReplica("SELECT subname FROM pg_subscription"), []);
          assert.deepEqual(await onReplica("SELECT slot_name FROM pg_replication_slots"), []);
          // The replicated data itself survives (dropOnDelete defaults to false).
          const users = await onReplica<{ n: string }>("SELECT count(*) AS n FROM users");
          assert.equal(Number(users[0]!.n), 4);
        },
      ],
    ]);
  });
}
