// Prints drill results for a person: the scenario, what was checked, the figures; and what each
// drill test asserts of its result.

import assert from "node:assert/strict";
import { after } from "node:test";
import { secretHits, type DrillResult } from "./drills";

export function report(results: DrillResult[], say: (s: string) => void = console.log): { pass: boolean } {
  for (const r of results) {
    say(`${r.pass ? "PASS" : "FAIL"}  ${r.scenario}`);
    say(`      checked: ${r.checked}`);
    say(
      `      ${Object.entries(r.figures)
        .map(([k, v]) => `${k}=${v}`)
        .join("  ")}`,
    );
  }
  const secrets = secretHits(results);
  say(
    `${secrets.hits === 0 ? "PASS" : "FAIL"}  secrets: every password searched in every non-secret output, host log and error message of the drills above`,
  );
  say(
    `      searched=${secrets.searched}  hits=${secrets.hits}${secrets.where.length ? `  first=${secrets.where[0]}` : ""}`,
  );
  return { pass: results.every((r) => r.pass) && secrets.hits === 0 };
}

/**
 * For a drill test file: what each test asserts of its drill's result (it passed, and no password
 * shows in any non-secret output, log line or error message it made), with the results printed
 * after the file's tests. Call inside the file's describe.
 */
export function drillChecks(): (r: DrillResult) => void {
  const results: DrillResult[] = [];
  after(() => report(results));
  return (r) => {
    results.push(r);
    assert.ok(r.pass, `${r.scenario}: ${JSON.stringify(r.figures)}`);
    const hits = secretHits([r]);
    assert.ok(hits.searched > 0, `${r.scenario}: nothing was searched for passwords`);
    assert.deepEqual(hits.where, [], `${r.scenario}: a password shows`);
  };
}
