// The snapshot copy's pure parts: which COPYs it runs (page ranges for big plain tables, largest
// first), when the binary format is safe, what rules it out before any server is asked, the
// statements it sends, and the progress line a person reads.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tableId } from "../../../src/pg/tables";
import {
  combinedFilter,
  type ColumnType,
  type PublishedForCopy,
} from "../../../src/subscription/snapshotCatalog";
import {
  leftOutBySync,
  senderFailures,
  subscriberLibpqFailures,
  streamStopReasons,
  syncBlockers,
  syncLimitsOf,
  timeoutsOffLine,
  workerFailures,
} from "../../../src/subscription/preflight";
import {
  conninfo,
  conninfoMatches,
  conninfoMatchesExcept,
  parseConnection,
  withoutSettingsOff,
} from "../../../src/pg/connection";
import type { PublisherView } from "../../../src/subscription/publisher";
import { feedConnection, type SubscriptionInputs } from "../../../src/subscription/types";
import { SnapshotMeter } from "../../../src/subscription/progress";
import {
  AUTO_MAX_BYTES,
  AUTO_MAX_TABLE_BYTES,
  autoChoice,
  autoSplit,
  binaryFor,
  copyItems,
  PART_PAGES,
  staticObstacles,
} from "../../../src/subscription/snapshotPlan";
import {
  copyInSession,
  lateKeyBegin,
  lateKeyCommit,
  beginUnderSnapshot,
  copyIn,
  copyOut,
  createSlotExportingSnapshot,
  CREATED_UNFINISHED,
  markCreatedUnfinished,
  markUnfinishedCopy,
  parseCopyMark,
  parseCreatedMark,
  UNFINISHED_COPY,
} from "../../../src/subscription/sql";
import { RangedKeys } from "../../../src/subscription/lateKeys";

const int8: ColumnType = { name: "id", type: "bigint", oid: 20 };
const text: ColumnType = { name: "v", type: "text", oid: 25 };
const mood: ColumnType = { name: "m", type: "mood", oid: 16390 };
const table = (name: string, pages: number, over: Partial<PublishedForCopy> = {}): PublishedForCopy => ({
  schema: "public",
  name,
  columns: ["id", "v"],
  rowFilter: null,
  partitioned: false,
  pages,
  bytes: pages * 8192,
  rows: pages * 10,
  types: [int8, text],
  computed: false,
  ...over,
});

describe("snapshot copy: binary format", () => {
  it("is used only when every column has the same built-in type on both sides", () => {
    assert.equal(binaryFor([int8, text], [text, int8]), true);
    assert.equal(binaryFor([int8, text], [int8, { ...text, type: "character varying", oid: 1043 }]), false);
    assert.equal(binaryFor([int8, mood], [int8, mood]), false, "a user type's oid differs between servers");
    assert.equal(binaryFor([int8, text], [int8]), false, "a column missing on the replica");
    assert.equal(binaryFor([int8], undefined), false);
    assert.equal(
      binaryFor(
        [{ ...int8, type: "numeric(10,2)", oid: 1700 }],
        [{ ...int8, type: "numeric(12,2)", oid: 1700 }],
      ),
      false,
      "another typmod is another type",
    );
  });
});

describe("snapshot copy: the COPYs", () => {
  const types = new Map([
    [tableId({ schema: "public", name: "small" }), [int8, text]],
    [tableId({ schema: "public", name: "big" }), [int8, text]],
  ]);
  it("splits a plain table of at least two parts into as many page ranges as jobs, the last one open", () => {
    const items = copyItems([table("small", 10), table("big", PART_PAGES * 10)], types, 4);
    const big = items.filter((i) => i.table.name === "big");
    assert.deepEqual(
      big.map((i) => i.range),
      [
        { fromPage: 0, toPage: PART_PAGES * 2.5 },
        { fromPage: PART_PAGES * 2.5, toPage: PART_PAGES * 5 },
        { fromPage: PART_PAGES * 5, toPage: PART_PAGES * 7.5 },
        { fromPage: PART_PAGES * 7.5 },
      ],
    );
    assert.equal(items.at(-1)!.table.name, "small", "largest first");
    assert.equal(
      copyItems([table("big", PART_PAGES * 2 - 1)], types, 4).length,
      1,
      "below two parts: one COPY",
    );
    assert.equal(copyItems([table("big", PART_PAGES * 3)], types, 2).length, 2, "no more ranges than jobs");
    assert.equal(
      copyItems([table("big", PART_PAGES * 10, { partitioned: true })], types, 4).length,
      1,
      "a partitioned root is one COPY",
    );
  });

  it("reads what the publications publish: columns, combined row filter, ONLY for plain tables, page ranges", () => {
    const t = table("t", 1, { schema: "s.x", columns: ["id", 'we"ird'], rowFilter: "(id > 5) OR (v = 'a')" });
    assert.equal(
      copyOut(t, true, { fromPage: 10, toPage: 20 }),
      `COPY (SELECT "id", "we""ird" FROM ONLY "s.x"."t" WHERE ctid >= '(10,0)'::pg_catalog.tid AND ctid < '(20,0)'::pg_catalog.tid AND ((id > 5) OR (v = 'a'))) TO STDOUT (FORMAT binary)`,
    );
    assert.equal(
      copyOut({ ...t, partitioned: true, rowFilter: null }, false),
      `COPY (SELECT "id", "we""ird" FROM "s.x"."t") TO STDOUT`,
    );
    // A whole plain table without a filter by name (COPY … TO reads no inheritance children).
    assert.equal(
      copyOut({ ...t, rowFilter: null }, true),
      `COPY "s.x"."t" ("id", "we""ird") TO STDOUT (FORMAT binary)`,
    );
    // A published generated column (PG18) cannot be named in COPY … TO: a query reads it.
    assert.equal(
      copyOut({ ...t, rowFilter: null, computed: true }, true),
      `COPY (SELECT "id", "we""ird" FROM ONLY "s.x"."t") TO STDOUT (FORMAT binary)`,
    );
    assert.equal(
      copyOut({ ...t, rowFilter: null }, false, { fromPage: 0, toPage: 4 }),
      `COPY (SELECT "id", "we""ird" FROM ONLY "s.x"."t" WHERE ctid >= '(0,0)'::pg_catalog.tid AND ctid < '(4,0)'::pg_catalog.tid) TO STDOUT`,
    );
    assert.match(copyOut(t, false), /^COPY \(SELECT .* FROM ONLY "s\.x"\."t" WHERE \(\(id > 5\)/);
    assert.equal(copyIn(t, false), `COPY "s.x"."t" ("id", "we""ird") FROM STDIN`);
    assert.equal(
      copyIn(t, true, true),
      `COPY "s.x"."t" ("id", "we""ird") FROM STDIN (FORMAT binary, FREEZE)`,
    );
    assert.equal(copyIn(t, false, true), `COPY "s.x"."t" ("id", "we""ird") FROM STDIN (FREEZE)`);
    assert.equal(
      copyInSession(600, true, "it's a copy"),
      "RESET ALL; SET application_name = 'it''s a copy'; SET lock_timeout = '600s'; SELECT pg_catalog.count(pg_catalog.set_config(n, '0', false)) FROM pg_catalog.unnest(ARRAY['statement_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout']::text[]) AS n WHERE pg_catalog.current_setting(n, true) IS NOT NULL; SET datestyle = 'ISO'; SET intervalstyle = 'postgres'; SET extra_float_digits = 3; SET session_replication_role = replica",
    );
    assert.doesNotMatch(copyInSession(1.7, false), /session_replication_role|1\.7|application_name/);
    assert.equal(
      lateKeyBegin({ schema: "s.x", name: "t", key: "t_pkey" }),
      `BEGIN; ALTER TABLE "s.x"."t" DROP CONSTRAINT "t_pkey"; TRUNCATE ONLY "s.x"."t"`,
    );
    assert.equal(
      lateKeyCommit({ schema: "s.x", name: "t", key: "t_pkey", definition: "PRIMARY KEY (id)" }),
      `ALTER TABLE "s.x"."t" ADD CONSTRAINT "t_pkey" PRIMARY KEY (id); COMMIT`,
    );
    assert.equal(
      beginUnderSnapshot("00000003-0000001B-1", 600),
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SET LOCAL lock_timeout = '600s'; SET LOCAL datestyle = 'ISO'; SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 3",
    );
    assert.match(beginUnderSnapshot("a'b", 1), /SNAPSHOT 'a''b';/, "the snapshot name is a quoted literal");
    assert.equal(
      createSlotExportingSnapshot("sub_1"),
      `CREATE_REPLICATION_SLOT "sub_1" LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
  });
});

describe("snapshot copy: several publications of one table", () => {
  it("combines their row filters as PostgreSQL does: OR, and no filter when one has none", () => {
    assert.equal(combinedFilter(["(a > 1)"]), "(a > 1)");
    assert.equal(combinedFilter(["(a > 1)", "(b = 'x')", "(a > 1)"]), "((a > 1)) OR ((b = 'x'))");
    assert.equal(combinedFilter(["(a > 1)", null]), null);
    assert.equal(combinedFilter([]), null);
  });
});

describe("snapshot copy: what rules it out", () => {
  const inputs = { connection: "c", name: "s", publisher: "p", publications: ["p"] };
  it("names the arguments that need PostgreSQL's own slot", () => {
    assert.deepEqual(staticObstacles(inputs), []);
    assert.match(staticObstacles({ ...inputs, createSlot: false }).join(), /createSlot: false/);
    assert.match(staticObstacles({ ...inputs, twoPhase: true }).join(), /twoPhase: true/);
    assert.match(staticObstacles({ ...inputs, failover: true } as never).join(), /failover: true/);
  });
});

describe("snapshot copy: what auto chooses", () => {
  const inputs = { connection: "c", name: "s", publisher: "p", publications: ["p"] };
  const plan = (tables: PublishedForCopy[]) => ({
    items: copyItems(tables, new Map(), 4),
    tables,
    toPostgres: [],
    rangedKeys: [],
    replicaRole: false,
    bytes: tables.reduce((n, t) => n + t.bytes, 0),
  });
  const pages = (bytes: number) => Math.ceil(bytes / 8192);
  const many = Array.from({ length: 300 }, (_, i) => table(`s${i}`, 2));
  const big = table("big", pages(50 * 1024 ** 2));
  it("copies many small tables itself", () => {
    const choice = autoChoice(inputs, plan(many), false);
    assert.ok("plan" in choice);
    assert.equal(choice.plan.tables.length, 300);
    assert.deepEqual(choice.plan.toPostgres, []);
  });
  it("leaves the big tables to PostgreSQL in the same subscription when it may hand them over", () => {
    const choice = autoChoice(inputs, plan([...many, big]), true);
    assert.ok("plan" in choice);
    assert.deepEqual(
      choice.plan.toPostgres.map((t) => t.name),
      ["big"],
    );
    assert.equal(choice.plan.tables.length, 300);
    assert.ok(
      choice.plan.items.every((i) => i.table.name !== "big"),
      "no COPY of the big table",
    );
    assert.equal(choice.plan.bytes, 300 * 2 * 8192);
  });
  it("without the handover, one method copies every table (by the average, as before)", () => {
    const whole = autoChoice(inputs, plan([...many, big]), false);
    assert.ok("plan" in whole && whole.plan.toPostgres.length === 0 && whole.plan.tables.length === 301);
    const mostlyBig = autoChoice(inputs, plan([table("a", 2), big]), false);
    assert.match("why" in mostlyBig ? mostlyBig.why : "", /on average.*may not create the publication/);
  });
  it("leaves only big tables, disabled subscriptions and more than 1 GiB (beyond the first GiB) to PostgreSQL", () => {
    const onlyBig = autoChoice(inputs, plan([big, table("big2", pages(AUTO_MAX_TABLE_BYTES) + 1)]), true);
    assert.match("why" in onlyBig ? onlyBig.why : "", /every table holds more than/);
    assert.match(
      (autoChoice({ ...inputs, enabled: false }, plan(many), true) as { why: string }).why,
      /created disabled/,
    );
    const heavy = Array.from({ length: 200 }, (_, i) => table(`m${i}`, pages(6 * 1024 ** 2)));
    const { mine, theirs } = autoSplit(heavy);
    assert.ok(mine.reduce((n, t) => n + t.bytes, 0) <= AUTO_MAX_BYTES);
    assert.equal(mine.length + theirs.length, 200);
    assert.ok(theirs.length > 0);
    assert.match((autoChoice(inputs, plan(heavy), false) as { why: string }).why, /more than the 1\.0 GB/);
  });
  it("leaves a table other subscriptions fill (fan-in) to PostgreSQL's copy, small as it is", () => {
    const shared = new Set([tableId({ schema: "public", name: "s7" })]);
    const { theirs } = autoSplit(many, new Set(), shared);
    assert.deepEqual(
      theirs.map((t) => t.name),
      ["s7"],
    );
    const handed = autoChoice(inputs, plan(many), true, new Set(), shared);
    assert.ok("plan" in handed);
    assert.deepEqual(
      handed.plan.toPostgres.map((t) => t.name),
      ["s7"],
    );
    assert.ok(
      handed.plan.items.every((i) => i.table.name !== "s7"),
      "no COPY of it from this program",
    );
    const alone = autoChoice(inputs, plan(many), false, new Set(), shared);
    assert.match(
      "why" in alone ? alone.why : "",
      /public\.s7 already hold rows other subscriptions of the replica write \(fan-in\).*may not create the publication that would leave 1 table\(s\)/,
    );
  });
  it("keeps a big table whose published generated columns PostgreSQL's copy before 18 leaves out", () => {
    const generated = [{ schema: "public", name: "big", column: "total" }];
    const leftOut = leftOutBySync(170000, generated, [...many, big]);
    assert.deepEqual(leftOut, generated);
    assert.deepEqual(leftOutBySync(180000, generated, [big]), [], "PG18's copy copies them");
    assert.deepEqual(leftOutBySync(170000, generated, many), [], "only the copied tables count");
    const choice = autoChoice(inputs, plan([...many, big]), true, new Set(leftOut.map(tableId)));
    assert.ok("plan" in choice);
    assert.deepEqual(choice.plan.toPostgres, []);
    assert.equal(choice.plan.tables.length, 301);
    const alone = autoChoice(inputs, plan([big]), false, new Set([tableId(big)]));
    assert.ok("plan" in alone && alone.plan.tables.length === 1);
  });
});

describe("slots and WAL senders on the publisher", () => {
  const capacity = { slots: 10, slotsUsed: 8, senders: 10, sendersUsed: 9, roleTimeouts: [] };
  const reasons = (f: { reason: string }[]) => f.map((x) => x.reason);
  it("counts the new slot and sender, and one more of each for PostgreSQL's table syncs", () => {
    assert.deepEqual(senderFailures(capacity, { slot: true, sender: true, syncs: false }), []);
    const f = senderFailures(capacity, { slot: true, sender: true, syncs: true });
    assert.deepEqual(
      f.map((x) => x.property),
      ["publisher"],
    );
    assert.match(
      reasons(f)[0]!,
      /max_wal_senders = 10 and 9 in use: this subscription needs one for its apply worker and at least one for PostgreSQL's table syncs, 2 more in all/,
    );
  });
  it("says creating the slot fails when none is left, and asks nothing of an existing one", () => {
    const full = { ...capacity, slotsUsed: 10, sendersUsed: 0 };
    assert.match(
      reasons(senderFailures(full, { slot: true, sender: true, syncs: false }))[0]!,
      /1 more in all, or creating it fails/,
    );
    assert.deepEqual(senderFailures(full, { slot: false, sender: false, syncs: false }), []);
    assert.match(
      reasons(senderFailures(full, { slot: false, sender: false, syncs: true }))[0]!,
      /its slot \(which exists\) and, for PostgreSQL's copy, at least one more .*its table syncs fail and retry/,
    );
  });
});

describe("what PostgreSQL's copy cannot be left here", () => {
  const t = (name: string) => ({ schema: "public", name });
  const fixes = { generated: "FIX-G", workers: "FIX-W", timeout: " FIX-T" };
  const none = { generated: [] };
  it("every table without table-sync workers, only those with published generated columns before 18", () => {
    assert.deepEqual(syncBlockers(170000, none, [t("a")], fixes), { tables: [], reasons: [] });
    const generated = { ...none, generated: [{ ...t("b"), column: "total" }] };
    const left = syncBlockers(170000, generated, [t("a"), t("b")], fixes);
    assert.deepEqual(left.tables, [t("b")]);
    assert.match(left.reasons[0]!, /public\.b\.total.* FIX-G$/);
    assert.deepEqual(syncBlockers(180000, generated, [t("b")], fixes).reasons, []);
    const idle = syncBlockers(170000, { ...none, syncWorkers: 0 }, [t("a")], fixes);
    assert.deepEqual(idle.tables, [t("a")]);
    assert.match(idle.reasons[0]!, /max_sync_workers_per_subscription = 0.* FIX-W$/);
    assert.deepEqual(syncBlockers(170000, { ...none, syncWorkers: 2 }, [t("a")], fixes).reasons, []);
  });
  it("every table under the subscription owner's transaction_timeout (17+), with the ALTER ROLE that lifts it", () => {
    const limits = syncLimitsOf(undefined, undefined, { role: "app", value: "400ms" });
    assert.deepEqual(limits.ownerTimeout, { role: "app", value: "400ms" });
    const timed = syncBlockers(170000, limits, [t("a"), t("b")], fixes);
    assert.deepEqual(timed.tables, [t("a"), t("b")]);
    assert.equal(timed.reasons.length, 1);
    assert.match(
      timed.reasons[0]!,
      /^the subscriber runs the sessions of role "app", the subscription's owner, with transaction_timeout = 400ms .*ends PostgreSQL's table synchronisation workers .*Run ALTER ROLE "app" SET transaction_timeout = 0; on the subscriber FIX-T$/,
    );
    assert.deepEqual(syncBlockers(170000, limits, [], fixes), { tables: [], reasons: [] });
    for (const value of ["0", "0ms", null])
      assert.equal(syncLimitsOf(undefined, undefined, { role: "app", value }).ownerTimeout, undefined);
  });
});

describe("what stops the stream on a long transaction", () => {
  it("a transaction_timeout for the subscription owner's role, with its fix; none, zero or an unknown one does not", () => {
    assert.deepEqual(streamStopReasons(undefined), []);
    assert.deepEqual(streamStopReasons({ role: "app", value: "0" }), []);
    assert.deepEqual(streamStopReasons({ role: "app", value: "0ms" }), []);
    assert.deepEqual(streamStopReasons({ role: "app", value: null }), []);
    const owner = streamStopReasons({ role: "app", value: "500ms" });
    assert.deepEqual(
      owner.map((f) => f.property),
      ["connection"],
    );
    assert.match(
      owner[0]!.reason,
      /role "app", the subscription's owner, with transaction_timeout = 500ms .*ALTER ROLE "app" SET transaction_timeout = 0; on the subscriber$/,
    );
  });
});

describe("the subscription's own connection to the publisher", () => {
  const declared = "postgres://repl:pw@db.example.com/app?options=-c%20search_path%3Dsales";
  it("turns off the publisher role's timeouts after the options given, and only those", () => {
    const publisher = parseConnection(declared);
    assert.equal(feedConnection(publisher, {}), publisher);
    assert.equal(feedConnection(publisher, { publisherTimeoutsOff: [] }), publisher);
    const feed = feedConnection(publisher, {
      publisherTimeoutsOff: ["statement_timeout", "transaction_timeout"],
    });
    assert.equal(feed.options, "-c search_path=sales -c statement_timeout=0 -c transaction_timeout=0");
    assert.match(
      conninfo(feed),
      / options='-c search_path=sales -c statement_timeout=0 -c transaction_timeout=0'/,
    );
    assert.equal(
      feedConnection(parseConnection("postgres://repl:pw@db.example.com/app"), {
        publisherTimeoutsOff: ["statement_timeout"],
      }).options,
      "-c statement_timeout=0",
    );
  });
  it("is said at preview: for a new subscription which it turns off and why, for one the stack has when that changes", () => {
    const view = {
      limits: { roleTimeouts: [{ name: "statement_timeout", value: "100ms" }] },
      role: { user: "repl" },
    } as unknown as PublisherView;
    const inputs = { name: "sub", publisherTimeoutsOff: ["statement_timeout"] } as SubscriptionInputs;
    assert.match(
      timeoutsOffLine(inputs, view, undefined)!,
      /^Subscription "sub": the publisher runs the sessions of role "repl" with statement_timeout = 100ms, .*turns them off for its own sessions there \(options=-c statement_timeout=0\)\.$/,
    );
    const idleOnly = {
      limits: { roleTimeouts: [{ name: "idle_session_timeout", value: "5min" }] },
      role: { user: "repl" },
    } as unknown as PublisherView;
    assert.match(
      timeoutsOffLine(
        { name: "sub", publisherTimeoutsOff: ["idle_session_timeout"] } as SubscriptionInputs,
        idleOnly,
        undefined,
      )!,
      /with idle_session_timeout = 5min, which could end a sender waiting between its commands: .*\(options=-c idle_session_timeout=0\)\.$/,
    );
    assert.match(
      timeoutsOffLine(inputs, view, undefined)!,
      /which would cut PostgreSQL's copy and the stream short/,
    );
    assert.equal(timeoutsOffLine({ name: "sub" } as SubscriptionInputs, undefined, undefined), undefined);
    assert.equal(timeoutsOffLine(inputs, view, { publisherTimeoutsOff: ["statement_timeout"] }), undefined);
    assert.match(
      timeoutsOffLine(inputs, view, {})!,
      /changed: up sets the subscription's connection again, turning off statement_timeout for its sessions there\.$/,
    );
    assert.match(
      timeoutsOffLine({ name: "sub" } as SubscriptionInputs, undefined, inputs)!,
      /again, without turning any off\.$/,
    );
  });
  it("is what a stored connection is compared with: one without the timeouts off is set again", () => {
    const publisher = parseConnection(declared);
    const inputs = { publisherTimeoutsOff: ["transaction_timeout"] };
    const stored = conninfo(feedConnection(publisher, inputs));
    assert.ok(conninfoMatches(stored, feedConnection(publisher, inputs)));
    assert.ok(!conninfoMatches(conninfo(publisher), feedConnection(publisher, inputs)));
    assert.ok(!conninfoMatches(stored, publisher));
    // Whether it is the same subscription (an interrupted up's, the timeouts since changed): the
    // timeouts turned off aside, the user's own options not.
    const timeouts = ["statement_timeout", "transaction_timeout"];
    assert.ok(conninfoMatchesExcept(stored, publisher, timeouts));
    assert.ok(
      conninfoMatchesExcept(stored, feedConnection(publisher, { publisherTimeoutsOff: timeouts }), timeouts),
    );
    assert.ok(
      !conninfoMatchesExcept(stored, parseConnection("postgres://repl:pw@db.example.com/app"), timeouts),
    );
    assert.ok(!conninfoMatchesExcept(stored, publisher, []));
    assert.deepEqual(withoutSettingsOff(feedConnection(publisher, inputs), timeouts), publisher);
    assert.equal(
      withoutSettingsOff(parseConnection("postgres://u@h/d?options=-c%20statement_timeout%3D0"), timeouts)
        .options,
      undefined,
    );
  });
});

describe("the publisher connection in the subscriber's libpq", () => {
  it("refuses sslrootcert=system before 16, whose libpq would look for a file named system", () => {
    const info = parseConnection("postgres://repl:pw@db.example.com/app?sslrootcert=system");
    const f = subscriberLibpqFailures(150000, info);
    assert.deepEqual(
      f.map((x) => x.property),
      ["publisher"],
    );
    assert.match(f[0]!.reason, /sslrootcert=system.*the subscriber runs 15\.0.*upgrade the subscriber to 16/);
    assert.deepEqual(subscriberLibpqFailures(160000, info), []);
    assert.deepEqual(subscriberLibpqFailures(150000, parseConnection("postgres://repl:pw@db/app")), []);
  });
});

describe("snapshot copy: workers on the subscriber", () => {
  it("needs no table-sync worker, only the apply worker", () => {
    const settings = { max_logical_replication_workers: "2", max_sync_workers_per_subscription: "2" };
    assert.equal(workerFailures(settings, 1, { name: "s", copyMethod: "snapshot" }).length, 0);
    assert.equal(workerFailures(settings, 1, { name: "s", copyMethod: "postgres" }).length, 1);
    assert.equal(
      workerFailures(settings, 1, { name: "s" }).length,
      1,
      "auto may leave the copy to PostgreSQL",
    );
    assert.equal(workerFailures(settings, 2, { name: "s", copyMethod: "snapshot" }).length, 1);
  });
});

describe("snapshot copy: progress", () => {
  it("counts tables, rows and bytes, and tells the time left from the share of the size done", () => {
    const tables = [table("a", 100), table("b", 300)];
    const items = copyItems(tables, new Map(), 1);
    const meter = new SnapshotMeter(
      { items, tables, toPostgres: [], rangedKeys: [], replicaRole: false, bytes: 400 * 8192 },
      0,
    );
    const [b, a] = items;
    meter.start(b!);
    meter.flowed(b!, 1024 * 1024);
    meter.finish(b!, 3000);
    meter.start(a!);
    meter.flowed(a!, 512 * 1024);
    assert.equal(
      meter.line('Subscription "s"', 10_000),
      'Subscription "s": snapshot copy: 1/2 tables copied, 3,000 rows, 1.5 MB sent in 10 s (154 kB/s), 75% of their size, about 3 s left; copying public.a: 512 kB',
    );
    meter.finish(a!, 1000);
    assert.equal(
      meter.line('Subscription "s"', 12_000),
      'Subscription "s": snapshot copy: 2/2 tables copied, 4,000 rows, 1.5 MB sent in 12 s (128 kB/s)',
    );
  });
});

describe("snapshot copy: primary keys built after the rows", () => {
  const key = { schema: "public", name: "big", key: "big_pkey", definition: "PRIMARY KEY (id)" };
  it("records the ranged tables and their keys in the mark, and reads them back", () => {
    const mark = { ranged: [{ schema: "public", name: "big" }], keys: [key] };
    const statement = markUnfinishedCopy("s", mark);
    const comment = /IS '(.*)'$/.exec(statement)![1]!.replace(/''/g, "'");
    assert.deepEqual(parseCopyMark(comment), mark);
    assert.deepEqual(parseCopyMark(UNFINISHED_COPY), { ranged: [], keys: [] });
    assert.equal(parseCopyMark("someone's comment"), undefined);
    assert.equal(parseCopyMark(null), undefined);
  });
  it("records what the subscription was bound to in either mark, and reads marks without it (earlier versions)", () => {
    const comment = (statement: string) => /IS '(.*)'$/.exec(statement)![1]!.replace(/''/g, "'");
    const copy = { ranged: [], keys: [], bound: [11, 12] };
    assert.deepEqual(parseCopyMark(comment(markUnfinishedCopy("s", copy))), copy);
    assert.deepEqual(parseCreatedMark(comment(markCreatedUnfinished("s", { bound: [11, 12] }))), {
      bound: [11, 12],
    });
    assert.deepEqual(parseCreatedMark(CREATED_UNFINISHED), {});
    assert.equal(parseCreatedMark(comment(markUnfinishedCopy("s", copy))), undefined, "not the other mark");
    assert.equal(parseCreatedMark("someone's comment"), undefined);
  });
  it("drops a ranged table's key once before its first range and builds it after its last", async () => {
    const tables = [table("big", PART_PAGES * 3), table("small", 10)];
    const items = copyItems(tables, new Map(), 3);
    const ranges = items.filter((i) => i.range);
    assert.equal(ranges.length, 3);
    const sent: string[] = [];
    const rep = { query: async (text: string) => void sent.push(text) };
    const keys = new RangedKeys([key], items);
    await Promise.all(ranges.map((r) => keys.before(rep, r)));
    await keys.before(
      rep,
      items.find((i) => !i.range)!,
    );
    assert.equal(sent.filter((t) => t.includes("DROP CONSTRAINT")).length, 1);
    await keys.after(rep, ranges[0]!);
    await keys.after(rep, ranges[1]!);
    assert.equal(sent.filter((t) => t.includes("ADD CONSTRAINT")).length, 0, "not before the last range");
    await keys.after(rep, ranges[2]!);
    assert.deepEqual(
      sent.filter((t) => t.includes("CONSTRAINT")),
      [
        'BEGIN; ALTER TABLE "public"."big" DROP CONSTRAINT "big_pkey"',
        'BEGIN; ALTER TABLE "public"."big" ADD CONSTRAINT "big_pkey" PRIMARY KEY (id)',
      ],
    );
    assert.equal(sent.filter((t) => t === "COMMIT").length, 2, "each committed by a round trip of its own");
  });
});
