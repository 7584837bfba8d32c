// Subscription options: their SQL names, the versions that introduced them, what can be altered,
// and how the catalog's values map back to the arguments. Pure.

import type { SubscriptionState } from "./catalog";
import * as sql from "./sql";
import type { SubscriptionInputs } from "./subscription";
import type { WaitOptions } from "./waitForSync";

/** Option → [SQL option name, first major version]. */
export const OPTIONS: Record<string, [string, number]> = {
  binary: ["binary", 14],
  streaming: ["streaming", 14],
  synchronousCommit: ["synchronous_commit", 14],
  twoPhase: ["two_phase", 15],
  disableOnError: ["disable_on_error", 15],
  origin: ["origin", 16],
  runAsOwner: ["run_as_owner", 16],
  passwordRequired: ["password_required", 16],
  failover: ["failover", 17],
};
export const CREATE_ONLY: Record<string, string> = {
  enabled: "enabled",
  copyData: "copy_data",
  createSlot: "create_slot",
  slotName: "slot_name",
};
export const ALTERABLE = [
  "binary",
  "streaming",
  "synchronousCommit",
  "disableOnError",
  "origin",
  "runAsOwner",
  "passwordRequired",
  "failover",
] as const;

export function optionValue(key: string, v: unknown): sql.SubscriptionOptionValue {
  if (key === "streaming") return v === "parallel" ? "parallel" : Boolean(v);
  return v as sql.SubscriptionOptionValue;
}

export function createOptions(inputs: SubscriptionInputs): Record<string, sql.SubscriptionOptionValue> {
  const opts: Record<string, sql.SubscriptionOptionValue> = {};
  for (const [key, name] of Object.entries(CREATE_ONLY)) {
    const v = inputs[key as keyof SubscriptionInputs];
    if (v !== undefined) opts[name] = v as sql.SubscriptionOptionValue;
  }
  for (const [key, [name]] of Object.entries(OPTIONS)) {
    const v = inputs[key as keyof SubscriptionInputs];
    if (v !== undefined) opts[name] = optionValue(key, v);
  }
  return opts;
}

/** The catalog's value of an option in the inputs' vocabulary. */
export function currentOption(state: SubscriptionState, key: (typeof ALTERABLE)[number]): unknown {
  if (key === "streaming") return state.streaming === "parallel" ? "parallel" : state.streaming === "on";
  return state[key];
}

export const DEFAULTS: Record<string, unknown> = {
  binary: false,
  streaming: false,
  synchronousCommit: "off",
  disableOnError: false,
  origin: "any",
  runAsOwner: false,
  passwordRequired: true,
  failover: false,
};

/** Alterable options whose wanted value differs from the catalog (unset options are not touched). */
export function optionChanges(
  state: SubscriptionState,
  inputs: SubscriptionInputs,
  serverVersion: number,
): Record<string, sql.SubscriptionOptionValue> {
  const changes: Record<string, sql.SubscriptionOptionValue> = {};
  for (const key of ALTERABLE) {
    const wanted = inputs[key];
    if (wanted !== undefined && wanted !== currentOption(state, key))
      changes[OPTIONS[key]![0]] = optionValue(key, wanted);
  }
  // two_phase became alterable in PG18 (before, diff replaces the subscription instead).
  if (
    serverVersion >= 180000 &&
    inputs.twoPhase !== undefined &&
    inputs.twoPhase !== (state.twoPhase ?? false)
  )
    changes["two_phase"] = inputs.twoPhase;
  return changes;
}

export function label(name: string): string {
  return `Subscription ${JSON.stringify(name)}`;
}

export function waitOptions(inputs: SubscriptionInputs): WaitOptions | undefined {
  if (!inputs.waitForSync) return undefined;
  const timeoutSeconds = inputs.waitForSync === true ? 600 : inputs.waitForSync.timeoutSeconds;
  return { timeoutSeconds, label: label(inputs.name) };
}
