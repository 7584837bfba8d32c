// 3. Hostile input: names with quotes, semicolons, backslashes, $$, unicode, reserved words and
// the 63-byte limit; row filters and conninfo values trying to escape their literal; wrong types;
// unknown options. Each case is either handled correctly (created under its exact name, then
// deleted) or refused (by check naming the property, or by the server with nothing created); a
// canary table on both servers survives all of them.

import { Driver } from "../driver";
import { Engine } from "../engine";
import { startServer, type Major, type TestServer } from "../postgres";
import type { DrillResult } from "./drills";

type Kind = "Publication" | "SchemaSync" | "Subscription";
interface Case {
  label: string;
  kind: Kind;
  inputs: (c: Ctx) => Record<string, unknown>;
  /**
   * "ok": created under its exact name; a string: check refuses naming this property (or a field
   * of it); "server": the server refuses, nothing is created; "verified": check is bypassed (as a
   * stale plan or an old provider would) and create's verification rolls everything back.
   */
  expect: "ok" | "server" | "verified" | string;
  /** The name to look up after create (defaults to inputs.name). */
  lookup?: string;
}
interface Ctx {
  primary: TestServer;
  replica: TestServer;
}

const HOSTILE_NAMES = [
  'quo"te',
  "semi;colon",
  "back\\slash",
  "$$dollar$$",
  "ünïcødé",
  "select",
  "Mixed Case",
  "--comment",
  "x' OR '1'='1",
  "é".repeat(31) + "x", // 63 bytes
  "tab\there",
  "🐘 elephant",
  "'); DROP TABLE canary; --",
];
const TOO_LONG = "é".repeat(32); // 64 bytes

function cases(): Case[] {
  const pub = (inputs: Record<string, unknown>) => (c: Ctx) => ({
    connection: c.primary.url("app"),
    tables: ["canary"],
    publish: ["insert"],
    ...inputs,
  });
  const sub = (inputs: Record<string, unknown>) => (c: Ctx) => ({
    connection: c.replica.url("app"),
    name: "s",
    publisher: c.primary.url("app"),
    publications: ["canary_pub"],
    copyData: false,
    ...inputs,
  });
  const list: Case[] = [];
  for (const name of HOSTILE_NAMES)
    list.push({
      label: `publication named ${JSON.stringify(name)}`,
      kind: "Publication",
      inputs: pub({ name }),
      expect: "ok",
    });
  for (const name of HOSTILE_NAMES)
    list.push({
      label: `table named ${JSON.stringify(name)}`,
      kind: "Publication",
      inputs: pub({ name: `t_${list.length}`, tables: [{ name }] }),
      expect: "ok",
      lookup: `t_${list.length}`,
    });
  for (const [i, name] of HOSTILE_NAMES.slice(0, 6).entries()) {
    list.push({
      label: `subscription named ${JSON.stringify(name)} with a slot name of its own`,
      kind: "Subscription",
      inputs: sub({ name, slotName: `slot_${i}` }),
      expect: "ok",
    });
    if (!/^[a-z0-9_]+$/.test(name))
      list.push({
        label: `subscription named ${JSON.stringify(name)}, which is no valid slot name`,
        kind: "Subscription",
        inputs: sub({ name }),
        expect: "slotName",
      });
  }
  const where = "tables[0].where";
  const escape = 'id > 0), "public"."victim" WHERE (true';
  const filters: [string, string, string][] = [
    ["closing its parenthesis to add a statement", "id > 0); DROP TABLE canary; --", where],
    ["with a second statement", "true; DROP TABLE canary", where],
    ["with a subquery", "id IN (SELECT 1)", "server"],
    ["with a comment eating the parenthesis", "id > 0 --", where],
    ["with a block comment", "id > 0 /* ) */", where],
    ["closing its parenthesis to publish another table", escape, where],
    ["publishing another table, check bypassed", escape, "verified"],
    ["with a parenthesis inside a string literal", "id > length('))')", "ok"],
    ["with a parenthesis inside a quoted name", `"id" > 0 AND 'a)' <> 'b'`, "ok"],
    ["with an unterminated string", "id::text = 'abc", where],
    ["with dollar quotes", "$$x$$ = 'x'", "ok"],
    ["with dollar quotes hiding a parenthesis", "$t$)$t$ <> 'x'", "ok"],
  ];
  filters.forEach(([what, where, expect], i) =>
    list.push({
      label: `row filter ${what}`,
      kind: "Publication",
      inputs: pub({ name: `f${i}`, tables: [{ name: "canary", where }] }),
      expect,
    }),
  );
  list.push(
    {
      label: "publisher password with quotes, backslashes and ' host=' inside the conninfo literal",
      kind: "Subscription",
      inputs: (c) => ({
        connection: c.replica.url("app"),
        name: "conninfo_escape",
        publisher: {
          host: "127.0.0.1",
          port: c.primary.port,
          database: "app",
          user: "hostile_role",
          password: "p'w\\ d host=evil' sslmode=disable",
        },
        publications: ["canary_pub"],
        copyData: false,
      }),
      expect: "ok",
    },
    {
      label: "publication name of 64 bytes",
      kind: "Publication",
      inputs: pub({ name: TOO_LONG }),
      expect: "name",
    },
    {
      label: "table name of 64 bytes",
      kind: "Publication",
      inputs: pub({ name: "long_table", tables: [TOO_LONG] }),
      expect: "tables[0]",
    },
    {
      label: "subscription slot name of 64 bytes",
      kind: "Subscription",
      inputs: sub({ slotName: TOO_LONG }),
      expect: "slotName",
    },
    { label: "empty publication name", kind: "Publication", inputs: pub({ name: "" }), expect: "name" },
    { label: "NUL byte in a name", kind: "Publication", inputs: pub({ name: "a\u0000b" }), expect: "name" },
    {
      label: "table reference with two dots",
      kind: "Publication",
      inputs: pub({ name: "dots", tables: ["a.b.c"] }),
      expect: "tables[0]",
    },
    { label: "name of the wrong type", kind: "Publication", inputs: pub({ name: 123 }), expect: "name" },
    {
      label: "tables as a string",
      kind: "Publication",
      inputs: pub({ name: "p", tables: "canary" }),
      expect: "tables",
    },
    {
      label: "unknown operation in publish",
      kind: "Publication",
      inputs: pub({ name: "p", publish: ["upsert"] }),
      expect: "publish.0",
    },
    {
      label: "allTables as a string",
      kind: "Publication",
      inputs: pub({ name: "p", tables: undefined, allTables: "true" }),
      expect: "allTables",
    },
    {
      label: "misspelled option",
      kind: "Publication",
      inputs: pub({ name: "p", publsh: ["insert"] }),
      expect: "(arguments)",
    },
    {
      label: "snake_case option",
      kind: "Subscription",
      inputs: sub({ copy_data: false }),
      expect: "(arguments)",
    },
    {
      label: "streaming of an unknown kind",
      kind: "Subscription",
      inputs: sub({ streaming: "fast" }),
      expect: "streaming",
    },
    {
      label: "waitForSync as a string",
      kind: "Subscription",
      inputs: sub({ waitForSync: "yes" }),
      expect: "waitForSync",
    },
    {
      label: "connection of the wrong type",
      kind: "Publication",
      inputs: pub({ name: "p", connection: 42 }),
      expect: "connection",
    },
    {
      label: "connection object missing its user",
      kind: "Publication",
      inputs: pub({ name: "p", connection: { host: "127.0.0.1", database: "app" } }),
      expect: "connection",
    },
    {
      label: "a non-postgres URI",
      kind: "Publication",
      inputs: pub({ name: "p", connection: "mysql://u:p@h/d" }),
      expect: "connection",
    },
    {
      label: "an unknown URI parameter (a client certificate setup misspelt)",
      kind: "Publication",
      inputs: pub({ name: "p", connection: "postgres://u:p@127.0.0.1:1/app?sslcert=/c&ssl_key=/k" }),
      expect: "connection",
    },
    {
      label: "a key=value parameter libpq does not know (misspelt)",
      kind: "Subscription",
      inputs: sub({ publisher: "host=127.0.0.1 dbname=app user=u password=p target_sesion_attrs=any" }),
      expect: "publisher",
    },
    {
      label: "URI port 0",
      kind: "Publication",
      inputs: pub({ name: "p", connection: "postgres://u:p@127.0.0.1:0/app" }),
      expect: "connection",
    },
    {
      label: "a malformed percent-encoding in the password",
      kind: "Publication",
      inputs: pub({ name: "p", connection: "postgres://u:100%@127.0.0.1/app" }),
      expect: "connection",
    },
    {
      label: "a key=value publisher whose password tries to add parameters",
      kind: "Subscription",
      inputs: (c) => ({
        ...sub({})(c),
        name: "kv_escape",
        publisher: `host=127.0.0.1 port=${c.primary.port} dbname=app user=hostile_role password='p\\'w\\\\ d host=evil\\' sslmode=disable'`,
      }),
      expect: "ok",
    },
    {
      label: "a replication connection smuggled into the conninfo",
      kind: "Subscription",
      inputs: sub({ publisher: "host=127.0.0.1 dbname=app user=u password=p replication=database" }),
      expect: "publisher",
    },
    {
      label: "an unknown sslmode",
      kind: "Publication",
      inputs: pub({ name: "p", connection: "postgres://u:p@127.0.0.1:1/app?sslmode=evil" }),
      expect: "connection",
    },
    {
      label: "SchemaSync of a table named with a quote and a semicolon",
      kind: "SchemaSync",
      inputs: (c) => ({
        source: c.primary.url("app"),
        target: c.replica.url("app"),
        tables: ["x' OR '1'='1", "semi;colon"],
      }),
      expect: "ok",
    },
    {
      label: "SchemaSync with both tables and publication",
      kind: "SchemaSync",
      inputs: (c) => ({
        source: c.primary.url("app"),
        target: c.replica.url("app"),
        tables: ["canary"],
        publication: "p",
      }),
      expect: "tables",
    },
  );
  return list;
}

export async function hostileDrill(
  major: Major = 18,
): Promise<DrillResult & { cases: { label: string; outcome: string; ok: boolean }[] }> {
  const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
  const engine = await Engine.start();
  const outcomes: { label: string; outcome: string; ok: boolean }[] = [];
  const errors: string[] = [];
  try {
    await Promise.all([primary.createDatabase("app"), replica.createDatabase("app")]);
    const q = (s: TestServer, sql: string, p: unknown[] = []) =>
      s.query<Record<string, unknown>>(sql, p, "app");
    for (const s of [primary, replica]) {
      await q(s, "CREATE TABLE canary (id int PRIMARY KEY); INSERT INTO canary VALUES (1), (2), (3)");
      await q(
        s,
        "CREATE TABLE victim (id int PRIMARY KEY, secret text); INSERT INTO victim VALUES (1, 'not to be published')",
      );
      for (const name of HOSTILE_NAMES)
        await q(s, `CREATE TABLE "${name.replace(/"/g, '""')}" (id int PRIMARY KEY)`);
    }
    await q(primary, "CREATE PUBLICATION canary_pub FOR TABLE canary");
    await q(
      primary,
      "CREATE ROLE hostile_role LOGIN REPLICATION PASSWORD 'p''w\\ d host=evil'' sslmode=disable'",
    );
    await q(primary, "GRANT SELECT ON canary TO hostile_role");
    const ctx = { primary, replica };
    for (const c of cases()) {
      const driver = new Driver(engine, c.kind);
      const inputs = c.inputs(ctx);
      let outcome = "";
      let ok = false;
      try {
        if (c.expect === "verified") {
          // What a plan made before the filter rule, or a provider of an older version, would send.
          const urn = driver.urn(`bypass${outcomes.length}`);
          const canonical = { ...inputs, tables: (inputs.tables as unknown[]).map((t) => t) };
          try {
            await engine.create(urn, {
              ...canonical,
              __provider: (await driver.check(inputs)).inputs.__provider,
            });
            outcome = "created although the filter named another table";
          } catch (e) {
            errors.push((e as Error).message);
            const published = await q(
              primary,
              "SELECT pubname, tablename FROM pg_publication_tables WHERE pubname <> 'canary_pub'",
            );
            const left = await q(primary, "SELECT pubname FROM pg_publication WHERE pubname <> 'canary_pub'");
            ok =
              /differs from its declaration.*publishes "public.victim", which is not declared/.test(
                (e as Error).message,
              ) &&
              published.length === 0 &&
              left.length === 0;
            outcome = `rolled back by the verification: ${(e as Error).message.slice(0, 120)}`;
          }
          outcomes.push({ label: c.label, outcome, ok });
          continue;
        }
        const checked = await driver.check(inputs);
        if (c.expect !== "ok" && c.expect !== "server") {
          const f = checked.failures.find(
            (x) => x.property === c.expect || x.property.startsWith(`${c.expect}.`),
          );
          outcome = f
            ? `refused by check: ${f.property}: ${f.reason.slice(0, 70)}`
            : `not refused: ${JSON.stringify(checked.failures)}`;
          ok = !!f;
        } else if (checked.failures.length > 0) {
          outcome = `unexpected check failure: ${JSON.stringify(checked.failures)}`;
        } else {
          try {
            const created = await driver.create(inputs);
            const name = c.lookup ?? (inputs.name as string);
            const found =
              c.kind === "Publication"
                ? await q(primary, "SELECT 1 FROM pg_publication WHERE pubname = $1", [name])
                : c.kind === "Subscription"
                  ? await q(replica, "SELECT 1 FROM pg_subscription WHERE subname = $1", [name])
                  : [1];
            await driver.delete(created);
            outcome =
              c.expect === "ok"
                ? found.length === 1
                  ? "created under its exact name, deleted"
                  : "created under another name"
                : "created but should have failed";
            ok = c.expect === "ok" && found.length === 1;
          } catch (e) {
            errors.push((e as Error).message);
            const left = await q(primary, "SELECT pubname FROM pg_publication WHERE pubname <> 'canary_pub'");
            outcome = `refused by the server: ${(e as Error).message.slice(0, 90)}`;
            ok = c.expect === "server" && left.length === 0;
          }
        }
      } catch (e) {
        outcome = `error: ${(e as Error).message.slice(0, 100)}`;
      }
      outcomes.push({ label: c.label, outcome, ok });
    }
    const canaries = await Promise.all(
      [primary, replica].map(async (s) => (await q(s, "SELECT count(*)::int AS n FROM canary"))[0]!.n),
    );
    const handled = outcomes.filter((o) => o.ok).length;
    return {
      scenario: `hostile input: ${outcomes.length} cases (PG${major})`,
      checked:
        "each handled under its exact name or refused naming the property; canary tables on both servers intact",
      figures: {
        cases: outcomes.length,
        handledOrRefused: handled,
        wrong: outcomes.length - handled,
        canaryRows: canaries.join("/"),
      },
      pass: handled === outcomes.length && canaries.every((n) => n === 3),
      visible: [engine.log, ...errors],
      passwords: [primary.password, replica.password, "p'w\\ d host=evil' sslmode=disable"],
      cases: outcomes,
    };
  } finally {
    await engine.stop();
    await Promise.all([primary.stop(), replica.stop()]);
  }
}
