// Connection poolers recognised by their host names: a subscription's publisher cannot be one.

import type { ConnectionInfo, HostPort } from "./connection";

/**
 * The connection pooler a connection points at, when its host says so: poolers speak the protocol
 * of ordinary sessions only, so a subscription's publisher cannot be one (replication connections
 * go to the database server itself). Recognised: Supabase's Supavisor, Neon's pooled endpoints,
 * Amazon RDS Proxy.
 */
export function pooler(info: ConnectionInfo): string | undefined {
  for (const h of info.hosts ?? [info]) {
    const found = poolerAt(h);
    if (found) return found;
  }
  return undefined;
}

function poolerAt(info: HostPort): string | undefined {
  const host = info.host.toLowerCase();
  if (host.endsWith(".pooler.supabase.com"))
    return `Supabase's pooler (Supavisor${info.port === 6543 ? ", transaction mode" : ""}); use the direct connection (db.<project>.supabase.co:5432)`;
  if (/^[^.]+-pooler\./.test(host) && host.endsWith(".neon.tech"))
    return "Neon's pooled endpoint (PgBouncer); use the endpoint without -pooler";
  if (/\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com$/.test(host))
    return "an RDS Proxy; use the instance's or the cluster's own endpoint";
  return undefined;
}
