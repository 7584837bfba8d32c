// Version gates: options a server's PostgreSQL version does not have are refused at check, naming
// the version that introduced them.

import type { CheckFailure } from "./check";

/** "18.4" from server_version_num 180004. */
export function formatVersion(num: number): string {
  return `${Math.floor(num / 10000)}.${num % 10000}`;
}

/** An option (or one value of it, `what`) that is set and needs PostgreSQL `since` or later. */
export interface VersionGate {
  property: string;
  since: number;
  /** How the message names it; `property` in backticks by default. */
  what?: string;
}

/** A failure for each gate the server's version does not meet. */
export function versionFailures(
  version: number,
  gates: readonly VersionGate[],
  server: string,
): CheckFailure[] {
  return gates
    .filter((g) => version < g.since * 10000)
    .map((g) => ({
      property: g.property,
      reason: `${g.what ?? `\`${g.property}\``} needs PostgreSQL ${g.since} or later; the ${server} runs ${formatVersion(version)}. Remove it or upgrade the server.`,
    }));
}
