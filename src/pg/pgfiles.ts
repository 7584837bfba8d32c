// The files libpq reads where a program connects: the connection service file (`service=…`) and
// the password file (`passfile`, else PGPASSFILE, else ~/.pgpass). Read where this program runs, as
// libpq reads them where it runs.
// https://www.postgresql.org/docs/current/libpq-pgservice.html
// https://www.postgresql.org/docs/current/libpq-pgpass.html

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The service files libpq reads, in its order: the user's (PGSERVICEFILE or ~/.pg_service.conf), then the system's. */
export function serviceFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    env.PGSERVICEFILE ?? path.join(os.homedir(), ".pg_service.conf"),
    path.join(env.PGSYSCONFDIR ?? "/etc/postgresql-common", "pg_service.conf"),
  ];
}

/** The parameters of `[name]` in an INI-style service file's text, or undefined when it has none. */
export function serviceSection(text: string, name: string): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      if (found) return found; // libpq stops at the end of the first matching section
      inSection = header[1] === name;
      if (inSection) found = {};
      continue;
    }
    if (!inSection) continue;
    const eq = line.indexOf("=");
    if (eq > 0) found![line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return found;
}

/** The parameters service `name` stands for, from the first file that defines it. */
export function readService(name: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const files = serviceFiles(env);
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const section = serviceSection(text, name);
    if (section) {
      if ("service" in section)
        throw new Error(`has service=${name}, whose definition names a service again`);
      return section;
    }
  }
  throw new Error(
    `has service=${name}, which no service file here defines (looked in ${files.join(", ")}); add [${name}] to one of them or write its parameters into the connection`,
  );
}

/** Where to connect, as a password file line is matched. */
export interface PassTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The fields of one password file line (`\:` and `\\` escaped), or undefined for a comment or a short line. */
function passLine(line: string): string[] | undefined {
  if (line.startsWith("#")) return undefined;
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) cur += line[++i];
    else if (c === ":" && fields.length < 4) {
      fields.push(cur);
      cur = "";
    } else cur += c;
  }
  fields.push(cur);
  return fields.length === 5 ? fields : undefined;
}

/** The password the first matching line of a password file's text gives, if any. */
export function passwordFrom(text: string, t: PassTarget): string | undefined {
  // A socket directory (or the default socket) is matched as "localhost", as libpq does.
  const host = t.host.startsWith("/") ? "localhost" : t.host;
  const wanted = [host, String(t.port), t.database, t.user];
  for (const line of text.split(/\r?\n/)) {
    const f = passLine(line);
    if (f && wanted.every((w, i) => f[i] === "*" || f[i] === w)) return f[4];
  }
  return undefined;
}

/**
 * The password for `t` from the password file (`passfile`, else PGPASSFILE, else ~/.pgpass), or
 * undefined. Like libpq, a file that group or others may read is ignored.
 */
export function passwordFor(
  t: PassTarget,
  passfile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = passfile ?? env.PGPASSFILE ?? path.join(os.homedir(), ".pgpass");
  let text: string;
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) return undefined;
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return passwordFrom(text, t);
}
