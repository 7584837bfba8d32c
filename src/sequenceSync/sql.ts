// SequenceSync's statements: reading sequences' current state (a sequence is read as a relation:
// pg_sequences hides last_value when is_called is false) and setval, with the sequence as a
// regclass parameter. Names reach SQL text only quoted.

import { qualified } from "../pg/quote";

export const SETVAL = "SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)";

/** The regclass text of a sequence, quoted (hostile names resolve to exactly that sequence). */
export function sequenceRegclass(schema: string, name: string): string {
  return qualified(schema, name);
}

/** One query reading last_value and is_called of each sequence; row `i` is sequences[i]. */
export function readValuesQuery(sequences: readonly { schema: string; name: string }[]): string {
  return sequences
    .map(
      (q, i) =>
        `SELECT ${i}::int AS i, last_value::text AS "lastValue", is_called AS "isCalled" FROM ${qualified(q.schema, q.name)}`,
    )
    .join("\nUNION ALL\n");
}
