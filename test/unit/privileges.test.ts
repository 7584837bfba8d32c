// The privilege preflights refuse at preview what the server would refuse at `up`, naming the role,
// what is missing and the GRANT that fixes it: a table per module, as a plain role, a managed
// cloud's admin role and a superuser would meet them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectionInfo } from "../../src/pg/connection";
import { readOnlyFailure, type RoleFacts } from "../../src/pg/roles";
import type { TableFacts } from "../../src/pg/tableFacts";
import { privilegeFailures } from "../../src/publication/preflight";
import { targetFailures } from "../../src/schemaSync/privileges";
import { publisherRoleFailures, subscriberFailures } from "../../src/subscription/privileges";

const role = (over: Partial<RoleFacts> = {}): RoleFacts => ({
  user: "app",
  database: "shop",
  superuser: false,
  replication: false,
  createOnDatabase: true,
  memberOf: [],
  readOnly: false,
  inRecovery: false,
  ...over,
});
const table = (over: Partial<TableFacts> = {}): TableFacts => ({
  schema: "public",
  name: "orders",
  replicaIdentity: "d",
  partitioned: false,
  unlogged: false,
  system: false,
  hasPrimaryKey: true,
  hasIdentityIndex: false,
  columns: [],
  identityColumns: [],
  owner: "app",
  owned: true,
  canBecomeOwner: true,
  canSelect: true,
  canWrite: true,
  rowSecurity: false,
  ownerRowSecurity: false,
  ownerCanBecomeMe: true,
  largeObjectColumns: [],
  unequalColumns: [],
  unequalTypes: [],
  ...over,
});
const publisher: ConnectionInfo = { host: "p", port: 5432, database: "shop", user: "repl", password: "x" };
const reasons = (f: { reason: string }[]) => f.map((x) => x.reason).join(" | ");

describe("publication privileges", () => {
  const orders = [{ schema: "public", name: "orders" }];
  const cases: [string, Parameters<typeof privilegeFailures>, RegExp | undefined][] = [
    [
      "a superuser may do anything",
      [
        role({ superuser: true, createOnDatabase: false }),
        { allTables: true },
        orders,
        [table({ owned: false })],
        undefined,
      ],
      undefined,
    ],
    [
      "the owner of the tables, with CREATE on the database",
      [role(), {}, orders, [table()], undefined],
      undefined,
    ],
    [
      "no CREATE on the database",
      [role({ createOnDatabase: false }), {}, orders, [table()], undefined],
      /GRANT CREATE ON DATABASE "shop" TO "app"/,
    ],
    [
      "someone else's table",
      [role(), {}, orders, [table({ owned: false, owner: "dba" })], undefined],
      /ALTER TABLE "public"\."orders" OWNER TO "app";.*GRANT "dba" TO "app"/,
    ],
    [
      "FOR ALL TABLES as a plain role",
      [role(), { allTables: true }, [], [], undefined],
      /FOR ALL TABLES needs a superuser/,
    ],
    [
      "TABLES IN SCHEMA as a plain role",
      [role(), { schemas: ["s"] }, [], [], undefined],
      /FOR TABLES IN SCHEMA needs a superuser/,
    ],
    [
      "FOR ALL TABLES as RDS's admin (the server decides)",
      [role({ memberOf: ["rds_superuser"] }), { allTables: true }, [], [], undefined],
      undefined,
    ],
    [
      "altering a publication someone else owns",
      [role(), {}, orders, [table()], { owner: "dba", owned: false }],
      /owned by "dba".*GRANT "dba" TO "app"/,
    ],
  ];
  for (const [what, args, refused] of cases)
    it(`${refused ? "refuses" : "allows"}: ${what}`, () => {
      const f = privilegeFailures(...args);
      if (refused) assert.match(reasons(f), refused);
      else assert.deepEqual(f, []);
    });
});

describe("subscription privileges", () => {
  const cases: [string, Parameters<typeof subscriberFailures>, RegExp | undefined][] = [
    ["a superuser", [role({ superuser: true }), 150000, {}, publisher, [table()]], undefined],
    ["a plain role before 16", [role(), 150000, {}, publisher, []], /needs a superuser before PostgreSQL 16/],
    [
      "a cloud admin before 16 (the cloud allows it)",
      [role({ memberOf: ["cloudsqlsuperuser"] }), 150000, {}, publisher, []],
      undefined,
    ],
    [
      "16+: a member of pg_create_subscription with CREATE",
      [role({ memberOf: ["pg_create_subscription"] }), 160000, {}, publisher, [table()]],
      undefined,
    ],
    [
      "16+: not a member of pg_create_subscription",
      [role(), 160000, {}, publisher, []],
      /GRANT "pg_create_subscription" TO "app"/,
    ],
    [
      "16+: no CREATE on the database",
      [role({ memberOf: ["pg_create_subscription"], createOnDatabase: false }), 160000, {}, publisher, []],
      /GRANT CREATE ON DATABASE/,
    ],
    [
      "16+: password_required = false",
      [role({ memberOf: ["pg_create_subscription"] }), 160000, { passwordRequired: false }, publisher, []],
      /only a superuser may set password_required = false/,
    ],
    [
      "16+: a publisher connection without a password",
      [
        role({ memberOf: ["pg_create_subscription"] }),
        160000,
        {},
        { ...publisher, password: undefined as unknown as string },
        [],
      ],
      /has no password/,
    ],
    [
      "16+: tables whose owner it may not become",
      [
        role({ memberOf: ["pg_create_subscription"] }),
        160000,
        {},
        publisher,
        [table({ canBecomeOwner: false, owner: "dba" })],
      ],
      /GRANT "dba" TO "app"/,
    ],
    [
      "16+: run_as_owner without write privileges",
      [
        role({ memberOf: ["pg_create_subscription"] }),
        160000,
        { runAsOwner: true },
        publisher,
        [table({ canWrite: false })],
      ],
      /GRANT INSERT, UPDATE, DELETE, TRUNCATE ON "public"\."orders"/,
    ],
  ];
  for (const [what, args, refused] of cases)
    it(`${refused ? "refuses" : "allows"}: ${what}`, () => {
      const f = subscriberFailures(...args);
      if (refused) assert.match(reasons(f), refused);
      else assert.deepEqual(f, []);
    });
  it("refuses a publisher role without REPLICATION or SELECT, naming the statements", () => {
    assert.match(reasons(publisherRoleFailures(role(), [table()])), /ALTER ROLE "app" WITH REPLICATION/);
    assert.deepEqual(publisherRoleFailures(role({ memberOf: ["rds_replication"] }), [table()]), []);
    assert.match(
      reasons(publisherRoleFailures(role({ replication: true }), [table({ canSelect: false })])),
      /GRANT SELECT ON "public"\."orders" TO "app"/,
    );
  });
  it("refuses a publisher role that row-level security policies apply to: the copy would miss rows", () => {
    const f = publisherRoleFailures(role({ replication: true }), [
      table(),
      table({ name: "secret", rowSecurity: true }),
    ]);
    assert.deepEqual(
      f.map((x) => x.property),
      ["publisher"],
    );
    assert.match(
      reasons(f),
      /row-level security applies to role "app" on the publisher for "public\.secret":/,
    );
    assert.match(reasons(f), /ALTER ROLE "app" WITH BYPASSRLS/);
  });
});

describe("row-level security on the replica's tables", () => {
  const forced = table({
    name: "guarded",
    owner: "owner",
    owned: false,
    ownerRowSecurity: true,
    ownerCanBecomeMe: false,
  });
  const properties = (f: { property: string }[]) => f.map((x) => x.property);
  it("refuses from 16 when the owner it writes as is subject, superusers included", () => {
    const f = subscriberFailures(role({ superuser: true }), 160000, {}, publisher, [table(), forced]);
    assert.deepEqual(properties(f), ["connection"]);
    assert.match(
      reasons(f),
      /row-level security applies on the replica to "public\.guarded" for the role that writes their rows \("owner"\).*ALTER ROLE "owner" WITH BYPASSRLS;.*ALTER TABLE "public"\."guarded" NO FORCE ROW LEVEL SECURITY;/,
    );
  });
  it("follows the role PostgreSQL writes as: not the owner before 16, with run_as_owner, or when the owner may become the subscriber", () => {
    for (const [version, inputs, t] of [
      [150000, {}, forced],
      [170000, { runAsOwner: true }, forced],
      [170000, {}, { ...forced, ownerCanBecomeMe: true }],
    ] as const)
      assert.deepEqual(subscriberFailures(role({ superuser: true }), version, inputs, publisher, [t]), []);
  });
  it("refuses the subscriber's own role when it writes, and says to disable it on a table it does not own", () => {
    const enabled = table({ name: "guarded", owner: "owner", owned: false, rowSecurity: true });
    const f = subscriberFailures(
      role({ memberOf: ["pg_create_subscription"] }),
      170000,
      { runAsOwner: true },
      publisher,
      [enabled],
    );
    assert.deepEqual(properties(f), ["connection"]);
    assert.match(
      reasons(f),
      /for the role that writes their rows \("app"\).*ALTER TABLE "public"\."guarded" DISABLE ROW LEVEL SECURITY;/,
    );
    // A managed cloud's admin role on 15 writes as itself too.
    const admin = role({ memberOf: ["rds_superuser"] });
    assert.match(
      reasons(subscriberFailures(admin, 150000, {}, publisher, [enabled])),
      /for the role that writes their rows \("app"\)/,
    );
  });
});

describe("SchemaSync target privileges", () => {
  const access = (over: Partial<Parameters<typeof targetFailures>[1]> = {}) => ({
    schemas: [{ name: "public", exists: true, canCreate: true }],
    extensions: [],
    ...over,
  });
  const cases: [string, Parameters<typeof targetFailures>, RegExp | undefined][] = [
    ["a role that may create in the schemas", [role(), access()], undefined],
    [
      "a schema to create without CREATE on the database",
      [
        role({ createOnDatabase: false }),
        access({ schemas: [{ name: "sales", exists: false, canCreate: false }] }),
      ],
      /cannot create schema\(s\) "sales".*GRANT CREATE ON DATABASE "shop"/,
    ],
    [
      "an existing schema without CREATE",
      [role(), access({ schemas: [{ name: "public", exists: true, canCreate: false }] })],
      /GRANT USAGE, CREATE ON SCHEMA "public" TO "app"/,
    ],
    [
      "an untrusted extension to install",
      [
        role(),
        access({ extensions: [{ name: "postgis", installed: false, trusted: false, available: true }] }),
      ],
      /only a superuser may install it/,
    ],
    [
      "a trusted extension to install",
      [
        role(),
        access({ extensions: [{ name: "citext", installed: false, trusted: true, available: true }] }),
      ],
      undefined,
    ],
    [
      "a superuser",
      [
        role({ superuser: true, createOnDatabase: false }),
        access({ schemas: [{ name: "x", exists: false, canCreate: false }] }),
      ],
      undefined,
    ],
  ];
  for (const [what, args, refused] of cases)
    it(`${refused ? "refuses" : "allows"}: ${what}`, () => {
      const f = targetFailures(...args);
      if (refused) assert.match(reasons(f), refused);
      else assert.deepEqual(f, []);
    });
});

describe("where this program writes, a connection whose sessions start read-only (readOnlyFailure)", () => {
  it("names a standby (point at its primary) before a read-only default (the option that overrides it)", () => {
    assert.equal(readOnlyFailure("target", role(), "the schema copy"), undefined);
    assert.match(
      readOnlyFailure("target", role({ readOnly: true, inRecovery: true }), "the schema copy")!.reason,
      /`target` reaches a standby in recovery \(read-only\), where the schema copy cannot be written: point it at the primary/,
    );
    const f = readOnlyFailure("connection", role({ readOnly: true }), "the publication")!;
    assert.equal(f.property, "connection");
    assert.match(
      f.reason,
      /transactions of role "app" on database "shop" are read-only by default .* so the publication cannot be written: add `options=-c default_transaction_read_only=off` to `connection`/,
    );
  });
});
