import assert from "node:assert/strict";
import { test } from "node:test";
import { bytes, duration, number } from "../../../src/kernel/units";

test("number writes what toLocaleString('en-US') writes for whole numbers, rounding first", () => {
  for (const n of [
    0, 7, 999, 1000, 1234, 99_999, 100_000, 1_234_567, 12_345_678_901, -1, -1234, -1_000_000, 1234.5, 999.4,
    999.5,
  ])
    assert.equal(number(n), Math.round(n).toLocaleString("en-US"), String(n));
});

test("bytes and duration as a person reads them", () => {
  assert.equal(bytes(512), "512 B");
  assert.equal(bytes(1536), "1.5 kB");
  assert.equal(bytes(50 * 1024 ** 2), "50 MB");
  assert.equal(duration(0.2), "1 s");
  assert.equal(duration(600), "10 min");
  assert.equal(duration(3 * 3600), "3.0 h");
});
