// Connections kept between provider calls: reused while they answer, replaced after a server
// restart, never reused after a failure.

import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { withReadWait } from "../../src/kernel/lockWaits";
import { parseConnection } from "../../src/pg/connection";
import { nonEmpty } from "../../src/pg/emptying";
import { openClients, warm, withSession, type Session } from "../../src/pg/session";
import { applyPlan } from "../../src/schemaSync/apply";
import { readSchema } from "../../src/schemaSync/catalog";
import { readOwnerTransactionTimeout } from "../../src/subscription/catalog";
import { startServer, type TestServer } from "../harness/postgres";
import { eventually } from "../harness/util";

describe("connections between provider calls", () => {
  let server: TestServer;
  /**
   * The backends of application `app`, by pid; `answered`: only those that have answered their
   * first round trip (the version, the timeouts off), as a connection made in the background has
   * once it is kept.
   */
  const backendsOf = async (app: string, answered = false) =>
    (
      await server.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1${answered ? " AND state = 'idle' AND query LIKE '%server_version_num%'" : ""} ORDER BY pid`,
        [app],
      )
    ).map((r) => r.pid);
  const pid = (url: string) =>
    withSession(
      parseConnection(url),
      async (s) => (await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid,
    );

  before(async () => (server = await startServer({ major: 18 })));
  after(() => server?.stop());

  it("reuses an idle connection for the next call", async () => {
    assert.equal(await pid(server.url()), await pid(server.url()));
  });

  it("replaces a connection the server dropped (a restart) without failing the call", async () => {
    const before = await pid(server.url());
    await server.restart();
    const afterRestart = await pid(server.url());
    assert.notEqual(afterRestart, before);
  });

  it("closes a connection whose call failed instead of reusing it", async () => {
    const first = await pid(server.url());
    await assert.rejects(
      withSession(parseConnection(server.url()), (s) => s.query("SELECT * FROM missing_table")),
      /missing_table/,
    );
    const next = await pid(server.url());
    assert.notEqual(next, first, "the failed call's connection (the idle one) was not kept");
    const alive = await server.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1",
      [first],
    );
    assert.deepEqual(alive, [{ n: 0 }]);
  });

  it("sends independent reads at once, each with its own answer; in a transaction the cause of a failure is thrown", async () => {
    // Every write to the server, then every answer: one round trip for the lot (in order, each
    // read would wait for the answer before it: w…r w…r w…r).
    const wire: string[] = [];
    let watching = false;
    const write = net.Socket.prototype.write;
    const emit = net.Socket.prototype.emit;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      if (watching) wire.push("w");
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof write;
    net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]) {
      if (watching && event === "data") wire.push("r");
      return (emit as (...a: unknown[]) => boolean).apply(this, [event, ...args]);
    } as typeof emit;
    try {
      await withSession(parseConnection(server.url()), async (s) => {
        await s.query("SELECT 1");
        watching = true;
        const [a, b, c] = await s.concurrently([
          () => s.query<{ v: number }>("SELECT 1 AS v"),
          () => s.query<{ v: string }>("SELECT $1::text AS v", ["two"]),
          () => s.query<{ v: number }>("SELECT 3 AS v"),
        ]);
        watching = false;
        assert.deepEqual([a, b, c], [[{ v: 1 }], [{ v: "two" }], [{ v: 3 }]]);
        assert.match(wire.join(""), /^w+r+$/, wire.join(""));
        // Back to one statement at a time afterwards.
        wire.length = 0;
        watching = true;
        await Promise.all([s.query("SELECT 1"), s.query("SELECT 2")].map((q) => q.catch(() => undefined)));
        watching = false;
        assert.match(wire.join(""), /^w+r+w+r+$/, wire.join(""));
        await assert.rejects(
          s.transaction(() =>
            s.concurrently([
              // Its second statement goes out after the division failed: aborted (25P02).
              async () => {
                await s.query("SELECT 1");
                return s.query("SELECT 2");
              },
              () => s.query("SELECT 1/0"),
            ]),
          ),
          (e: { code?: string }) => e.code === "22012",
        );
        assert.deepEqual(await s.query("SELECT 4 AS v"), [{ v: 4 }]);
        // A transaction's BEGIN goes out with its first statement; one that sends none costs nothing.
        await s.exec("CREATE TEMP TABLE pipelined (v int)");
        wire.length = 0;
        watching = true;
        await s.transaction(() => s.exec("INSERT INTO pipelined VALUES (1)"));
        await s.transaction(async () => undefined);
        watching = false;
        assert.match(wire.join(""), /^w+r+w+r+$/, wire.join(""));
        await assert.rejects(
          s.transaction(async () => {
            await s.exec("INSERT INTO pipelined VALUES (2)");
            await s.query("SELECT 1/0");
          }),
          (e: { code?: string }) => e.code === "22012",
        );
        assert.deepEqual(await s.query("SELECT v FROM pipelined"), [{ v: 1 }]);
      });
    } finally {
      watching = false;
      net.Socket.prototype.write = write;
      net.Socket.prototype.emit = emit;
    }
  });

  it("makes the connections coming steps need in the background, and those steps take them", async () => {
    const info = parseConnection(`${server.url()}?application_name=warmed`);
    const backends = () => backendsOf("warmed");
    const answered = () => backendsOf("warmed", true);
    warm(info, 2);
    await eventually(async () => assert.equal((await answered()).length, 2));
    const made = await backends();
    assert.deepEqual(made, await answered());
    // Two kept already: none more.
    warm(info, 2);
    const pid = () =>
      withSession(
        info,
        async (s) => (await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid,
      );
    const used = await Promise.all([pid(), pid()]);
    assert.deepEqual(
      used.sort((a, b) => a - b),
      made,
    );
    // Time enough for a connection warm should not have made to show up.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await backends(), made);
  });

  it("opens connections ahead of their use: use hands them over and closes them, close ends them unused, a failed one fails use only, without the password", async () => {
    const info = parseConnection(`${server.url()}?application_name=ahead`);
    const backends = () => backendsOf("ahead");
    const wanted = [{ info }, { info }, { info, replication: true }];
    const unused = openClients(wanted);
    await eventually(async () => assert.equal((await backends()).length, 3));
    await unused.close();
    await eventually(async () => assert.deepEqual(await backends(), []));

    const used = openClients(wanted);
    const pids = await used.use(async (clients) => {
      assert.equal(clients.length, 3);
      const rows = await Promise.all(
        clients.slice(0, 2).map(async (c) => (await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid),
      );
      // The replication connection answers replication commands.
      const system = await clients[2]!.query("IDENTIFY_SYSTEM");
      assert.equal(system.rows.length, 1);
      return rows;
    });
    assert.equal(new Set(pids).size, 2);
    await eventually(async () => assert.deepEqual(await backends(), []));

    // A wrong password: nothing thrown until use, which throws without the password; the others closed.
    const secret = "not-the-password-4711";
    const bad = parseConnection(
      `postgres://postgres:${secret}@127.0.0.1:${server.port}/postgres?application_name=ahead`,
    );
    const failing = openClients([{ info }, { info: bad }]);
    await new Promise((r) => setTimeout(r, 300));
    let ran = false;
    const error = await failing.use(async () => (ran = true)).catch((e: Error) => e);
    assert.equal(ran, false);
    assert.ok(error instanceof Error);
    assert.match(error.message, /password authentication failed|could not connect/);
    assert.ok(!error.message.includes(secret), error.message);
    await eventually(async () => assert.deepEqual(await backends(), []));
  });

  it("shares connections ahead of their use with the calls around them: takes a kept one, hands each back reset after success, never one in a transaction or after a failure", async () => {
    const info = parseConnection(`${server.url()}?application_name=shared`);
    const backends = () => backendsOf("shared");
    const pidOf = (c: { query: (q: string) => Promise<{ rows: { pid: number }[] }> }) =>
      c.query("SELECT pg_backend_pid() AS pid").then((r) => r.rows[0]!.pid);
    const sessionPid = () =>
      withSession(
        info,
        async (s) => (await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid,
      );
    const kept = await sessionPid();
    const shared = { info, shared: true };

    // The kept one is taken, a second made; both handed back, their settings reset for the next call.
    const used = await openClients([shared, shared]).use(async (clients) => {
      await Promise.all(
        clients.map((c) =>
          c.query("SET application_name = 'renamed'; SET session_replication_role = replica"),
        ),
      );
      return Promise.all(clients.map(pidOf));
    });
    assert.ok(used.includes(kept), `${used} should include the kept ${kept}`);
    // Kept open (named as the work left them until their next use resets them).
    const alive = async (pids: number[]) =>
      (
        await server.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[]) ORDER BY pid",
          [pids],
        )
      ).map((r) => r.pid);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      await alive(used),
      [...used].sort((a, b) => a - b),
    );
    const after = await withSession(info, async (s) =>
      s.query<{ pid: number; role: string }>(
        "SELECT pg_backend_pid() AS pid, current_setting('session_replication_role') AS role",
      ),
    );
    assert.ok(used.includes(after[0]!.pid), "a call after them takes one of them");
    assert.equal(after[0]!.role, "origin", "with what the copy set reset");

    // One left inside a transaction is closed, not kept; after a failure none is kept.
    const inTransaction = await openClients([shared]).use(async ([c]) => {
      await c!.query("BEGIN");
      return pidOf(c!);
    });
    await eventually(async () => assert.deepEqual(await alive([inTransaction]), []));
    const failed = await openClients([shared, shared])
      .use(async () => {
        throw new Error("the copy failed");
      })
      .catch((e: Error) => e.message);
    assert.equal(failed, "the copy failed");
    await eventually(async () => assert.deepEqual(await alive(used), []));
    assert.deepEqual(await backends(), []);
  });

  it("makes a shared connection as a kept one: unused and handed back, it outlives the role's idle_session_timeout", async () => {
    await server.query(
      `CREATE ROLE shared_idle LOGIN PASSWORD 'shared-idle-1';
       ALTER ROLE shared_idle SET idle_session_timeout = '300ms'`,
    );
    const info = parseConnection(
      `postgres://shared_idle:shared-idle-1@127.0.0.1:${server.port}/postgres?application_name=shared_idle`,
    );
    const opened = openClients([{ info, shared: true }]);
    await eventually(async () => assert.equal((await backendsOf("shared_idle")).length, 1));
    const [made] = await backendsOf("shared_idle");
    await opened.close();
    // Idle among the kept ones longer than the role allows, then taken by the next call.
    await new Promise((r) => setTimeout(r, 600));
    const pid = await withSession(
      info,
      async (s) => (await s.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid,
    );
    assert.equal(pid, made);
  });

  it("keeps connections for different credentials apart", async () => {
    await server.query("CREATE ROLE other LOGIN PASSWORD 'other-pw'");
    const url = `postgres://other:other-pw@127.0.0.1:${server.port}/postgres`;
    const who = (u: string) =>
      withSession(
        parseConnection(u),
        async (s) => (await s.query<{ u: string }>("SELECT current_user AS u"))[0]!.u,
      );
    assert.equal(await who(url), "other");
    assert.equal(await who(server.url()), "postgres");
  });

  it("resets what a call set (the schema reader's empty search_path) before the connection is reused", async () => {
    const info = parseConnection(server.url());
    const path = (s: { query: (t: string) => Promise<{ p: string; pid: number }[]> }) =>
      s.query("SELECT current_setting('search_path') AS p, pg_backend_pid() AS pid");
    const [before] = await withSession(info, (s) => path(s));
    const [during] = await withSession(info, async (s) => {
      await readSchema(s, []);
      return path(s);
    });
    const [next] = await withSession(info, (s) => path(s));
    assert.equal(during!.p, "");
    assert.equal(next!.pid, during!.pid, "the same connection was reused");
    assert.equal(next!.p, before!.p);
    assert.equal(next!.p, '"$user", public');
  });

  it("leaves no session setting behind: after index builds with their own maintenance settings, the next operation sees the server's", async () => {
    const info = parseConnection(server.url());
    await server.query("CREATE TABLE IF NOT EXISTS built (id int PRIMARY KEY, v int)");
    const settings = () =>
      withSession(info, (s) =>
        s.query<{ mem: string; workers: string; pid: number }>(
          "SELECT current_setting('maintenance_work_mem') AS mem, current_setting('max_parallel_maintenance_workers') AS workers, pg_backend_pid() AS pid",
        ),
      );
    const [defaults] = await settings();
    const table = {
      schema: "public",
      name: "built",
      columns: [
        { name: "id", type: "integer", notNull: true },
        { name: "v", type: "integer", notNull: false },
      ],
      constraints: { built_pkey: { type: "p", definition: "PRIMARY KEY (id)" } },
      indexes: {
        built_v_idx: "CREATE INDEX built_v_idx ON public.built USING btree (v)",
        built_v2_idx: "CREATE INDEX built_v2_idx ON public.built USING btree (v, id)",
      },
      sequences: [],
      replicaIdentity: "d",
    };
    const plan = await applyPlan(info, { extensions: [], types: [], tables: [table] } as never, {
      label: "test",
      section: "post-data",
      allowDestructive: false,
      indexJobs: 2,
      maintenanceWorkMem: "300MB",
      lockTimeoutSeconds: 5,
    });
    assert.equal(
      plan.steps.filter((st) => st.parallel === "index").length,
      2,
      "two index builds, on two sessions",
    );
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const [now] = await settings();
      seen.add(now!.pid);
      assert.deepEqual([now!.mem, now!.workers], [defaults!.mem, defaults!.workers]);
    }
    assert.notEqual(defaults!.mem, "300MB");
  });

  it("bounds the lock waits of a check's reads on a kept connection, and a change on it waits as the server says", async () => {
    const info = parseConnection(server.url());
    const show = () =>
      withSession(info, (s) =>
        s.query<{ t: string; pid: number }>(
          "SELECT current_setting('lock_timeout') AS t, pg_backend_pid() AS pid",
        ),
      );
    const [server0] = await show();
    const [read1] = await withReadWait(6, show);
    const [read2] = await withReadWait(6, show);
    const [change] = await show();
    const [read3] = await withReadWait(15, show);
    assert.deepEqual([server0!.t, read1!.t, read2!.t, change!.t, read3!.t], ["0", "6s", "6s", "0", "15s"]);
    assert.equal(
      new Set([server0!.pid, read1!.pid, read2!.pid, change!.pid, read3!.pid]).size,
      1,
      "one kept connection",
    );
  });

  it("runs every session without the role's timeouts, as pg_dump does, and keeps a connection past the role's idle_session_timeout", async () => {
    // The role's values stay what RESET restores (the preflight reads statement_timeout there).
    await server.query(
      `CREATE ROLE timed_reader LOGIN PASSWORD 'timed-reader-1';
       ALTER ROLE timed_reader SET statement_timeout = '5s';
       ALTER ROLE timed_reader SET idle_session_timeout = '300ms';
       ALTER ROLE timed_reader SET idle_in_transaction_session_timeout = '300ms';
       ALTER ROLE timed_reader SET transaction_timeout = '2s'`,
    );
    const info = parseConnection(
      `postgres://timed_reader:timed-reader-1@127.0.0.1:${server.port}/postgres?application_name=timed`,
    );
    const names = [
      "statement_timeout",
      "idle_session_timeout",
      "idle_in_transaction_session_timeout",
      "transaction_timeout",
    ];
    const show = (also?: (s: Session) => Promise<void>) =>
      withSession(info, async (s) => {
        const rows = await s.query<{ name: string; setting: string; reset: string; pid: number }>(
          "SELECT name, setting, reset_val AS reset, pg_backend_pid() AS pid FROM pg_settings WHERE name = ANY($1) OR name = 'lock_timeout' ORDER BY name",
          [names],
        );
        await also?.(s);
        return {
          pid: rows[0]!.pid,
          lock: rows.find((r) => r.name === "lock_timeout")!.setting,
          off: rows.filter((r) => r.name !== "lock_timeout").every((r) => r.setting === "0"),
          role: rows.filter((r) => r.name !== "lock_timeout").map((r) => r.reset),
        };
      });
    const idleLonger = () => new Promise((r) => setTimeout(r, 600));
    const role = ["300", "300", "5000", "2000"];
    // Made in the background (kept once it has answered), idle longer than the role allows, then taken.
    warm(info, 1);
    await eventually(async () => assert.equal((await backendsOf("timed", true)).length, 1));
    const [made] = await backendsOf("timed");
    await idleLonger();
    const fresh = await withReadWait(6, () => show());
    await idleLonger();
    const change = await show((s) => s.set([["search_path", ""]]));
    await idleLonger();
    const again = await withReadWait(6, () => show());
    assert.deepEqual(
      [fresh, change, again],
      [
        { pid: made, lock: "6000", off: true, role },
        { pid: made, lock: "0", off: true, role },
        { pid: made, lock: "6000", off: true, role },
      ],
      "one connection throughout, its timeouts off after the reset too",
    );
  });

  it("reads the transaction_timeout a subscription's apply workers start with, as PostgreSQL picks it, whatever the session's own", async () => {
    await server.query(`CREATE ROLE worker_owner LOGIN PASSWORD 'worker-owner-1'; CREATE ROLE other_owner`);
    await server.createDatabase("timed_db");
    const base = `postgres://worker_owner:worker-owner-1@127.0.0.1:${server.port}`;
    const ownOptions = `?options=${encodeURIComponent("-c transaction_timeout=9s")}`;
    const read = (db: string, options = true) => {
      const info = parseConnection(`${base}/${db}${options ? ownOptions : ""}`);
      return withSession(info, (s) => readOwnerTransactionTimeout(s, "sub_x", info));
    };
    // The server's (no role or database setting); unknown where this session's own options set it.
    assert.deepEqual(await read("timed_db", false), { role: "worker_owner", value: "0" });
    assert.deepEqual(await read("timed_db"), { role: "worker_owner", value: null });
    await server.query("ALTER DATABASE timed_db SET transaction_timeout = '3s'");
    assert.deepEqual(await read("timed_db"), { role: "worker_owner", value: "3s" });
    await server.query("ALTER ROLE worker_owner SET transaction_timeout = '2s'");
    assert.deepEqual(
      await read("timed_db"),
      { role: "worker_owner", value: "2s" },
      "the role's before the database's",
    );
    await server.query("ALTER ROLE worker_owner IN DATABASE timed_db SET transaction_timeout = '1s'");
    assert.deepEqual(await read("timed_db"), { role: "worker_owner", value: "1s" });
    assert.deepEqual(
      await read("postgres"),
      { role: "worker_owner", value: "2s" },
      "another database's is not this one's",
    );
    // A subscription of that name: its owner's, whoever connects.
    await server.query("ALTER ROLE other_owner SET transaction_timeout = '5min'");
    await server.query(
      "CREATE SUBSCRIPTION sub_x CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false, enabled = false, create_slot = false, slot_name = NONE)",
      [],
      "timed_db",
    );
    await server.query("ALTER SUBSCRIPTION sub_x OWNER TO other_owner", [], "timed_db");
    assert.deepEqual(await read("timed_db"), { role: "other_owner", value: "5min" });
    await server.query("DROP SUBSCRIPTION sub_x", [], "timed_db");
  });

  it("builds indexes on small tables several to a round trip, and names the one that fails", async () => {
    const names = ["b1", "b2", "b3", "b4", "b5"];
    await server.query(
      names
        .map(
          (n) =>
            `CREATE TABLE ${n} (id int, v int); INSERT INTO ${n} SELECT g, ${n === "b3" ? "1" : "g"} FROM generate_series(1, 5) g`,
        )
        .join(";\n"),
    );
    const table = (name: string) => ({
      schema: "public",
      name,
      columns: [
        { name: "id", type: "integer", notNull: false },
        { name: "v", type: "integer", notNull: false },
      ],
      constraints: {},
      indexes: { [`${name}_v_key`]: `CREATE UNIQUE INDEX ${name}_v_key ON public.${name} USING btree (v)` },
      sequences: [],
      replicaIdentity: "d",
    });
    // One connection: the five builds go in one round trip; b3's values are not unique.
    await assert.rejects(
      applyPlan(
        parseConnection(server.url()),
        { extensions: [], types: [], tables: names.map(table) } as never,
        {
          label: "test",
          section: "post-data",
          allowDestructive: false,
          indexJobs: 1,
          maintenanceWorkMem: "64MB",
          lockTimeoutSeconds: 5,
        },
      ),
      /b3_v_key[\s\S]*could not create unique index/,
    );
    const built = await server.query<{ name: string }>(
      "SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid::regclass::text = ANY($1) ORDER BY 1",
      [names],
    );
    // The round trip failed as a whole; its builds ran again one at a time up to the failing one.
    assert.deepEqual(
      built.map((r) => r.name),
      ["b1_v_key", "b2_v_key"],
    );
  });

  it("finds the tables holding rows, probing only those whose pages, partitions or children may hold some", async () => {
    await server.query(`CREATE SCHEMA probe;
      CREATE TABLE probe.fresh (id int);
      CREATE TABLE probe.filled (id int); INSERT INTO probe.filled VALUES (1);
      CREATE TABLE probe.deleted (id int); INSERT INTO probe.deleted VALUES (1); DELETE FROM probe.deleted;
      CREATE TABLE probe.truncated (id int); INSERT INTO probe.truncated VALUES (1); TRUNCATE probe.truncated;
      CREATE TABLE probe.root (id int) PARTITION BY RANGE (id);
      CREATE TABLE probe.part PARTITION OF probe.root FOR VALUES FROM (0) TO (10); INSERT INTO probe.root VALUES (1);
      CREATE TABLE probe.emptyroot (id int) PARTITION BY RANGE (id);
      CREATE TABLE probe.emptypart PARTITION OF probe.emptyroot FOR VALUES FROM (0) TO (10);
      CREATE TABLE probe.parent (id int); CREATE TABLE probe.child () INHERITS (probe.parent);
      INSERT INTO probe.child VALUES (1)`);
    const names = [
      "fresh",
      "filled",
      "deleted",
      "truncated",
      "root",
      "emptyroot",
      "emptypart",
      "parent",
      "child",
    ];
    const held = await withSession(parseConnection(server.url()), (s) =>
      nonEmpty(
        s,
        names.map((name) => ({ schema: "probe", name })),
      ),
    );
    // The parent's own pages are empty; its child's row is read through it, as a copy would.
    assert.deepEqual(
      held.map((t) => t.name),
      ["filled", "root", "parent", "child"],
    );
  });
});
