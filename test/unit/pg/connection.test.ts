import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  conninfo,
  eachHost,
  endpoint,
  parseConnection,
  sameConnection,
  type ConnectionInfo,
} from "../../../src/pg/connection";
import { conninfoPair } from "../../../src/pg/conninfo";
import { redact, redactError } from "../../../src/pg/redact";
import { connectionSchema } from "../../../src/pg/schemas";

const base = { host: "db", port: 5432, database: "app", user: "u" };

describe("connections", () => {
  const accepted: [string, string | Record<string, unknown>, ConnectionInfo][] = [
    [
      "a URI with an encoded password and sslmode",
      "postgres://app:p%40ss%3Aw@db.internal:6432/prod?sslmode=require",
      {
        host: "db.internal",
        port: 6432,
        database: "prod",
        user: "app",
        password: "p@ss:w",
        sslMode: "require",
      },
    ],
    [
      "a URI with every TLS and client parameter",
      "postgresql://u:pw@db/app?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem&sslpassword=kp&application_name=etl&connect_timeout=7&options=-c%20statement_timeout%3D0",
      {
        ...base,
        password: "pw",
        sslMode: "verify-full",
        sslRootCert: "/ca.pem",
        sslCert: "/c.pem",
        sslKey: "/k.pem",
        sslPassword: "kp",
        applicationName: "etl",
        connectTimeout: 7,
        options: "-c statement_timeout=0",
      },
    ],
    [
      "a URI with a Unix-socket directory as its host",
      "postgres://u@%2Fvar%2Frun%2Fpostgresql:5433/app",
      { host: "/var/run/postgresql", port: 5433, database: "app", user: "u" },
    ],
    [
      "a URI whose host is a query parameter",
      "postgres://u@/app?host=/tmp/sock",
      { host: "/tmp/sock", port: 5432, database: "app", user: "u" },
    ],
    [
      "a libpq key=value string, quoted values and escapes included",
      "host=db port=5432 dbname=app user=u password='it\\'s a \\\\ secret' application_name = 'my app'",
      { ...base, password: "it's a \\ secret", applicationName: "my app" },
    ],
    [
      "a key=value string with a socket host and sslmode",
      "host=/var/run/postgresql dbname=app user=u sslmode=disable",
      { host: "/var/run/postgresql", port: 5432, database: "app", user: "u", sslMode: "disable" },
    ],
    [
      "the object form with the TLS fields",
      {
        host: "db",
        database: "app",
        user: "u",
        sslMode: "verify-ca",
        sslCert: "/c",
        sslKey: "/k",
        sslPassword: "x",
      },
      { ...base, sslMode: "verify-ca", sslCert: "/c", sslKey: "/k", sslPassword: "x" },
    ],
  ];
  accepted.push(
    [
      "Neon's console string (channel_binding)",
      "postgresql://u:pw@ep-x-123.eu-central-1.aws.neon.tech/app?sslmode=require&channel_binding=require",
      {
        host: "ep-x-123.eu-central-1.aws.neon.tech",
        port: 5432,
        database: "app",
        user: "u",
        password: "pw",
        sslMode: "require",
        params: { channel_binding: "require" },
      },
    ],
    [
      "libpq's other parameters in key=value form",
      "host=db dbname=app user=u sslmode=require target_session_attrs=read-write keepalives_idle=30 sslnegotiation=direct",
      {
        ...base,
        sslMode: "require",
        params: { target_session_attrs: "read-write", keepalives_idle: "30", sslnegotiation: "direct" },
      },
    ],
    [
      "the object form with params",
      { ...base, params: { gssencmode: "disable" } },
      { ...base, params: { gssencmode: "disable" } },
    ],
  );
  for (const [what, input, expected] of accepted)
    it(`parses ${what}`, () => {
      assert.deepEqual(parseConnection(input as never), expected);
      assert.ok(connectionSchema().safeParse(input).success);
    });

  const refused: [string, unknown, RegExp][] = [
    [
      "a parameter libpq does not know",
      "postgres://u:pw@db/app?sslcompresion=1",
      /parameter `sslcompresion`, which libpq does not know/,
    ],
    [
      "a replication connection",
      "host=db dbname=app user=u replication=database",
      /`replication`, which is refused: it turns a connection into a replication connection/,
    ],
    [
      "a service no file defines",
      "postgres://u@db/app?service=no_such_service_anywhere",
      /service=no_such_service_anywhere, which no service file here defines \(looked in .*\); add \[no_such_service_anywhere\]/,
    ],
    [
      "a bad channel_binding",
      "postgres://u@db/app?channel_binding=always",
      /channel_binding=always; use one of/,
    ],
    [
      "a direct TLS start where plaintext is possible",
      "postgres://u@db/app?sslnegotiation=direct",
      /sslnegotiation=direct with sslmode=prefer; direct TLS needs sslmode=require, verify-ca or verify-full/,
    ],
    [
      "a keepalives_idle that is not a number",
      "postgres://u@db/app?keepalives_idle=soon",
      /not a whole number/,
    ],
    ["an empty host in a host list", "host=a,,b dbname=app user=u", /empty host in its host list/],
    [
      "a port list that does not match the hosts",
      "host=a,b,c port=1,2 dbname=app user=u",
      /names 3 hosts and 2 ports.*one port for all hosts or one per host/,
    ],
    ["a libpq field given in params", { ...base, params: { sslmode: "require" } }, /give sslMode as a field/],
    ["port 0", "postgres://u@db:0/app", /port 0; a port is 1–65535/],
    ["port 0 in key=value form", "host=db port=0 dbname=app user=u", /port 0; a port is 1–65535/],
    [
      "a port that is not a number",
      "host=db port=x dbname=app user=u",
      /port=x, which is not a whole number/,
    ],
    [
      "a malformed percent-encoding",
      "postgres://u:p%zz@db/app",
      /malformed percent-encoding in its password.*%25/,
    ],
    ["an empty host in a URI's host list", "postgres://u@h1,,h2/app", /empty or malformed host/],
    ["no database", "postgres://u:pw@db:5432", /no database name/],
    ["no user", "host=db dbname=app", /no user/],
    ["a bad sslmode", "postgres://u@db/app?sslmode=sometimes", /sslmode=sometimes; use one of/],
    [
      "an unterminated quote",
      "host=db dbname=app user=u password='abc",
      /unterminated quoted value for `password`/,
    ],
    ["text that is neither form", "mysql://x", /neither a postgres:\/\/ URI nor a libpq key=value string/],
    ["an unknown object field", { ...base, pasword: "typo" }, /unknown field `pasword`/],
    ["port 0 in the object form", { ...base, port: 0 }, /port must be 1–65535/],
  ];
  for (const [what, input, message] of refused)
    it(`refuses ${what} with a plain message`, () => {
      const r = connectionSchema().safeParse(input);
      assert.equal(r.success, false);
      assert.match(r.error!.issues.map((i) => i.message).join("; "), message);
    });

  it("never shows a password in a refusal", () => {
    for (const input of [
      "postgres://u:hunter2@db/app?nope=1",
      "host=db dbname=app user=u password=hunter2 nope=1",
      "host=db dbname=app user=u password='hunter2' nope=1",
      "postgres://u@db/app?password=hunter2&nope=1",
    ]) {
      const r = connectionSchema().safeParse(input);
      assert.equal(r.success, false);
      assert.doesNotMatch(JSON.stringify(r.error!.issues), /hunter2/, input);
    }
  });

  it("builds a libpq conninfo with every parameter quoted", () =>
    assert.equal(
      conninfo({
        host: "/tmp",
        port: 5432,
        database: "my db",
        user: "u",
        password: "it's",
        sslMode: "verify-ca",
        sslCert: "/c",
        applicationName: "a b",
        connectTimeout: 5,
        options: "-c x=1",
      }),
      "host='/tmp' port='5432' dbname='my db' user='u' password='it\\'s' sslmode='verify-ca' sslcert='/c' application_name='a b' connect_timeout='5' options='-c x=1'",
    ));
  it("passes libpq's other parameters to the subscription's conninfo, and reads them back", () => {
    const info: ConnectionInfo = {
      ...base,
      params: { target_session_attrs: "read-write", channel_binding: "require" },
    };
    assert.equal(
      conninfo(info),
      "host='db' port='5432' dbname='app' user='u' channel_binding='require' target_session_attrs='read-write'",
    );
    assert.deepEqual(parseConnection(conninfo(info)), info);
  });
  it("reads libpq's host lists in every form, passes them whole to the subscription, and tries them in order", () => {
    const two = [
      { host: "a.example", port: 5432 },
      { host: "b.example", port: 5433 },
    ];
    const wanted: ConnectionInfo = { ...base, host: "a.example", port: 5432, hosts: two };
    for (const form of [
      "postgres://u@a.example,b.example:5433/app",
      "postgresql://u@a.example:5432,b.example:5433/app",
      "host=a.example,b.example port=5432,5433 dbname=app user=u",
      "host=a.example,b.example port=,5433 dbname=app user=u",
    ])
      assert.deepEqual(parseConnection(form), wanted, form);
    // One port for every host; the object form's host list takes its port.
    const same = [
      { host: "a", port: 6000 },
      { host: "b", port: 6000 },
    ];
    assert.deepEqual(parseConnection("host=a,b port=6000 dbname=app user=u").hosts, same);
    assert.deepEqual(parseConnection({ host: "a,b", port: 6000, database: "app", user: "u" }).hosts, same);
    assert.deepEqual(parseConnection("postgres://u@[::1]:5432,[::2]:5433/app").hosts, [
      { host: "::1", port: 5432 },
      { host: "::2", port: 5433 },
    ]);
    assert.equal(conninfo(wanted), "host='a.example,b.example' port='5432,5433' dbname='app' user='u'");
    assert.deepEqual(parseConnection(conninfo(wanted)), wanted);
    assert.equal(endpoint(wanted), "a.example:5432,b.example:5433/app");
    assert.ok(!sameConnection(wanted, { ...wanted, hosts: [two[1]!, two[0]!] }), "the order is part of it");
    assert.deepEqual(
      eachHost(wanted).map((h) => [h.host, h.port, h.hosts]),
      [
        ["a.example", 5432, undefined],
        ["b.example", 5433, undefined],
      ],
    );
    const shuffled = new Set(
      Array.from({ length: 40 }, () =>
        eachHost({ ...wanted, params: { load_balance_hosts: "random" } })
          .map((h) => h.host)
          .join(),
      ),
    );
    assert.equal(shuffled.size, 2, "load_balance_hosts=random tries them in either order");
  });
  it("reads back what it builds", () => {
    const info: ConnectionInfo = { ...base, password: "a'b\\c d", sslPassword: "' x" };
    assert.deepEqual(parseConnection(conninfo(info)), info);
  });
  it("escapes libpq values", () => assert.equal(conninfoPair("password", "a'b\\c"), "password='a\\'b\\\\c'"));
  it("redacts URIs, conninfo passwords and known secrets", () => {
    assert.equal(redact("postgres://u:hunter2@h/d failed", []), "postgres://u:***@h/d failed");
    assert.equal(redact("host='h' password='a\\'b' x", []), "host='h' password='***' x");
    assert.equal(
      redact("host=h password=abc sslpassword='k' x", []),
      "host=h password=*** sslpassword='***' x",
    );
    assert.equal(redact("the word hunter2 appears", ["hunter2"]), "the word *** appears");
  });
  it("keeps the SQLSTATE when redacting an error", () => {
    const e = redactError(Object.assign(new Error("password hunter2 rejected"), { code: "28P01" }), [
      "hunter2",
    ]);
    assert.equal(e.code, "28P01");
    assert.ok(!e.message.includes("hunter2"));
  });
});
