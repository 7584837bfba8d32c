// examples/migrate-from-pulumi-postgresql through the provider host: a publication and a
// subscription made as @pulumi/postgresql makes them (its provider cannot run here: its SQL is run
// by hand, and its resources are taken out of the stack as `pulumi state delete` would), then the
// example adopts them. The preview says that adopting changes nothing; up drops, re-creates and
// re-copies nothing (the same publication and subscription, each row inserted once on the replica);
// rows keep arriving; a refreshed preview shows no changes.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { converge } from "../harness/drill/load";
import { Engine } from "../harness/engine";
import { ROOT } from "../harness/install";
import { runProgram } from "../harness/live";
import type { TestServer } from "../harness/postgres";
import { seededPair } from "../harness/seed";
import { eventually } from "../harness/util";

const PROGRAM = path.join(ROOT, "examples", "migrate-from-pulumi-postgresql", "index.ts");

describe("examples/migrate-from-pulumi-postgresql, PG16 → PG16", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const config = () => ({ primaryUrl: primary.url("app"), replicaUrl: replica.url("app") });
  const q = (s: TestServer, sql: string) => s.query<Record<string, unknown>>(sql, [], "app");

  before(async () => {
    [primary, replica] = await seededPair(16, 16);
    // What the old stack made: the tables on the replica (a schema copy by hand), the publication
    // (postgresql.Publication) and the subscription (postgresql.Subscription, its conninfo).
    for (const sql of [
      "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(100), created_at timestamptz NOT NULL DEFAULT now())",
      "CREATE TABLE blog_posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), title text NOT NULL, body text, published boolean DEFAULT false)",
      "CREATE INDEX blog_posts_user_idx ON blog_posts (user_id)",
    ])
      await q(replica, sql);
    await q(primary, "CREATE PUBLICATION app_pub FOR TABLE users, blog_posts");
    await q(
      replica,
      `CREATE SUBSCRIPTION app_sub CONNECTION 'host=127.0.0.1 port=${primary.port} dbname=app user=postgres password=${primary.password}' PUBLICATION app_pub`,
    );
    await eventually(async () =>
      assert.deepEqual(await q(replica, "SELECT count(*)::int AS n FROM users"), [{ n: 3 }]),
    );
    // Every table's copy over, its table-sync slot gone: what the adoption must leave as it finds.
    await eventually(async () => {
      assert.deepEqual(
        await q(replica, "SELECT srsubstate AS s FROM pg_subscription_rel WHERE srsubstate <> 'r'"),
        [],
      );
      assert.deepEqual(await q(primary, "SELECT slot_name FROM pg_replication_slots"), [
        { slot_name: "app_sub" },
      ]);
    });
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it("adopts both with nothing changed on the servers and no re-copy", async () => {
    const oids = async () => ({
      pub: await q(primary, "SELECT oid::int FROM pg_publication"),
      sub: await q(replica, "SELECT oid::int FROM pg_subscription"),
      slots: await q(primary, "SELECT slot_name FROM pg_replication_slots"),
    });
    const before = await oids();
    const preview = await runProgram(engine, PROGRAM, config(), "preview", "migrate");
    assert.equal(preview.error, undefined);
    const adoption = Object.fromEntries(
      preview.steps
        .filter((s) => s.checked?.adoption !== undefined)
        .map((s) => [s.urn.split("::")[2]!.split(":").pop(), s.checked!.adoption]),
    );
    assert.deepEqual(adoption, { Publication: ["nothing"], Subscription: ["nothing"] });
    const up = await runProgram(engine, PROGRAM, config(), "up", "migrate");
    assert.equal(up.error, undefined);
    assert.deepEqual(await oids(), before, "the same publication, subscription and slot");
    await q(primary, "INSERT INTO users (email, name) VALUES ('after@example.com', 'After')");
    const { comparisons } = await converge(primary, replica, "app", ["users", "blog_posts"], 60_000);
    for (const c of comparisons)
      assert.deepEqual([c.table, c.lost, c.duplicated, c.md5Equal], [c.table, 0, 0, true]);
    // The apply worker reports its inserts to the statistics a moment after they commit; a re-copy
    // would count 7 (3 copied, 3 copied again, 1 applied).
    await eventually(async () =>
      assert.deepEqual(
        await q(replica, "SELECT n_tup_ins::int AS n FROM pg_stat_user_tables WHERE relname = 'users'"),
        [{ n: 4 }],
        "each row inserted once: no re-copy",
      ),
    );
    await engine.refresh();
    const again = await runProgram(engine, PROGRAM, config(), "preview", "migrate");
    assert.deepEqual(
      again.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`),
      [],
    );
  });
});
