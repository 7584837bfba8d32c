// Pieces every provider shares: preview unknowns, zod issues as check failures, version gates,
// error wrapping and clean outputs.

import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** The value the engine sends for properties not known at preview (pulumi.runtime.unknownValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Validates `news` with an object schema. Properties that are (or contain) unknowns are left out
 * of validation and passed through untouched; `known` lists the properties that were validated.
 */
export function validate<T extends z.ZodRawShape>(
  schema: z.ZodObject<T>,
  news: Record<string, unknown>,
): { value?: Record<string, unknown>; failures: CheckFailure[]; unknown: Set<string> } {
  const unknown = new Set(Object.keys(news).filter((k) => containsUnknown(news[k])));
  const known = Object.fromEntries(
    Object.entries(news).filter(([k]) => !unknown.has(k) && k !== "__provider"),
  );
  const mask = Object.fromEntries([...unknown].filter((k) => k in schema.shape).map((k) => [k, true]));
  const effective = (unknown.size > 0 ? schema.partial(mask as never) : schema) as z.ZodObject<T>;
  const result = effective.strict().safeParse(known);
  if (result.success) return { value: { ...news, ...(result.data as object) }, failures: [], unknown };
  return {
    failures: result.error.issues.map((issue) => ({
      property: issue.path.length > 0 ? issue.path.map(String).join(".") : "(arguments)",
      reason: issueReason(issue),
    })),
    unknown,
  };
}

function issueReason(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys")
    return `unknown argument${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}; check the spelling against the documented arguments.`;
  return issue.message;
}

/** Option → first PostgreSQL major version that has it. */
export function versionFailures(
  version: number,
  gates: Record<string, number>,
  present: (option: string) => boolean,
  server: string,
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [option, min] of Object.entries(gates)) {
    if (present(option) && version < min * 10000)
      failures.push({
        property: option,
        reason: `\`${option}\` needs PostgreSQL ${min} or later; the ${server} runs ${formatVersion(version)}. Remove it or upgrade the server.`,
      });
  }
  return failures;
}

export function formatVersion(num: number): string {
  return `${Math.floor(num / 10000)}.${num % 10000}`;
}

/** Drops undefined values (the engine refuses them in outputs: "Unexpected struct type"). */
export function clean<T extends object>(obj: T): T {
  return JSON.parse(JSON.stringify(obj)) as T;
}

/**
 * An error that names the resource, the statement verb and the fix, and keeps the PostgreSQL
 * `code`. Messages reaching here are already redacted by connection.ts.
 */
export function operationError(
  resource: string,
  verb: string,
  e: unknown,
  fix?: string,
): Error & { code?: string } {
  const src = e as { message?: string; code?: string; hint?: string; detail?: string };
  let message = `${resource}: ${verb} failed: ${src?.message ?? String(e)}`;
  if (src?.code) message += ` (SQLSTATE ${src.code})`;
  if (src?.detail) message += `. ${src.detail}`;
  if (src?.hint) message += `. Hint: ${src.hint}`;
  if (fix) message += `. ${fix}`;
  const err = new Error(message) as Error & { code?: string };
  if (src?.code) err.code = src.code;
  return err;
}

export function sameSet(a: readonly string[] = [], b: readonly string[] = []): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

/** Create found an object of the same name, and `adopt` is not set. */
export function alreadyExists(resource: string, where: string): Error {
  return new Error(
    `${resource} already exists on ${where}. Set \`adopt: true\` to take it over, or choose another name.`,
  );
}

/** Update found the object gone (dropped outside Pulumi). */
export function vanished(resource: string, where: string): Error {
  return new Error(
    `${resource} no longer exists on ${where}; run \`pulumi refresh\` so the next \`up\` recreates it.`,
  );
}

/**
 * A PostgreSQL identifier as zod validates it: not empty, no NUL, at most 63 bytes (longer names
 * are silently truncated by the server, which would make every later preview show a change).
 */
export function identifier(what: string) {
  return z
    .string()
    .min(1, `${what} must not be empty`)
    .superRefine((v, ctx) => {
      if (v.includes("\u0000"))
        ctx.addIssue({ code: "custom", message: `${what} must not contain a NUL byte` });
      const bytes = Buffer.byteLength(v, "utf8");
      if (bytes > 63)
        ctx.addIssue({
          code: "custom",
          message: `${what} is ${bytes} bytes; PostgreSQL names are at most 63 bytes (longer ones are silently truncated): shorten it`,
        });
    });
}

/**
 * The provider object a Resource class registers: each method delegates to the implementation
 * module's `provider`. The serialized closure then holds a require of that module (when installed
 * from the package), not its code.
 */
export function delegatingProvider(impl: {
  provider: pulumi.dynamic.ResourceProvider;
}): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds, news) => impl.provider.check!(olds, news),
    diff: (id, olds, news) => impl.provider.diff!(id, olds, news),
    create: (inputs) => impl.provider.create(inputs),
    read: (id, props) => impl.provider.read!(id, props),
    update: (id, olds, news) => impl.provider.update!(id, olds, news),
    delete: (id, props) => impl.provider.delete!(id, props),
  };
}
