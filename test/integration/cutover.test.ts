// examples/cutover, the README's "Switching to the replica", run step by step the way `pulumi up`
// runs it (the program live through the provider host), PG15 → PG18, with an application writing
// on the old server until the switch: replicate; stop writes (the database made read-only, the
// application's sessions ended); switch (wait for lag 0, sequences advanced); the application
// writes on the new server; the old one follows back (reverse); the replication removed (done).
// After the switch, inserts with the columns' defaults succeed (no duplicate key) and every row
// committed on the old server before it is on the new one.

import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe } from "node:test";
import pg from "pg";
import { Engine, type PlannedStep } from "../harness/engine";
import { ROOT } from "../harness/install";
import { runProgram } from "../harness/live";
import type { TestServer } from "../harness/postgres";
import { scenario } from "../harness/scenario";
import { startPair } from "../harness/seed";
import { eventually } from "../harness/util";

const PROGRAM = path.join(ROOT, "examples", "cutover", "index.ts");
const TABLES = ["orders", "events"];
const summary = (steps: PlannedStep[]) =>
  steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);

/** An application inserting with the columns' defaults until its server stops it; what committed. */
class Writer {
  readonly committed = { orders: [] as string[], events: [] as string[] };
  errors: string[] = [];
  private stopped = false;
  private done?: Promise<void>;

  start(url: string): void {
    this.stopped = false;
    this.done = (async () => {
      const c = new pg.Client({ connectionString: url });
      c.on("error", () => undefined);
      await c.connect();
      try {
        for (let i = 0; !this.stopped; i++) {
          const table = i % 2 === 0 ? "orders" : "events";
          const sql =
            table === "orders"
              ? "INSERT INTO orders (customer, total) VALUES ($1, $2) RETURNING id::text AS id"
              : "INSERT INTO events (kind) VALUES ($1) RETURNING id::text AS id";
          const params = table === "orders" ? [i % 97, (i % 1000) / 10] : [`e${i}`];
          try {
            const r = await c.query<{ id: string }>(sql, params);
            this.committed[table].push(r.rows[0]!.id);
          } catch (e) {
            this.errors.push(String((e as Error).message));
            return; // stopped by the server (terminated, read-only)
          }
        }
      } finally {
        await c.end().catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Resolves when the server has ended it. */
  ended(): Promise<void> {
    return this.done!;
  }
}

describe("examples/cutover: switching to the replica, PG15 → PG18 under a writer", () => {
  let oldDb: TestServer;
  let newDb: TestServer;
  let engine: Engine;
  const app = new Writer();
  const up = async (phase: string, mode: "preview" | "up" = "up") => {
    const r = await runProgram(
      engine,
      PROGRAM,
      {
        oldUrl: oldDb.url("app"),
        newUrl: newDb.url("app"),
        tables: JSON.stringify(TABLES),
        phase,
        wayBack: "true",
      },
      mode,
      "cutover",
    );
    if (r.error) throw new Error(r.error);
    return r.steps;
  };
  const stateOf = (suffix: string) => [...engine.state.values()].find((s) => s.urn.endsWith(suffix))!;
  const ids = async (server: TestServer, table: string) =>
    new Set(
      (await server.query<{ id: string }>(`SELECT id::text AS id FROM ${table}`, [], "app")).map((r) => r.id),
    );
  const md5 = async (server: TestServer, table: string) =>
    (
      await server.query<{ h: string }>(
        `SELECT md5(string_agg(to_jsonb(t)::text, ',' ORDER BY id)) AS h FROM ${table} t`,
        [],
        "app",
      )
    )[0]!.h;

  before(async () => {
    [oldDb, newDb] = await startPair(15, 18);
    await Promise.all([oldDb.createDatabase("app"), newDb.createDatabase("app")]);
    await oldDb.query(
      `CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL, total numeric(10,2) NOT NULL);
       CREATE INDEX orders_customer_idx ON orders (customer);
       CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL DEFAULT now());
       INSERT INTO orders (customer, total) SELECT g % 97, g / 10.0 FROM generate_series(1, 20000) g;
       INSERT INTO events (kind) SELECT 'seed' FROM generate_series(1, 20000);`,
      [],
      "app",
    );
    engine = await Engine.start();
  });
  after(async () => {
    await app.stop().catch(() => undefined);
    await engine?.stop();
    await Promise.all([oldDb?.stop(), newDb?.stop()]);
  });

  scenario(
    "a cutover, phase by phase, under a writer: replicate, switch, reverse, the application on the new server, done",
    [
      [
        "replicate: the new server copies the tables and follows the old one while the application writes",
        async () => {
          app.start(oldDb.url("app"));
          await up("replicate");
          await new Promise((r) => setTimeout(r, 500)); // writes go on after the copy
          assert.ok(
            app.committed.orders.length > 0 && app.errors.length === 0,
            "the application kept writing",
          );
          const latest = app.committed.orders.at(-1)!;
          await eventually(async () =>
            assert.ok((await ids(newDb, "orders")).has(latest), "the new server follows"),
          );
          assert.deepEqual(summary(await up("replicate", "preview")), [], "nothing to do while it follows");
        },
      ],

      [
        "switch: after writes stop, waits for lag 0 and advances the sequences; nothing committed is missing",
        async () => {
          // Stop writes: the database read-only for new transactions, the application's sessions ended.
          await oldDb.query("ALTER DATABASE app SET default_transaction_read_only = on");
          await oldDb.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = 'app' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          );
          await app.ended();
          assert.equal(app.errors.length, 1);
          await assert.rejects(
            oldDb.query("INSERT INTO events (kind) VALUES ('late')", [], "app"),
            /read-only transaction/,
            "the old server takes no more writes",
          );
          const written = app.committed.orders.length + app.committed.events.length;
          assert.ok(written > 50, `the application wrote ${written} rows during the copy and after`);

          const preview = await up("switch", "preview");
          assert.deepEqual(summary(preview), ["update move", "create move-sequences"]);
          const behind = preview.find((s) => s.urn.endsWith("::move-sequences"))!.checked!.behind;
          assert.deepEqual(Object.keys(behind as object).sort(), [
            "public.events_id_seq",
            "public.orders_id_seq",
          ]);

          await up("switch");
          const lag = stateOf("Subscription::move").outputs.lag as { bytes: number; lastMessageAt: string };
          assert.equal(lag.bytes, 0, "caught up");
          assert.ok(Date.parse(lag.lastMessageAt) > Date.now() - 120_000, "a recent message");
          for (const t of TABLES) {
            const have = await ids(newDb, t);
            const missing = app.committed[t as "orders"].filter((id) => !have.has(id));
            assert.deepEqual(missing, [], `every committed ${t} row is on the new server`);
            assert.equal(await md5(newDb, t), await md5(oldDb, t), `${t} is identical`);
          }
          const values = stateOf("SequenceSync::move-sequences").outputs.values as Record<
            string,
            { source: string; target: string }
          >;
          for (const seq of ["public.orders_id_seq", "public.events_id_seq"])
            assert.equal(
              BigInt(values[seq]!.target),
              BigInt(values[seq]!.source) + 1000n,
              `${seq}: margin 1000`,
            );
        },
      ],

      [
        "reverse (before the application moves): the old server follows the new one from the switch on, without a copy",
        async () => {
          assert.deepEqual(summary(await up("reverse")), [
            "create back",
            "create back",
            "delete move-sequences",
            "delete move-indexes",
            "delete move",
            "delete move",
            "delete move",
          ]);
          assert.deepEqual(await oldDb.query("SELECT subname FROM pg_subscription", [], "app"), [
            { subname: "cutover_back" },
          ]);
          assert.deepEqual(await newDb.query("SELECT subname FROM pg_subscription", [], "app"), []);
          assert.deepEqual(
            await oldDb.query("SELECT slot_name FROM pg_replication_slots"),
            [],
            "the forward slot is gone",
          );
        },
      ],

      [
        "the application writes on the new server: no duplicate key, ids past the old server's",
        async () => {
          const maxOld = async (t: string) =>
            BigInt(
              (await oldDb.query<{ m: string }>(`SELECT max(id)::text AS m FROM ${t}`, [], "app"))[0]!.m,
            );
          const before = { orders: await maxOld("orders"), events: await maxOld("events") };
          const writer = new Writer();
          writer.start(newDb.url("app"));
          await new Promise((r) => setTimeout(r, 700));
          await writer.stop();
          assert.deepEqual(writer.errors, [], "no duplicate key (or any other error)");
          assert.ok(writer.committed.orders.length > 10);
          for (const t of TABLES)
            for (const id of writer.committed[t as "orders"])
              assert.ok(BigInt(id) > before[t as "orders"] + 1000n, `${t} ${id} is past the margin`);
          app.committed.orders.push(...writer.committed.orders);
          app.committed.events.push(...writer.committed.events);
          // The way back stays open: the old server follows.
          await eventually(async () => {
            for (const t of TABLES) assert.equal(await md5(oldDb, t), await md5(newDb, t), `${t} flows back`);
          });
        },
      ],

      [
        "done: the replication is removed on both sides, the tables and rows stay",
        async () => {
          await up("done");
          for (const server of [oldDb, newDb]) {
            assert.deepEqual(await server.query("SELECT subname FROM pg_subscription", [], "app"), []);
            assert.deepEqual(await server.query("SELECT pubname FROM pg_publication", [], "app"), []);
            assert.deepEqual(await server.query("SELECT slot_name FROM pg_replication_slots"), []);
          }
          for (const t of TABLES) {
            const have = await ids(newDb, t);
            assert.deepEqual(
              app.committed[t as "orders"].filter((id) => !have.has(id)),
              [],
            );
          }
          const r = await newDb.query<{ id: string }>(
            "INSERT INTO events (kind) VALUES ('after done') RETURNING id::text AS id",
            [],
            "app",
          );
          assert.equal(r.length, 1);
        },
      ],
    ],
  );
});
