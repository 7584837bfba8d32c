// The serialized __provider of each kind, from the installed package (target ≤ 16 KB), and the
// provider host's per-operation overhead without database work: `diff` over gRPC against the same
// `diff` in process.

import { providers } from "../src";
import { Engine } from "../test/harness/engine";
import { Driver, serializedProvider, type Kind } from "../test/harness/driver";
import { env, median, timed } from "./common";

const CALLS = Number(process.env.BENCH_HOST_CALLS ?? 300);

export async function hostBench(say: (s: string) => void): Promise<void> {
  say("\n## Serialized provider size and host overhead\n");
  say(
    "| kind | __provider bytes (target ≤ 16 384) | diff in process | diff through the host | overhead per op |",
  );
  say("| --- | ---: | ---: | ---: | ---: |");
  const engine = await Engine.start();
  try {
    const conn = "postgres://u:p@db.invalid:5432/app";
    const cases: Record<Kind, [Record<string, unknown>, Record<string, unknown>]> = {
      Publication: [
        { connection: conn, name: "p", tables: ["users"], endpoint: "db.invalid:5432/app", actualOwner: "u" },
        { connection: conn, name: "p", tables: ["users"] },
      ],
      SchemaSync: [
        { source: conn, target: conn, tables: ["users"], targetEndpoint: "db.invalid:5432/app" },
        { source: conn, target: conn, tables: ["users"] },
      ],
      Subscription: [
        {
          connection: conn,
          name: "s",
          publisher: conn,
          publications: ["p"],
          endpoint: "db.invalid:5432/app",
        },
        { connection: conn, name: "s", publisher: conn, publications: ["p"] },
      ],
      SequenceSync: [
        { source: conn, target: conn, tables: ["users"], values: {}, lastChanges: [] },
        { source: conn, target: conn, tables: ["users"] },
      ],
    };
    const local = {
      Publication: providers.publication,
      SchemaSync: providers.schemaSync,
      Subscription: providers.subscription,
      SequenceSync: providers.sequenceSync,
    };
    for (const kind of Object.keys(cases) as Kind[]) {
      const [olds, news] = cases[kind];
      const driver = new Driver(engine, kind);
      const perCall = async (fn: () => Promise<unknown>) => {
        const samples: number[] = [];
        for (let r = 0; r < env.rounds; r++)
          samples.push(
            (await timed(async () => {
              for (let i = 0; i < CALLS; i++) await fn();
            })) / CALLS,
          );
        return median(samples);
      };
      const provider = await serializedProvider(kind);
      const withProvider = (p: Record<string, unknown>) => ({ ...p, __provider: provider });
      await engine.diff(driver.urn("x"), "id", withProvider(olds), withProvider(news)); // load the provider once
      const inProcess = await perCall(() => local[kind].diff!("id", olds, news));
      const viaHost = await perCall(() =>
        engine.diff(driver.urn("x"), "id", withProvider(olds), withProvider(news)),
      );
      say(
        `| ${kind} | ${Buffer.byteLength(provider)} | ${(inProcess * 1000).toFixed(0)} µs | ${(viaHost * 1000).toFixed(0)} µs | ${((viaHost - inProcess) * 1000).toFixed(0)} µs |`,
      );
    }
  } finally {
    await engine.stop();
  }
}
