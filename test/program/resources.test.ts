// The Resource classes under pulumi.runtime.setMocks: type tokens, secrets and outputs as a program
// sees them. (The serialized providers are loaded out of process in test/integration/flow.test.ts.)

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
/** additionalSecretOutputs per resource name, as the monitor received them. */
const secretOutputs = new Map<string, string[]>();

describe("resources in a program", () => {
  let mod: typeof import("../../src");
  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "proj",
      "stack",
      false,
    );
    // The mock monitor gets the full registration request; keep what setMocks' callback does not show.
    const monitor = (pulumi.runtime as unknown as { getMonitor(): Record<string, unknown> }).getMonitor();
    const register = monitor.registerResource as (req: unknown, cb: unknown) => unknown;
    monitor.registerResource = function (
      req: { getName(): string; getAdditionalsecretoutputsList(): string[] },
      cb: unknown,
    ) {
      secretOutputs.set(req.getName(), req.getAdditionalsecretoutputsList());
      return register.call(this, req, cb);
    };
    mod = await import("../../src");
  });

  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
  const isSecret = <T>(o: pulumi.Output<T>) => (o as unknown as { isSecret: Promise<boolean> }).isSecret;

  it("registers Publication under its own type token with the connection as a secret", async () => {
    const pub = new mod.Publication("p", {
      connection: "postgres://u:pw@h/d",
      name: "pub",
      tables: ["users"],
    });
    assert.equal(await value(pub.name), "pub");
    assert.equal(await isSecret(pub.connection), true);
    const reg = registered.find((r) => r.name === "p")!;
    assert.equal(reg.type, "pulumi-nodejs:dynamic/pg-replication:Publication");
    assert.equal(typeof reg.inputs.__provider, "string");
  });

  it("feeds the publication's tables into SchemaSync and its name into Subscription", async () => {
    const pub = new mod.Publication("p2", {
      connection: "postgres://u:pw@h/d",
      name: "pub2",
      tables: ["users", "blog_posts"],
    });
    const schema = new mod.SchemaSync("s2", {
      source: "postgres://u:pw@h/d",
      target: "postgres://u:pw@r/d",
      tables: pub.tables,
    });
    const sub = new mod.Subscription(
      "sub2",
      {
        connection: "postgres://u:pw@r/d",
        name: "sub2",
        publisher: "postgres://u:pw@h/d",
        publications: [pub.name],
      },
      { dependsOn: [schema] },
    );
    assert.deepEqual(await value(sub.publications), ["pub2"]);
    const reg = registered.find((r) => r.name === "s2")!;
    assert.deepEqual(reg.inputs.tables, ["users", "blog_posts"]);
  });

  it("exports the raw providers", () => {
    for (const p of [mod.providers.publication, mod.providers.schemaSync, mod.providers.subscription])
      for (const m of ["check", "diff", "create", "read", "update", "delete"] as const)
        assert.equal(typeof p[m], "function");
  });

  it("takes a secret password inside a connection object and keeps the whole connection secret", async () => {
    const password = pulumi.secret("s3cret");
    const pub = new mod.Publication("p3", {
      connection: { host: "h", database: "d", user: "u", password },
      name: "pub3",
    });
    assert.equal(await isSecret(pub.connection), true);
    const reg = registered.find((r) => r.name === "p3")!;
    // The engine receives the connection as one secret value, the password inside it.
    assert.deepEqual(reg.inputs.connection, {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: { host: "h", database: "d", user: "u", password: "s3cret" },
    });
  });

  it("merges the program's additionalSecretOutputs with the resource's own", async () => {
    const sub = new mod.Subscription(
      "sub4",
      {
        connection: "postgres://u:pw@r/d",
        name: "sub4",
        publisher: "postgres://u:pw@h/d",
        publications: ["p"],
      },
      { additionalSecretOutputs: ["tableStates"] },
    );
    await value(sub.name);
    assert.deepEqual(secretOutputs.get("sub4")?.sort(), ["connection", "publisher", "tableStates"]);
    new mod.SchemaSync("s4", { source: "postgres://u@h/d", target: "postgres://u@r/d", tables: ["t"] });
    new mod.Publication(
      "p4",
      { connection: "postgres://u@h/d", name: "p4" },
      { additionalSecretOutputs: ["endpoint"] },
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(secretOutputs.get("s4")?.sort(), ["source", "target"]);
    assert.deepEqual(secretOutputs.get("p4")?.sort(), ["connection", "endpoint"]);
  });
});
