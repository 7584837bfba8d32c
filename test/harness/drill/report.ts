// Prints drill results for a person: the scenario, what was checked, the figures.

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
