// Running a plan on the target. Pre-data and "all" run in one transaction, under an advisory lock
// so that SchemaSyncs into one target (Pulumi runs them at once) see each other's types and schemas;
// the plan is made inside the lock, from what the target holds then. Post-data runs after the
// copy, on parallel connections: indexes and the constraints that build one, then foreign keys
// NOT VALID one after the other, then their validation.

import { operationError } from "../kernel/errors";
import * as log from "../kernel/log";
import { endpoint, type ConnectionInfo } from "../pg/connection";
import { withSession } from "../pg/session";
import { planSchema, type PlanOptions, type PlanStep, type SchemaPlan } from "./plan";
import { projectSection, type Section } from "./section";
import type { SchemaSnapshot } from "./snapshot";
import * as sql from "./sql";
import { readTarget } from "./target";

export interface ApplyOptions {
  label: string;
  section: Section;
  allowDestructive: boolean;
  applied?: Record<string, number>;
  indexJobs: number;
  maintenanceWorkMem: string;
}

/** Plans and applies; returns the plan that ran. Nothing is applied when it is refused. */
export async function applyPlan(
  target: ConnectionInfo,
  snapshot: SchemaSnapshot,
  o: ApplyOptions,
): Promise<SchemaPlan> {
  const desired = projectSection(snapshot, o.section);
  const plan = await withSession(target, (s) =>
    s
      .transaction(async () => {
        await s.query(sql.LOCK_SCHEMA);
        const { actual, extensions } = await readTarget(s, desired);
        const opts: PlanOptions = {
          allowDestructive: o.allowDestructive,
          target: extensions,
          section: o.section,
          ...(o.applied ? { applied: o.applied } : {}),
        };
        const plan = planSchema(desired, actual, opts);
        refuse(plan, o, endpoint(target));
        const serial = o.section === "post-data" ? plan.steps.filter((st) => !st.parallel) : plan.steps;
        if (plan.steps.length > 0)
          log.info(
            `${o.label}: applying ${plan.steps.length} statement(s)${o.section === "post-data" ? "" : " in one transaction"}: ${plan.summary.slice(0, 20).join("; ")}${plan.summary.length > 20 ? "; …" : ""}`,
          );
        await s.execBatch(serial.map((st) => st.sql));
        return plan;
      })
      .catch((e) => {
        if ((e as { refused?: boolean }).refused) throw e;
        throw operationError(o.label, "schema copy (rolled back, nothing applied)", e);
      }),
  );
  if (o.section === "post-data") await runPostData(target, plan.steps, o);
  return plan;
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
        `${o.label}: ${plan.awaiting.join(", ")} do(es) not exist on the target yet: the pre-data SchemaSync (section "pre-data") creates them; make this one depend on it (through the Subscription, as LogicalReplication does).`,
      ),
      { refused: true },
    );
  if (plan.destructive.length > 0 && !o.allowDestructive)
    throw Object.assign(
      new Error(
        `${o.label}: refusing destructive changes on ${where}: ${plan.destructive.join("; ")}. Set \`allowDestructive: true\` to apply them, or change the source back.`,
      ),
      { refused: true },
    );
}

/** Runs `steps` on `jobs` connections at once, each step once, failing with the first error. */
async function parallel(target: ConnectionInfo, steps: PlanStep[], o: ApplyOptions): Promise<void> {
  const queue = [...steps];
  const worker = () =>
    withSession(target, async (s) => {
      await s.exec(sql.setMaintenanceWorkMem(o.maintenanceWorkMem));
      if (o.indexJobs > 1) await s.exec(sql.SERIAL_INDEX_BUILDS);
      for (let step = queue.shift(); step; step = queue.shift())
        await s.exec(step.sql).catch((e) => {
          throw operationError(o.label, step!.what, e);
        });
    });
  await Promise.all(Array.from({ length: Math.min(o.indexJobs, queue.length) }, worker));
}

async function runPostData(target: ConnectionInfo, steps: PlanStep[], o: ApplyOptions): Promise<void> {
  const t0 = Date.now();
  await parallel(
    target,
    steps.filter((st) => st.parallel === "index"),
    o,
  );
  const fks = steps.filter((st) => st.parallel === "fk");
  if (fks.length > 0)
    await withSession(target, (s) =>
      s
        .transaction(() => s.execBatch(fks.map((st) => st.sql)))
        .catch((e) => {
          throw operationError(o.label, "ADD FOREIGN KEY … NOT VALID", e);
        }),
    );
  await parallel(
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
