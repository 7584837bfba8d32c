// A resource's fields, declared once: each argument and computed input with its validation, its
// default, what a change to it does and how it is compared. The zod schema, the list of computed
// inputs check recomputes, the inputs refresh hands back and the diff are derived from the table.
// The types are plain TypeScript interfaces (what users read); the table is checked against them.

import { z } from "zod";
import { sameValue } from "./values";

export type Change = "update" | "replace" | "none";

export interface FieldSpec<T> {
  /**
   * "arg": given by the program; "computed": set by check, never by a program (check drops what
   * the engine hands back and computes it again); "wired": set by the Resource class from another
   * resource (not an argument, kept as given).
   */
  kind: "arg" | "computed" | "wired";
  /** Validation (a factory: module-level zod schemas break provider serialization). */
  schema: () => z.ZodType<T>;
  /**
   * What leaving it out means, for comparison and use: a value, or one that depends on the
   * server's version (server_version_num).
   */
  default?: NonNullable<T> | ((serverVersion: number) => NonNullable<T>);
  /**
   * What a change after create does: "update" (in place; args by default), "replace" (another
   * object), or "none" (no change of its own: compared elsewhere, or only used at create); a
   * function of server_version_num where that differs between versions.
   */
  change?: Change | ((serverVersion: number) => Change);
  /** The value compared (a list taken as a set, a connection by meaning); the value itself by default. */
  compare?: (v: NonNullable<T>) => unknown;
  /**
   * The version that introduced it, for a field older state may lack (0.1.0 had no computed
   * fields): compared only when both sides have it.
   */
  since?: string;
  /** The PostgreSQL major version that introduced it: set on an older server, refused at check. */
  server?: number;
}

/** The table for fields `F`: one spec per field, no more, no less. */
export type FieldTable<F> = { [K in keyof F]-?: FieldSpec<F[K]> };

/** Any field's spec, as the helpers below read it. */
interface AnyField {
  kind: "arg" | "computed" | "wired";
  schema: () => z.ZodType;
  default?: unknown;
  change?: Change | ((serverVersion: number) => Change);
  compare?: (v: never) => unknown;
  since?: string;
  server?: number;
}
type Fields = Readonly<Record<string, AnyField>>;

/** The version gates of the fields `inputs` sets (see versionFailures). */
export function serverGates(table: Fields, inputs: object): { property: string; since: number }[] {
  const given = inputs as Record<string, unknown>;
  return Object.entries(table)
    .filter(([k, f]) => f.server !== undefined && given[k] !== undefined)
    .map(([property, f]) => ({ property, since: f.server! }));
}

const schemas = new WeakMap<Fields, z.ZodObject<z.ZodRawShape>>();

/**
 * The fields as one zod object (unknown keys refused by validate()), built once per process: a
 * zod object takes longer to build than to use.
 */
export function schemaOf(table: Fields): z.ZodObject<z.ZodRawShape> {
  let schema = schemas.get(table);
  if (!schema) {
    schema = z.object(Object.fromEntries(Object.entries(table).map(([k, f]) => [k, f.schema()])));
    schemas.set(table, schema);
  }
  return schema;
}

export function argKeys(table: Fields): string[] {
  return Object.keys(table).filter((k) => table[k]!.kind === "arg");
}

export function computedKeys(table: Fields): string[] {
  return Object.keys(table).filter((k) => table[k]!.kind === "computed");
}

/** The inputs part of a state: its fields, without the outputs (what refresh hands back as inputs). */
export function inputsOf<I>(table: Fields, state: object): I {
  const s = state as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(table)
      .filter((k) => k in s)
      .map((k) => [k, s[k]]),
  ) as I;
}

/** Removes the computed fields from checked inputs (check computes them again). */
export function dropComputed(table: Fields, inputs: object): void {
  for (const k of computedKeys(table)) delete (inputs as Record<string, unknown>)[k];
}

/** A field's value, or its default when left out (undefined when it has none). */
export function valueOf(table: Fields, key: string, v: unknown, serverVersion = 0): unknown {
  if (v !== undefined) return v;
  const d = table[key]!.default;
  return typeof d === "function" ? (d as (n: number) => unknown)(serverVersion) : d;
}

/** The value compared for a field: its default applied, then its `compare`. */
export function comparable(table: Fields, key: string, v: unknown, serverVersion = 0): unknown {
  const value = valueOf(table, key, v, serverVersion);
  const f = table[key]!;
  return value !== undefined && value !== null && f.compare
    ? (f.compare as (v: unknown) => unknown)(value)
    : (value ?? null);
}

/**
 * The fields whose change is "update" or "replace" and whose values differ by meaning between the
 * state and the new inputs (defaults applied), split by what the change does.
 */
export function fieldChanges(
  table: Fields,
  oldValues: object,
  newValues: object,
  serverVersion = 0,
  only: (key: string) => boolean = () => true,
): { updates: string[]; replaces: string[] } {
  const olds = oldValues as Record<string, unknown>;
  const news = newValues as Record<string, unknown>;
  const updates: string[] = [];
  const replaces: string[] = [];
  for (const [k, f] of Object.entries(table)) {
    const change =
      typeof f.change === "function"
        ? f.change(serverVersion)
        : (f.change ?? (f.kind === "arg" ? "update" : "none"));
    if (change === "none" || !only(k)) continue;
    if (f.since !== undefined && (olds[k] === undefined || news[k] === undefined)) continue;
    if (
      !sameValue(comparable(table, k, olds[k], serverVersion), comparable(table, k, news[k], serverVersion))
    )
      (change === "replace" ? replaces : updates).push(k);
  }
  return { updates, replaces };
}

/** `{ key: undefined }` for each name: the outputs a Resource class registers (Pulumi then tracks them). */
export function unset<K extends string>(keys: readonly K[]): Record<K, undefined> {
  return Object.fromEntries(keys.map((k) => [k, undefined])) as Record<K, undefined>;
}
