// Connection strings as managed PostgreSQL services document them (the shapes of their consoles'
// and docs' examples, with made-up hosts and passwords): each parses, reaches the subscription's
// conninfo intact (read back equal), keeps its password out of every redacted form, and a pooler
// is recognised (a subscription's publisher cannot be one).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conninfo, parseConnection } from "../../../src/pg/connection";
import { pooler } from "../../../src/pg/pooler";
import { redact } from "../../../src/pg/redact";
import { CORPUS as corpus, PW } from "../../fixtures/connectionStrings";

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
