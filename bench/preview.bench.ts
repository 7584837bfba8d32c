// Preview cost: check + diff (+ read, as `preview --refresh` adds) of each resource kind over 10,
// 200 and 1000 tables — queries per operation (must not grow with the table count) and wall time
// (1000 tables within 2× of 10). In-process provider calls on real servers, medians of BENCH_ROUNDS.

import { providers } from "../src";
import { startServer } from "../test/harness/postgres";
import { countQueries, env, median, timed } from "./common";

const SIZES = (process.env.BENCH_PREVIEW_SIZES ?? "10,200,1000").split(",").map(Number);
type Props = Record<string, unknown>;

export async function previewBench(say: (s: string) => void): Promise<void> {
  say("\n## Preview cost (check + diff, and + read for refresh)\n");
  say("| PG | kind | tables | queries check / diff / read | check+diff ms | +read ms |");
  say("| --- | --- | ---: | --- | ---: | ---: |");
  for (const major of env.majors) {
    const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
    const results: Record<string, Record<number, [number, number]>> = {};
    try {
      for (const n of SIZES) {
        const db = `p${n}`;
        await Promise.all([primary.createDatabase(db), replica.createDatabase(db)]);
        const ddl = Array.from(
          { length: n },
          (_, i) => `CREATE TABLE t_${i} (id int PRIMARY KEY, v text, created timestamptz DEFAULT now())`,
        );
        await primary.query(ddl.join(";"), [], db);
        const tables = Array.from({ length: n }, (_, i) => `t_${i}`);
        const resources: [string, (typeof providers)[keyof typeof providers], Props][] = [
          ["Publication", providers.publication, { connection: primary.url(db), name: "pub", tables }],
          ["SchemaSync", providers.schemaSync, { source: primary.url(db), target: replica.url(db), tables }],
          [
            "Subscription",
            providers.subscription,
            {
              connection: replica.url(db),
              name: `sub_${n}`,
              publisher: primary.url(db),
              publications: ["pub"],
              copyData: false,
              waitForSync: true,
            },
          ],
        ];
        for (const [kind, provider, news] of resources) {
          const checked = (await provider.check!({}, news)).inputs as Props;
          const created = await provider.create(checked);
          const state: { inputs: Props; outputs: Props } = {
            inputs: checked,
            outputs: created.outs as Props,
          };
          const op = {
            check: () => provider.check!(state.inputs, news),
            diff: async () =>
              provider.diff!(created.id, state.outputs, (await provider.check!(state.inputs, news)).inputs),
            // As the engine does, a refresh's result becomes the state the next one starts from.
            read: async () => {
              const r = await provider.read!(created.id, state.outputs);
              if (r.props) state.outputs = r.props as Props;
              if (r.inputs) state.inputs = r.inputs as Props;
            },
          };
          // Warm: the fingerprint paths are what every later preview and refresh take (the first
          // refresh after an up reads the target in full once).
          await op.check();
          await op.read();
          const [, qCheck] = await countQueries(op.check);
          const [, qDiffTotal] = await countQueries(op.diff);
          const [, qRead] = await countQueries(op.read);
          const checkDiff: number[] = [];
          const withRead: number[] = [];
          for (let r = 0; r < env.rounds; r++) {
            const a = await timed(op.diff); // diff as the engine runs it: check, then diff
            const b = await timed(op.read);
            checkDiff.push(a);
            withRead.push(a + b);
          }
          (results[kind] ??= {})[n] = [median(checkDiff), median(withRead)];
          say(
            `| ${major} | ${kind} | ${n} | ${qCheck} / ${qDiffTotal - qCheck} / ${qRead} | ${median(checkDiff).toFixed(1)} | ${median(withRead).toFixed(1)} |`,
          );
        }
        await providers.subscription.delete!("sub", {
          connection: replica.url(db),
          name: `sub_${n}`,
          publisher: primary.url(db),
          publications: ["pub"],
        } as never);
      }
      for (const [kind, bySize] of Object.entries(results)) {
        const lo = bySize[Math.min(...SIZES)]!;
        const hi = bySize[Math.max(...SIZES)]!;
        say(
          `| ${major} | ${kind} | ${Math.max(...SIZES)} vs ${Math.min(...SIZES)} | ratio | ${(hi[0] / lo[0]).toFixed(2)}× | ${(hi[1] / lo[1]).toFixed(2)}× |`,
        );
      }
    } finally {
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }
}
