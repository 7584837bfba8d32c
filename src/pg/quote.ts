// Identifier and literal quoting: the only way a name or a value reaches SQL text. DDL cannot take
// `$n` parameters, so each resource's sql module builds its statements with these; catalog reads
// use parameters instead.

/** Quotes an identifier, always: `a"b` → `"a""b"`. */
export function ident(name: string): string {
  if (name.includes("\u0000")) throw new Error(`Identifier ${JSON.stringify(name)} contains a NUL byte.`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal; uses the E'' form when backslashes are present. */
export function literal(value: string): string {
  if (value.includes("\u0000")) throw new Error("String literal contains a NUL byte.");
  const doubled = value.replace(/'/g, "''");
  return value.includes("\\") ? `E'${doubled.replace(/\\/g, "\\\\")}'` : `'${doubled}'`;
}

/** `"schema"."name"`. */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** `"a", "b"`. */
export function identList(names: readonly string[]): string {
  return names.map(ident).join(", ");
}
