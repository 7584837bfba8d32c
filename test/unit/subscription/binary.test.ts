import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseBinary } from "../../../src/subscription/binary";
import type { ColumnIO } from "../../../src/subscription/catalog";
import { createOptions } from "../../../src/subscription/options";

const col = (table: string, column: string, type: string, io = true): ColumnIO => ({
  schema: table.split(".")[0]!,
  name: table.split(".")[1]!,
  column,
  type,
  send: io,
  receive: io,
});
const A = { schema: "public", name: "a" };
const both = [col("public.a", "id", "integer"), col("public.a", "tags", "text[]")];

describe('binary: "auto"', () => {
  it("is true for the same major version from 16 on, with every column alike and binary I/O", () => {
    assert.equal(
      chooseBinary({ serverVersion: 180004, columns: both }, { serverVersion: 180001, columns: both }, [A])
        .binary,
      true,
    );
    assert.equal(
      chooseBinary({ serverVersion: 160000, columns: both }, { serverVersion: 160013, columns: both }, [A])
        .binary,
      true,
    );
  });
  it("is false before 16, across major versions, or when the publisher cannot be read", () => {
    assert.match(
      chooseBinary({ serverVersion: 150018, columns: both }, { serverVersion: 150018, columns: both }, [A])
        .why,
      /16 or later/,
    );
    assert.equal(
      chooseBinary({ serverVersion: 150018, columns: both }, { serverVersion: 150018, columns: both }, [A])
        .binary,
      false,
    );
    const cross = chooseBinary(
      { serverVersion: 160000, columns: both },
      { serverVersion: 180004, columns: both },
      [A],
    );
    assert.deepEqual([cross.binary, /major version \(16 and 18\)/.test(cross.why)], [false, true]);
    assert.equal(chooseBinary(undefined, { serverVersion: 180004, columns: both }, [A]).binary, false);
  });
  it("is false when a type lacks binary I/O on either side, or a column differs", () => {
    const acl = [col("public.a", "id", "integer"), col("public.a", "acl", "aclitem[]", false)];
    const c = chooseBinary({ serverVersion: 180004, columns: acl }, { serverVersion: 180004, columns: acl }, [
      A,
    ]);
    assert.deepEqual([c.binary, c.why], [false, "the type of public.a.acl (aclitem[]) has no binary I/O"]);
    const wider = [col("public.a", "id", "bigint"), col("public.a", "tags", "text[]")];
    assert.match(
      chooseBinary({ serverVersion: 180004, columns: both }, { serverVersion: 180004, columns: wider }, [A])
        .why,
      /integer on the publisher and bigint on the replica/,
    );
    const noReceive = [
      col("public.a", "id", "integer"),
      { ...col("public.a", "tags", "text[]"), receive: false },
    ];
    assert.equal(
      chooseBinary({ serverVersion: 180004, columns: both }, { serverVersion: 180004, columns: noReceive }, [
        A,
      ]).binary,
      false,
    );
  });
  it("takes a column the replica lacks (a migration SchemaSync has yet to copy, a column list) as the publisher's", () => {
    assert.equal(
      chooseBinary({ serverVersion: 180004, columns: both }, { serverVersion: 180004, columns: [both[0]!] }, [
        A,
      ]).binary,
      true,
    );
    const acl = [...both, col("public.a", "acl", "aclitem[]", false)];
    assert.equal(
      chooseBinary({ serverVersion: 180004, columns: acl }, { serverVersion: 180004, columns: both }, [A])
        .binary,
      false,
    );
  });
  it("waits for apply while a replicated table is not on the replica yet, and is false with no table", () => {
    assert.equal(
      chooseBinary({ serverVersion: 180004, columns: both }, { serverVersion: 180004, columns: [] }, [A])
        .binary,
      undefined,
    );
    assert.equal(
      chooseBinary({ serverVersion: 180004, columns: [] }, { serverVersion: 180004, columns: [] }, []).binary,
      false,
    );
  });
  it("is never written as SQL unsettled", () =>
    assert.throws(() => createOptions({ binary: "auto" }), /must be settled/));
});
