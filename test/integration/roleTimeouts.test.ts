// The roles' timeouts where a managed cloud or a careful DBA sets them, through the provider host:
// the publisher role's statement, transaction and idle timeouts, turned off for the subscription's
// own sessions there (its connection's options), with PostgreSQL's copy, "auto"'s handover and the
// stream running under them; the subscription owner's transaction_timeout on the subscriber,
// which ends PostgreSQL's table-sync workers (17, 18) and its apply workers (18). CPU-heavy (tables
// of 100 000–200 000 rows copied, indexed and replayed under 100–400 ms timeouts): left to the
// full matrix (test/run.ts FULL_ONLY, CI's Node.js 22 pass); npm test runs the decisions' unit
// tests (test/unit/subscription/snapshotCopy.test.ts).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cloudBed } from "../harness/bed";
import { converge } from "../harness/drill/load";
import { Engine } from "../harness/engine";
import { snapshotProgram } from "../harness/live";
import type { TestServer } from "../harness/postgres";
import { CLOUD_ADMIN, queryAs, roleUrl } from "../harness/seed";
import { eventually } from "../harness/util";

const DB = "app";
/** `sql` run on `server` as the managed cloud's admin role (no superuser). */
const asAdmin = (server: TestServer, sql: string) =>
  queryAs(server, CLOUD_ADMIN.user, CLOUD_ADMIN.password, sql, DB);

/** The snapshot copy's program with `copyMethod` on `tables`, run as the cloud admin role on both servers. */
const asCloudAdmin = (
  primary: TestServer,
  replica: TestServer,
  method: string,
  tables: string[],
  more: Record<string, string> = {},
) =>
  snapshotProgram(primary, replica, DB, tables, {
    copyMethod: method,
    primaryUrl: roleUrl(primary, CLOUD_ADMIN.user, CLOUD_ADMIN.password),
    replicaUrl: roleUrl(replica, CLOUD_ADMIN.user, CLOUD_ADMIN.password),
    ...more,
  });

// A statement_timeout set for the roles on both servers (as managed services and careful DBAs
// do): measured at 1 s before this was handled, the snapshot copy failed ("canceling statement due
// to statement timeout"), PostgreSQL's copy was cancelled and retried without end (54 sync errors
// in 60 s), and the post-data's index builds were cancelled; an idle_session_timeout ended the
// replication connection holding the copy's snapshot, and a kept connection between two calls; a
// transaction_timeout (PostgreSQL 17) ended the copy's sessions ("write ECONNRESET"), and the
// publisher role's ended the WAL sender replaying a long transaction, retried without end.
describe("a statement_timeout, a transaction_timeout and an idle_session_timeout on the program's roles, PG18", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const ROLE_TIMEOUTS = `statement_timeout = '100ms'; ALTER ROLE ${CLOUD_ADMIN.user} SET idle_session_timeout = '300ms'; ALTER ROLE ${CLOUD_ADMIN.user} SET transaction_timeout = '400ms'`;
  cloudBed(
    18,
    (b) => ({ primary, replica, engine } = b),
    async (primary, replica) => {
      await asAdmin(
        primary,
        `CREATE TABLE timed (id bigint PRIMARY KEY, a int NOT NULL, pad text);
       INSERT INTO timed SELECT g, g, repeat('p', 80) FROM generate_series(1, 200000) g;
       CREATE INDEX timed_a ON timed (a); CREATE INDEX timed_pad ON timed (pad, a);
       CREATE TABLE later (id bigint PRIMARY KEY, pad text);
       INSERT INTO later SELECT g, repeat('l', 80) FROM generate_series(1, 100000) g;
       CREATE TABLE tiny (id bigint PRIMARY KEY, v text);
       INSERT INTO tiny SELECT g, 'v' || g FROM generate_series(1, 50) g`,
      );
      // Shorter than the copy, the index builds and the replay of these tables take here.
      for (const server of [primary, replica])
        await server.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET ${ROLE_TIMEOUTS}`);
    },
  );
  const run = (method: string, tables = ["timed"]) => asCloudAdmin(primary, replica, method, tables);
  const subconninfo = async () =>
    (await replica.query<{ c: string }>("SELECT subconninfo AS c FROM pg_subscription", [], DB)).map((r) =>
      r.c.replace(/password='[^']*'|password=\S+/, "password=…"),
    );
  const md5Equal = async (tables: string[]) => {
    const { comparisons } = await converge(primary, replica, DB, tables, 60_000);
    return comparisons.map((c) => [c.table, c.lost, c.duplicated, c.differing, c.md5Equal]);
  };

  it("turns the publisher role's off for the subscription's own sessions: PostgreSQL's copy and the stream run; the owner's transaction_timeout is refused", async () => {
    // The subscription owner's transaction_timeout (18) is refused, with its fix; nothing else.
    const owner =
      /connection: the subscriber runs the sessions of role "cloudadmin", the subscription's owner, with transaction_timeout = 400ms .*ends its apply workers .*ALTER ROLE "cloudadmin" SET transaction_timeout = 0; on the subscriber/;
    for (const method of ["postgres", "auto"]) {
      const from = engine.log.length;
      const refused = await run(method)("up", engine);
      assert.match(
        engine.log.slice(from),
        /Subscription "snap": the publisher runs the sessions of role "cloudadmin" with idle_session_timeout = 300ms and statement_timeout = 100ms and transaction_timeout = 400ms, which would cut PostgreSQL's copy and the stream short: the subscription's connection turns them off/,
        method,
      );
      assert.match(refused.error ?? "", owner, method);
      assert.doesNotMatch(refused.error ?? "", /publisher runs the sessions/, method);
      // It also never lets PostgreSQL's table synchronisation finish a table (measured: ended
      // twice a second, no sync error): "postgres" is refused for that too, "auto" copies itself.
      const sync =
        /copyMethod: .*ends PostgreSQL's table synchronisation workers whenever copying a table takes longer/;
      if (method === "postgres") assert.match(refused.error ?? "", sync);
      else assert.doesNotMatch(refused.error ?? "", /synchronisation/, method);
    }
    assert.deepEqual(await replica.query("SELECT subname FROM pg_subscription", [], DB), []);
    await replica.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET transaction_timeout = 0`);
    // The program's copy, its sessions under the replica role's timeouts; the subscription made
    // with the publisher role's turned off in its connection.
    const up = await run("snapshot")("up", engine);
    assert.equal(up.error, undefined);
    assert.deepEqual(await subconninfo(), [
      `host='127.0.0.1' port='${primary.port}' dbname='${DB}' user='${CLOUD_ADMIN.user}' password=… options='-c idle_session_timeout=0 -c statement_timeout=0 -c transaction_timeout=0'`,
    ]);
    const indexes = await replica.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'timed'::regclass AND indisvalid",
      [],
      DB,
    );
    assert.deepEqual(indexes, [{ n: 3 }], "the key and both indexes, built under the role's timeout");
    // A table published later: PostgreSQL's copy (REFRESH) under the publisher role's timeouts
    // (measured before: cancelled and copied again without end; then only warned of).
    const added = await run("snapshot", ["timed", "later"])("up", engine);
    assert.equal(added.error, undefined);
    // A transaction the role's transaction_timeout would have ended the WAL sender replaying
    // (measured: retried without end), and a small one.
    await primary.query("UPDATE timed SET a = a + 1", [], DB);
    await primary.query("UPDATE timed SET a = a + 1 WHERE id <= 10", [], DB);
    assert.deepEqual(await md5Equal(["timed", "later"]), [
      ["timed", 0, 0, 0, true],
      ["later", 0, 0, 0, true],
    ]);
    const byPostgres = await replica.query(
      "SELECT srrelid::regclass::text AS t FROM pg_subscription_rel WHERE srsublsn IS NOT NULL",
      [],
      DB,
    );
    assert.deepEqual(byPostgres, [{ t: "later" }], "PostgreSQL copied the table published later");
    const same = await run("snapshot", ["timed", "later"])("preview", engine);
    assert.deepEqual(
      same.steps.filter((st) => st.op !== "same").map((st) => st.urn.split("::").pop()),
      [],
    );
    // The publisher role's statement_timeout lifted by hand: the preview says the Subscription
    // changes, and up sets its connection again (a non-superuser cannot read it: from the state).
    await primary.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET statement_timeout = 0`);
    // `pulumi preview` runs in a provider host of its own (a connection this one keeps started
    // under the role's old settings).
    await engine.restartHost();
    const said = engine.log.length;
    const lifted = await run("snapshot", ["timed", "later"])("preview", engine);
    assert.match(
      engine.log.slice(said),
      /the publisher role's timeouts changed: up sets the subscription's connection again, turning off idle_session_timeout and transaction_timeout for its sessions there/,
    );
    const changed = lifted.steps.filter((st) => st.op !== "same");
    assert.deepEqual(
      changed.map((st) => [st.op, /:Subscription::snap$/.test(st.urn)]),
      [["update", true]],
      JSON.stringify(changed.map((st) => st.urn)),
    );
    assert.equal((await run("snapshot", ["timed", "later"])("up", engine)).error, undefined);
    assert.deepEqual(await subconninfo(), [
      `host='127.0.0.1' port='${primary.port}' dbname='${DB}' user='${CLOUD_ADMIN.user}' password=… options='-c idle_session_timeout=0 -c transaction_timeout=0'`,
    ]);
    await primary.query("UPDATE timed SET a = a - 1 WHERE id <= 1000", [], DB);
    assert.deepEqual(await md5Equal(["timed"]), [["timed", 0, 0, 0, true]]);
    // The owner's set again by hand: an existing subscription's preview says so, and goes on.
    await replica.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET transaction_timeout = '400ms'`);
    const from = engine.log.length;
    const preview = await run("snapshot", ["timed", "later"])("preview", engine);
    assert.equal(preview.error, undefined);
    assert.deepEqual(
      preview.steps.flatMap((st) => st.failures ?? []),
      [],
    );
    assert.match(
      engine.log.slice(from),
      /the subscriber runs the sessions of role "cloudadmin", the subscription's owner, with transaction_timeout = 400ms .*ends its apply workers/,
    );
    // A table published to it now would be PostgreSQL's to copy (REFRESH), which that timeout
    // never lets finish: refused at preview, naming the table and the fix.
    const adding = await run("snapshot", ["timed", "later", "tiny"])("preview", engine);
    const refusals = adding.steps.flatMap((st) => st.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
    assert.equal(refusals.length, 1, JSON.stringify(refusals));
    assert.match(
      refusals[0]!,
      /^connection: .*ends PostgreSQL's table synchronisation workers .*Run ALTER ROLE "cloudadmin" SET transaction_timeout = 0; on the subscriber before up adds public\.tiny to this subscription/,
    );
  });

  it("auto's handover under the publisher role's timeouts: the small table by the snapshot copy, the big one by PostgreSQL's, both in a connection that turns them off", async () => {
    // The first test's stack gone (the replica's tables by hand), the publisher role's timeouts all
    // set again, the owner's lifted (else refused, as above).
    await engine.destroy();
    await replica.query("DROP TABLE IF EXISTS timed, later", [], DB);
    await primary.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET statement_timeout = '100ms'`);
    await replica.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET transaction_timeout = 0`);
    await engine.restartHost();
    const from = engine.log.length;
    const up = await run("auto", ["later", "tiny"])("up", engine);
    assert.equal(up.error, undefined);
    assert.match(
      engine.log.slice(from),
      /up copies 1 table\(s\) \([^)]+\) under one snapshot[^\n]*; PostgreSQL's table synchronisation copies the other 1 \([^)]+, each above 8\.0 MB\) server to server in the same subscription: public\.later\./,
    );
    // The subscription PostgreSQL's copy ran under was made through the handover: its connection
    // turns off all three.
    assert.deepEqual(await subconninfo(), [
      `host='127.0.0.1' port='${primary.port}' dbname='${DB}' user='${CLOUD_ADMIN.user}' password=… options='-c idle_session_timeout=0 -c statement_timeout=0 -c transaction_timeout=0'`,
    ]);
    const synced = await replica.query(
      "SELECT srrelid::regclass::text AS t, srsublsn IS NOT NULL AS by_postgres FROM pg_subscription_rel ORDER BY 1",
      [],
      DB,
    );
    assert.deepEqual(synced, [
      { t: "later", by_postgres: true },
      { t: "tiny", by_postgres: false },
    ]);
    const pubs = await primary.query<{ p: string }>("SELECT pubname AS p FROM pg_publication", [], DB);
    assert.deepEqual(
      pubs.filter((r) => r.p.endsWith("_handover")),
      [],
      "no handover publication is left",
    );
    // (The stream under the publisher role's timeouts: the first test.)
    await primary.query("UPDATE later SET pad = 'x' WHERE id <= 1000; UPDATE tiny SET v = v || '!'", [], DB);
    assert.deepEqual(await md5Equal(["later", "tiny"]), [
      ["later", 0, 0, 0, true],
      ["tiny", 0, 0, 0, true],
    ]);
  });
});

// PostgreSQL 17's table synchronisation under the subscription owner's transaction_timeout:
// measured on 17.10 (400 ms, a 200 000-row table), its workers were ended about twice a second and
// the table stayed in its data copy without end, no sync error counted. (17's apply worker ran
// past it, so only the copy is at stake there.)
describe("the subscription owner's transaction_timeout on a 17 subscriber", () => {
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  cloudBed(
    17,
    (b) => ({ primary, replica, engine } = b),
    async (primary, replica) => {
      await asAdmin(
        primary,
        `CREATE TABLE big (id bigint PRIMARY KEY, a int NOT NULL, pad text);
       INSERT INTO big SELECT g, g, repeat('b', 80) FROM generate_series(1, 100000) g;
       CREATE TABLE small (id bigint PRIMARY KEY, v text);
       INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 50) g`,
      );
      await replica.query(`ALTER ROLE ${CLOUD_ADMIN.user} SET transaction_timeout = '400ms'`);
    },
  );
  const run = (method: string) => asCloudAdmin(primary, replica, method, ["big", "small"]);

  it('refuses "postgres" at preview; "auto" copies the big table itself instead of handing it to PostgreSQL', async () => {
    const refused = await run("postgres")("preview", engine);
    const reasons = refused.steps.flatMap((st) => st.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
    assert.equal(reasons.length, 1, JSON.stringify(reasons));
    assert.match(
      reasons[0]!,
      /^copyMethod: the subscriber runs the sessions of role "cloudadmin", the subscription's owner, with transaction_timeout = 400ms .*ends PostgreSQL's table synchronisation workers .*or set `copyMethod: "snapshot"` or "auto"/,
    );
    const from = engine.log.length;
    const up = await run("auto")("up", engine);
    assert.equal(up.error, undefined);
    // The big table is one auto would leave to PostgreSQL's copy; the preview says why it does not.
    const [{ bytes }] = await primary.query<{ bytes: number }>(
      "SELECT pg_total_relation_size('big')::int AS bytes",
      [],
      DB,
    );
    assert.ok(bytes > 8 * 1024 * 1024, String(bytes));
    assert.match(
      engine.log.slice(from),
      /up copies 2 table\(s\) \([^)]+\) under one snapshot[^\n]*\(public\.big too, though above 8\.0 MB: PostgreSQL's table synchronisation cannot copy them here, the subscriber runs the sessions of role "cloudadmin", the subscription's owner, with transaction_timeout = 400ms [^\n]*Run ALTER ROLE "cloudadmin" SET transaction_timeout = 0; on the subscriber\)\./,
    );
    assert.doesNotMatch(engine.log.slice(from), /PostgreSQL's table synchronisation copies/);
    const synced = await replica.query(
      "SELECT srrelid::regclass::text AS t, srsublsn IS NOT NULL AS by_postgres FROM pg_subscription_rel ORDER BY 1",
      [],
      DB,
    );
    assert.deepEqual(synced, [
      { t: "big", by_postgres: false },
      { t: "small", by_postgres: false },
    ]);
    await primary.query("UPDATE big SET a = a + 1 WHERE id % 10 = 0", [], DB);
    const { comparisons } = await converge(primary, replica, DB, ["big", "small"], 60_000);
    assert.deepEqual(
      comparisons.map((c) => [c.table, c.lost, c.duplicated, c.differing, c.md5Equal]),
      [
        ["big", 0, 0, 0, true],
        ["small", 0, 0, 0, true],
      ],
    );
    // A table a colleague publishes to it by hand: PostgreSQL's copy, ended without end and
    // without a sync error; the next preview says so, naming the table and the fix. (600 000 rows:
    // 200 000 were copied within the 400 ms on an idle machine in one of three runs.)
    await asAdmin(
      primary,
      "CREATE TABLE extra (id bigint PRIMARY KEY, pad text); INSERT INTO extra SELECT g, repeat('e', 80) FROM generate_series(1, 600000) g; ALTER PUBLICATION snap ADD TABLE extra",
    );
    await asAdmin(replica, "CREATE TABLE extra (id bigint PRIMARY KEY, pad text)");
    await asAdmin(replica, "ALTER SUBSCRIPTION snap REFRESH PUBLICATION");
    // Its copy started (state d), then longer than the timeout twice over.
    await eventually(async () => {
      const [r] = await replica.query<{ s: string }>(
        "SELECT srsubstate::text AS s FROM pg_subscription_rel WHERE srrelid = 'extra'::regclass",
        [],
        DB,
      );
      assert.equal(r?.s, "d");
    }, 15_000);
    await new Promise((res) => setTimeout(res, 1000));
    const [stuck] = await replica.query<{ state: string; rows: number; errors: number }>(
      `SELECT srsubstate::text AS state, (SELECT count(*)::int FROM extra) AS rows,
              (SELECT sync_error_count::int FROM pg_stat_subscription_stats WHERE subname = 'snap') AS errors
         FROM pg_subscription_rel WHERE srrelid = 'extra'::regclass`,
      [],
      DB,
    );
    assert.deepEqual(stuck, { state: "d", rows: 0, errors: 0 });
    const said = engine.log.length;
    await run("auto")("preview", engine);
    assert.match(
      engine.log.slice(said),
      /Subscription "snap": public\.extra is in PostgreSQL's copy, and the subscriber runs the sessions of role "cloudadmin", the subscription's owner, with transaction_timeout = 400ms .*Run ALTER ROLE "cloudadmin" SET transaction_timeout = 0; on the subscriber\./,
    );
    // Declared, an up waits for it — not for its whole wait timeout: once it sees the table's copy
    // start over, it ends the wait saying why the copy may never finish.
    const waited = await asCloudAdmin(primary, replica, "auto", ["big", "small", "extra"], {
      waitTimeout: "600",
    })("up", engine);
    assert.match(
      waited.error ?? "",
      /Subscription "snap": PostgreSQL's copy started over \(public\.extra, after \d{1,3}(?:,\d{3})* row\(s\)\) \(2\/3 tables ready; public\.extra.*?\)\. It may never finish: the subscriber runs the sessions of role "cloudadmin", the subscription's owner, with transaction_timeout = 400ms .*Run ALTER ROLE "cloudadmin" SET transaction_timeout = 0; on the subscriber\. The server counts 0 sync error\(s\).*Once lifted, run up again/s,
    );
    // The copy goes on on the server (the wait ended, nothing was undone): still in its data copy.
    const [after] = await replica.query<{ state: string }>(
      "SELECT srsubstate::text AS state FROM pg_subscription_rel WHERE srrelid = 'extra'::regclass",
      [],
      DB,
    );
    assert.equal(after?.state, "d");
  });
});
