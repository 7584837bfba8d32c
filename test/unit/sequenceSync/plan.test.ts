import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SequenceState } from "../../../src/sequenceSync/catalog";
import { nextOf, planMove } from "../../../src/sequenceSync/plan";

const seq = (o: Partial<SequenceState>): SequenceState => ({
  schema: "public",
  name: "s",
  lastValue: "1",
  isCalled: false,
  start: "1",
  increment: "1",
  min: "1",
  max: "9223372036854775807",
  cycle: false,
  type: "bigint",
  readable: true,
  writable: true,
  ...o,
});

describe("sequenceSync/plan", () => {
  it("reads the next value from last_value and is_called", () => {
    assert.equal(nextOf(seq({ lastValue: "40", isCalled: false })), 40n);
    assert.equal(nextOf(seq({ lastValue: "40", isCalled: true })), 41n);
    assert.equal(nextOf(seq({ lastValue: "-10", isCalled: true, increment: "-1" })), -11n);
  });

  it("moves the target so that its next value follows the source's (plus the margin)", () => {
    const m = planMove("k", seq({ lastValue: "300", isCalled: true }), seq({}), 0);
    assert.deepEqual(m, {
      key: "k",
      sequence: { schema: "public", name: "s" },
      value: 300n,
      source: "300",
      target: "unused (next 1)",
    });
    assert.equal(planMove("k", seq({ lastValue: "300", isCalled: true }), seq({}), 10)!.value, 310n);
    // Beyond 2^53: no precision lost.
    assert.equal(
      planMove("k", seq({ lastValue: "9007199254740993", isCalled: true }), seq({}), 0)!.value,
      9007199254740993n,
    );
  });

  it("never moves backwards", () => {
    assert.equal(
      planMove("k", seq({ lastValue: "5", isCalled: true }), seq({ lastValue: "9", isCalled: true }), 0),
      undefined,
    );
    assert.equal(
      planMove("k", seq({ lastValue: "5", isCalled: true }), seq({ lastValue: "6", isCalled: false }), 0),
      undefined,
    );
    const down = { increment: "-1", min: "-100", max: "-1", start: "-1" };
    assert.equal(
      planMove(
        "k",
        seq({ ...down, lastValue: "-5", isCalled: true }),
        seq({ ...down, lastValue: "-9", isCalled: true }),
        0,
      ),
      undefined,
    );
    assert.equal(
      planMove(
        "k",
        seq({ ...down, lastValue: "-9", isCalled: true }),
        seq({ ...down, lastValue: "-5", isCalled: true }),
        0,
      )!.value,
      -9n,
    );
  });

  it("refuses a move out of the target's bounds and opposite directions", () => {
    assert.throws(
      () =>
        planMove("k", seq({ lastValue: "32767", isCalled: true, max: "32767" }), seq({ max: "32767" }), 1),
      /k: the target would have to move to 32768, outside its bounds 1\.\.32767: widen the target sequence \(ALTER SEQUENCE … MAXVALUE\) or lower `margin`/,
    );
    assert.throws(
      () =>
        planMove(
          "k",
          seq({ lastValue: "3", isCalled: true }),
          seq({ increment: "-1", max: "-1", min: "-9" }),
          0,
        ),
      /ascends and the target's does not/,
    );
  });
});
