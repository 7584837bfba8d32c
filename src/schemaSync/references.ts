// Reading a foreign key's definition as pg_get_constraintdef printed it (names qualified and
// quoted by the server): which table it references. Pure.

import type { TableName } from "../pg/tables";

const PART = `(?:"(?:[^"]|"")*"|[^".(\\s]+)`;
const REFERENCES = new RegExp(`REFERENCES (${PART})\\.(${PART})`);

const unquote = (p: string) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p);

/** The table a FOREIGN KEY definition references (names with dots and quotes included). */
export function referencedTable(definition: string): TableName | undefined {
  const ref = REFERENCES.exec(definition);
  return ref ? { schema: unquote(ref[1]!), name: unquote(ref[2]!) } : undefined;
}
