// A PostgreSQL identifier as zod validates it (a factory: module-level schemas break provider
// serialization).

import { z } from "zod";

/**
 * Not empty, no NUL, at most 63 bytes (longer names are silently truncated by the server, which
 * would make every later preview show a change).
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
