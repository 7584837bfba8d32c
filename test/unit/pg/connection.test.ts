import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conninfo, connectionSchema, parseConnection } from "../../../src/pg/connection";
import { conninfoPair } from "../../../src/pg/conninfo";
import { redact, redactError } from "../../../src/pg/redact";

describe("connections", () => {
  it("parses a URI with an encoded password and sslmode", () =>
    assert.deepEqual(parseConnection("postgres://app:p%40ss%3Aw@db.internal:6432/prod?sslmode=require"), {
      host: "db.internal",
      port: 6432,
      database: "prod",
      user: "app",
      password: "p@ss:w",
      sslMode: "require",
    }));
  it("defaults the port to 5432 in the object form", () =>
    assert.equal(parseConnection({ host: "h", database: "d", user: "u" }).port, 5432));
  it("refuses a URI without a database, naming the fix and hiding the password", () => {
    assert.throws(
      () => parseConnection("postgres://u:secretpw@h:5432"),
      (e: Error) => /add \/database/.test(e.message) && !e.message.includes("secretpw"),
    );
  });
  it("builds a libpq conninfo with quoted values", () =>
    assert.equal(
      conninfo({ host: "h", port: 5432, database: "my db", user: "u", password: "it's" }),
      "host='h' port='5432' dbname='my db' user='u' password='it\\'s'",
    ));
  it("escapes libpq values", () => assert.equal(conninfoPair("password", "a'b\\c"), "password='a\\'b\\\\c'"));
  it("redacts URIs, conninfo passwords and known secrets", () => {
    assert.equal(redact("postgres://u:hunter2@h/d failed", []), "postgres://u:***@h/d failed");
    assert.equal(redact("host='h' password='a\\'b' x", []), "host='h' password='***' x");
    assert.equal(redact("the word hunter2 appears", ["hunter2"]), "the word *** appears");
  });
  it("keeps the SQLSTATE when redacting an error", () => {
    const e = redactError(Object.assign(new Error("password hunter2 rejected"), { code: "28P01" }), [
      "hunter2",
    ]);
    assert.equal(e.code, "28P01");
    assert.ok(!e.message.includes("hunter2"));
  });
  it("rejects a non-postgres URI and unknown object keys", () => {
    assert.ok(!connectionSchema().safeParse("mysql://x").success);
    assert.ok(
      !connectionSchema().safeParse({ host: "h", database: "d", user: "u", pasword: "typo" }).success,
    );
  });
});
