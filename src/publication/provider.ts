// The Publication's six handlers, loaded by the provider host (see kernel/provider.ts).

import { failureText, validate, type CheckFailure } from "../kernel/check";
import { alreadyExists, operationError } from "../kernel/errors";
import { dropComputed, fieldChanges, inputsOf, schemaOf } from "../kernel/fields";
import { withBoundedReads, withStoredForm, type Provider } from "../kernel/provider";
import * as log from "../kernel/log";
import { sameSet, sameValue } from "../kernel/values";
import type { Binding } from "../pg/binding";
import { endpoint, parseConnection, type ConnectionInfo } from "../pg/connection";
import { failedToConnect, withSession } from "../pg/session";
import { definition, writePublication } from "./apply";
import { readPublication, type CatalogPublication } from "./catalog";
import { observe, serverFailures } from "./observe";
import * as sql from "./sql";
import { inputsFromCatalog, stateAfterWrite, stateOf } from "./state";
import { canonicalTables } from "./tables";
import { adoptionChanges, definitionMismatch } from "./verify";
import { PUBLICATION_FIELDS, upgradeState, storeState } from "./fields";
import { label, type PublicationInputs, type PublicationState } from "./types";

/**
 * What makes it another publication (a replacement): its name, FOR ALL TABLES, or another server.
 * A server is its system identifier and database (recorded by check), so another spelling of the
 * same connection — host name or address, user, password, TLS — is changed in place; state from
 * 0.1.0, which has no identifier, falls back to host:port/database (`at`: the new connection,
 * resolved; check's previous inputs have no endpoint, only their connection, parsed only then).
 */
function replacements(
  olds: Partial<PublicationState>,
  news: PublicationInputs,
  at: ConnectionInfo,
): string[] {
  if (olds.name === undefined) return [];
  const { replaces } = fieldChanges(PUBLICATION_FIELDS, olds, news);
  const sameServer =
    olds.serverId !== undefined && news.serverId !== undefined
      ? olds.serverId === news.serverId
      : (olds.endpoint ?? endpoint(parseConnection(olds.connection!))) === endpoint(at);
  return sameServer ? replaces : [...replaces, "connection"];
}

/** Whether what a subscription given this publication sees changed (dropped or re-created, other tables). */
function bindingChanged(olds?: Binding, news?: Binding): boolean {
  // State from 0.1.0 has no binding to compare with.
  if (!olds || !news) return false;
  // Whether it publishes TRUNCATE is `publish`'s change (state before 0.3 has no such mark).
  const { truncate: _o, ...before } = olds;
  const { truncate: _n, ...after } = news;
  return !sameValue(before, after);
}

/**
 * A publication of this name exists where this one is to be created: without `adopt`, a failure
 * at preview — unless it is exactly the declared one (what an interrupted `up` left), which create
 * then takes over. Not one another stack declares (its comment says which): two stacks of one
 * program on one primary would otherwise share it, and one stack's change or destroy would change
 * or drop it under the other's subscribers.
 */
function nameTaken(inputs: PublicationInputs, existing: CatalogPublication): CheckFailure[] {
  if (inputs.adopt) return [];
  const def = definition(inputs);
  const same =
    definitionMismatch(existing, def).length === 0 &&
    sameSet(existing.publish, def.publish) &&
    existing.publishViaPartitionRoot === def.publishViaPartitionRoot;
  const elsewhere =
    existing.declaredBy !== undefined &&
    inputs.declaredBy !== undefined &&
    existing.declaredBy !== inputs.declaredBy;
  if (same && !elsewhere) return [];
  if (elsewhere)
    return [
      {
        property: "name",
        reason: `publication ${JSON.stringify(inputs.name)} already exists on the publisher, declared by stack ${JSON.stringify(existing.declaredBy)} (this is ${JSON.stringify(inputs.declaredBy)}): two stacks sharing one publication change or drop it under each other's subscribers. Give this one a name of its own (\`publicationName\` on LogicalReplication, and \`subscriptionName\` for its slot), or set \`adopt: true\` to take it over if that stack no longer uses it.`,
      },
    ];
  return [
    {
      property: "name",
      reason: `publication ${JSON.stringify(inputs.name)} already exists on the publisher with another definition: set \`adopt: true\` to take it over (the preview then shows what changes on it), or choose another name.`,
    },
  ];
}

const handlers: Provider<PublicationInputs, PublicationState> = {
  async check(olds, news) {
    const { value, failures, unknown } = validate(schemaOf(PUBLICATION_FIELDS), news);
    if (!value) return { inputs: news, failures };
    const inputs = value as unknown as PublicationInputs;
    dropComputed(PUBLICATION_FIELDS, inputs);
    const structural: CheckFailure[] = [];
    if (inputs.allTables && (inputs.tables?.length || inputs.schemas?.length))
      structural.push({
        property: "allTables",
        reason: "Only one of `allTables` or `tables`/`schemas` can be provided.",
      });
    if (!unknown.has("tables") && inputs.tables) {
      const canonical = canonicalTables(inputs.tables);
      inputs.tables = canonical.tables;
      structural.push(...canonical.failures);
    }
    const checked = inputs as unknown as Record<string, unknown>;
    if (structural.length > 0 || unknown.size > 0) return { inputs: checked, failures: structural };
    const previous = olds as unknown as PublicationState;
    try {
      const at = parseConnection(inputs.connection);
      const seen = await withSession(at, (s) =>
        // The oid is known (and kept) only when the publication exists and this change keeps it.
        observe(s, inputs, (identified) => replacements(previous, identified, at).length === 0, previous),
      );
      if (seen.serverId) inputs.serverId = seen.serverId;
      inputs.binding = seen.binding;
      const creating = previous.name !== inputs.name;
      const taken = seen.existing && creating ? nameTaken(inputs, seen.existing) : [];
      if (seen.existing && creating && inputs.adopt) {
        inputs.adoption = adoptionChanges(seen.existing, definition(inputs), inputs.owner);
        log.info(
          `${label(inputs.name)}: adopting the existing publication changes ${inputs.adoption.join("; ")}.`,
        );
      }
      return { inputs: checked, failures: [...taken, ...seen.failures] };
    } catch (e) {
      const message = (e as Error).message;
      return {
        inputs: checked,
        failures: [
          {
            property: "connection",
            reason: failedToConnect(e)
              ? `${message}. Check the host, port, credentials and that the server accepts connections from here.`
              : message,
          },
        ],
      };
    }
  },

  async diff(_id, olds, news) {
    const replaces = replacements(olds, news, parseConnection(news.connection));
    const changes =
      replaces.length > 0 ||
      fieldChanges(PUBLICATION_FIELDS, olds, news).updates.length > 0 ||
      (news.owner !== undefined && news.owner !== olds.actualOwner) ||
      // Dropped or re-created outside Pulumi (the oid), or covering other tables (a table added to a
      // published schema, a partition created): subscriptions given this publication must see it.
      bindingChanged(olds.binding, news.binding);
    // The same name cannot exist twice on a server, and subscribers must never see two
    // publications feeding one slot: the old one always goes first.
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs) {
    const info = parseConnection(inputs.connection);
    const outs = await withSession(info, async (s) => {
      const existing = await readPublication(s, inputs.name);
      if (existing && nameTaken(inputs, existing).length > 0)
        throw alreadyExists(label(inputs.name), endpoint(info));
      // The preview's preflight may be stale by now (or skipped on unknowns): run it again.
      const problems = await serverFailures(s, inputs, existing);
      if (problems.length > 0) throw new Error(`${label(inputs.name)}: ${failureText(problems)}`);
      await writePublication(s, inputs, existing);
      return stateAfterWrite(s, inputs, info);
    });
    return { id: inputs.name, outs };
  },

  async read(id, props) {
    const at = parseConnection(props.connection);
    return withSession(at, async (s) => {
      const current = await readPublication(s, props.name);
      if (!current) return {};
      const outs = await stateOf(s, inputsFromCatalog(current, props), current, at);
      return { id, props: outs, inputs: inputsOf<PublicationInputs>(PUBLICATION_FIELDS, outs) };
    });
  },

  async update(_id, _olds, news) {
    const at = parseConnection(news.connection);
    const outs = await withSession(at, async (s) => {
      // Dropped outside Pulumi (the preview showed it): create it again.
      await writePublication(s, news, await readPublication(s, news.name));
      return stateAfterWrite(s, news, at);
    });
    return { outs };
  },

  async delete(_id, props) {
    await withSession(parseConnection(props.connection), (s) =>
      s.exec(sql.dropPublication(props.name)),
    ).catch((e) => {
      throw operationError(label(props.name), "DROP PUBLICATION", e);
    });
  },
};

/** What the host calls: the handlers, their reads bounded (kernel/provider.ts), state in its stored form (fields.ts). */
export const provider = withStoredForm(withBoundedReads(handlers), {
  store: storeState,
  load: upgradeState,
});
