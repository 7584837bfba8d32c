import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { validate } from "../../../src/kernel/check";
import { UNKNOWN } from "../../../src/kernel/unknown";
import { schemaOf } from "../../../src/kernel/fields";
import { PUBLICATION_FIELDS } from "../../../src/publication/fields";

const schema = () =>
  z.object({ name: z.string().min(1, "name must not be empty"), n: z.number().optional() });

describe("input validation", () => {
  it("returns the parsed inputs when they are valid", () => {
    const r = validate(schema(), { name: "a", n: 1 });
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.value, { name: "a", n: 1 });
  });
  it("names the property of each issue", () => {
    const r = validate(schema(), { name: "", n: "x" });
    assert.equal(r.value, undefined);
    assert.deepEqual(r.failures.map((f) => f.property).sort(), ["n", "name"]);
    assert.match(r.failures.find((f) => f.property === "name")!.reason, /must not be empty/);
  });
  it("refuses misspelt arguments, naming them", () => {
    const r = validate(schema(), { name: "a", nmae: "b" });
    assert.deepEqual(r.failures, [
      {
        property: "(arguments)",
        reason: "unknown argument `nmae`; check the spelling against the documented arguments.",
      },
    ]);
  });
  it("passes preview unknowns through without validating them, and lists them", () => {
    const r = validate(schema(), { name: UNKNOWN, n: 2 });
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.value, { name: UNKNOWN, n: 2 });
    assert.deepEqual([...r.unknown], ["name"]);
  });
  it("treats a value containing an unknown as unknown", () => {
    const r = validate(schemaOf(PUBLICATION_FIELDS), {
      connection: "postgres://u@h/d",
      name: "p",
      tables: ["a", UNKNOWN],
    });
    assert.deepEqual(r.failures, []);
    assert.ok(r.unknown.has("tables"));
  });
  it("ignores the serialized provider", () => {
    const r = validate(schema(), { name: "a", __provider: "exports.handler = …" });
    assert.deepEqual(r.failures, []);
    assert.equal((r.value as Record<string, unknown>).__provider, undefined);
  });
});
