// Reading the source: resolving the table list (listed, or what a publication publishes) and
// reading their definitions, in one session, reusing an earlier read while its fingerprint holds.

import { createHash } from "node:crypto";
import { parseConnection } from "../pg/connection";
import { existingPublications, readPublishedTables } from "../pg/published";
import { withSession } from "../pg/session";
import { parseTableRef, tableKey, type TableSpec } from "../pg/tables";
import { readFingerprint, readSchema } from "./catalog";
import { projectColumns } from "./plan";
import { EMPTY_SNAPSHOT, type SchemaSnapshot } from "./snapshot";
import type { SchemaSyncInputs } from "./types";

export interface SourceRead {
  /** The tables asked for; undefined when the publication does not exist (yet). */
  tables?: TableSpec[];
  /** Their definitions with partition trees, types and extensions. */
  snapshot: SchemaSnapshot;
  /** Listed tables the source does not have, "schema.name". */
  missing: string[];
  /** Fingerprint of the catalog rows read, with the table list and column lists. */
  fingerprint?: string;
}

/**
 * Resolves the table list (listed, or what the publication publishes) and reads it, in one
 * session. With a `previous` read whose fingerprint still matches, its definitions are reused.
 */
export async function readSource(
  inputs: SchemaSyncInputs,
  previous?: { fingerprint?: string; schema?: SchemaSnapshot },
): Promise<SourceRead> {
  return withSession(parseConnection(inputs.source), async (s) => {
    let tables: TableSpec[] | undefined;
    // Tables published with a column list get only those columns on the replica.
    const columnLists = new Map<string, string[]>();
    if (inputs.tables) {
      const specs = inputs.tables.map(parseTableRef);
      for (const t of specs) if (t.columns) columnLists.set(tableKey(t), t.columns);
      tables = specs.map(({ schema, name }) => ({ schema, name }));
    } else {
      const exists = await existingPublications(s, [inputs.publication!]);
      if (exists.length === 0) return { snapshot: EMPTY_SNAPSHOT, missing: [] };
      const published = await readPublishedTables(s, [inputs.publication!], true);
      for (const t of published) if (t.columns) columnLists.set(tableKey(t), t.columns);
      tables = published.map(({ schema, name }) => ({ schema, name }));
    }
    const scope = createHash("md5")
      .update(JSON.stringify([tables, [...columnLists]]))
      .digest("hex");
    // The fingerprint only serves reuse; without a previous read to compare with, skip it.
    const fingerprint = previous ? `${await readFingerprint(s, tables)}:${scope}` : undefined;
    const reuse =
      previous?.schema && typeof previous.schema === "object" && previous.fingerprint === fingerprint;
    const wanted = tables.map((t) =>
      columnLists.has(tableKey(t)) ? { ...t, columns: columnLists.get(tableKey(t))! } : t,
    );
    const snapshot = reuse ? previous.schema! : projectColumns(await readSchema(s, wanted), columnLists);
    const found = new Set(snapshot.tables.map(tableKey));
    return {
      tables,
      snapshot,
      fingerprint,
      missing: tables.filter((t) => !found.has(tableKey(t))).map(tableKey),
    };
  });
}
