// The zod schemas of the shapes several resources accept (connections, tables, bindings, re-copy
// requests): validation only, for the providers' field tables. Kept apart from the plain types so
// that the public declarations never import zod. Factories: module-level schemas break provider
// serialization.

import { z } from "zod";
import { identifier } from "../kernel/identifier";
import { DEFAULT_LOCK_TIMEOUT_SECONDS } from "../kernel/lockWaits";
import type { Binding, StoredBinding } from "./binding";
import { parseConnection, SSL_MODES, type Connection, type ConnectionObject } from "./connection";
import type { RecopyRequest } from "./recopy";
import type { StoredTableName, TableName, TableRef } from "./tables";

/** The object form's fields, in camelCase, each a libpq parameter. */
export function connectionObjectSchema() {
  return z
    .object({
      /** Host name, IP address, or the directory of a Unix-domain socket ("/var/run/postgresql"). */
      host: z.string().min(1, "host must not be empty"),
      port: z.number().int().min(1, "port must be 1–65535").max(65535, "port must be 1–65535").optional(),
      database: z.string().min(1, "database must not be empty"),
      user: z.string().min(1, "user must not be empty"),
      password: z.string().optional(),
      sslMode: z.enum(SSL_MODES).optional(),
      /** Path of the CA certificate(s) that verify the server (libpq sslrootcert). */
      sslRootCert: z.string().min(1).optional(),
      /** Path of the client certificate (libpq sslcert). */
      sslCert: z.string().min(1).optional(),
      /** Path of the client certificate's private key (libpq sslkey). */
      sslKey: z.string().min(1).optional(),
      /** Passphrase of an encrypted sslKey (libpq sslpassword); kept secret like the password. */
      sslPassword: z.string().optional(),
      applicationName: z.string().optional(),
      /** Seconds to wait for a connection (libpq connect_timeout). */
      connectTimeout: z.number().int().min(0, "connectTimeout must not be negative").optional(),
      /** Command-line options sent to the server at connection start, e.g. "-c statement_timeout=0". */
      options: z.string().optional(),
      /** Any other libpq parameter by its libpq name. */
      params: z.record(z.string(), z.string()).optional(),
    })
    .strict() satisfies z.ZodType<ConnectionObject>;
}

/**
 * The connection's validation, as one zod schema: strings are parsed (URI or key=value) and
 * objects checked field by field, each problem reported in a plain sentence.
 */
export function connectionSchema() {
  const object = connectionObjectSchema();
  return z
    .custom<Connection>(() => true)
    .superRefine((v, ctx) => {
      if (typeof v === "string") {
        try {
          parseConnection(v);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
        return;
      }
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        ctx.addIssue({
          code: "custom",
          message:
            "must be a postgres:// URI, a libpq key=value string, or an object { host, port?, database, user, password?, … }",
        });
        return;
      }
      const r = object.safeParse(v);
      if (r.success) {
        // What every form needs (one host, valid parameters), as the string forms are checked.
        try {
          parseConnection(v);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
      } else
        for (const issue of r.error.issues)
          ctx.addIssue({
            code: "custom",
            path: issue.path,
            message:
              issue.code === "unrecognized_keys"
                ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}; the fields are ${Object.keys(object.shape).join(", ")}`
                : issue.message,
          });
    });
}

/** A table reference as every resource accepts it (a factory: see kernel/identifier.ts). */
export function tableRefSchema(): z.ZodType<TableRef> {
  return z.union([
    z.string().min(1, "a table name must not be empty"),
    z
      .object({
        schema: identifier("a schema name").optional(),
        name: identifier("a table name"),
        columns: z
          .array(identifier("a column name"))
          .min(1, "a column list must name at least one column")
          .optional(),
        where: z.string().min(1, "a row filter must not be empty").optional(),
      })
      .strict(),
  ]);
}

/** A table's qualified name, as state keeps it. */
export function tableNameSchema(): z.ZodType<TableName> {
  return z.object({ schema: z.string(), name: z.string() }).strict();
}

/**
 * A table's name as state keeps it (pg/tables.ts's StoredTableName). Typed as the name it is read
 * back into (each resource's upgradeState) before anything uses it.
 */
export function storedTableNameSchema(): z.ZodType<TableName> {
  return z.union([z.string(), tableNameSchema()]) as z.ZodType<StoredTableName> as z.ZodType<TableName>;
}

/**
 * A binding as state keeps it (storedBinding), or as earlier versions wrote it. Typed as the
 * binding it is read back into (upgradeBinding) before anything uses it.
 */
export function bindingSchema(): z.ZodType<Binding> {
  const stored: z.ZodType<StoredBinding> = z
    .object({
      name: z.string(),
      oid: z.number().int().optional(),
      tables: z.array(storedTableNameSchema()),
      memberIds: z.array(z.number().int()).optional(),
      truncate: z.literal(false).optional(),
      rowChanges: z.literal(false).optional(),
      // Earlier builds' form (a Publication's output not yet rewritten by this version): see upgradeBinding.
      members: z
        .array(z.object({ schema: z.string(), name: z.string(), id: z.number() }).strict())
        .optional(),
    })
    .strict();
  return stored as z.ZodType<unknown> as z.ZodType<Binding>;
}

export function recopyRequestSchema(): z.ZodType<RecopyRequest> {
  return z.object({ schema: z.string(), name: z.string(), reason: z.string(), id: z.string() }).strict();
}

/**
 * `lockTimeoutSeconds`, the same on every resource that changes tables other sessions use: how long
 * a statement waits for a table lock before its transaction is tried again (pg/lock.ts's
 * withLockTries); a check, diff or read waits LOCK_TRIES times it (kernel/lockWaits.ts). Read by
 * each write; no change of its own.
 */
export const lockTimeoutField = {
  kind: "arg",
  schema: () =>
    z
      .number()
      .int()
      .min(1, "lockTimeoutSeconds is at least 1")
      .max(3600, "lockTimeoutSeconds is at most 3600")
      .optional(),
  default: DEFAULT_LOCK_TIMEOUT_SECONDS,
  change: "none",
} as const;
