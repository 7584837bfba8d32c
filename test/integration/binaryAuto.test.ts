// binary: "auto" through the provider host: binary transfer when both servers are the same major
// version (16+) and every replicated column has the same type with binary I/O on both sides; text
// otherwise. Settled at check (the preview shows it), changed in place when a table whose type has
// no binary I/O (aclitem) joins the publication, and the rows arrive either way.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Driver } from "../harness/driver";
import { Engine } from "../harness/engine";
import type { Major, TestServer } from "../harness/postgres";
import { startPair } from "../harness/seed";
import { eventually } from "../harness/util";

const TABLES = `CREATE DOMAIN positive AS int CHECK (VALUE > 0);
  CREATE TYPE pair AS (a int, b text);
  CREATE TABLE a (id int PRIMARY KEY, tags text[], p positive, c pair, r int4range, m int4multirange)`;
const md5 = "SELECT md5(string_agg(to_jsonb(x)::text, ',' ORDER BY id)) AS m FROM a x";

for (const [pubMajor, subMajor, expected] of [
  [18, 18, true],
  [16, 18, false],
] as [Major, Major, boolean][])
  describe(`Subscription binary: "auto" through the provider host, PG${pubMajor} → PG${subMajor}`, () => {
    let primary: TestServer;
    let replica: TestServer;
    let engine: Engine;
    const inputs = () => ({
      connection: replica.url(),
      name: "auto_sub",
      publisher: primary.url(),
      publications: ["autopub"],
      binary: "auto",
    });
    const subbinary = async () =>
      (await replica.query<{ b: boolean }>("SELECT subbinary AS b FROM pg_subscription"))[0]?.b;

    before(async () => {
      [primary, replica] = await startPair(pubMajor, subMajor);
      await primary.query(`${TABLES};
        INSERT INTO a SELECT g, ARRAY['x' || g], g, ROW(g, 'p' || g)::pair, int4range(g, g + 5), int4multirange(int4range(g, g + 1))
          FROM generate_series(1, 500) g;
        CREATE PUBLICATION autopub FOR TABLE a`);
      await replica.query(TABLES);
      engine = await Engine.start();
    });
    after(async () => {
      await engine?.stop();
      await Promise.all([primary?.stop(), replica?.stop()]);
    });

    it(`settles at check to ${expected}, copies every row, and previews no change after`, async () => {
      const sub = new Driver(engine, "Subscription");
      const checked = await sub.check(inputs());
      assert.deepEqual(checked.failures, []);
      assert.equal(checked.inputs.binary, expected, "the preview shows the choice");
      const created = await sub.create({ ...inputs(), waitForSync: true });
      assert.equal(created.outputs.binary, expected);
      assert.equal(await subbinary(), expected);
      await primary.query("INSERT INTO a VALUES (501, '{y}', 7, ROW(1, 'q'), '[1,2)', '{[3,4)}')");
      await eventually(async () =>
        assert.deepEqual(await replica.query(md5), await primary.query(md5), "rows equal on both sides"),
      );
      const again = await sub.diff(created, { ...inputs(), waitForSync: true });
      assert.equal(again.changes, false);

      if (!expected) return;
      // A table whose column type has no binary I/O joins: text, changed in place, rows arrive.
      await replica.query("CREATE TABLE acl (id int PRIMARY KEY, grants aclitem[])");
      await primary.query(`CREATE TABLE acl (id int PRIMARY KEY, grants aclitem[]);
        INSERT INTO acl VALUES (1, (SELECT relacl FROM pg_class WHERE relname = 'pg_class'));
        ALTER PUBLICATION autopub ADD TABLE acl`);
      const plan = await sub.diff(created, { ...inputs(), waitForSync: true });
      assert.equal(plan.checked.binary, false);
      assert.deepEqual([plan.changes, plan.replaces], [true, []]);
      const updated = await sub.update(created, { ...inputs(), waitForSync: true });
      assert.equal(updated.outputs.binary, false);
      assert.equal(await subbinary(), false);
      await eventually(async () =>
        assert.deepEqual(
          await replica.query("SELECT id, grants::text FROM acl"),
          await primary.query("SELECT id, grants::text FROM acl"),
        ),
      );
      await sub.delete(updated);
    });
  });
