// Connections end to end, through the provider host: a primary that requires TLS and a client
// certificate (made here with openssl) replicates to a replica, its parameters given in all three
// forms (object, libpq key=value, URI) and honoured by this host's sessions and by CREATE
// SUBSCRIPTION; a publisher reached through its Unix-domain socket; host lists with
// target_session_attrs, in this package's sessions and in the subscriber's libpq.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { startServer, type TestServer } from "../harness/postgres";
import { seedPair, SEED_SQL } from "../harness/seed";
import { makeCertificates, type Certificates } from "../harness/tls";
import { eventually } from "../harness/util";
import { parseConnection } from "../../src/pg/connection";
import { withSession } from "../../src/pg/session";

describe("connections end to end: TLS with client certificates, key=value strings, sockets (PG16)", () => {
  let certs: Certificates;
  let primary: TestServer;
  let replica: TestServer;
  let engine: Engine;
  const count = async (table: string) =>
    Number((await replica.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], "app"))[0]!.n);

  before(async () => {
    certs = makeCertificates();
    [primary, replica] = await Promise.all([
      startServer({ major: 16, tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } }),
      startServer({ major: 16 }),
    ]);
    await seedPair(primary, replica);
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  const tlsObject = () => ({
    host: "127.0.0.1",
    port: primary.port,
    database: "app",
    user: "postgres",
    password: primary.password,
    sslMode: "verify-full",
    sslRootCert: certs.ca,
    sslCert: certs.clientCert,
    sslKey: certs.clientKey,
  });

  it("refuses at check a primary connection without the client certificate, saying why", async () => {
    const { sslCert: _c, sslKey: _k, ...noCert } = tlsObject();
    const r = await new Driver(engine, "Publication").check({
      connection: noCert,
      name: "p",
      tables: ["users"],
    });
    assert.equal(r.failures[0]?.property, "connection");
    assert.match(r.failures[0]!.reason, /certificate/i);
    assert.ok(!r.failures[0]!.reason.includes(primary.password));
  });

  it("replicates through TLS with a client certificate, each connection form honoured", async () => {
    const pub = await new Driver(engine, "Publication").create({
      connection: tlsObject(),
      name: "tls_pub",
      tables: ["users", "blog_posts"],
    });
    const kv = `host=127.0.0.1 port=${primary.port} dbname=app user=postgres password='${primary.password}' sslmode=verify-full sslrootcert='${certs.ca}' sslcert='${certs.clientCert}' sslkey='${certs.clientKey}' application_name=pgrepl_schema_copy`;
    await new Driver(engine, "SchemaSync").create({
      source: kv,
      target: replica.url("app"),
      tables: pub.outputs.tables as string[],
    });
    const uri =
      `postgres://postgres:${encodeURIComponent(primary.password)}@127.0.0.1:${primary.port}/app` +
      `?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}&sslcert=${encodeURIComponent(certs.clientCert)}` +
      `&sslkey=${encodeURIComponent(certs.clientKey)}&application_name=pgrepl_walsender&connect_timeout=10`;
    const sub = await new Driver(engine, "Subscription").create({
      connection: replica.url("app"),
      name: "tls_sub",
      publisher: uri,
      publications: ["tls_pub"],
      waitForSync: { timeoutSeconds: 60 },
    });
    assert.deepEqual(sub.outputs.tableStates, { "public.blog_posts": "r", "public.users": "r" });
    assert.equal(await count("users"), 3);
    // The walsender serving the subscription: over TLS, with the client certificate, under the given
    // name (the apply worker connects a moment after the tables are ready when the copy was ours).
    await eventually(async () =>
      assert.deepEqual(
        await primary.query<{ ssl: boolean; client_dn: string; application_name: string }>(
          `SELECT s.ssl, s.client_dn, r.application_name FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)`,
        ),
        [{ ssl: true, client_dn: "/CN=pgrepl-client", application_name: "pgrepl_walsender" }],
      ),
    );
    await primary.query("INSERT INTO users (email) VALUES ('tls@example.com')", [], "app");
    await eventually(async () => assert.equal(await count("users"), 4));
    const conninfo = await replica.query<{ c: string }>(
      "SELECT subconninfo AS c FROM pg_subscription",
      [],
      "app",
    );
    assert.match(conninfo[0]!.c, /sslcert='[^']+client\.crt' sslkey='[^']+client\.key'/);
    assert.ok(!engine.log.includes(primary.password));
    await new Driver(engine, "Subscription").delete(sub);
    await new Driver(engine, "Publication").delete(pub);
  });

  it("reaches a publisher through its Unix-domain socket, from this host and from the subscriber", async () => {
    const socket = `host=${primary.socketDir} port=${primary.port} dbname=app user=postgres`;
    const pub = await new Driver(engine, "Publication").create({
      connection: socket,
      name: "sock_pub",
      tables: ["comments"],
    });
    await new Driver(engine, "SchemaSync").create({
      source: socket,
      target: replica.url("app"),
      tables: ["comments"],
    });
    const sub = await new Driver(engine, "Subscription").create({
      connection: replica.url("app"),
      name: "sock_sub",
      publisher: `postgres://postgres@${encodeURIComponent(primary.socketDir)}:${primary.port}/app`,
      publications: ["sock_pub"],
      waitForSync: { timeoutSeconds: 60 },
    });
    assert.equal(await count("comments"), 3);
    const conninfo = await replica.query<{ c: string }>(
      "SELECT subconninfo AS c FROM pg_subscription WHERE subname = 'sock_sub'",
      [],
      "app",
    );
    assert.match(conninfo[0]!.c, new RegExp(`host='${primary.socketDir}'`));
    await new Driver(engine, "Subscription").delete(sub);
    await new Driver(engine, "Publication").delete(pub);
  });
});

describe("host lists and target_session_attrs, as libpq tries them (PG16)", () => {
  let primary: TestServer;
  let readOnly: TestServer;
  let replica: TestServer;
  let engine: Engine;
  // One role with one password on every server, as a cluster's hosts have it.
  const PW = "multi-host-pw";
  const list = (...servers: (TestServer | "down")[]) =>
    servers.map((s) => `127.0.0.1:${s === "down" ? 1 : s.port}`).join(",");
  const uri = (hosts: string, query = "") => `postgres://multi:${PW}@${hosts}/app${query}`;

  before(async () => {
    [primary, readOnly, replica] = await Promise.all(
      [16, 16, 16].map((m) => startServer({ major: m as 16 })),
    );
    for (const s of [primary, readOnly, replica]) {
      await s.createDatabase("app");
      await s.query(`CREATE ROLE multi LOGIN SUPERUSER PASSWORD '${PW}'`);
    }
    await primary.query(SEED_SQL, [], "app");
    // A server whose sessions are read-only, as a standby's are (transaction_read_only = on).
    await readOnly.query("ALTER DATABASE app SET default_transaction_read_only = on");
    engine = await Engine.start();
  });
  after(async () => {
    await engine?.stop();
    await Promise.all([primary?.stop(), readOnly?.stop(), replica?.stop()]);
  });

  it("this package's sessions try the hosts in order and keep the first of the kind wanted", async () => {
    const port = (conn: string) =>
      withSession(parseConnection(conn), async (s) =>
        Number((await s.query<{ p: string }>("SELECT current_setting('port') AS p"))[0]!.p),
      );
    assert.equal(
      await port(uri(list("down", readOnly, primary))),
      readOnly.port,
      "any: the first that answers",
    );
    assert.equal(
      await port(uri(list("down", readOnly, primary), "?target_session_attrs=read-write")),
      primary.port,
    );
    assert.equal(await port(uri(list(primary, readOnly), "?target_session_attrs=read-only")), readOnly.port);
    await assert.rejects(
      port(uri(list("down", primary), "?target_session_attrs=read-only")),
      /no host of 127\.0\.0\.1:1,127\.0\.0\.1:\d+\/app is read-only; the last said: 127\.0\.0\.1:\d+ is not read-only/,
    );
    // A server that refuses the login ends the search, as in libpq.
    await assert.rejects(
      port(`postgres://multi:wrong@${list(primary, readOnly)}/app`),
      (e: Error) => /password authentication failed/.test(e.message) && !e.message.includes(PW),
    );
  });

  it("reads the password file through the provider host and the service file in this process's sessions, as libpq does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-pgfiles-"));
    const saved = process.env.PGSERVICEFILE;
    try {
      const passfile = path.join(dir, "pgpass");
      fs.writeFileSync(passfile, `127.0.0.1:${primary.port}:app:multi:${PW}\n`, { mode: 0o600 });
      const pub = await new Driver(engine, "Publication").create({
        connection: `postgres://multi@127.0.0.1:${primary.port}/app?passfile=${encodeURIComponent(passfile)}`,
        name: "passfile_pub",
        tables: ["comments"],
      });
      assert.deepEqual(await primary.query("SELECT pubname FROM pg_publication", [], "app"), [
        { pubname: "passfile_pub" },
      ]);
      await new Driver(engine, "Publication").delete(pub);
      fs.writeFileSync(
        path.join(dir, "services"),
        `[lane]\nhost=127.0.0.1\nport=${primary.port}\ndbname=app\nuser=multi\n`,
      );
      process.env.PGSERVICEFILE = path.join(dir, "services");
      const port = await withSession(parseConnection(`service=lane passfile='${passfile}'`), async (s) =>
        Number((await s.query<{ p: string }>("SELECT current_setting('port') AS p"))[0]!.p),
      );
      assert.equal(port, primary.port);
      // Readable by others: ignored, as libpq ignores it; then no password at all (a new session:
      // another application_name, so that the idle one is not reused).
      fs.chmodSync(passfile, 0o644);
      await assert.rejects(
        withSession(
          parseConnection(`service=lane passfile='${passfile}' application_name=fresh`),
          async () => undefined,
        ),
        /password/,
      );
    } finally {
      if (saved === undefined) delete process.env.PGSERVICEFILE;
      else process.env.PGSERVICEFILE = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a publication, its schema copy and a subscription given host lists: created on the writable host, the subscriber's libpq takes the list", async () => {
    const writable = uri(list("down", readOnly, primary), "?target_session_attrs=read-write");
    const pub = await new Driver(engine, "Publication").create({
      connection: writable,
      name: "multi_pub",
      tables: ["users", "blog_posts"],
    });
    assert.deepEqual(await primary.query("SELECT pubname FROM pg_publication", [], "app"), [
      { pubname: "multi_pub" },
    ]);
    assert.deepEqual(await readOnly.query("SELECT pubname FROM pg_publication", [], "app"), []);
    await new Driver(engine, "SchemaSync").create({
      source: writable,
      target: replica.url("app"),
      tables: pub.outputs.tables as string[],
    });
    const sub = await new Driver(engine, "Subscription").create({
      connection: replica.url("app"),
      name: "multi_sub",
      publisher: uri(list("down", primary)),
      publications: ["multi_pub"],
      waitForSync: { timeoutSeconds: 60 },
    });
    assert.deepEqual(sub.outputs.tableStates, { "public.blog_posts": "r", "public.users": "r" });
    const conninfo = await replica.query<{ c: string }>(
      "SELECT subconninfo AS c FROM pg_subscription",
      [],
      "app",
    );
    assert.match(
      conninfo[0]!.c,
      new RegExp(`host='127\\.0\\.0\\.1,127\\.0\\.0\\.1' port='1,${primary.port}'`),
    );
    await primary.query("INSERT INTO users (email) VALUES ('multi@example.com')", [], "app");
    await eventually(async () =>
      assert.deepEqual(await replica.query("SELECT count(*)::int AS n FROM users", [], "app"), [{ n: 4 }]),
    );
    // The list read back from the subscriber (a refresh) is the same connection: no change planned.
    const subs = new Driver(engine, "Subscription");
    const refreshed = await subs.refresh(sub);
    assert.ok(refreshed);
    const again = await subs.diff(refreshed, {
      connection: replica.url("app"),
      name: "multi_sub",
      publisher: uri(list("down", primary)),
      publications: ["multi_pub"],
      waitForSync: { timeoutSeconds: 60 },
    });
    assert.equal(again.changes, false, JSON.stringify(refreshed.outputs.drift ?? null));
    assert.ok(!engine.log.includes(PW));
    await new Driver(engine, "Subscription").delete(sub);
    await new Driver(engine, "Publication").delete(pub);
  });
});
