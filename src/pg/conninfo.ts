// libpq connection-string quoting (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING).

/** One `key='value'` pair of a libpq connection string (backslash and quote escaped). */
export function conninfoPair(key: string, value: string | number): string {
  const v = String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  return `${key}='${v}'`;
}
