// temporary profiling script (not committed)
import { startServer, type Major } from "../test/harness/postgres";
import { providers } from "../src";
const N = Number(process.env.N ?? 300);
async function main() {
  const major = Number(process.env.MAJOR ?? 15) as Major;
  const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
  try {
    await primary.createDatabase("app");
    const parts: string[] = [];
    for (let i = 1; i <= N; i++)
      parts.push(`CREATE TABLE s${i} (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)`, `INSERT INTO s${i} SELECT g, g % 10, md5(g::text) FROM generate_series(1, 50) g`, `CREATE INDEX s${i}_a ON s${i} (a)`);
    await primary.query(parts.join(";\n"), [], "app");
    await primary.query("ANALYZE", [], "app");
    const tables = Array.from({ length: N }, (_, i) => `s${i + 1}`);
    await primary.query(`CREATE PUBLICATION p FOR TABLE ${tables.join(",")}`, [], "app");
    for (let round = 0; round < 3; round++) {
      const db = `r${round}`;
      await replica.createDatabase(db);
      const sync = { source: primary.url("app"), target: replica.url(db), tables, section: "pre-data" };
      await providers.schemaSync.create((await providers.schemaSync.check!({}, sync)).inputs as never);
      const t0 = performance.now();
      const orig = console.log;
      console.log = (...a: unknown[]) => orig(`[${(performance.now() - t0).toFixed(0)} ms]`, String(a[0]).slice(0, 160));
      const inputs = { connection: replica.url(db), name: `sub${round}`, publisher: primary.url("app"), publications: ["p"], copyMethod: "snapshot" };
      const checked = await providers.subscription.check!({}, inputs as never);
      const t1 = performance.now();
      await providers.subscription.diff!("x", {} as never, checked.inputs as never);
      const t2 = performance.now();
      await providers.subscription.create(checked.inputs as never);
      const t3 = performance.now();
      console.log = orig;
      console.log(`round ${round}: check ${(t1 - t0).toFixed(0)} ms, diff ${(t2 - t1).toFixed(0)}, create ${(t3 - t2).toFixed(0)} ms`);
      await replica.query(`ALTER SUBSCRIPTION sub${round} DISABLE; ALTER SUBSCRIPTION sub${round} SET (slot_name = NONE); DROP SUBSCRIPTION sub${round}`, [], db);
      await primary.query(`SELECT pg_drop_replication_slot('sub${round}')`);
    }
  } finally {
    await Promise.all([primary.stop(), replica.stop()]);
  }
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
