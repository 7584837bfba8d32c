// Every CREATE/ALTER SUBSCRIPTION option, described once: its SQL name, the version that
// introduced it, how a change is applied, its server default, its schema and its catalog column.
// Validation, the CREATE and ALTER clauses, version gates, diff and refresh are all derived from
// this table (https://www.postgresql.org/docs/current/sql-createsubscription.html).

import { z } from "zod";
import type { Change, FieldSpec } from "../kernel/fields";
import type { VersionGate } from "../kernel/versions";
import type { OptionValue } from "./sql";
import type { OptionInputs } from "./types";

interface OptionSpec {
  /** The option's name in `WITH (…)` / `SET (…)`. */
  sql: string;
  /** The first PostgreSQL major version that has it. */
  since: number;
  /**
   * What a change after create does: `alter` — ALTER SUBSCRIPTION … SET, in place; `replace` — a
   * new subscription; `create` — nothing (the option only matters when the subscription is created).
   */
  change: "alter" | "replace" | "create";
  /** For `replace` options that became alterable later: the major version from which they are altered in place. */
  alterableFrom?: number;
  /** ALTER only while the subscription is disabled (it is disabled and re-enabled around the change). */
  whileDisabled?: boolean;
  /**
   * The server's value when the option is left out (what an unset argument is compared as); a
   * function of server_version_num where it changed between versions.
   */
  default?: boolean | string | ((serverVersion: number) => boolean | string);
  schema: () => z.ZodType;
  /** pg_subscription's column for the option (refresh reads it back), and its SQL type. */
  column?: [expression: string, type: "boolean" | "text"];
  /** The catalog's value in the argument's vocabulary. */
  read?: (raw: unknown) => unknown;
  /** The argument's value as SQL. */
  write?: (value: unknown) => OptionValue;
  /** A value newer than the option itself (streaming "parallel", PG16). */
  valueSince?: (value: unknown) => number | undefined;
}

/** Replication slot names: lower-case letters, digits and underscores (ERROR: replication slot name contains invalid character). */
export const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

export const OPTIONS = {
  /** Copy existing rows at create and when tables are added (default true). */
  copyData: { sql: "copy_data", since: 14, change: "create", schema: () => z.boolean() },
  /** Create the replication slot on the publisher (default true). */
  createSlot: { sql: "create_slot", since: 14, change: "create", schema: () => z.boolean() },
  /** Replication slot name (default: the subscription name). Changing it replaces. */
  slotName: {
    sql: "slot_name",
    since: 14,
    change: "replace",
    schema: () =>
      z
        .string()
        .regex(
          SLOT_NAME,
          "a replication slot name may only contain lower-case letters, digits and underscores (at most 63)",
        ),
  },
  /**
   * Binary transfer format (default false). "auto": true when both servers are the same major
   * version, 16 or later, and every replicated column has the same type on both sides with binary
   * I/O (see binary.ts); settled at check, or at apply when the replica's tables are not there yet.
   * Changed in place.
   */
  binary: {
    sql: "binary",
    since: 14,
    change: "alter",
    default: false,
    schema: () => z.union([z.boolean(), z.literal("auto")]),
    column: ["s.subbinary", "boolean"],
    write: (v) => {
      if (v === "auto") throw new Error('binary: "auto" must be settled before it is written as SQL.');
      return Boolean(v);
    },
  },
  /** Stream in-progress transactions: true, false, or "parallel" (PG16+). Changed in place. */
  streaming: {
    sql: "streaming",
    since: 14,
    change: "alter",
    // PostgreSQL 18 made parallel streaming the default.
    default: (v: number) => (v >= 180000 ? "parallel" : false),
    schema: () => z.union([z.boolean(), z.literal("parallel")]),
    column: ["s.substream::text", "text"],
    // PG14–15 store substream as a boolean ('true'/'false' as text); PG16+ as a char: f, t, p.
    read: (raw) => (raw === "p" ? "parallel" : raw === "t" || raw === "true"),
    write: (v) => (v === "parallel" ? "parallel" : Boolean(v)),
    valueSince: (v) => (v === "parallel" ? 16 : undefined),
  },
  /** synchronous_commit for the apply workers (default "off"). Changed in place. */
  synchronousCommit: {
    sql: "synchronous_commit",
    since: 14,
    change: "alter",
    default: "off",
    schema: () => z.enum(["on", "off", "local", "remote_write", "remote_apply"]),
    column: ["s.subsynccommit", "text"],
  },
  /** Two-phase commit (PG15+). Changed in place from PG18 (disabled around the change); replaces before. */
  twoPhase: {
    sql: "two_phase",
    since: 15,
    change: "replace",
    alterableFrom: 18,
    whileDisabled: true,
    default: false,
    schema: () => z.boolean(),
    column: ["s.subtwophasestate <> 'd'", "boolean"],
  },
  /** Disable the subscription on apply errors (PG15+). Changed in place. */
  disableOnError: {
    sql: "disable_on_error",
    since: 15,
    change: "alter",
    default: false,
    schema: () => z.boolean(),
    column: ["s.subdisableonerr", "boolean"],
  },
  /** "any" or "none": only changes without origin (PG16+). Changed in place. */
  origin: {
    sql: "origin",
    since: 16,
    change: "alter",
    default: "any",
    schema: () => z.enum(["any", "none"]),
    column: ["s.suborigin", "text"],
  },
  /** Apply as the table owner (PG16+). Changed in place. */
  runAsOwner: {
    sql: "run_as_owner",
    since: 16,
    change: "alter",
    default: false,
    schema: () => z.boolean(),
    column: ["s.subrunasowner", "boolean"],
  },
  /** Require a password for non-superuser owners (PG16+). Changed in place. */
  passwordRequired: {
    sql: "password_required",
    since: 16,
    change: "alter",
    default: true,
    schema: () => z.boolean(),
    column: ["s.subpasswordrequired", "boolean"],
  },
  /** Synchronise the slot to standbys for failover (PG17+). Changed in place (disabled around the change). */
  failover: {
    sql: "failover",
    since: 17,
    change: "alter",
    whileDisabled: true,
    default: false,
    schema: () => z.boolean(),
    column: ["s.subfailover", "boolean"],
  },
} as const satisfies { [K in keyof OptionInputs]-?: OptionSpec };

export type OptionKey = keyof OptionInputs;
const KEYS = Object.keys(OPTIONS) as OptionKey[];
const spec = (key: OptionKey): OptionSpec => OPTIONS[key];

/** What changing an option does on a server of a version: see OptionSpec.change. */
function changeOf(key: OptionKey): Change | ((serverVersion: number) => Change) {
  const s = spec(key);
  if (s.change === "alter") return "update";
  if (s.change === "create") return "none";
  const from = s.alterableFrom;
  return from === undefined ? "replace" : (v) => (v >= from * 10000 ? "update" : "replace");
}

/** The options as fields of the Subscription's table (see kernel/fields.ts). */
export function optionFields(): { [K in OptionKey]-?: FieldSpec<OptionInputs[K]> } {
  return Object.fromEntries(
    KEYS.map((k) => {
      const s = spec(k);
      return [
        k,
        {
          kind: "arg",
          schema: () => s.schema().optional(),
          change: changeOf(k),
          ...(s.default !== undefined ? { default: s.default } : {}),
        },
      ];
    }),
  ) as unknown as { [K in OptionKey]-?: FieldSpec<OptionInputs[K]> };
}

function sqlValue(key: OptionKey, v: unknown): OptionValue {
  const s = spec(key);
  return s.write ? s.write(v) : (v as OptionValue);
}

/** `WITH (…)` of CREATE SUBSCRIPTION: every option that is set. */
export function createOptions(inputs: OptionInputs & { enabled?: boolean }): Record<string, OptionValue> {
  const opts: Record<string, OptionValue> = {};
  if (inputs.enabled !== undefined) opts["enabled"] = inputs.enabled;
  for (const key of KEYS) if (inputs[key] !== undefined) opts[spec(key).sql] = sqlValue(key, inputs[key]);
  return opts;
}

/** The first major version each set option (or value) needs. */
export function versionGates(inputs: OptionInputs): VersionGate[] {
  const gates: VersionGate[] = [];
  for (const key of KEYS) {
    const v = inputs[key];
    if (v === undefined) continue;
    const s = spec(key);
    gates.push({ property: key, since: s.since });
    const valueSince = s.valueSince?.(v);
    if (valueSince !== undefined)
      gates.push({ property: key, since: valueSince, what: `\`${key}: ${JSON.stringify(v)}\`` });
  }
  return gates;
}

/** Options whose change replaces the subscription on a server of this version. */
export function replacingOptions(serverVersion: number): OptionKey[] {
  return KEYS.filter((k) => {
    const s = spec(k);
    return (
      s.change === "replace" && !(s.alterableFrom !== undefined && serverVersion >= s.alterableFrom * 10000)
    );
  });
}

/** Options changed in place on a server of this version. */
export function alterableOptions(serverVersion: number): OptionKey[] {
  return KEYS.filter((k) => {
    const s = spec(k);
    return (
      s.change === "alter" ||
      (s.change === "replace" && s.alterableFrom !== undefined && serverVersion >= s.alterableFrom * 10000)
    );
  });
}

/** Options the catalog holds, each `expression AS "key"` (NULL of its type before its version). */
export function catalogColumns(serverVersion: number): string[] {
  return KEYS.filter((k) => spec(k).column).map((k) => {
    const s = spec(k);
    const [expr, type] = s.column!;
    return serverVersion >= s.since * 10000 ? `${expr} AS "${k}"` : `NULL::${type} AS "${k}"`;
  });
}

/** The catalog row's options in the arguments' vocabulary (absent where the server lacks them). */
export function optionsFromCatalog(row: Record<string, unknown>): OptionInputs {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const s = spec(key);
    if (!s.column || row[key] === null || row[key] === undefined) continue;
    out[key] = s.read ? s.read(row[key]) : row[key];
  }
  return out as OptionInputs;
}

/** A value, or the server's default for it when it is left out (on a server of this version). */
export function effective(key: OptionKey, v: unknown, serverVersion: number): unknown {
  if (v !== undefined) return v;
  const d = spec(key).default;
  return (typeof d === "function" ? d(serverVersion) : d) ?? null;
}

/**
 * `SET (…)` for the alterable options whose wanted value differs from the catalog's — an option the
 * program leaves out is wanted at PostgreSQL's default, so one removed from the program goes back
 * to it — and whether the subscription must be disabled meanwhile. Options the server's catalog
 * does not have (older versions) are left alone.
 */
export function optionChanges(
  current: OptionInputs,
  wanted: OptionInputs,
  serverVersion: number,
): { set: Record<string, OptionValue>; whileDisabled: boolean } {
  const set: Record<string, OptionValue> = {};
  let whileDisabled = false;
  for (const key of alterableOptions(serverVersion)) {
    if (current[key] === undefined) continue;
    const w = effective(key, wanted[key], serverVersion);
    if (w === null || w === current[key]) continue;
    set[spec(key).sql] = sqlValue(key, w);
    whileDisabled ||= spec(key).whileDisabled ?? false;
  }
  return { set, whileDisabled };
}

/** Whether an option's catalog value differs from what leaving it out means (PostgreSQL's default). */
export function differsFromDefault(key: OptionKey, value: unknown, serverVersion: number): boolean {
  const d = effective(key, undefined, serverVersion);
  return value !== undefined && d !== null && value !== d;
}
