// Quantities as a person reads them in progress lines and messages: counts with separators, bytes
// in binary units, durations in seconds, minutes or hours.

/**
 * A whole number with comma separators ("1,234,567"), as toLocaleString("en-US") writes it — not
 * through it: its first call in a process loads ICU's number formatting (~14 ms), paid by every
 * provider host that reports a copy.
 */
export const number = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
export function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) ((n /= 1024), i++);
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
