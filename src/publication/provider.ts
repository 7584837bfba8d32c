// The Publication's six handlers, loaded by the provider host (see kernel/provider.ts).

import { failureText, validate, type CheckFailure } from "../kernel/check";
import { alreadyExists, operationError } from "../kernel/errors";
import type { Provider } from "../kernel/provider";
import { clean, sameSet } from "../kernel/values";
import { versionFailures } from "../kernel/versions";
import { endpoint, parseConnection, sameConnection } from "../pg/connection";
import { withSession, type Session } from "../pg/session";
import { readSettings } from "../pg/settings";
import { members, readMemberships } from "../pg/published";
import { readRoleFacts, readServerId } from "../pg/roles";
import { coveredTables, readTableFacts } from "../pg/tableFacts";
import {
  canonicalTableRef,
  parseTableRef,
  sameTableSets,
  tableKey,
  type TableRef,
  type TableSpec,
} from "../pg/tables";
import { readPublication, type CatalogPublication } from "./catalog";
import { rowFilterProblem } from "./filter";
import { coveredTableFailures, privilegeFailures, publisherFailures, tableFailures } from "./preflight";
import * as sql from "./sql";
import { definitionMismatch } from "./verify";
import {
  PUBLISH_OPERATIONS,
  publicationSchema,
  type PublicationInputs,
  type PublicationState,
  type PublishOperation,
} from "./types";

const ALL_OPERATIONS: PublishOperation[] = [...PUBLISH_OPERATIONS];

/** Options → the PostgreSQL major version that introduced them. */
const VERSION_GATES: Record<string, number> = {
  schemas: 15,
  columns: 15,
  where: 15,
  publishGeneratedColumns: 18,
};

function specs(inputs: PublicationInputs): TableSpec[] {
  return (inputs.tables ?? []).map(parseTableRef);
}

function definition(inputs: PublicationInputs): sql.PublicationDefinition {
  return {
    name: inputs.name,
    tables: specs(inputs),
    allTables: inputs.allTables ?? false,
    schemas: inputs.schemas ?? [],
    publish: inputs.publish ?? ALL_OPERATIONS,
    publishViaPartitionRoot: inputs.publishViaPartitionRoot ?? false,
    ...(inputs.publishGeneratedColumns !== undefined
      ? { publishGeneratedColumns: inputs.publishGeneratedColumns }
      : {}),
  };
}

function label(name: string): string {
  return `Publication ${JSON.stringify(name)}`;
}

/** The checks that need the server: settings, versions, tables and replica identity. */
async function serverFailures(
  s: Session,
  inputs: PublicationInputs,
  existing: CatalogPublication | undefined,
): Promise<CheckFailure[]> {
  const settings = await readSettings(s);
  const tables = specs(inputs);
  const failures = publisherFailures("connection", settings);
  const present = (o: string) =>
    o === "columns" || o === "where"
      ? tables.some((t) => t[o] !== undefined)
      : inputs[o as keyof PublicationInputs] !== undefined;
  const gates = Object.entries(VERSION_GATES)
    .filter(([o]) => present(o))
    .map(([property, since]) => ({ property, since }));
  failures.push(...versionFailures(s.serverVersion, gates, "publisher"));
  const publish = inputs.publish ?? ALL_OPERATIONS;
  const updatesOrDeletes = publish.includes("update") || publish.includes("delete");
  const covered = await coveredTables(s, { schemas: inputs.schemas, all: inputs.allTables });
  const facts = await readTableFacts(s, [...tables, ...covered]);
  failures.push(...tableFailures("tables", tables, facts, updatesOrDeletes));
  const coveredKeys = new Set(covered.map(tableKey));
  failures.push(
    ...coveredTableFailures(
      inputs.allTables ? "allTables" : "schemas",
      facts.filter((f) => coveredKeys.has(tableKey(f))),
      updatesOrDeletes,
    ),
  );
  failures.push(...privilegeFailures(await readRoleFacts(s), inputs, tables, facts, existing));
  return failures;
}

/** Exact refresh: keep what the user wrote wherever the catalog still says the same thing. */
function inputsFromCatalog(state: CatalogPublication, olds: PublicationState): PublicationInputs {
  const oldSpecs = new Map(specs(olds).map((t) => [tableKey(t), t]));
  const tables = state.tables.map((t) => {
    const old = oldSpecs.get(tableKey(t));
    const spec: TableSpec = { schema: t.schema, name: t.name };
    if (t.columns) spec.columns = old?.columns && sameSet(old.columns, t.columns) ? old.columns : t.columns;
    if (t.where !== undefined)
      spec.where =
        old?.where !== undefined && olds.appliedFilters?.[tableKey(t)] === t.where ? old.where : t.where;
    return canonicalTableRef(spec);
  });
  // The program's order where the catalog (which lists tables by name) says the same.
  const order = new Map(specs(olds).map((t, i) => [tableKey(t), i]));
  tables.sort(
    (a, b) => (order.get(tableKey(parseTableRef(a))) ?? 1e9) - (order.get(tableKey(parseTableRef(b))) ?? 1e9),
  );
  const inputs: PublicationInputs = { connection: olds.connection, name: state.name };
  if (state.allTables || olds.allTables !== undefined) inputs.allTables = state.allTables;
  if (!state.allTables && (tables.length > 0 || olds.tables !== undefined)) inputs.tables = tables;
  if (state.schemas.length > 0 || olds.schemas !== undefined) inputs.schemas = state.schemas;
  if (olds.publish !== undefined || !sameSet(state.publish, ALL_OPERATIONS))
    inputs.publish = olds.publish && sameSet(olds.publish, state.publish) ? olds.publish : state.publish;
  if (olds.publishViaPartitionRoot !== undefined || state.publishViaPartitionRoot)
    inputs.publishViaPartitionRoot = state.publishViaPartitionRoot;
  if (olds.publishGeneratedColumns !== undefined || state.publishGeneratedColumns === "stored")
    inputs.publishGeneratedColumns = state.publishGeneratedColumns ?? "none";
  if (olds.owner !== undefined) inputs.owner = state.owner;
  if (olds.adopt !== undefined) inputs.adopt = olds.adopt;
  return inputs;
}

async function outputs(s: Session, inputs: PublicationInputs): Promise<PublicationState> {
  const state = await readPublication(s, inputs.name);
  if (!state) throw new Error(`${label(inputs.name)} vanished right after it was written.`);
  return stateOf(s, inputs, state);
}

/** The state from the inputs and what the catalog says now (the binding with the current oid). */
async function stateOf(
  s: Session,
  inputs: PublicationInputs,
  current: CatalogPublication,
): Promise<PublicationState> {
  const appliedFilters: Record<string, string> = {};
  for (const t of current.tables) if (t.where !== undefined) appliedFilters[tableKey(t)] = t.where;
  const serverId = inputs.serverId ?? (await readServerId(s));
  return clean({
    ...inputs,
    ...(serverId ? { serverId } : {}),
    binding: await currentBinding(s, inputs, current.oid),
    endpoint: endpoint(parseConnection(inputs.connection)),
    actualOwner: current.owner,
    appliedFilters,
    serverVersion: s.serverVersion,
  });
}

/**
 * Runs `statements` in one transaction and, before it commits, reads the publication back: it must
 * publish exactly what is declared, or everything is rolled back (see verify.ts).
 */
async function applyVerified(
  s: Session,
  inputs: PublicationInputs,
  verb: string,
  statements: () => Promise<void>,
): Promise<void> {
  const def = definition(inputs);
  await s
    .transaction(async () => {
      await statements();
      const applied = await readPublication(s, inputs.name);
      const problems = applied
        ? definitionMismatch(applied, {
            allTables: def.allTables ?? false,
            tables: def.tables ?? [],
            schemas: def.schemas ?? [],
          })
        : ["it does not exist"];
      if (problems.length > 0)
        throw Object.assign(
          new Error(
            `the publication as applied differs from its declaration (${problems.join("; ")}); nothing was changed. Check the row filters in \`tables\`: each must be one expression about its own table`,
          ),
          { refused: true },
        );
    })
    .catch((e) => {
      if ((e as { refused?: boolean }).refused)
        throw new Error(`${label(inputs.name)}: ${(e as Error).message}.`);
      throw operationError(label(inputs.name), verb, e);
    });
}

/** Brings an existing publication to the wanted definition, in the caller's transaction. */
async function reconcile(s: Session, current: CatalogPublication, inputs: PublicationInputs): Promise<void> {
  const def = definition(inputs);
  if (!def.allTables) {
    const tables = def.tables ?? [];
    const schemas = def.schemas ?? [];
    if (!sameTableSets(current.tables, tables) || !sameSet(current.schemas, schemas)) {
      if (tables.length > 0 || schemas.length > 0)
        await s.exec(sql.alterPublicationSetObjects(def.name, tables, schemas));
      else if (current.tables.length > 0 || current.schemas.length > 0)
        await s.exec(sql.alterPublicationDropObjects(def.name, current.tables, current.schemas));
    }
  }
  const optionsDiffer =
    !sameSet(current.publish, def.publish) ||
    current.publishViaPartitionRoot !== def.publishViaPartitionRoot ||
    (def.publishGeneratedColumns !== undefined &&
      (current.publishGeneratedColumns ?? "none") !== def.publishGeneratedColumns);
  if (optionsDiffer) await s.exec(sql.alterPublicationOptions(def));
  if (inputs.owner !== undefined && inputs.owner !== current.owner)
    await s.exec(sql.alterPublicationOwner(def.name, inputs.owner));
}

/**
 * What makes it another publication (a replacement): its name, FOR ALL TABLES, or another server.
 * A server is its system identifier and database (recorded by check), so another spelling of the
 * same connection — host name or address, user, password, TLS — is changed in place; state from
 * before the identifier was recorded falls back to host:port/database.
 */
function identityChanges(olds: Partial<PublicationState>, news: PublicationInputs): string[] {
  if (olds.name === undefined) return [];
  const replaces: string[] = [];
  if (olds.name !== news.name) replaces.push("name");
  const sameServer =
    olds.serverId !== undefined && news.serverId !== undefined
      ? olds.serverId === news.serverId
      : (olds.endpoint ?? endpoint(parseConnection(olds.connection!))) ===
        endpoint(parseConnection(news.connection));
  if (!sameServer) replaces.push("connection");
  if ((olds.allTables ?? false) !== (news.allTables ?? false)) replaces.push("allTables");
  return replaces;
}

/** The binding of a publication as it is on the server now. */
async function currentBinding(s: Session, inputs: PublicationInputs, oid: number) {
  const tables = await publishedTableKeys(s, inputs);
  return { name: inputs.name, oid, tables, members: members(await readMemberships(s, oid), tables, false) };
}

/** "schema.name" of every table the publication will name or cover, sorted. */
async function publishedTableKeys(s: Session, inputs: PublicationInputs): Promise<string[]> {
  const covered = await coveredTables(s, { schemas: inputs.schemas, all: inputs.allTables });
  return [...new Set([...specs(inputs), ...covered].map(tableKey))].sort();
}

export const provider: Provider<PublicationInputs, PublicationState> = {
  async check(olds, news) {
    const { value: inputs, failures, unknown } = validate(publicationSchema(), news);
    if (!inputs) return { inputs: news, failures };
    const structural: CheckFailure[] = [];
    if (inputs.allTables && (inputs.tables?.length || inputs.schemas?.length))
      structural.push({
        property: "allTables",
        reason: "Only one of `allTables` or `tables`/`schemas` can be provided.",
      });
    if (!unknown.has("tables") && inputs.tables) {
      const canonical: TableRef[] = [];
      inputs.tables.forEach((t, i) => {
        try {
          const spec = parseTableRef(t);
          const problem = spec.where !== undefined ? rowFilterProblem(spec.where) : undefined;
          if (problem)
            structural.push({
              property: `tables[${i}].where`,
              reason: `the row filter of ${JSON.stringify(tableKey(spec))} must be one SQL expression about its table, but ${problem}.`,
            });
          canonical.push(canonicalTableRef(spec));
        } catch (e) {
          structural.push({ property: `tables[${i}]`, reason: (e as Error).message });
        }
      });
      inputs.tables = canonical;
    }
    delete inputs.serverId;
    delete inputs.binding;
    if (structural.length > 0 || unknown.size > 0) return { inputs, failures: structural };
    const info = parseConnection(inputs.connection);
    const serverSide = await withSession(info, async (s) => {
      const existing = await readPublication(s, inputs.name);
      const serverId = await readServerId(s);
      if (serverId) inputs.serverId = serverId;
      // The oid is known (and kept) only when the publication exists and this change keeps it.
      const kept = existing && identityChanges(olds as Partial<PublicationState>, inputs).length === 0;
      const tables = await publishedTableKeys(s, inputs);
      inputs.binding = {
        name: inputs.name,
        tables,
        // Tables the publication carries now and keeps carrying; the others are (re-)added by this update.
        ...(kept
          ? { oid: existing.oid, members: members(await readMemberships(s, existing.oid), tables, false) }
          : {}),
      };
      return serverFailures(s, inputs, existing);
    }).catch((e: Error) => [
      {
        property: "connection",
        reason: /^could not connect/.test(e.message)
          ? `${e.message}. Check the host, port, credentials and that the server accepts connections from here.`
          : e.message,
      },
    ]);
    return { inputs, failures: serverSide };
  },

  async diff(_id, olds, news) {
    const replaces = identityChanges(olds, news);
    const a = definition(olds);
    const b = definition(news);
    const changed =
      replaces.length > 0 ||
      !sameTableSets(a.tables ?? [], b.tables ?? []) ||
      !sameSet(a.schemas, b.schemas) ||
      !sameSet(a.publish, b.publish) ||
      a.publishViaPartitionRoot !== b.publishViaPartitionRoot ||
      (a.publishGeneratedColumns ?? "none") !== (b.publishGeneratedColumns ?? "none") ||
      (news.owner !== undefined && news.owner !== olds.actualOwner) ||
      !sameConnection(parseConnection(olds.connection), parseConnection(news.connection)) ||
      // Dropped or re-created outside Pulumi (the oid), or covering other tables (a table added to a
      // published schema): subscriptions given this publication must see it.
      // (State written before bindings existed has none to compare with.)
      (news.binding !== undefined &&
        olds.binding !== undefined &&
        (news.binding.oid !== olds.binding.oid ||
          !sameSet(news.binding.tables, olds.binding.tables) ||
          JSON.stringify(Object.entries(news.binding.members ?? {}).sort()) !==
            JSON.stringify(Object.entries(olds.binding.members ?? {}).sort())));
    // The same name cannot exist twice on a server, and subscribers must never see two
    // publications feeding one slot: the old one always goes first.
    return { changes: changed, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs) {
    const info = parseConnection(inputs.connection);
    const outs = await withSession(info, async (s) => {
      const existing = await readPublication(s, inputs.name);
      if (existing && !inputs.adopt) throw alreadyExists(label(inputs.name), endpoint(info));
      // The preview's preflight may be stale by now (or skipped on unknowns): run it again.
      const problems = await serverFailures(s, inputs, existing);
      if (problems.length > 0) throw new Error(`${label(inputs.name)}: ${failureText(problems)}`);
      await applyVerified(s, inputs, existing ? "ALTER PUBLICATION" : "CREATE PUBLICATION", async () => {
        if (existing) await reconcile(s, existing, inputs);
        else {
          await s.exec(sql.createPublication(definition(inputs)));
          if (inputs.owner !== undefined) await s.exec(sql.alterPublicationOwner(inputs.name, inputs.owner));
        }
      });
      return outputs(s, inputs);
    });
    return { id: inputs.name, outs };
  },

  async read(id, props) {
    const info = parseConnection(props.connection);
    return withSession(info, async (s) => {
      const state = await readPublication(s, props.name);
      if (!state) return {};
      const outs = await stateOf(s, clean(inputsFromCatalog(state, props)), state);
      const { endpoint: _e, actualOwner: _o, appliedFilters: _f, serverVersion: _v, ...inputs } = outs;
      return { id, props: outs, inputs };
    });
  },

  async update(_id, _olds, news) {
    const info = parseConnection(news.connection);
    const outs = await withSession(info, async (s) => {
      const current = await readPublication(s, news.name);
      // Dropped outside Pulumi (the preview showed it): create it again.
      await applyVerified(s, news, current ? "ALTER PUBLICATION" : "CREATE PUBLICATION", async () => {
        if (current) await reconcile(s, current, news);
        else {
          await s.exec(sql.createPublication(definition(news)));
          if (news.owner !== undefined) await s.exec(sql.alterPublicationOwner(news.name, news.owner));
        }
      });
      return outputs(s, news);
    });
    return { outs };
  },

  async delete(_id, props) {
    const info = parseConnection(props.connection);
    await withSession(info, (s) => s.exec(sql.dropPublication(props.name))).catch((e) => {
      throw operationError(label(props.name), "DROP PUBLICATION", e);
    });
  },
};
