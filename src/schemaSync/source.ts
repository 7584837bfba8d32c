// Reading the source: resolving the table list (listed, or what a publication publishes) and
// reading their definitions, in one session. A fingerprint of the catalog rows behind them (cheap)
// lets a read be reused: within one provider host process (one `pulumi preview` or `up`) the
// definitions check read are reused by create and update — which apply what the preview planned
// from without reading the source again — so the state need not keep them.

import { createHash } from "node:crypto";
import { canonicalJson } from "../kernel/values";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { existingPublications, readPublishedGenerated, readPublishedTables } from "../pg/published";
import { withSession } from "../pg/session";
import { parseTableRef, tableId, type TableName, type TableSpec } from "../pg/tables";
import { readFingerprint, readSchema } from "./catalog";
import { kept } from "./kept";
import { plainPublished, projectColumns } from "./section";
import { definitionOf, EMPTY_SNAPSHOT, type SchemaSnapshot, type TableDefinition } from "./snapshot";
import type { SchemaSyncInputs } from "./types";

export interface SourceRead {
  /** The tables asked for; undefined when the publication does not exist (yet). */
  tables?: TableSpec[];
  /** Their definitions with partition trees, types and extensions (column lists applied). */
  snapshot: SchemaSnapshot;
  /** Listed tables the source does not have. */
  missing: TableName[];
  /** Fingerprint of the catalog rows read, with the table list and column lists. */
  fingerprint?: string;
}

/** A read as kept: the tables asked for, their definitions, its fingerprint. */
type KeptRead = Required<Pick<SourceRead, "tables" | "snapshot" | "fingerprint">>;

/** Recent reads by endpoint and fingerprint (kept.ts). */
const reads = kept<KeptRead>("source-snapshots");

function withMissing(read: KeptRead): SourceRead {
  const found = new Set(read.snapshot.tables.map(tableId));
  return { ...read, missing: read.tables.filter((t) => !found.has(tableId(t))) };
}

/**
 * The read a check of this process made whose fingerprint was `fingerprint` (the check's
 * `sourceFingerprint`), if it is still kept: create and update apply the definitions the preview
 * planned from instead of reading the source again (a change made on the source since then is
 * the next check's to see: its fingerprint differs from the one the state records).
 */
export function readByCheck(info: ConnectionInfo, fingerprint: string | undefined): SourceRead | undefined {
  const read =
    fingerprint === undefined ? undefined : reads.get(JSON.stringify([endpoint(info), fingerprint]));
  return read && withMissing(read);
}

/**
 * Reads the source (`info`: the resolved `inputs.source`). With `unless`, a fingerprint equal to it
 * means "unchanged": the definitions are not read (snapshot left empty, `unchanged` set).
 */
export async function readSource(
  info: ConnectionInfo,
  inputs: Pick<SchemaSyncInputs, "tables" | "publication" | "publishGeneratedColumns">,
  unless?: string,
): Promise<SourceRead & { unchanged?: boolean }> {
  return withSession(info, async (s) => {
    let tables: TableSpec[];
    // Tables published with a column list get only those columns on the replica.
    const columnLists = new Map<string, string[]>();
    // Stored generated columns whose values are published (by tableId): plain on the replica.
    const generated = new Map<string, string[]>();
    // Only PG18 publishes a generated column's values; before, the replica computes its own.
    const pg18 = s.serverVersion >= 180000;
    const allStored = pg18 && inputs.tables !== undefined && inputs.publishGeneratedColumns === "stored";
    if (inputs.tables) {
      const specs = inputs.tables.map(parseTableRef);
      for (const t of specs) if (t.columns) columnLists.set(tableId(t), t.columns);
      tables = specs.map(({ schema, name }) => ({ schema, name }));
    } else {
      const exists = await existingPublications(s, [inputs.publication!]);
      if (exists.length === 0) return { snapshot: EMPTY_SNAPSHOT, missing: [] };
      const published = await readPublishedTables(s, [inputs.publication!], true);
      for (const t of published) if (t.columns) columnLists.set(tableId(t), t.columns);
      for (const c of await readPublishedGenerated(s, [inputs.publication!]))
        generated.set(tableId(c), [...(generated.get(tableId(c)) ?? []), c.column]);
      tables = published.map(({ schema, name }) => ({ schema, name }));
    }
    const scope = createHash("md5")
      .update(JSON.stringify([tables, [...columnLists], [...generated], allStored]))
      .digest("hex");
    const fingerprint = `${await readFingerprint(s, tables)}:${scope}`;
    if (unless !== undefined && fingerprint === unless)
      return { tables, snapshot: EMPTY_SNAPSHOT, fingerprint, missing: [], unchanged: true };
    const key = JSON.stringify([endpoint(info), fingerprint]);
    let read = reads.get(key);
    if (!read) {
      const wanted = tables.map((t) =>
        columnLists.has(tableId(t)) ? { ...t, columns: columnLists.get(tableId(t))! } : t,
      );
      const snapshot = projectColumns(await readSchema(s, wanted), columnLists);
      read = {
        tables,
        snapshot: plainPublished(snapshot, {
          generated,
          columnLists: pg18 ? columnLists : new Map(),
          allStored,
        }),
        fingerprint,
      };
      reads.set(key, read);
    }
    return withMissing(read);
  });
}

/** "<hash>:<highest column number>" of a table's definition, as state keeps it (~30 bytes a table). */
export function tableSignature(t: TableDefinition): string {
  const { columns, uses: _u, sequences, ...rest } = t;
  const definition = {
    ...rest,
    columns: columns.map(definitionOf),
    sequences: sequences.map(({ options: _o, ...q }) => q),
  };
  const hash = createHash("md5").update(canonicalJson(definition)).digest("hex").slice(0, 12);
  return `${hash}:${Math.max(0, ...columns.map((c) => c.attnum ?? 0))}`;
}
