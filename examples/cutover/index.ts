// Moving an application's database to a new server (an upgrade, another region, off a managed
// service) with logical replication, switched over in `pulumi up` steps; the README's "Switching
// to the replica" walks through them. The `phase` config says where the move is:
//
//   replicate  the new server copies the tables and follows the old one (run as long as you like)
//   switch     writes have stopped on the old server: wait until the new one has every change
//              (lag 0), advance its sequences past the old one's, and hand out the new URL
//   reverse    optional: the old server now follows the new one (no copy), as a way back
//   done       the replication is removed (subscriptions, slots, publications); tables stay
//
// For a way back, set `wayBack` from the start: the new server's subscription then takes only
// changes that originate on the old one (origin "none", PostgreSQL 16+ on the new server), so that
// while both directions exist (the `up` that reverses) no change travels back.
import * as pulumi from "@pulumi/pulumi";
import { LogicalReplication, Publication, Subscription } from "pulumi-pg-replication";

const cfg = new pulumi.Config();
const phase = cfg.get("phase") ?? "replicate";
if (!["replicate", "switch", "reverse", "done"].includes(phase))
  throw new Error(`config phase is ${JSON.stringify(phase)}: use replicate, switch, reverse or done`);
const tables = cfg.requireObject<string[]>("tables");

// The old database is made read-only for the applications (ALTER DATABASE … SET
// default_transaction_read_only = on). This program's own sessions override that default, so that
// it can still drop the publication and the slot at the end.
const writable = (url: string) => {
  const u = new URL(url);
  u.searchParams.set("options", "-c default_transaction_read_only=off");
  return u.toString();
};
const oldDb = cfg.requireSecret("oldUrl").apply(writable);
const newDb = cfg.requireSecret("newUrl").apply(writable);

let move: LogicalReplication | undefined;
if (phase === "replicate" || phase === "switch")
  move = new LogicalReplication("move", {
    primary: oldDb,
    replica: newDb,
    tables,
    publicationName: "cutover",
    subscriptionName: "cutover",
    // On switch: wait until the new server has confirmed all of the old one's WAL.
    waitForSync: phase === "switch" ? { timeoutSeconds: 600, maxLagBytes: 0 } : true,
    sequences: phase === "switch",
    // Values skipped between the old server's last and the new one's next: room for a write that
    // slipped through, and a visible gap in the ids where the switch happened.
    sequenceMargin: cfg.getNumber("sequenceMargin") ?? 1000,
    ...(cfg.getBoolean("wayBack") ? { origin: "none" as const } : {}),
  });

if (phase === "reverse") {
  // The way back: the old server follows the new one, from the point of the switch (no copy).
  const back = new Publication("back", { connection: newDb, name: "cutover_back", tables });
  new Subscription("back", {
    connection: oldDb,
    name: "cutover_back",
    publisher: newDb,
    publications: [back],
    copyData: false,
    waitForSync: true,
  });
}

/** How far behind the new server is, and (on switch) each sequence on both sides. */
export const lag = move?.subscription.lag;
export const sequences = move?.sequences?.values;

/** Where the applications connect: the old server until the switch, the new one from then on. */
export const applicationUrl =
  phase === "replicate" ? cfg.requireSecret("oldUrl") : cfg.requireSecret("newUrl");
