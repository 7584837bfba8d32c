// The provider contract each resource implements, and the small object a Resource class hands to
// Pulumi. Pulumi serializes that object into the `__provider` input; the dynamic-provider host
// evaluates it later, in the program's directory, to run check/diff/create/read/update/delete.
//
// Its methods capture nothing but two strings, and load the implementation with `require` when
// first called. Whatever way the program got this package (a registry tarball, a `file:` link,
// npm/yarn/pnpm workspaces, an import by path), the serialized text is the same ~2 KB: Pulumi
// serializes local (linked) modules by value, so a closure that referred to our modules would
// carry their code, with relative requires that cannot resolve in the host.

import type * as pulumi from "@pulumi/pulumi";
import type { CheckFailure } from "./check";
import { readWaitSeconds, withReadWait } from "./lockWaits";

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

/**
 * What each resource's provider module exports as `provider`. `check` receives unvalidated
 * inputs (preview unknowns included) and returns what becomes the checked inputs; the other
 * methods receive checked inputs `I` and state `O`.
 */
export interface Provider<I, O> {
  check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult>;
  diff(id: string, olds: O, news: I): Promise<DiffResult>;
  create(inputs: I): Promise<{ id: string; outs: O }>;
  /** An empty result means the object is gone. */
  read(id: string, props: O): Promise<{ id?: string; props?: O; inputs?: I }>;
  update(id: string, olds: O, news: I): Promise<{ outs: O }>;
  delete(id: string, props: O): Promise<void>;
}

export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

/** The resource kinds, each a folder whose provider module exports `provider`. */
export type ResourceKind = "publication" | "schemaSync" | "subscription" | "sequenceSync";

const PACKAGE = "pulumi-pg-replication";

/**
 * The provider object for a Resource class. The implementation is found by package name from the
 * host's working directory (so an upgrade of the installed package takes effect), else at the
 * absolute path this package had when the program ran (a program importing the package by path).
 */
export function delegatingProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const byName = `${PACKAGE}/dist/${kind}/provider.js`;
  const byPath = `${require("path").resolve(__dirname, "..", "..")}/dist/${kind}/provider.js`;
  const load = (): Provider<unknown, unknown> => {
    const tried: string[] = [];
    for (const target of [byName, byPath]) {
      try {
        return require(target).provider;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        const missing = err.code === "MODULE_NOT_FOUND" && String(err.message).includes(`'${target}'`);
        if (!missing)
          throw new Error(
            `${PACKAGE}: loading the ${kind} provider from ${target} failed: ${err.message ?? String(e)}. This happened in the Pulumi provider host, before any database was contacted: reinstall the package (and its dependencies pg and zod) in the program's project.`,
          );
        tried.push(target);
      }
    }
    throw new Error(
      `${PACKAGE}: the Pulumi provider host could not find the ${kind} provider (tried ${tried.join(" and ")}). The host runs in the program's directory: install ${PACKAGE} in the program's project (npm install ${PACKAGE}, or a file:/workspace link), then run the command again. No database was contacted.`,
    );
  };
  return {
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read(id, props),
    update: (id, olds, news) => load().update(id, olds, news),
    delete: (id, props) => load().delete(id, props),
  };
}

/**
 * How a resource's state crosses the host: `store` makes the form it is kept in (compact: see
 * pg/tables.ts's StoredTableName), `load` reads that form, or any earlier version's, back (the
 * resource's upgradeState). Both leave unknown values and fields they do not know alone.
 */
export interface StoredForm<O> {
  store(value: Record<string, unknown>): Record<string, unknown>;
  load(value: O): O;
}

/**
 * `p` with every value it hands the host in the stored form (check's inputs, the state of create,
 * update and read, read's inputs), and every value the host hands it read back first (the olds of
 * check; the olds, news and state of the others). The program's own inputs (check's news) pass
 * untouched: check validates them.
 */
export function withStoredForm<I, O>(p: Provider<I, O>, form: StoredForm<O>): Provider<I, O> {
  const store = <T>(v: T): T => form.store(v as Record<string, unknown>) as T;
  // Checked inputs are read the same way as state (upgradeState touches only fields both share).
  const load = <T>(v: T): T => form.load(v as unknown as O) as unknown as T;
  return {
    async check(olds, news) {
      const r = await p.check(load(olds), news);
      return { ...r, inputs: store(r.inputs) };
    },
    diff: (id, olds, news) => p.diff(id, load(olds), load(news)),
    async create(inputs) {
      const r = await p.create(load(inputs));
      return { ...r, outs: store(r.outs) };
    },
    async read(id, props) {
      const r = await p.read(id, load(props));
      return {
        ...r,
        ...(r.props ? { props: store(r.props) } : {}),
        ...(r.inputs ? { inputs: store(r.inputs) } : {}),
      };
    },
    async update(id, olds, news) {
      const r = await p.update(id, load(olds), load(news));
      return { outs: store(r.outs) };
    },
    delete: (id, props) => p.delete(id, load(props)),
  };
}

/**
 * `p` with the reads of check, diff and read bounded (kernel/lockWaits.ts): a table lock another
 * session holds ends them after readWaitSeconds with an error naming it, instead of a preview
 * that waits without end. create, update and delete wait as their statements say (pg/lock.ts).
 */
export function withBoundedReads<I, O>(p: Provider<I, O>): Provider<I, O> {
  const of = (v: unknown) => readWaitSeconds(v as Record<string, unknown>);
  return {
    ...p,
    check: (olds, news) => withReadWait(of(news), () => p.check(olds, news)),
    diff: (id, olds, news) => withReadWait(of(news), () => p.diff(id, olds, news)),
    read: (id, props) => withReadWait(of(props), () => p.read(id, props)),
  };
}
