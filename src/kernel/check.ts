// Validation of a resource's inputs with its zod schema: issues become check failures named by
// property, and properties that are unknown at preview are left out of validation.

import { z } from "zod";
import { containsUnknown } from "./unknown";

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Validates `news` with an object schema. Properties that are (or contain) unknowns are left out
 * of validation and passed through untouched; `unknown` lists them.
 */
export function validate<T extends z.ZodRawShape>(
  schema: z.ZodObject<T>,
  news: Record<string, unknown>,
): { value?: z.infer<z.ZodObject<T>>; failures: CheckFailure[]; unknown: Set<string> } {
  const unknown = new Set(Object.keys(news).filter((k) => containsUnknown(news[k])));
  const known = Object.fromEntries(
    Object.entries(news).filter(([k]) => !unknown.has(k) && k !== "__provider"),
  );
  const mask: Record<string, true> = Object.fromEntries(
    [...unknown].filter((k) => k in schema.shape).map((k) => [k, true]),
  );
  const loose: z.ZodObject<z.ZodRawShape> = schema;
  const effective = unknown.size > 0 ? loose.partial(mask) : loose;
  const result = effective.strict().safeParse(known);
  if (result.success) {
    const passed = Object.fromEntries([...unknown].map((k) => [k, news[k]]));
    return { value: { ...passed, ...result.data } as z.infer<z.ZodObject<T>>, failures: [], unknown };
  }
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

/** Failures as one sentence, for errors thrown outside check (create re-runs the preflight). */
export function failureText(failures: readonly CheckFailure[]): string {
  return failures.map((p) => `${p.property}: ${p.reason}`).join(" ");
}
