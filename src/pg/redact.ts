// Passwords never leave through a message: URIs, libpq conninfo strings and known secrets are
// replaced by *** in every error this package raises.

/** Replaces the password of a postgres:// URI with ***. */
export function redactUri(uri: string): string {
  return uri
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/g, "$1***@")
    .replace(/([?&](?:ssl)?password=|[?&]oauth_client_secret=)[^&#\s]*/gi, "$1***");
}

/** Replaces the value of password, sslpassword and oauth_client_secret in a libpq key=value string with ***. */
export function redactConninfo(text: string): string {
  return text.replace(
    /((?:password|oauth_client_secret)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']\S*)/gi,
    (_, key: string, value: string) => (value.startsWith("'") ? `${key}'***'` : `${key}***`),
  );
}

/** Removes every occurrence of the given secrets (and URI passwords) from a text. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = redactConninfo(redactUri(text));
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}

/**
 * Wraps an error so its message, detail and hint hold no secret; keeps the PostgreSQL `code`
 * (SQLSTATE) so callers can branch on it.
 */
export function redactError(
  e: unknown,
  secrets: readonly (string | undefined)[],
  context?: string,
): Error & { code?: string } {
  const src = e as { message?: string; code?: string; detail?: string; hint?: string };
  const message = redact(String(src?.message ?? e), secrets);
  const err = new Error(context ? `${context}: ${message}` : message) as Error & {
    code?: string;
    detail?: string;
    hint?: string;
  };
  if (src?.code) err.code = src.code;
  if (src?.detail) err.detail = redact(src.detail, secrets);
  if (src?.hint) err.hint = redact(src.hint, secrets);
  return err;
}
