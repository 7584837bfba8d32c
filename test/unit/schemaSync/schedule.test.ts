// The order post-data's connections take the index builds and validations in.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tableId } from "../../../src/pg/tables";
import { SMALL_TABLE_BYTES, scheduleSteps } from "../../../src/schemaSync/apply";
import type { PlanStep } from "../../../src/schemaSync/plan";

const step = (name: string): PlanStep => ({
  sql: `CREATE INDEX ${name}_a ON public.${name} USING btree (a)`,
  what: `create index ${name}_a on public.${name}`,
  table: { schema: "public", name },
  parallel: "index",
});
const sizes = (entries: [string, number][]) =>
  new Map(entries.map(([name, bytes]) => [tableId({ schema: "public", name }), bytes]));

describe("post-data schedule", () => {
  it("starts the builds on the biggest tables first, one each, then groups those on small tables", () => {
    const steps = ["s1", "big", "s2", "huge", "s3", "gone"].map(step);
    const batches = scheduleSteps(
      steps,
      sizes([
        ["s1", 8192],
        ["big", 2 * SMALL_TABLE_BYTES],
        ["s2", 0],
        ["huge", 50 * SMALL_TABLE_BYTES],
        ["s3", SMALL_TABLE_BYTES],
      ]),
      2,
    );
    // A table whose size is unknown (not read) counts as big, before the others.
    assert.deepEqual(
      batches.map((b) => b.map((st) => st.table!.name)),
      [["gone"], ["huge"], ["big"], ["s1", "s2"], ["s3"]],
    );
  });

  it("puts at most fifty statements in one round trip, in as few rounds as that allows, each connection its share", () => {
    const many = Array.from({ length: 2000 }, (_, i) => step(`t${i}`));
    const small = sizes(many.map((st) => [st.table!.name, 8192]));
    const batches = scheduleSteps(many, small, 4);
    assert.equal(batches.length, 40);
    assert.ok(batches.every((b) => b.length === 50));
    assert.deepEqual(batches.flat(), many, "each step once, in order");
    // 300: two rounds on 4 connections, 8 batches of 38 (the last 34), not 6 of 50 leaving two idle.
    assert.deepEqual(
      scheduleSteps(many.slice(0, 300), small, 4).map((b) => b.length),
      [38, 38, 38, 38, 38, 38, 38, 34],
    );
    assert.deepEqual(
      scheduleSteps(many.slice(0, 12), small, 4).map((b) => b.length),
      [3, 3, 3, 3],
    );
    assert.deepEqual(
      scheduleSteps(many.slice(0, 2), small, 4).map((b) => b.length),
      [1, 1],
    );
  });
});
