// `npm run demo -- --cli`: the quickstart through the real pulumi CLI (Automation API, local file
// backend), for machines that have `pulumi` on PATH.

import * as path from "node:path";
import { cliStack } from "../test/harness/cli";
import { ROOT } from "../test/harness/install";
import type { TestServer } from "../test/harness/postgres";

export { pulumiOnPath } from "../test/harness/cli";

export async function runWithCli(
  primary: TestServer,
  replica: TestServer,
  say: (s: string) => void,
): Promise<void> {
  const { stack, dispose } = await cliStack(
    path.join(ROOT, "examples", "quickstart", "index.ts"),
    "quickstart",
    {
      primaryUrl: primary.url("app"),
      replicaUrl: replica.url("app"),
    },
  );
  try {
    const out = (s: string) => process.stdout.write(s.replace(/^/gm, "      "));
    say("pulumi preview:");
    await stack.preview({ onOutput: out });
    say("pulumi up:");
    await stack.up({ onOutput: out });
    await primary.query(
      "INSERT INTO users (email, name) VALUES ('barbara@example.com', 'Barbara')",
      [],
      "app",
    );
    say("pulumi preview --refresh (nothing should change):");
    await stack.preview({ onOutput: out, refresh: true });
    say("pulumi destroy:");
    await stack.destroy({ onOutput: out });
  } finally {
    await dispose();
  }
}
