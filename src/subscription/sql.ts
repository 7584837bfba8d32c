// Every statement the Subscription sends; identifiers and literals go through quote.ts.

import { ident, identList, literal } from "../pg/quote";

/** A CREATE/ALTER SUBSCRIPTION option value, already in SQL-ready form. */
export type OptionValue = boolean | string | { none: true };

function optionValue(v: OptionValue): string {
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return literal(v);
  return "NONE";
}

function optionList(options: Record<string, OptionValue>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k} = ${optionValue(v)}`)
    .join(", ");
}

export function createSubscription(
  name: string,
  conninfo: string,
  publications: string[],
  options: Record<string, OptionValue>,
): string {
  const sql = `CREATE SUBSCRIPTION ${ident(name)} CONNECTION ${literal(conninfo)} PUBLICATION ${identList(publications)}`;
  const opts = optionList(options);
  return opts ? `${sql} WITH (${opts})` : sql;
}

export function alterSubscriptionConnection(name: string, conninfo: string): string {
  return `ALTER SUBSCRIPTION ${ident(name)} CONNECTION ${literal(conninfo)}`;
}

export function alterSubscriptionSetPublication(
  name: string,
  publications: string[],
  refresh: boolean,
): string {
  return `ALTER SUBSCRIPTION ${ident(name)} SET PUBLICATION ${identList(publications)} WITH (refresh = ${refresh})`;
}

export function alterSubscriptionRefresh(name: string): string {
  return `ALTER SUBSCRIPTION ${ident(name)} REFRESH PUBLICATION`;
}

export function alterSubscriptionOptions(name: string, options: Record<string, OptionValue>): string {
  return `ALTER SUBSCRIPTION ${ident(name)} SET (${optionList(options)})`;
}

export function alterSubscriptionEnabled(name: string, enabled: boolean): string {
  return `ALTER SUBSCRIPTION ${ident(name)} ${enabled ? "ENABLE" : "DISABLE"}`;
}

export function dropSubscription(name: string): string {
  return `DROP SUBSCRIPTION IF EXISTS ${ident(name)}`;
}

export function dropReplicationSlotQuery(): string {
  return "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active";
}
