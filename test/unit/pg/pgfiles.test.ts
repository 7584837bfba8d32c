// The files libpq reads where a program connects: the service file and the password file, read as
// libpq reads them, and a connection naming a service spelled out from it.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { conninfo, parseConnection } from "../../../src/pg/connection";
import { passwordFor, passwordFrom, readService, serviceSection } from "../../../src/pg/pgfiles";

const SERVICES = `
# comment
[prod]
host=db.example
port=6432
dbname=app
user=deploy
sslmode=verify-full
target_session_attrs=read-write

[other]
host=elsewhere

[badport]
host=db.example
port=six
`;

describe("libpq's service file", () => {
  let dir: string;
  const saved = { ...process.env };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgfiles-"));
    fs.writeFileSync(path.join(dir, "services.conf"), SERVICES);
    process.env.PGSERVICEFILE = path.join(dir, "services.conf");
    process.env.PGSYSCONFDIR = dir; // no pg_service.conf there
  });
  after(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads one section, up to the next", () => {
    assert.deepEqual(serviceSection(SERVICES, "other"), { host: "elsewhere" });
    assert.equal(serviceSection(SERVICES, "missing"), undefined);
    assert.equal(readService("prod").port, "6432");
  });

  it("spells a service out in every form, the connection's own parameters winning", () => {
    const wanted = {
      host: "db.example",
      port: 6432,
      database: "app",
      user: "deploy",
      sslMode: "verify-full",
      params: { target_session_attrs: "read-write" },
    };
    assert.deepEqual(parseConnection("service=prod"), wanted);
    assert.deepEqual(parseConnection("postgres://?service=prod"), wanted);
    assert.deepEqual(
      parseConnection({ host: "db.example", database: "app", user: "deploy", params: { service: "prod" } }),
      wanted,
    );
    assert.deepEqual(parseConnection("service=prod user=admin port=5432"), {
      ...wanted,
      user: "admin",
      port: 5432,
    });
    // The subscription's conninfo names the parameters, not the service (the replica's server rarely has the file).
    assert.equal(
      conninfo(parseConnection("service=prod password=pw")),
      "host='db.example' port='6432' dbname='app' user='deploy' password='pw' sslmode='verify-full' target_session_attrs='read-write'",
    );
  });

  it("says which service holds a port that is not a number, in every form alike", () => {
    const said = /port=six, which is not a whole number/;
    assert.throws(() => parseConnection("service=badport dbname=app user=u"), said);
    assert.throws(
      () => parseConnection({ host: "", database: "app", user: "u", params: { service: "badport" } }),
      said,
    );
  });
});

describe("libpq's password file", () => {
  const target = { host: "db.example", port: 5432, database: "app", user: "deploy" };
  const TEXT = [
    "# host:port:database:user:password",
    "other:5432:app:deploy:not-this",
    "db.example:5432:app:deploy:pa\\:ss\\\\word",
    "*:*:*:*:fallback",
  ].join("\n");

  it("takes the first line that matches, with wildcards and escapes", () => {
    assert.equal(passwordFrom(TEXT, target), "pa:ss\\word");
    assert.equal(passwordFrom(TEXT, { ...target, user: "someone" }), "fallback");
    assert.equal(
      passwordFrom("localhost:5432:app:deploy:sock", { ...target, host: "/var/run/postgresql" }),
      "sock",
    );
    assert.equal(passwordFrom("short:line", target), undefined);
  });

  it("reads passfile, else PGPASSFILE, and ignores a file others may read", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgpass-"));
    try {
      const file = path.join(dir, "pgpass");
      fs.writeFileSync(file, TEXT, { mode: 0o600 });
      assert.equal(passwordFor(target, file, {}), "pa:ss\\word");
      assert.equal(passwordFor(target, undefined, { PGPASSFILE: file }), "pa:ss\\word");
      fs.chmodSync(file, 0o644);
      assert.equal(
        passwordFor(target, file, {}),
        undefined,
        "libpq ignores a password file group or others can read",
      );
      assert.equal(passwordFor(target, path.join(dir, "missing"), {}), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
