// npm run demo — the main job on an embedded default: two throwaway PostgreSQL servers, the seed's
// users and blog_posts, and the quickstart program run through preview → up → live changes →
// destroy by Pulumi's own dynamic-provider host (the pulumi CLI is not needed).
//
//   npm run demo                 PostgreSQL 18 → 18
//   npm run demo -- --major 15   another version (14–18)
//   npm run demo -- --cli        through the pulumi CLI (Automation API), where it is on PATH

import { captureProgram } from "../test/harness/capture";
import { Engine, type PlannedStep } from "../test/harness/engine";
import { ROOT } from "../test/harness/install";
import { startServer, type Major, type TestServer } from "../test/harness/postgres";
import { eventually } from "../test/harness/util";
import * as path from "node:path";
import { pulumiOnPath, runWithCli } from "./demoCli";

const args = process.argv.slice(2);
const majorArg = args.indexOf("--major");
const major = (majorArg >= 0 ? Number(args[majorArg + 1]) : 18) as Major;
const cli = args.includes("--cli");
if (cli && !pulumiOnPath()) {
  console.error(
    "--cli needs the pulumi CLI on PATH; without it, `npm run demo` drives Pulumi's provider host directly.",
  );
  process.exit(2);
}

const started = Date.now();
const say = (text: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);
const short = (s: PlannedStep) =>
  `${s.op.padEnd(7)} ${s.urn.split("::")[2]!.split(":").pop()} "${s.urn.split("::")[3]}"${s.replaces ? ` (replaces: ${s.replaces.join(", ")})` : ""}`;

async function table(server: TestServer, sql: string): Promise<string> {
  const rows = await server.query<Record<string, unknown>>(sql, [], "app");
  return rows.map((r) => "      " + Object.values(r).map(String).join(" | ")).join("\n") || "      (no rows)";
}

async function main(): Promise<void> {
  say(`Starting two throwaway PostgreSQL ${major} servers (primary with wal_level=logical, replica)…`);
  const [primary, replica] = await Promise.all([startServer({ major }), startServer({ major })]);
  let engine: Engine | undefined;
  try {
    await Promise.all([primary.createDatabase("app"), replica.createDatabase("app")]);
    await primary.query(
      `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, created_at timestamptz NOT NULL DEFAULT now());
       CREATE TABLE blog_posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), title text NOT NULL, body text);
       INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada'), ('grace@example.com', 'Grace');
       INSERT INTO blog_posts (user_id, title, body) VALUES (1, 'Hello', 'First post');`,
      [],
      "app",
    );
    say(
      `Primary 127.0.0.1:${primary.port}/app has users (2 rows) and blog_posts (1 row); the replica 127.0.0.1:${replica.port}/app is empty.`,
    );

    if (cli) {
      await runWithCli(primary, replica, say);
      return;
    }
    const program = await captureProgram(path.join(ROOT, "examples", "quickstart", "index.ts"), {
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url("app"),
    });
    engine = await Engine.start();
    say("pulumi preview (examples/quickstart, served by @pulumi/pulumi/cmd/dynamic-provider):");
    for (const s of await engine.preview(program)) console.log(`      + ${short(s)}`);

    say("pulumi up:");
    await engine.up(program, (s) => console.log(`      ✓ ${short(s)}`));
    const sub = [...engine.state.values()].find((s) => s.type.endsWith(":Subscription"))!;
    say(`Initial copy done; table states: ${JSON.stringify(sub.outputs.tableStates)}. Replica now has:`);
    console.log(await table(replica, "SELECT id, email, name FROM users ORDER BY id"));

    say("Changing rows on the primary: INSERT a user, UPDATE Ada's name, DELETE the post, INSERT a post…");
    await primary.query(
      `INSERT INTO users (email, name) VALUES ('barbara@example.com', 'Barbara');
       UPDATE users SET name = 'Ada Lovelace' WHERE email = 'ada@example.com';
       DELETE FROM blog_posts WHERE title = 'Hello';
       INSERT INTO blog_posts (user_id, title) VALUES (3, 'Abstraction');`,
      [],
      "app",
    );
    await eventually(async () => {
      const rows = await replica.query<{ n: string }>(
        "SELECT count(*) AS n FROM users WHERE name = 'Ada Lovelace'",
        [],
        "app",
      );
      const posts = await replica.query<{ title: string }>("SELECT title FROM blog_posts", [], "app");
      if (rows[0]!.n !== "1" || posts.length !== 1 || posts[0]!.title !== "Abstraction")
        throw new Error("not yet");
    });
    say("…and they arrived on the replica:");
    console.log(await table(replica, "SELECT id, email, name FROM users ORDER BY id"));
    console.log(await table(replica, "SELECT id, user_id, title FROM blog_posts ORDER BY id"));

    say("pulumi preview again (nothing changed):");
    for (const s of await engine.preview(program)) console.log(`        ${short(s)}`);

    say("pulumi destroy:");
    await engine.destroy((s) => console.log(`      - ${short(s)}`));
    const slots = await primary.query("SELECT slot_name FROM pg_replication_slots");
    const pubs = await primary.query("SELECT pubname FROM pg_publication", [], "app");
    const subs = await replica.query("SELECT subname FROM pg_subscription");
    say(
      `Left behind: ${pubs.length} publications, ${slots.length} replication slots, ${subs.length} subscriptions (replicated tables are kept: dropOnDelete is false).`,
    );
  } finally {
    await engine?.stop();
    await Promise.all([primary.stop(), replica.stop()]);
  }
  say("Done; both servers stopped and removed.");
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
