// Time from Subscription create to every table ready, for 1 M rows, against raw SQL: CREATE
// SUBSCRIPTION, then polling pg_subscription_rel every 50 ms. Same servers, alternating, medians.

import pg from "pg";
import { providers } from "../src";
import { startServer } from "../test/harness/postgres";
import { alternate, env, timed } from "./common";

const ROWS = Number(process.env.BENCH_SYNC_ROWS ?? 1_000_000);

export async function syncBench(say: (s: string) => void): Promise<void> {
  say(`\n## Time to in-sync, ${ROWS.toLocaleString("en")} rows\n`);
  say("| PG | Subscription (waitForSync) | raw SQL + polling | ratio (target ≤ 1.05) |");
  say("| --- | ---: | ---: | ---: |");
  for (const major of env.majors) {
    const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
    try {
      await primary.query(
        `CREATE TABLE big (id bigint PRIMARY KEY, n int NOT NULL, v text NOT NULL);
         INSERT INTO big SELECT g, g % 1000, md5(g::text) FROM generate_series(1, ${ROWS}) g;
         CREATE PUBLICATION bench FOR TABLE big`,
      );
      let k = 0;
      const fresh = async () => {
        const db = `r${k++}`;
        await replica.createDatabase(db);
        await replica.query(
          "CREATE TABLE big (id bigint PRIMARY KEY, n int NOT NULL, v text NOT NULL)",
          [],
          db,
        );
        return db;
      };
      const conninfo = `host=127.0.0.1 port=${primary.port} dbname=postgres user=postgres password=${primary.password}`;
      const medians = await alternate(env.rounds, {
        subscription: async () => {
          const db = await fresh();
          const inputs = {
            connection: replica.url(db),
            name: `s_${db}`,
            publisher: primary.url(),
            publications: ["bench"],
            waitForSync: { timeoutSeconds: 600 },
          };
          let outs: Record<string, unknown> = {};
          const ms = await timed(
            async () => (outs = (await providers.subscription.create(inputs)).outs as never),
          );
          await providers.subscription.delete!(`s_${db}`, outs as never);
          return ms;
        },
        raw: async () => {
          const db = await fresh();
          const c = new pg.Client({ connectionString: replica.url(db) });
          await c.connect();
          try {
            const ms = await timed(async () => {
              await c.query(`CREATE SUBSCRIPTION s_${db} CONNECTION '${conninfo}' PUBLICATION bench`);
              for (;;) {
                const r = await c.query(
                  "SELECT count(*) FILTER (WHERE srsubstate <> 'r') AS busy, count(*) AS n FROM pg_subscription_rel",
                );
                if (Number(r.rows[0].n) > 0 && Number(r.rows[0].busy) === 0) break;
                await new Promise((res) => setTimeout(res, 50));
              }
            });
            await c.query(`DROP SUBSCRIPTION s_${db}`);
            return ms;
          } finally {
            await c.end();
          }
        },
      });
      say(
        `| ${major} | ${medians.subscription!.toFixed(0)} ms | ${medians.raw!.toFixed(0)} ms | ${(medians.subscription! / medians.raw!).toFixed(3)} |`,
      );
    } finally {
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }
}
