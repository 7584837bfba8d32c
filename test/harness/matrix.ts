// The PostgreSQL versions a suite runs on: every one it lists in the full matrix (CI's Node.js 22
// pass, `npm run test:full`, a run of named files), one where PGREPL_MATRIX=quick (npm test, CI's
// Node.js 20 and 24 passes): the newest same-version pair (or version) where the suite has one,
// else its first.

import type { Major } from "./postgres";

export const QUICK = process.env.PGREPL_MATRIX === "quick";

/** Publisher → subscriber pairs. */
export function pairs(full: [Major, Major][]): [Major, Major][] {
  if (!QUICK) return full;
  const same = full.filter(([a, b]) => a === b).sort((x, y) => y[0] - x[0]);
  return [same[0] ?? full[0]!];
}

/** Single versions. */
export function majors(full: Major[]): Major[] {
  return QUICK ? [[...full].sort((a, b) => b - a)[0]!] : full;
}

/** Whether a suite written for one pair runs in this matrix (a file per pair: drift.15-18 …). */
export function inMatrix(pair: [Major, Major], all: [Major, Major][]): boolean {
  return pairs(all).some(([a, b]) => a === pair[0] && b === pair[1]);
}

/**
 * Another dimension of the full matrix (the SDK versions a program runs on): every variant in the
 * full matrix, the first (the common case) in the quick one.
 */
export function variants<T>(full: T[]): T[] {
  return QUICK ? full.slice(0, 1) : full;
}
