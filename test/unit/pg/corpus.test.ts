// Connection strings as managed PostgreSQL services document them (the shapes of their consoles'
// and docs' examples, with made-up hosts and passwords): each parses, reaches the subscription's
// conninfo intact (read back equal), keeps its password out of every redacted form, and a pooler
// is recognised (a subscription's publisher cannot be one).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conninfo, parseConnection, pooler } from "../../../src/pg/connection";
import { redact } from "../../../src/pg/redact";

const PW = "s3cr3t-Pa55";
const corpus: [service: string, text: string, pooled: boolean][] = [
  [
    "Neon",
    `postgresql://alex:${PW}@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require`,
    false,
  ],
  [
    "Neon, pooled",
    `postgresql://alex:${PW}@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require`,
    true,
  ],
  ["Supabase, direct", `postgresql://postgres:${PW}@db.abcdefghijklmnop.supabase.co:5432/postgres`, false],
  [
    "Supabase, pooler (transaction)",
    `postgres://postgres.abcdefghijklmnop:${PW}@aws-0-eu-central-1.pooler.supabase.com:6543/postgres`,
    true,
  ],
  [
    "Supabase, pooler (session)",
    `postgres://postgres.abcdefghijklmnop:${PW}@aws-0-eu-central-1.pooler.supabase.com:5432/postgres`,
    true,
  ],
  [
    "RDS",
    `postgresql://master:${PW}@mydb.c9akciq32ab.eu-west-1.rds.amazonaws.com:5432/app?sslmode=verify-full&sslrootcert=/etc/ssl/rds/global-bundle.pem`,
    false,
  ],
  [
    "Aurora, writer",
    `postgresql://master:${PW}@mycluster.cluster-c9akciq32ab.eu-west-1.rds.amazonaws.com:5432/app?sslmode=require&target_session_attrs=read-write`,
    false,
  ],
  [
    "RDS Proxy",
    `postgresql://master:${PW}@myproxy.proxy-c9akciq32ab.eu-west-1.rds.amazonaws.com:5432/app?sslmode=require`,
    true,
  ],
  [
    "Cloud SQL, Unix socket",
    `host=/cloudsql/my-project:europe-west1:my-instance dbname=app user=app password=${PW}`,
    false,
  ],
  [
    "Cloud SQL, socket as a URI",
    `postgresql://app:${PW}@/app?host=/cloudsql/my-project:europe-west1:my-instance`,
    false,
  ],
  ["Cloud SQL Auth Proxy", `postgresql://app:${PW}@127.0.0.1:5432/app?sslmode=disable`, false],
  [
    "Azure Flexible Server",
    `host=mydemoserver.postgres.database.azure.com port=5432 dbname=postgres user=myadmin password=${PW} sslmode=require`,
    false,
  ],
  [
    "Crunchy Bridge",
    `postgres://application:${PW}@p.abcdefghijklmnopqrst.db.postgresbridge.com:5432/postgres?sslmode=require`,
    false,
  ],
  [
    "Aiven",
    `postgres://avnadmin:${PW}@pg-1a2b3c4d-myproject.aivencloud.com:12691/defaultdb?sslmode=require`,
    false,
  ],
  [
    "Render, external",
    `postgresql://app_user:${PW}@dpg-abc123def456-a.oregon-postgres.render.com/app_db?sslmode=require`,
    false,
  ],
  [
    "Heroku",
    `postgres://u1a2b3c4:${PW}@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1a2b3c4d5?sslmode=require&keepalives_idle=60`,
    false,
  ],
];

describe("connection strings as managed services document them", () => {
  for (const [service, text, pooled] of corpus)
    it(`${service}: parsed, passed to the subscription intact, the password kept secret${pooled ? ", the pooler recognised" : ""}`, () => {
      const info = parseConnection(text);
      assert.equal(info.password, PW);
      assert.deepEqual(parseConnection(conninfo(info)), info, "the subscription's conninfo says the same");
      for (const shown of [redact(text, []), redact(conninfo(info), [])])
        assert.ok(!shown.includes(PW), shown);
      assert.equal(pooler(info) !== undefined, pooled, pooler(info));
    });

  it("redacts an OAuth client secret as it redacts a password", () => {
    const text =
      "host=db dbname=app user=u oauth_issuer=https://id.example oauth_client_id=c oauth_client_secret=hush";
    assert.ok(!redact(text, []).includes("hush"));
    assert.ok(!redact(conninfo(parseConnection(text)), []).includes("hush"));
    assert.ok(!redact(`postgres://u@db/app?oauth_client_secret=hush`, []).includes("hush"));
  });

  it("keeps every parameter a service adds", () => {
    assert.deepEqual(parseConnection(corpus[0]![1]).params, { channel_binding: "require" });
    assert.deepEqual(parseConnection(corpus[6]![1]).params, { target_session_attrs: "read-write" });
    assert.equal(parseConnection(corpus[8]![1]).host, "/cloudsql/my-project:europe-west1:my-instance");
    assert.equal(parseConnection(corpus[9]![1]).host, "/cloudsql/my-project:europe-west1:my-instance");
  });
});
