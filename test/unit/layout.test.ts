// The layout's rules, checked on the source: imports run downward (resources → kernel/pg, never the
// reverse), resources do not import each other's internals, and there are no import cycles.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const SRC = path.resolve(__dirname, "..", "..", "src");

function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** file → the local files it imports (type-only imports included: they make cycles too). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of sources()) {
    const text = fs.readFileSync(file, "utf8");
    const deps = [...text.matchAll(/(?:from|import\(|require\()\s*"(\.[^"]+)"/g)].map((m) => {
      const base = path.resolve(path.dirname(file), m[1]!);
      return fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, "index.ts");
    });
    g.set(file, deps);
  }
  return g;
}

const layer = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;
const LOW = new Set(["kernel", "pg"]);

describe("source layout", () => {
  const g = graph();

  it("keeps kernel/ and pg/ free of resource imports", () => {
    const upward = [...g].flatMap(([f, deps]) =>
      LOW.has(layer(f)) ? deps.filter((d) => !LOW.has(layer(d))).map((d) => `${layer(f)} → ${layer(d)}`) : [],
    );
    assert.deepEqual(upward, []);
    const kernelToPg = [...g].flatMap(([f, deps]) =>
      layer(f) === "kernel" ? deps.filter((d) => layer(d) === "pg").map((d) => path.relative(SRC, d)) : [],
    );
    assert.deepEqual(kernelToPg, []);
  });

  it("lets a resource folder import only itself, kernel/ and pg/", () => {
    const folders = ["publication", "subscription", "schemaSync", "sequenceSync"];
    const crossing = [...g].flatMap(([f, deps]) =>
      folders.includes(layer(f))
        ? deps.filter((d) => !LOW.has(layer(d)) && layer(d) !== layer(f)).map((d) => path.relative(SRC, d))
        : [],
    );
    assert.deepEqual(crossing, []);
  });

  it("has no import cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(SRC, x)).join(" → "));
        return;
      }
      state.set(f, "open");
      for (const d of g.get(f) ?? []) visit(d, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of g.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it("parses connection inputs only where inputs arrive: a handler's start, validation, comparison", () => {
    // Handlers (provider.ts) resolve their connections once and pass ConnectionInfo down; the field
    // tables (fields.ts) compare connections by meaning; pg/schemas.ts validates them. Any other file
    // takes the resolved value.
    const allowed = (f: string) =>
      /(^|\/)(provider|fields)\.ts$/.test(f) || f === "pg/schemas.ts" || f === "pg/connection.ts";
    const parsing = sources()
      .map((f) => path.relative(SRC, f).split(path.sep).join("/"))
      .filter((f) => !allowed(f))
      .filter((f) =>
        /import \{[^}]*\b(parseConnection|resolve)\b[^}]*\} from "[./]*(pg\/)?connection"/.test(
          fs.readFileSync(path.join(SRC, f), "utf8"),
        ),
      );
    assert.deepEqual(parsing, []);
  });
});
