import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tableId } from "../../../src/pg/tables";
import { CopyMeter, CopyRestarts } from "../../../src/subscription/progress";

const t = (name: string, state: string) => ({ schema: "public", name, table: `public.${name}`, state });
const copy = (name: string, rows: number, bytes: number) => ({ schema: "public", name, rows, bytes });

describe("copy progress lines", () => {
  it("says rows and bytes per table, then a rate and the time left once it has two samples", () => {
    const meter = new CopyMeter(new Map([[tableId({ schema: "public", name: "big" }), 1_000_000]]));
    const states = [t("small", "r"), t("big", "d"), t("next", "i")];
    assert.equal(
      meter.line("sub", states, [copy("big", 100_000, 5 * 1024 * 1024)], 0),
      "sub: 1/3 tables ready; public.big: 100,000 rows (5.0 MB) copied, public.next (initializing)",
    );
    assert.equal(
      meter.line("sub", states, [copy("big", 300_000, 15 * 1024 * 1024)], 10_000),
      "sub: 1/3 tables ready; public.big: 300,000 rows (15 MB) copied at 20,000 rows/s, about 35 s left of ~1,000,000, public.next (initializing)",
    );
  });
  it("gives no estimate without the publisher's row count, and names five tables at most", () => {
    const meter = new CopyMeter();
    meter.line("s", [t("a", "d")], [copy("a", 10, 100)], 0);
    assert.equal(
      meter.line("s", [t("a", "d")], [copy("a", 110, 1100)], 2000),
      "s: 0/1 tables ready; public.a: 110 rows (1.1 kB) copied at 50 rows/s",
    );
    const many = ["a", "b", "c", "d", "e", "f", "g"].map((n) => t(n, "i"));
    assert.match(meter.line("s", many, [], 0), /public\.e \(initializing\), and 2 more$/);
  });
});

describe("copies that start over", () => {
  it("are told by their bytes going back, each table on its own, against the new COPY from then on", () => {
    const seen = new CopyRestarts();
    const over = (copies: ReturnType<typeof copy>[]) =>
      seen.see(copies).map((o) => `${o.table.name} after ${o.reached}`);
    assert.deepEqual(over([copy("a", 100, 1000)]), []);
    assert.deepEqual(over([copy("a", 300, 3000), copy("b", 10, 100)]), []);
    // Between two workers no COPY of `a` shows; the next one starts lower.
    assert.deepEqual(over([copy("b", 20, 200)]), []);
    assert.deepEqual(over([copy("a", 50, 500), copy("b", 30, 300)]), ["a after 300"]);
    // Growing again from the new COPY is no restart, though still under the old one's bytes.
    assert.deepEqual(over([copy("a", 80, 800), copy("b", 30, 300)]), []);
    assert.deepEqual(over([copy("a", 90, 900), copy("b", 5, 50)]), ["b after 30"]);
  });
});
