// Errors every resource raises the same way: they name the resource, the statement and the fix,
// keep the PostgreSQL `code`, and never contain a password (messages arrive redacted by pg/).

/**
 * An error that names the resource, the statement verb and the fix, and keeps the PostgreSQL
 * `code`.
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

const PROPERTY = new WeakMap<object, string>();

/**
 * Runs `fn`; an error it throws is marked as the given input property's (the source's, say), so
 * that check's failure names that property — decided by where it was thrown, never by its wording.
 */
export async function blaming<T>(property: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (typeof e === "object" && e !== null && !PROPERTY.has(e)) PROPERTY.set(e, property);
    throw e;
  }
}

/** The property an error was marked with by `blaming`, else `otherwise`. */
export function blamed(e: unknown, otherwise: string): string {
  return (typeof e === "object" && e !== null && PROPERTY.get(e)) || otherwise;
}
