// A session's failure to connect is told from a statement's failure by what it is, not by its
// wording (servers and Node speak other languages): the provider adds its connection advice to the first only.

import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "node:test";
import { parseConnection } from "../../../src/pg/connection";
import { failedToConnect, withSession } from "../../../src/pg/session";

describe("a session's failure to connect", () => {
  it("is recognised as one, whatever its message says; other errors are not", async () => {
    // A port nothing listens on: bind one, note it, close it.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const info = parseConnection(`postgres://u:hush@127.0.0.1:${port}/app?sslmode=disable`);
    const err = await withSession(info, async () => undefined).then(
      () => assert.fail("connected to a closed port"),
      (e: unknown) => e,
    );
    assert.equal(failedToConnect(err), true);
    assert.doesNotMatch((err as Error).message, /hush/);
    const renamed = Object.assign(err as Error, { message: "Verbindung fehlgeschlagen" });
    assert.equal(failedToConnect(renamed), true);
    assert.equal(failedToConnect(new Error("could not connect to 127.0.0.1:5432/app")), false);
    assert.equal(failedToConnect(undefined), false);
  });
});
