// Running a plan on the target. Pre-data and "all" run in one transaction, under an advisory lock
// so that SchemaSyncs into one target (Pulumi runs them at once) see each other's types and schemas;
// the plan is made inside the lock, from what the target holds then. Post-data runs after the
// copy, on parallel connections: indexes and the constraints that build one, then foreign keys
// NOT VALID one after the other, then their validation.

import { operationError } from "../kernel/errors";
import * as log from "../kernel/log";
import { clean } from "../kernel/values";
import { endpoint, type ConnectionInfo, type Resolved } from "../pg/connection";
import { withLockTries } from "../pg/lock";
import { newRequestId } from "../pg/recopy";
import { warm, withSession, type Session } from "../pg/session";
import { canonicalTableRef, tableId, tableKey, type TableName } from "../pg/tables";
import { appliedColumns, signatures, signedTables, targetFingerprint } from "./observe";
import { lastChanges, planSchema, summary, type PlanOptions, type PlanStep, type SchemaPlan } from "./plan";
import { readHeapBytes } from "./catalog";
import { projectSection, type Section } from "./section";
import type { SchemaSnapshot } from "./snapshot";
import { readByCheck, readSource } from "./source";
import { readPlanContext } from "./target";
import { label, type SchemaSyncInputs, type SchemaSyncState } from "./types";
import { ownColumnsOf, settingsOf } from "./fields";

export interface ApplyOptions {
  label: string;
  section: Section;
  allowDestructive: boolean;
  applied?: ReadonlyMap<string, number>;
  /** The replica's own columns by tableId (replicaOwnColumns): kept. */
  own?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The tables the last apply copied (renamed ones are found among them). */
  before?: readonly TableName[];
  indexJobs: number;
  maintenanceWorkMem: string;
  /** How long a statement of the transaction waits for a lock before the try is rolled back. */
  lockTimeoutSeconds: number;
  /** The source: its rows tell a type change that rewrote values (retyped.ts), its slots whose subscriptions feed from it (feeders.ts). */
  source?: ConnectionInfo;
}

/** Plans and applies; returns the plan that ran. Nothing is applied when it is refused. */
export async function applyPlan(
  target: ConnectionInfo,
  snapshot: SchemaSnapshot,
  o: ApplyOptions,
): Promise<SchemaPlan> {
  const desired = projectSection(snapshot, o.section);
  // The index builds' connections (and this one's) are made while the plan is read and its serial
  // part applied.
  if (o.section === "post-data" && o.indexJobs > 1) warm(target, o.indexJobs + 1);
  return withSession(target, async (s) => {
    // After this package's own lock (serialize): only a table lock another session holds times out.
    const bound = {
      label: o.label,
      seconds: o.lockTimeoutSeconds,
      where: "target",
      tables: desired.tables,
      serialize: "schema copy" as const,
    };
    const plan = await withLockTries(s, bound, async () => {
      const { actual, opts: read } = await readPlanContext(
        s,
        { ...(o.source ? { source: o.source } : {}), target },
        desired,
        o.section,
        o.before ?? [],
      );
      const opts: PlanOptions = {
        ...read,
        allowDestructive: o.allowDestructive,
        ...(o.applied ? { applied: o.applied } : {}),
        ...(o.own ? { own: o.own } : {}),
      };
      const plan = planSchema(desired, actual, opts);
      refuse(plan, o, endpoint(target));
      const serial = o.section === "post-data" ? plan.steps.filter((st) => !st.parallel) : plan.steps;
      if (plan.steps.length > 0)
        log.info(
          `${o.label}: applying ${plan.steps.length} statement(s)${o.section === "post-data" ? "" : " in one transaction"}: ${summary(plan).slice(0, 20).join("; ")}${summary(plan).length > 20 ? "; …" : ""}`,
        );
      await s.execBatch(serial.map((st) => st.sql));
      return plan;
    }).catch((e) => {
      if ((e as { refused?: boolean }).refused) throw e;
      throw operationError(
        o.label,
        "schema copy (rolled back, nothing applied)",
        e,
        (e as { fix?: string }).fix,
      );
    });
    // The builds run on connections of their own; this one (its catalogs warm from the read above)
    // reads the sizes they are scheduled by, and is the first the pool hands out after them.
    if (o.section === "post-data") await runPostData(s, target, plan.steps, o);
    return plan;
  });
}

/** Blockers and (unless allowed) destructive differences stop the apply with one error naming them. */
export function refuse(
  plan: SchemaPlan,
  o: { label: string; allowDestructive: boolean; preview?: boolean },
  where: string,
): void {
  if (plan.blockers.length > 0)
    throw Object.assign(new Error(`${o.label}: ${plan.blockers.join("; ")}.`), { refused: true });
  if (plan.awaiting.length > 0 && !o.preview)
    throw Object.assign(
      new Error(
        `${o.label}: ${plan.awaiting.map(tableKey).join(", ")} do(es) not exist on the target yet: the pre-data SchemaSync (section "pre-data") creates them; make this one depend on it (through the Subscription, as LogicalReplication does).`,
      ),
      { refused: true },
    );
  if (plan.destructive.length > 0 && !o.allowDestructive)
    throw Object.assign(
      new Error(
        `${o.label}: refusing destructive changes on ${where}: ${plan.destructive.join("; ")}. Set \`allowDestructive: true\` to apply them, or change the source back.${plan.destructive.some((d) => d.startsWith("drop column ")) ? " A column the replica has of its own, not from the source, is kept once named in `replicaOwnColumns` (by table)." : ""}`,
      ),
      { refused: true },
    );
}

/** A table this small is built over in milliseconds: several of its statements share a round trip. */
export const SMALL_TABLE_BYTES = 1 << 20;
/**
 * At most this many statements on small tables in one round trip (as many as the snapshot copy
 * copies small tables in one): with the program far from the server, each round trip costs its
 * distance, and 2 000 builds ten at a time on 4 connections were 50 of them in a row.
 */
const BATCH = 50;

/**
 * The order `jobs` connections take `steps` in: those on the biggest tables first, one at a time
 * (the longest builds start first and end together), then those on small tables (`bytes`, by
 * tableId, at most SMALL_TABLE_BYTES) up to BATCH to a round trip, in as few rounds of one batch a
 * connection as that allows, the batches of a size (so the connections end together, and none is
 * left without work). A step on a table of unknown size counts as big.
 */
export function scheduleSteps(
  steps: readonly PlanStep[],
  bytes: ReadonlyMap<string, number>,
  jobs: number,
): PlanStep[][] {
  const size = (st: PlanStep) => (st.table ? (bytes.get(tableId(st.table)) ?? Infinity) : Infinity);
  const big = steps
    .filter((st) => size(st) > SMALL_TABLE_BYTES)
    .sort((a, b) => (size(a) === size(b) ? 0 : size(a) < size(b) ? 1 : -1));
  const small = steps.filter((st) => size(st) <= SMALL_TABLE_BYTES);
  const connections = Math.max(1, jobs);
  const rounds = Math.max(1, Math.ceil(small.length / (connections * BATCH)));
  const per = Math.max(1, Math.ceil(small.length / (connections * rounds)));
  const batches: PlanStep[][] = big.map((st) => [st]);
  for (let at = 0; at < small.length; at += per) batches.push(small.slice(at, at + per));
  return batches;
}

/** Runs `steps` on `jobs` connections at once, each step once, failing with the first error. */
async function parallel(
  main: Session,
  target: ConnectionInfo,
  steps: PlanStep[],
  o: ApplyOptions,
): Promise<void> {
  if (steps.length === 0) return;
  const tables = [
    ...new Map(steps.flatMap((st) => (st.table ? [[tableId(st.table), st.table]] : []))).values(),
  ];
  const queue = scheduleSteps(steps, await readHeapBytes(main, tables), o.indexJobs);
  const run = (s: Session, step: PlanStep) =>
    s.exec(step.sql).catch((e) => {
      throw operationError(o.label, step.what, e);
    });
  const worker = () =>
    withSession(target, async (s) => {
      // Session settings, reset before the connection is used again (see Session.set).
      // With several jobs, each build on its own, without parallel maintenance workers: the jobs
      // are the parallelism, and workers on top of them only compete for the same cores.
      await s.set([
        ["maintenance_work_mem", o.maintenanceWorkMem],
        ...(o.indexJobs > 1 ? [["max_parallel_maintenance_workers", "0"] as const] : []),
      ]);
      for (let batch = queue.shift(); batch; batch = queue.shift()) {
        if (batch.length === 1) {
          await run(s, batch[0]!);
          continue;
        }
        // One implicit transaction: on an error nothing of it stays, and its statements run again
        // one at a time, so that the error names its statement.
        const steps = batch;
        await s.execBatch(steps.map((st) => st.sql)).catch(async () => {
          for (const st of steps) await run(s, st);
        });
      }
    });
  await Promise.all(Array.from({ length: Math.min(o.indexJobs, queue.length) }, worker));
}

async function runPostData(
  main: Session,
  target: ConnectionInfo,
  steps: PlanStep[],
  o: ApplyOptions,
): Promise<void> {
  const t0 = Date.now();
  await parallel(
    main,
    target,
    steps.filter((st) => st.parallel === "index"),
    o,
  );
  const fks = steps.filter((st) => st.parallel === "fk");
  if (fks.length > 0)
    await main
      .transaction(() => main.execBatch(fks.map((st) => st.sql)))
      .catch((e) => {
        throw operationError(o.label, "ADD FOREIGN KEY … NOT VALID", e);
      });
  await parallel(
    main,
    target,
    steps.filter((st) => st.parallel === "validate"),
    o,
  );
  const built = steps.filter((st) => st.parallel).length;
  if (built > 0)
    log.info(
      `${o.label}: built ${built} index(es) and constraint(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s on ${o.indexJobs} connections.`,
    );
}

/** Reads the source, applies the plan, and returns the state. `previous`: the state before (update). */
export async function applySchemaSync(
  inputs: SchemaSyncInputs,
  ends: Resolved<"source" | "target">,
  previous?: SchemaSyncState,
): Promise<SchemaSyncState> {
  const settings = settingsOf(inputs);
  const section = settings.section;
  const source =
    readByCheck(ends.source, inputs.sourceFingerprint) ?? (await readSource(ends.source, inputs));
  const where = endpoint(ends.source);
  if (!source.tables)
    throw new Error(
      `${label(inputs)}: publication ${JSON.stringify(inputs.publication)} does not exist on ${where}.`,
    );
  if (source.missing.length > 0)
    throw new Error(
      `${label(inputs)}: table(s) ${source.missing.map(tableKey).join(", ")} do not exist on the source ${where}; fix \`tables\`.`,
    );
  const target = ends.target;
  const applied = appliedColumns(previous?.sourceTables);
  const plan = await applyPlan(target, source.snapshot, {
    label: label(inputs),
    section,
    allowDestructive: settings.allowDestructive,
    ...(applied ? { applied } : {}),
    own: ownColumnsOf(inputs),
    ...(previous?.sourceTables ? { before: signedTables(previous.sourceTables) } : {}),
    indexJobs: settings.indexJobs,
    maintenanceWorkMem: settings.maintenanceWorkMem,
    lockTimeoutSeconds: settings.lockTimeoutSeconds,
    source: ends.source,
  });
  const { pending: _p, ...kept } = inputs;
  return clean({
    ...kept,
    // What this apply could not restore, once: a Subscription depending on this records the ids it
    // served. (Always a list, so that previews keeping this state show a known value.)
    recopyRequests: plan.recopy.map((r) => ({ ...r, id: newRequestId() })),
    sourceTables: signatures(projectSection(source.snapshot, section)),
    sourceFingerprint: source.fingerprint,
    targetFingerprint: await targetFingerprint(target, source.snapshot.tables),
    syncedTables: source.snapshot.tables.map(({ schema, name }) => canonicalTableRef({ schema, name })),
    targetEndpoint: endpoint(target),
    lastChanges: lastChanges(plan),
  });
}
