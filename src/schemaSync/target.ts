// Reading the target for a plan: the copied tables as they are there, the types the source's
// definitions name (whoever created them: another SchemaSync's are reused), the extensions it has
// and could install, and its version.

import type { Session } from "../pg/session";
import { readExtensions, readSchema, readTypesByName } from "./catalog";
import type { SchemaSnapshot } from "./snapshot";

export interface TargetRead {
  actual: SchemaSnapshot;
  extensions: { installed: string[]; available: string[]; version: number };
}

export async function readTarget(s: Session, desired: SchemaSnapshot): Promise<TargetRead> {
  const actual = await readSchema(
    s,
    desired.tables.map(({ schema, name }) => ({ schema, name })),
  );
  const known = new Set(actual.types.map((t) => t.name));
  const missing = desired.types.map((t) => t.name).filter((n) => !known.has(n));
  const others = await readTypesByName(s, missing);
  return {
    actual: { ...actual, types: [...actual.types, ...others] },
    extensions: { ...(await readExtensions(s)), version: s.serverVersion },
  };
}
