// TLS as libpq negotiates it, in this package's own sessions: no sslmode means `prefer` (TLS first
// when the server offers it, plaintext when it does not), `allow` tries plaintext first and TLS when
// the server's pg_hba.conf refuses plaintext, `disable` and `require` are strict; and
// `channel_binding=require` binds the session to the TLS channel (SCRAM-SHA-256-PLUS) or fails;
// `sslnegotiation=direct` starts TLS at once (PostgreSQL 17's direct TLS).
// Against a server that only accepts TLS (hostssl, client certificate) and one that has no TLS.

import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { parseConnection } from "../../src/pg/connection";
import { withSession } from "../../src/pg/session";
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

  const clientCert = () =>
    `sslcert=${encodeURIComponent(certs.clientCert)}&sslkey=${encodeURIComponent(certs.clientKey)}`;
  const url = (s: TestServer, query: string) =>
    `postgres://postgres:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}/postgres?${query}`;
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
});
