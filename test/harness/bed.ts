// The test bed of a describe that runs programs through the provider host: a seeded pair of
// servers and an engine, started before its tests; after them the stack is destroyed (what the
// tests left is dropped, so nothing holds the servers) and everything stopped.

import { after, before } from "node:test";
import { Engine } from "./engine";
import type { Major, TestServer } from "./postgres";
import { seededPair } from "./seed";

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
  let b: Partial<Bed> = {};
  before(async () => {
    const [primary, replica] = await seededPair(publisher, subscriber, database, seed);
    b = { primary, replica, engine: await Engine.start() };
    use(b as Bed);
  });
  after(async () => {
    await b.engine?.destroy().catch(() => undefined);
    await b.engine?.stop();
    await Promise.all([b.primary?.stop(), b.replica?.stop()]);
  });
}
