// pg_dump --schema-only through Debian's PostgreSQL 15 client, normalised to what must match.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { TestServer } from "./postgres";

export const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
export const PSQL = "/usr/lib/postgresql/15/bin/psql";

export function hasPgDump(): boolean {
  return fs.existsSync(PG_DUMP);
}

/** Schema-only dump without owners and privileges; comments, SET lines and blank lines removed. */
export function schemaDump(server: TestServer, database: string): string[] {
  const out = execFileSync(
    PG_DUMP,
    [
      "--schema-only",
      "--no-owner",
      "--no-privileges",
      "-h",
      server.host,
      "-p",
      String(server.port),
      "-U",
      server.user,
      database,
    ],
    {
      encoding: "utf8",
      env: { ...process.env, PGPASSWORD: server.password },
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return out
    .split("\n")
    .filter(
      (l) =>
        l.trim() !== "" &&
        !l.startsWith("--") &&
        !l.startsWith("SET ") &&
        !l.startsWith("SELECT pg_catalog.set_config") &&
        !/^\\(un)?restrict /.test(l),
    );
}
