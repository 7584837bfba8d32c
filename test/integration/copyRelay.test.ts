// pg/copyRelay.ts against a real server: one COPY's rows written from the source's socket into the
// target's COPY unchanged. What the snapshot copy relies on: every row where it belongs (text and
// binary, awkward values, message headers cut anywhere by the socket, notices between rows), the
// bytes of rows counted, nothing written when the source fails, the first failure reported, the
// source waiting while the target is slow, and both connections usable after each of these; in
// plaintext and over TLS.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import { TLSSocket } from "node:tls";
import { after, before, describe, it } from "node:test";
import { Client } from "pg";
import { copyOutBatch } from "../../src/pg/copyBatch";
import { copyRelay } from "../../src/pg/copyRelay";
import { majors } from "../harness/matrix";
import { startServer, type Major, type TestServer } from "../harness/postgres";
import { makeCertificates } from "../harness/tls";

const ROWS = 20_000;
/** A relay that loses its place in the stream hangs rather than fails: each test ends in time. */
const SOON = { timeout: 30_000 };
const md5 = (t: string) =>
  `SELECT md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY id), '')) AS m FROM ${t} x`;

/**
 * A socket that hands pg what it receives in pieces of 1 to 7 bytes and one of 997 (in turn): every
 * message header is cut at every place, many times over.
 */
class Crumbs extends net.Socket {
  private k = 0;
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (!Buffer.isBuffer(chunk)) return super.push(chunk, encoding);
    let ok = true;
    for (let i = 0; i < chunk.length;) {
      const n = [1, 2, 3, 4, 5, 6, 7, 997][this.k++ % 8]!;
      ok = super.push(chunk.subarray(i, i + n));
      i += n;
    }
    return ok;
  }
}

// Plaintext on the oldest and newest majors; TLS (what managed clouds require) on PG17, where the
// relay reads and writes TLS sockets and a socket's chunks are TLS records.
const CASES = [
  ...majors([14, 18] as Major[]).map((major) => ({ major, tls: false })),
  { major: 17 as Major, tls: true },
];

for (const { major, tls } of CASES)
  describe(`COPY relay (pg/copyRelay.ts), PG${major}${tls ? " over TLS" : ""}`, () => {
    let server: TestServer;
    let source: Client;
    let crumbled: Client;
    let target: Client;
    let connect: (database: string, socket?: () => net.Socket) => Promise<Client>;

    before(async () => {
      const certs = tls ? makeCertificates() : undefined;
      server = await startServer({
        major,
        ...(certs ? { tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } } : {}),
      });
      const ssl = certs && {
        ca: fs.readFileSync(certs.ca, "utf8"),
        cert: fs.readFileSync(certs.clientCert, "utf8"),
        key: fs.readFileSync(certs.clientKey, "utf8"),
        checkServerIdentity: () => undefined,
      };
      connect = async (database, socket) => {
        const c = new Client({
          connectionString: server.url(database),
          ...(ssl ? { ssl } : {}),
          ...(socket ? { stream: socket } : {}),
        });
        c.on("error", () => undefined);
        await c.connect();
        if (tls)
          assert.equal(
            (c as unknown as { connection: { stream: object } }).connection.stream instanceof TLSSocket,
            true,
          );
        return c;
      };
      await server.query("CREATE DATABASE src");
      await server.query("CREATE DATABASE dst");
      const ddl = `CREATE TABLE a (id int PRIMARY KEY, t text, j jsonb, bytes bytea, tags text[])`;
      await server.query(ddl, [], "src");
      await server.query(ddl, [], "dst");
      await server.query(
        `INSERT INTO a SELECT g, E'tab\\there "quoted" \\\\ back ' || repeat('x', g % 300) || E'\\nline', jsonb_build_object('k', g), decode(md5(g::text), 'hex'), ARRAY['x', NULL, 'y' || g] FROM generate_series(1, ${ROWS}) g;
         INSERT INTO a VALUES (0, NULL, NULL, NULL, NULL);
         CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
           BEGIN IF i % 1000 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$;`,
        [],
        "src",
      );
      [source, crumbled, target] = await Promise.all([
        connect("src"),
        connect("src", () => new Crumbs()),
        connect("dst"),
      ]);
    });

    after(async () => {
      await Promise.all([source?.end(), crumbled?.end(), target?.end()]);
      await server?.stop();
    });

    const same = async () => {
      const [[x], [y]] = await Promise.all([
        server.query<{ m: string }>(md5("a"), [], "src"),
        server.query<{ m: string }>(md5("a"), [], "dst"),
      ]);
      assert.equal(y!.m, x!.m);
    };
    const rowsIn = async () =>
      (await target.query<{ n: number }>("SELECT count(*)::int AS n FROM a")).rows[0]!.n;
    const usable = async () => {
      for (const c of [source, crumbled, target])
        assert.deepEqual((await c.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
    };

    for (const format of ["", " (FORMAT binary)"])
      for (const [how, from] of [
        ["as the socket delivers it", () => source],
        // Over TLS the pieces are the encrypted records'; what the relay reads is whole records.
        ...(tls ? [] : ([["its headers cut anywhere", () => crumbled]] as const)),
      ] as const)
        it(`relays every row${format || " (text)"}, ${how}, and counts the bytes of rows`, SOON, async () => {
          await target.query("TRUNCATE a");
          let counted = 0;
          const rows = await copyRelay(
            from(),
            target,
            `COPY a TO STDOUT${format}`,
            `COPY a FROM STDIN${format}`,
            (n) => (counted += n),
          );
          assert.equal(rows, ROWS + 1);
          await same();
          // The bytes of rows: what the same COPY hands a client, headers left out.
          const [whole] = await copyOutBatch(source, `COPY a TO STDOUT${format}`, 1024 ** 3);
          assert.equal(counted, whole!.length);
          await usable();
        });

    it("skips the notices the source sends between rows", SOON, async () => {
      // The same function outside a COPY: a notice every 1 000 rows.
      const notices: string[] = [];
      const listen = (m: { message?: string }) => notices.push(m.message ?? "");
      source.on("notice", listen);
      try {
        await source.query("SELECT count(noisy(id)) FROM a");
      } finally {
        source.off("notice", listen);
      }
      assert.equal(notices.length, ROWS / 1000 + 1); // 0, 1 000, …, 20 000
      await target.query("TRUNCATE a");
      const rows = await copyRelay(
        source,
        target,
        "COPY (SELECT noisy(id) AS id, t, j, bytes, tags FROM a) TO STDOUT",
        "COPY a FROM STDIN",
      );
      assert.equal(rows, ROWS + 1);
      await same();
      await usable();
    });

    it("writes nothing when the source fails mid-copy, and reports the source's error", SOON, async () => {
      await target.query("TRUNCATE a");
      await assert.rejects(
        copyRelay(
          source,
          target,
          `COPY (SELECT id, t, j, bytes, tags FROM a WHERE 1 / (id - ${ROWS - 10}) IS NOT NULL ORDER BY id) TO STDOUT`,
          "COPY a FROM STDIN",
        ),
        (e: { code?: string; message?: string }) =>
          e.code === "22012" && /division by zero/.test(e.message ?? ""),
      );
      assert.equal(await rowsIn(), 0);
      await usable();
    });

    it("reports the target's error and leaves the source connection usable", SOON, async () => {
      await target.query("TRUNCATE a");
      await target.query(`ALTER TABLE a ADD CONSTRAINT a_low CHECK (id < ${ROWS / 2})`);
      try {
        await assert.rejects(
          copyRelay(source, target, "COPY a TO STDOUT", "COPY a FROM STDIN"),
          (e: { code?: string }) => e.code === "23514",
        );
      } finally {
        await target.query("ALTER TABLE a DROP CONSTRAINT a_low");
      }
      assert.equal(await rowsIn(), 0);
      await usable();
    });

    it("writes nothing when the source's connection is lost mid-copy", SOON, async () => {
      // Fresh connections: both end here (a row cut short leaves the target's nothing to follow with).
      const [lost, into] = await Promise.all([connect("src"), connect("dst")]);
      await into!.query("CREATE TABLE cut (k int, LIKE a)");
      let seen = 0;
      const stream = (lost as unknown as { connection: { stream: net.Socket } }).connection.stream;
      await assert.rejects(
        copyRelay(
          lost!,
          into!,
          "COPY (SELECT k, a.* FROM a, generate_series(1, 5) k) TO STDOUT",
          "COPY cut FROM STDIN",
          (n) => {
            // A few chunks in, the source's socket goes.
            if ((seen += n) > 1024 ** 2 && !stream.destroyed) stream.destroy();
          },
        ),
        /Connection terminated/,
      );
      await Promise.all([lost!.end(), into!.end()].map((p) => p.catch(() => undefined)));
      assert.deepEqual(await server.query("SELECT count(*)::int AS n FROM cut", [], "dst"), [{ n: 0 }]);
      await server.query("DROP TABLE cut", [], "dst");
    });

    it("makes the source wait while the target is slow, and loses nothing", SOON, async () => {
      // Five times the table (~20 MB, more than the sockets buffer), the target asleep for half a
      // second at its first row.
      await target.query(`CREATE TABLE many (k int, LIKE a);
        CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.k = 1 AND NEW.id = 0 THEN PERFORM pg_sleep(0.5); END IF; RETURN NEW; END $$;
        CREATE TRIGGER slow BEFORE INSERT ON many FOR EACH ROW EXECUTE FUNCTION slow()`);
      const five = "SELECT k, a.* FROM a, generate_series(1, 5) k";
      const stream = (source as unknown as { connection: { stream: net.Socket } }).connection.stream;
      const pause = stream.pause;
      let paused = 0;
      stream.pause = function (this: net.Socket) {
        paused++;
        return pause.call(this);
      };
      try {
        const rows = await copyRelay(
          source,
          target,
          `COPY (${five} ORDER BY k, id) TO STDOUT`,
          "COPY many FROM STDIN",
        );
        assert.equal(rows, 5 * (ROWS + 1));
        assert.ok(paused > 0, "the source never had to wait");
        const sum = (from: string) =>
          `SELECT md5(string_agg(to_jsonb(x)::text, ',' ORDER BY k, id)) AS m FROM (${from}) x`;
        const [[x], [y]] = await Promise.all([
          server.query<{ m: string }>(sum(five), [], "src"),
          server.query<{ m: string }>(sum("SELECT * FROM many"), [], "dst"),
        ]);
        assert.equal(y!.m, x!.m);
      } finally {
        stream.pause = pause;
        await target.query("DROP TABLE many; DROP FUNCTION slow()");
      }
      await usable();
    });
  });
