// Connections end to end, through the provider host: a primary that requires TLS and a client
// certificate (made here with openssl) replicates to a replica, its parameters given in all three
// forms (object, libpq key=value, URI) and honoured by this host's sessions and by CREATE
// SUBSCRIPTION; a publisher reached through its Unix-domain socket.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import { startServer, type TestServer } from "../harness/postgres";
import { SEED_SQL } from "../harness/seed";
import { makeCertificates, type Certificates } from "../harness/tls";
import { eventually } from "../harness/util";

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
    await Promise.all([primary.createDatabase("app"), replica.createDatabase("app")]);
    await primary.query(SEED_SQL, [], "app");
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
    // The walsender serving the subscription: over TLS, with the client certificate, under the given name.
    const walsender = await primary.query<{ ssl: boolean; client_dn: string; application_name: string }>(
      `SELECT s.ssl, s.client_dn, r.application_name FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)`,
    );
    assert.deepEqual(walsender, [
      { ssl: true, client_dn: "/CN=pgrepl-client", application_name: "pgrepl_walsender" },
    ]);
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
