// TLS as libpq negotiates it, in this package's own sessions: no sslmode means `prefer` (TLS first
// when the server offers it; plaintext when it does not, when the handshake fails, or when the
// server refuses the login over TLS), `allow` tries plaintext first and TLS when the server's
// pg_hba.conf refuses plaintext, `disable` and `require` are strict; and
// `channel_binding=require` binds the session to the TLS channel (SCRAM-SHA-256-PLUS) or fails;
// `sslnegotiation=direct` starts TLS at once (PostgreSQL 17's direct TLS).
// Against a server that only accepts TLS (hostssl, client certificate) and one that has no TLS.
// And the connection strings cloud consoles give (test/fixtures/connectionStrings.ts), pointed at
// these servers: each reaches this package's sessions and the subscriber's libpq with its parameters.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { conninfo, parseConnection, type ConnectionInfo } from "../../src/pg/connection";
import { pooler } from "../../src/pg/pooler";
import { withSession } from "../../src/pg/session";
import * as subscriptionSql from "../../src/subscription/sql";
import { CORPUS } from "../fixtures/connectionStrings";
import { ROOT } from "../harness/install";
import { startServer, type TestServer } from "../harness/postgres";
import { makeCertificates, type Certificates } from "../harness/tls";

describe("TLS negotiated as libpq does (PG17)", () => {
  let certs: Certificates;
  let tlsOnly: TestServer;
  let plainOnly: TestServer;
  before(async () => {
    certs = makeCertificates();
    [tlsOnly, plainOnly] = await Promise.all([
      startServer({ major: 17, tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } }),
      startServer({ major: 17 }),
    ]);
  });
  after(() => Promise.all([tlsOnly?.stop(), plainOnly?.stop()]));
  before(() =>
    Promise.all(
      [tlsOnly, plainOnly].map((p) =>
        p.query(
          "CREATE TABLE corpus_t (id int PRIMARY KEY); CREATE PUBLICATION corpus_pub FOR TABLE corpus_t",
        ),
      ),
    ),
  );

  const clientCert = () =>
    `sslcert=${encodeURIComponent(certs.clientCert)}&sslkey=${encodeURIComponent(certs.clientKey)}`;
  const url = (s: TestServer, query: string) =>
    `postgres://postgres:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}/postgres?${query}`;
  /** A connection's first message asks for TLS (the protocol's SSLRequest code). */
  const isSslRequest = (d: Buffer) => d.length === 8 && d.readUInt32BE(4) === 80877103;
  /** Whether the session is encrypted, and how it authenticated: from the server's view. */
  const over = (u: string) =>
    withSession(
      parseConnection(u),
      async (s) =>
        (await s.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))[0]!.ssl,
    );

  it("without sslmode (prefer): TLS where the server offers it, plaintext where it does not", async () => {
    assert.equal(await over(url(tlsOnly, clientCert())), true);
    assert.equal(await over(url(plainOnly, "")), false);
  });

  it("without sslmode: one connection to a server that offers TLS; one without TLS is asked once per process", async () => {
    // A proxy in front of a server, noting how each connection through it starts.
    const proxied = async (target: TestServer) => {
      const starts: string[] = [];
      const sockets = new Set<net.Socket>();
      const proxy = net.createServer((c) => {
        const up = net.connect(target.port, "127.0.0.1");
        sockets.add(c).add(up);
        c.once("data", (d: Buffer) => starts.push(isSslRequest(d) ? "SSLRequest" : "startup"));
        c.pipe(up).pipe(c);
        c.on("error", () => undefined);
        up.on("error", () => undefined);
      });
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
      const port = (proxy.address() as net.AddressInfo).port;
      const at = (query: string) =>
        `postgres://postgres:${encodeURIComponent(target.password)}@127.0.0.1:${port}/postgres?${query}`;
      // Closed with the connections kept idle through it (gone for good: nothing else uses this port).
      const close = () => {
        for (const x of sockets) x.destroy();
        return new Promise((r) => proxy.close(r));
      };
      return { starts, at, close };
    };
    const tls = await proxied(tlsOnly);
    const plain = await proxied(plainOnly);
    try {
      assert.equal(await over(tls.at(clientCert())), true);
      assert.deepEqual(
        tls.starts,
        ["SSLRequest"],
        "TLS asked for on the session's own connection, no probe before it",
      );
      assert.equal(await over(plain.at("")), false);
      assert.deepEqual(plain.starts, ["SSLRequest", "startup"], "asked, answered no, then plaintext");
      // Another session (its own connection: another application_name) goes plaintext at once.
      assert.equal(await over(plain.at("application_name=again")), false);
      assert.deepEqual(plain.starts, ["SSLRequest", "startup", "startup"]);
    } finally {
      await Promise.all([tls.close(), plain.close()]);
    }
  });

  it("without sslmode: plaintext when the TLS handshake fails, as libpq does (not remembered); require does not fall back", async () => {
    // A front that answers an SSLRequest "S" and the client's TLS hello with bytes that are not
    // TLS, and passes a plaintext connection on to the server without TLS.
    const starts: string[] = [];
    const sockets = new Set<net.Socket>();
    const front = net.createServer((c) => {
      sockets.add(c);
      c.on("error", () => undefined);
      c.once("data", (d: Buffer) => {
        if (isSslRequest(d)) {
          starts.push("SSLRequest");
          c.write("S");
          c.once("data", () => c.end("this is not a TLS server\n"));
          return;
        }
        starts.push("startup");
        const up = net.connect(plainOnly.port, "127.0.0.1");
        sockets.add(up);
        up.on("error", () => undefined);
        up.write(d);
        c.pipe(up).pipe(c);
      });
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    const at = (query: string) =>
      `postgres://postgres:${encodeURIComponent(plainOnly.password)}@127.0.0.1:${(front.address() as net.AddressInfo).port}/postgres?${query}`;
    try {
      assert.equal(await over(at("")), false);
      assert.deepEqual(starts, ["SSLRequest", "startup"], "TLS failed in the handshake, then plaintext");
      // The server said "S": the next session asks for TLS again (only an "N" is remembered).
      assert.equal(await over(at("application_name=again")), false);
      assert.deepEqual(starts, ["SSLRequest", "startup", "SSLRequest", "startup"]);
      await assert.rejects(over(at("sslmode=require&application_name=strict")), (e: Error) => {
        assert.doesNotMatch(e.message, /without TLS/);
        assert.ok(!e.message.includes(plainOnly.password));
        return true;
      });
      assert.deepEqual(starts.slice(4), ["SSLRequest"], "require: no plaintext attempt");
    } finally {
      for (const x of sockets) x.destroy();
      await new Promise((r) => front.close(r));
    }
  });

  it("without sslmode: plaintext when the server refuses the login over TLS (pg_hba.conf), as libpq does; both refusals reported", async () => {
    // A role the server takes only without TLS (hostnossl), the way a few setups keep TLS for others.
    const password = "nossl-secret-1";
    const [{ hba }] = await tlsOnly.query<{ hba: string }>("SELECT current_setting('hba_file') AS hba");
    const before = fs.readFileSync(hba, "utf8");
    await tlsOnly.query(`CREATE ROLE nossl LOGIN PASSWORD '${password}'`);
    fs.writeFileSync(
      hba,
      `hostssl all nossl 127.0.0.1/32 reject\nhostnossl all nossl 127.0.0.1/32 scram-sha-256\n${before}`,
    );
    await tlsOnly.query("SELECT pg_reload_conf()");
    const nossl = (query: string) =>
      `postgres://nossl:${password}@127.0.0.1:${tlsOnly.port}/postgres?${query}`;
    try {
      assert.equal(await over(nossl("")), false, "refused over TLS, then in plaintext");
      assert.equal(await over(nossl(`sslmode=allow`)), false);
      await assert.rejects(over(nossl("sslmode=require")), (e: Error) => {
        assert.equal((e as { code?: string }).code, "28000");
        assert.match(e.message, /SSL encryption/);
        assert.doesNotMatch(e.message, /without TLS/);
        return true;
      });
      // A wrong password: refused over TLS by pg_hba.conf, then by the password in plaintext, the
      // error that says why first (its code kept: nothing else will be tried).
      await assert.rejects(
        over(`postgres://nossl:wrong-one@127.0.0.1:${tlsOnly.port}/postgres`),
        (e: Error) => {
          assert.equal((e as { code?: string }).code, "28P01");
          assert.match(e.message, /password authentication failed.*without TLS; over TLS: .*SSL encryption/s);
          return true;
        },
      );
      // postgres without a client certificate: refused over TLS (the certificate) and in plaintext
      // (reject): the error says both, the TLS one first.
      await assert.rejects(over(url(tlsOnly, "")), (e: Error) => {
        assert.equal((e as { code?: string }).code, "28000");
        assert.match(e.message, /certificate.*over TLS; without TLS: .*no encryption/s);
        assert.ok(!e.message.includes(tlsOnly.password));
        return true;
      });
    } finally {
      fs.writeFileSync(hba, before);
      await tlsOnly.query("SELECT pg_reload_conf()");
      await tlsOnly.query("DROP ROLE nossl");
    }
  });

  it("allow: plaintext first, TLS when the server refuses plaintext", async () => {
    assert.equal(await over(url(tlsOnly, `sslmode=allow&${clientCert()}`)), true);
    assert.equal(await over(url(plainOnly, "sslmode=allow")), false);
  });

  it("disable and require are strict", async () => {
    await assert.rejects(over(url(tlsOnly, `sslmode=disable&${clientCert()}`)), (e: Error) => {
      assert.equal((e as { code?: string }).code, "28000");
      assert.ok(!e.message.includes(tlsOnly.password));
      return true;
    });
    await assert.rejects(over(url(plainOnly, "sslmode=require")), /SSL/);
  });

  it("sslrootcert=system verifies the server against this runtime's trusted roots, with verify-full, as libpq 16 does", async () => {
    // The test CA is in no trusted store: refused (before, "cannot read sslrootcert \"system\"").
    await assert.rejects(over(url(tlsOnly, `sslrootcert=system&${clientCert()}`)), (e: Error) => {
      assert.match(e.message, /self.signed certificate|unable to get local issuer|unable to verify/i);
      assert.ok(!e.message.includes(tlsOnly.password));
      return true;
    });
    assert.throws(
      () => parseConnection(url(tlsOnly, "sslrootcert=system&sslmode=require")),
      /has sslrootcert=system with sslmode=require; the system's trusted roots go only with sslmode=verify-full/,
    );
    // Trusted through Node.js's store (NODE_EXTRA_CA_CERTS extends it), in a process of its own;
    // verify-full checks the name the certificate is for (localhost, 127.0.0.1).
    const probe = `const { parseConnection } = require("./dist/pg/connection");
      const { withSession } = require("./dist/pg/session");
      withSession(parseConnection(process.env.URL), (s) =>
        s.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
      ).then((seen) => console.log(JSON.stringify(seen)));`;
    const trusted = execFileSync(process.execPath, ["-e", probe], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certs.ca,
        URL: url(tlsOnly, `sslrootcert=system&${clientCert()}`).replace("127.0.0.1", "localhost"),
      },
      encoding: "utf8",
    });
    assert.deepEqual(JSON.parse(trusted.trim().split("\n").pop()!), [{ ssl: true }]);
  });

  it("sslnegotiation=direct starts TLS at once (no SSLRequest), as PostgreSQL 17's libpq does", async () => {
    // A relay in front of the server records how each connection begins.
    const firstBytes: Buffer[] = [];
    const relay = net.createServer((client) => {
      const upstream = net.connect(tlsOnly.port, "127.0.0.1");
      client.once("data", (d: Buffer) => firstBytes.push(d.subarray(0, 8)));
      client.pipe(upstream).pipe(client);
      const end = () => (client.destroy(), upstream.destroy());
      client.on("error", end);
      upstream.on("error", end);
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    const port = (relay.address() as net.AddressInfo).port;
    const via = (query: string) =>
      `postgres://postgres:${encodeURIComponent(tlsOnly.password)}@127.0.0.1:${port}/postgres?${query}&${clientCert()}&application_name=direct_${firstBytes.length}`;
    try {
      assert.equal(await over(via("sslmode=require&sslnegotiation=direct")), true);
      assert.equal(firstBytes[0]![0], 0x16, "a TLS record (handshake) first, not an SSLRequest");
      assert.equal(await over(via("sslmode=require")), true);
      assert.deepEqual(
        [...firstBytes[1]!],
        [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f],
        "the classic way: SSLRequest first",
      );
    } finally {
      relay.close();
    }
  });

  it("channel_binding=require binds the session over TLS, and fails where it cannot", async () => {
    assert.equal(await over(url(tlsOnly, `sslmode=require&channel_binding=require&${clientCert()}`)), true);
    await assert.rejects(
      over(url(plainOnly, "channel_binding=require")),
      /channel_binding=require, but the server did not authenticate with SCRAM-SHA-256-PLUS/,
    );
  });

  it("takes the other libpq parameters in its sessions (keepalives, TLS versions) or leaves them to the replica's libpq (client_encoding: these sessions speak UTF-8)", async () => {
    const settings = await withSession(
      parseConnection(
        url(
          tlsOnly,
          `${clientCert()}&keepalives=1&keepalives_idle=30&client_encoding=LATIN1&ssl_min_protocol_version=TLSv1.3&target_session_attrs=read-write`,
        ),
      ),
      (s) =>
        s.query<{ enc: string; version: string }>(
          "SELECT current_setting('client_encoding') AS enc, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ),
    );
    assert.deepEqual(settings, [{ enc: "UTF8", version: "TLSv1.3" }]);
  });

  /**
   * A cloud console's string pointed at these servers: its host, port, database, user and password
   * swapped for a test server's (a socket directory for a socket), its CA file for the test CA, a
   * client certificate added where the server asks for one; every parameter it adds kept.
   */
  const pointed = (text: string): ConnectionInfo => {
    const { hosts: _list, ...info } = parseConnection(text);
    const plain = info.sslMode === "disable";
    const server = plain ? plainOnly : tlsOnly;
    const socket = info.host.startsWith("/");
    return {
      ...info,
      host: socket ? server.socketDir : "127.0.0.1",
      port: server.port,
      database: "postgres",
      user: "postgres",
      password: server.password,
      ...(info.sslRootCert ? { sslRootCert: certs.ca } : {}),
      ...(plain || socket ? {} : { sslCert: certs.clientCert, sslKey: certs.clientKey }),
    };
  };

  it("takes each cloud console's string with every parameter it adds, in this package's sessions and in the subscriber's libpq", async () => {
    let n = 0;
    for (const [service, text, pooled] of CORPUS) {
      const info = pointed(text);
      const socket = info.host.startsWith("/");
      const wantTls = !socket && info.sslMode !== "disable";
      // This package's session: TLS wherever the string asks for it (or prefers it), SCRAM bound to
      // the channel where it says channel_binding=require.
      const seen = await withSession(info, (s) =>
        s.query<{ ssl: boolean; app: string }>(
          "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl, current_setting('application_name') AS app",
        ),
      );
      assert.equal(seen[0]!.ssl, wantTls, `${service}: TLS in this package's session`);
      // The subscriber's server connects with the conninfo the subscription gets (connect = true
      // makes CREATE SUBSCRIPTION fetch the published tables), and stores it as given.
      const name = `corpus_${++n}`;
      await plainOnly.query(
        subscriptionSql.createSubscription(name, conninfo(info), ["corpus_pub"], {
          create_slot: false,
          slot_name: { none: true },
          enabled: false,
          copy_data: false,
        }),
      );
      const [sub] = await plainOnly.query<{ conninfo: string; tables: number }>(
        "SELECT subconninfo AS conninfo, (SELECT count(*)::int FROM pg_subscription_rel r WHERE r.srsubid = s.oid) AS tables FROM pg_subscription s WHERE subname = $1",
        [name],
      );
      await plainOnly.query(subscriptionSql.dropSubscription(name));
      assert.equal(sub!.tables, 1, `${service}: the subscriber's server reached the publisher`);
      assert.deepEqual(
        parseConnection(sub!.conninfo),
        info,
        `${service}: the conninfo stored is the connection`,
      );
      assert.equal(pooler(parseConnection(text)) !== undefined, pooled, service);
    }
    assert.equal(n, CORPUS.length);
  });
});
