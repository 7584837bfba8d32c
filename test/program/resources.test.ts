// The Resource classes under pulumi.runtime.setMocks: type tokens, secrets and outputs as a program
// sees them. (The serialized providers are loaded out of process in test/integration/flow.test.ts.)

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

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
});
