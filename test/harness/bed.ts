// The test bed of a describe that runs programs through the provider host: a seeded pair of
// servers and an engine, started before its tests; after them the stack is destroyed (what the
// tests left is dropped, so nothing holds the servers) and everything stopped.

import { after, before } from "node:test";
import { Engine } from "./engine";
import type { Major, TestServer } from "./postgres";
import { cloudPair, seededPair } from "./seed";

export interface Bed {
  primary: TestServer;
  replica: TestServer;
  engine: Engine;
}

/** Registers the bed's before and after hooks in the describe this is called in; `use` receives it before the tests run. */
export function pairBed(
  publisher: Major,
  subscriber: Major,
  use: (b: Bed) => void,
  database?: string,
  seed?: string,
): void {
  bedOf(() => seededPair(publisher, subscriber, database, seed), use);
}

/**
 * The same with a managed cloud's roles (seed.ts cloudPair: the seed's tables made by the cloud
 * admin role), then `prepare` (more tables, the roles' settings) before the engine starts.
 */
export function cloudBed(
  major: Major,
  use: (b: Bed) => void,
  prepare: (primary: TestServer, replica: TestServer) => Promise<void> = async () => undefined,
): void {
  bedOf(async () => {
    const pair = await cloudPair(major, major);
    await prepare(...pair);
    return pair;
  }, use);
}

function bedOf(pair: () => Promise<[TestServer, TestServer]>, use: (b: Bed) => void): void {
  let b: Partial<Bed> = {};
  before(async () => {
    const [primary, replica] = await pair();
    b = { primary, replica, engine: await Engine.start() };
    use(b as Bed);
  });
  after(async () => {
    await b.engine?.destroy().catch(() => undefined);
    await b.engine?.stop();
    await Promise.all([b.primary?.stop(), b.replica?.stop()]);
  });
}
