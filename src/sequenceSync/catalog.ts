// SequenceSync's reads: which sequences the given tables' columns own (serial and identity), and
// each sequence's definition and current state, two queries per server whatever their number.

import type { Session } from "../pg/session";
import type { TableSpec } from "../pg/tables";
import * as sql from "./sql";

export interface SequenceName {
  schema: string;
  name: string;
}

/** The sequences owned by columns of the tables (serial: dependency 'a', identity: 'i'). */
export async function ownedSequences(s: Session, tables: readonly TableSpec[]): Promise<SequenceName[]> {
  return s.query<SequenceName>(
    `SELECT DISTINCT sn.nspname AS schema, sc.relname AS name
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
       JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid
            AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
       JOIN pg_catalog.pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
       JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
      ORDER BY 1, 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
}

export interface SequenceState extends SequenceName {
  /** The last value handed out (or set); with isCalled false, the value nextval returns next. */
  lastValue: string | null;
  isCalled: boolean;
  start: string;
  increment: string;
  min: string;
  max: string;
  cycle: boolean;
  type: string;
  /** This role may read it (SELECT) and may setval it (UPDATE). */
  readable: boolean;
  writable: boolean;
}

/** Each named sequence that exists, with its definition and, when this role may read it, its state. */
export async function readSequences(s: Session, names: readonly SequenceName[]): Promise<SequenceState[]> {
  const found = await s.query<SequenceState>(
    `SELECT n.nspname AS schema, c.relname AS name, NULL::text AS "lastValue", false AS "isCalled",
            q.seqstart::text AS start, q.seqincrement::text AS increment, q.seqmin::text AS min,
            q.seqmax::text AS max, q.seqcycle AS cycle, pg_catalog.format_type(q.seqtypid, NULL) AS type,
            pg_catalog.has_sequence_privilege(c.oid, 'SELECT') AS readable,
            pg_catalog.has_sequence_privilege(c.oid, 'UPDATE') AS writable
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind = 'S'
       JOIN pg_catalog.pg_sequence q ON q.seqrelid = c.oid`,
    [names.map((n) => n.schema), names.map((n) => n.name)],
  );
  const readable = found.filter((q) => q.readable);
  if (readable.length > 0)
    for (const row of await s.query<{ i: number; lastValue: string; isCalled: boolean }>(
      sql.readValuesQuery(readable),
    )) {
      readable[row.i]!.lastValue = row.lastValue;
      readable[row.i]!.isCalled = row.isCalled;
    }
  return found;
}
