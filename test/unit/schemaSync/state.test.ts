// SchemaSync state as each version wrote its signatures, read into today's form (tuples), and
// compared by meaning: an upgrade alone is never a change.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldChanges } from "../../../src/kernel/fields";
import { SCHEMA_SYNC_FIELDS, storeState, upgradeState } from "../../../src/schemaSync/fields";
import type { SchemaSyncState } from "../../../src/schemaSync/types";

const base = { source: "postgres://u@s/app", target: "postgres://u@t/app", tables: ["a"] };
const state = (sourceTables: unknown) => ({ ...base, sourceTables }) as unknown as SchemaSyncState;
const today: [string, string, string][] = [
  ["public", "a", "0123456789ab:3"],
  ["x.y", "z", "ba9876543210:1"],
];

describe("SchemaSync signatures of earlier versions", () => {
  it("reads objects (earlier 0.3 builds) and 0.2's record by name as tuples", () => {
    const objects = state(today.map(([schema, name, signature]) => ({ schema, name, signature })));
    assert.deepEqual(upgradeState(objects).sourceTables, today);
    const record = state({ "public.a": "0123456789ab:3" });
    assert.deepEqual(upgradeState(record).sourceTables, [today[0]]);
    assert.deepEqual(upgradeState(state(today)).sourceTables, today);
    assert.equal(upgradeState(state(undefined)).sourceTables, undefined);
  });

  it("sees no change between an upgraded state and today's inputs with the same signatures", () => {
    const olds = upgradeState(state(today.map(([schema, name, signature]) => ({ schema, name, signature }))));
    assert.deepEqual(
      fieldChanges(SCHEMA_SYNC_FIELDS, olds, { ...base, sourceTables: [...today].reverse() }),
      {
        updates: [],
        replaces: [],
      },
    );
    assert.deepEqual(
      fieldChanges(SCHEMA_SYNC_FIELDS, olds, { ...base, sourceTables: [today[0]!, ["x.y", "z", "other:2"]] }),
      { updates: ["sourceTables"], replaces: [] },
    );
  });
});

describe("SchemaSync signatures as this version keeps them", () => {
  it("stores a record by stored table key (dotted names by their JSON id) and reads it back", () => {
    const tricky: [string, string, string][] = [
      ...today,
      ["x", "y.z", "aaaaaaaaaaaa:2"],
      ["[s", "t", "bbbbbbbbbbbb:1"],
    ];
    const stored = storeState({ ...base, sourceTables: tricky });
    assert.deepEqual(stored.sourceTables, {
      "public.a": "0123456789ab:3",
      '["x.y","z"]': "ba9876543210:1",
      '["x","y.z"]': "aaaaaaaaaaaa:2",
      '["[s","t"]': "bbbbbbbbbbbb:1",
    });
    assert.deepEqual(upgradeState(stored as unknown as SchemaSyncState).sourceTables, tricky);
    assert.equal(
      storeState({ ...base, sourceTables: "unknown" }).sourceTables,
      "unknown",
      "an unknown passes",
    );
  });
});
