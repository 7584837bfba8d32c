// Connections kept open between the provider calls of one host process. `pulumi preview` and
// `up` call check, diff, create, read… many times against the same servers; reusing a connection
// saves the connect and a cold backend's catalog look-ups on every call. Kept on globalThis (never
// in a module variable), so nothing of it can end up in a serialized provider closure; idle sockets
// are unref'd and closed after 10 s, so they never keep a process alive.
//
// Not pg.Pool: a pool makes each client from one configuration (`new Client(config).connect()`),
// while a connection here is made as libpq makes it — several attempts (sslmode's TLS/plaintext
// order after a probe, each host of a list in turn, target_session_attrs checked after login, the
// channel-binding check; session.ts) — and a reused one is proven alive first and reset (RESET ALL)
// when it changed a setting. A pool would need that connect behind a custom Client class and the
// checks around it: the same code behind another interface.

import type { Client } from "pg";

interface Idle {
  client: Client;
  version: number;
  /** The limits the session's settings were last set for (session.ts); "reset": a call changed settings, reset before the next. */
  limits: string;
  timer: NodeJS.Timeout;
  /** When it was kept (Date.now()). */
  since: number;
}

const KEY = Symbol.for("pulumi-pg-replication.idle-clients");
const IDLE_MS = 10_000;

function pool(): Map<string, Idle[]> {
  const g = globalThis as unknown as Record<symbol, Map<string, Idle[]> | undefined>;
  return (g[KEY] ??= new Map());
}

/** A connection kept for less than this, its socket still open, is handed out without a probe. */
const FRESH_MS = 1_000;

type Socket = { ref(): void; unref(): void; destroyed?: boolean };

/** pg keeps its socket on a private field; without it, no reuse. */
function socket(client: Client): Socket | undefined {
  const stream = (client as unknown as { connection?: { stream?: Partial<Socket> } }).connection?.stream;
  return stream?.ref && stream.unref ? (stream as Socket) : undefined;
}

/**
 * An idle connection for `key` that still answers (a server restart kills them), or undefined.
 * One kept a moment ago (one call of a `pulumi up` right after another) whose socket the server
 * has not closed is handed out as is; an older one answers a probe first.
 */
export async function checkout(
  key: string,
): Promise<{ client: Client; version: number; limits: string } | undefined> {
  const list = pool().get(key);
  while (list && list.length > 0) {
    const idle = list.pop()!;
    clearTimeout(idle.timer);
    const s = socket(idle.client);
    s?.ref();
    const { client, version, limits } = idle;
    if (s && !s.destroyed && Date.now() - idle.since < FRESH_MS) return { client, version, limits };
    try {
      await idle.client.query("SELECT 1");
      return { client, version, limits };
    } catch {
      await idle.client.end().catch(() => undefined);
    }
  }
  return undefined;
}

/** Keeps a healthy connection for the next call; false when it cannot be kept (then close it). */
export function checkin(key: string, client: Client, version: number, limits: string): boolean {
  const s = socket(client);
  if (!s) return false;
  // Never one inside a transaction (pg 8.21 and later tell; with older ones, the callers' rule).
  const status = (client as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  if (status && status !== "I") return false;
  s.unref();
  const list = pool().get(key) ?? [];
  const timer = setTimeout(() => {
    const i = list.findIndex((x) => x.client === client);
    if (i >= 0) list.splice(i, 1);
    client.end().catch(() => undefined);
  }, IDLE_MS);
  timer.unref();
  list.push({ client, version, limits, timer, since: Date.now() });
  pool().set(key, list);
  return true;
}

/** How many connections are kept idle for `key`. */
export function kept(key: string): number {
  return pool().get(key)?.length ?? 0;
}
