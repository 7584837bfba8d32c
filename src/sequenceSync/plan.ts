// Where each target sequence must be so that it never hands out a value the source already has:
// past the source's next value (plus a margin of values), never moved backwards. Pure; values are
// bigints (descending and cycling sequences included).

import type { SequenceState } from "./catalog";

export interface SequenceMove {
  /** "schema.name", for people. */
  key: string;
  /** The sequence moved. */
  sequence: { schema: string; name: string };
  /** setval(…, value, true): nextval then returns value + increment. */
  value: bigint;
  /** The source's and the target's values before (what a person reads in the preview). */
  source: string;
  target: string;
}

/** The value nextval returns next. */
export function nextOf(q: SequenceState): bigint {
  return q.isCalled ? BigInt(q.lastValue!) + BigInt(q.increment) : BigInt(q.lastValue!);
}

/** "42", or "unused (next 1)" when nothing was handed out yet. */
export function describe(q: SequenceState): string {
  return q.isCalled ? q.lastValue! : `unused (next ${q.lastValue})`;
}

/**
 * The move that makes `target`'s next value at least the source's next value (in the direction
 * of the increment) plus `margin` steps; undefined when the target is there already. Throws when
 * the two run in opposite directions, or when the wanted value is outside the target's bounds (a
 * cycling target would wrap onto used values: refused too).
 */
export function planMove(
  key: string,
  source: SequenceState,
  target: SequenceState,
  margin: number,
): SequenceMove | undefined {
  const inc = BigInt(target.increment);
  if (inc > 0n !== BigInt(source.increment) > 0n)
    throw new Error(
      `${key}: the source's sequence ${BigInt(source.increment) > 0n ? "ascends" : "descends"} and the target's does not: make their INCREMENT the same sign`,
    );
  const up = inc > 0n;
  const wantedNext = nextOf(source) + BigInt(margin) * inc;
  const targetNext = nextOf(target);
  if (up ? targetNext >= wantedNext : targetNext <= wantedNext) return undefined;
  const value = wantedNext - inc; // the last value such that nextval returns wantedNext
  if (value < BigInt(target.min) || value > BigInt(target.max))
    throw new Error(
      `${key}: the target would have to move to ${value}, outside its bounds ${target.min}..${target.max}: widen the target sequence (ALTER SEQUENCE … ${up ? "MAXVALUE" : "MINVALUE"}) or lower \`margin\``,
    );
  return {
    key,
    sequence: { schema: target.schema, name: target.name },
    value,
    source: describe(source),
    target: describe(target),
  };
}
