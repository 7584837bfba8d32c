// leftover() decides whether an existing subscription of the same name is what an interrupted `up`
// left (taken over, so the next `up` converges) or someone else's (refused without `adopt`).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConnection } from "../../../src/pg/connection";
import { leftover } from "../../../src/subscription/reconcile";
import type { CatalogSubscription } from "../../../src/subscription/catalog";
import type { SubscriptionInputs } from "../../../src/subscription/types";

const inputs: SubscriptionInputs = {
  connection: "postgres://u:p@r/db",
  name: "sub",
  publisher: "postgres://repl:pw@h:5432/app",
  publications: ["pub"],
};
const existing: CatalogSubscription = {
  name: "sub",
  oid: 16400,
  owner: "u",
  enabled: true,
  conninfo: "host='h' port='5432' dbname='app' user='repl' password='pw'",
  slotName: "sub",
  publications: ["pub"],
  options: { binary: false, streaming: false, disableOnError: false },
  unfinishedCopy: false,
  createdUnfinished: false,
};

const cases: [string, Partial<CatalogSubscription>, Partial<SubscriptionInputs>, string, boolean][] = [
  ["the same subscription", {}, {}, "u", true],
  [
    "another password",
    { conninfo: "host='h' port='5432' dbname='app' user='repl' password='other'" },
    {},
    "u",
    false,
  ],
  ["other publications", { publications: ["pub", "x"] }, {}, "u", false],
  [
    "a snapshot copy killed before it pointed the subscription at the publications",
    { publications: ["sub_handover"], unfinishedCopy: true, enabled: false },
    {},
    "u",
    true,
  ],
  ["the handover publication without the mark", { publications: ["sub_handover"] }, {}, "u", false],
  ["another slot", { slotName: "other" }, {}, "u", false],
  ["an option the program does not want", { options: { binary: true } }, {}, "u", false],
  ["an option the program wants", { options: { binary: true } }, { binary: true }, "u", true],
  ["unreadable connection, owned by this role", { conninfo: null }, {}, "u", true],
  ["unreadable connection, owned by another role", { conninfo: null, owner: "them" }, {}, "u", false],
];

describe("taking over a subscription an interrupted run left", () => {
  for (const [what, catalog, given, user, takes] of cases)
    it(`${takes ? "takes over" : "refuses"}: ${what}`, () =>
      assert.equal(
        leftover(
          { ...existing, ...catalog },
          { ...inputs, ...given },
          parseConnection(inputs.publisher),
          user,
          170000,
        ),
        takes,
      ));
});
