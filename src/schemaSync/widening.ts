// Column type changes that keep every value: applied in place on the replica; any other type change
// is destructive (refused unless allowDestructive). Pure.

const WIDENINGS: Record<string, string[]> = {
  smallint: ["integer", "bigint", "numeric", "real", "double precision"],
  integer: ["bigint", "numeric", "double precision"],
  bigint: ["numeric"],
  real: ["double precision"],
  "character varying": ["text"],
  text: [],
};

/** True when `to` holds every value of `from` (int → bigint, varchar(10) → varchar(20) or text, …). */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true;
  const param = /^(character varying|character|numeric|bit varying)\((\d+)(?:,(\d+))?\)$/;
  const a = param.exec(from);
  const b = param.exec(to);
  if (a && b && a[1] === b[1]) {
    if (a[1] === "numeric")
      return (
        Number(b[2]) - Number(b[3] ?? 0) >= Number(a[2]) - Number(a[3] ?? 0) &&
        Number(b[3] ?? 0) >= Number(a[3] ?? 0)
      );
    return Number(b[2]) >= Number(a[2]);
  }
  if (
    a &&
    (to === a[1] ||
      (a[1] === "character varying" && to === "text") ||
      (a[1] === "numeric" && to === "numeric"))
  )
    return true;
  if (a && a[1] === "character" && (to === "text" || to === "character varying")) return true;
  return WIDENINGS[from]?.includes(to) ?? false;
}
