// A scenario whose steps build on each other (a cutover's phases, a subscription's life, renames one
// after another): one test, so that every test of a file can run alone, each step reported as a
// subtest of it, in order. A step that fails ends the scenario: the steps after it are reported as
// skipped, not run on what the failure left.

import { it } from "node:test";

export type Step = [name: string, run: () => Promise<void> | void];

export function scenario(name: string, steps: Step[]): void {
  it(name, async (t) => {
    let failed: string | undefined;
    for (const [step, run] of steps) {
      if (failed) {
        await t.test(step, { skip: `step "${failed}" failed` }, () => undefined);
        continue;
      }
      await t.test(step, async () => {
        try {
          await run();
        } catch (e) {
          failed = step;
          throw e;
        }
      });
    }
  });
}
