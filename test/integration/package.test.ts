// The package as it ships: what `npm pack` puts in the tarball, and a consumer project that installs
// that tarball and type-checks every TypeScript block of the README and every example with
// `strict` and without `skipLibCheck`, with only the dependencies a user would have.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { extract, PACKAGE, packedTarball, ROOT } from "../harness/install";

describe("the packed package", () => {
  it("ships the built code, its types, README, CHANGELOG and LICENSE, and nothing else", () => {
    const files = execFileSync("tar", ["-tzf", packedTarball()], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));
    const outside = files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f));
    assert.deepEqual(outside.sort(), ["CHANGELOG.md", "LICENSE", "README.md", "package.json"]);
    for (const kind of ["publication", "subscription", "schemaSync"]) {
      assert.ok(files.includes(`dist/${kind}/provider.js`), kind);
      assert.ok(files.includes(`dist/legacy/${kind}Provider.js`), kind);
    }
    assert.ok(files.includes("dist/index.d.ts"));
    assert.ok(!files.some((f) => f.includes("test/") || f.endsWith(".map") || f.endsWith(".tgz")));
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    assert.equal(manifest.scripts.prepack, "npm run build", "packing a clean clone builds first");
    assert.ok(manifest.peerDependencies["@pulumi/pulumi"], "the SDK is the program's, not a second copy");
    assert.equal(manifest.dependencies["@pulumi/pulumi"], undefined);
    for (const key of ["repository", "keywords", "license", "homepage", "bugs"])
      assert.ok(manifest[key], key);
  });

  it("type-checks the README's and the examples' programs in a consumer project under three setups (strict, no skipLibCheck), reaching no zod type", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrepl-consumer-"));
    try {
      const nm = path.join(dir, "node_modules");
      // What a consumer has: the SDKs it uses, TypeScript, Node's types, and what our package depends on.
      const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
      const deps = ["@pulumi/pulumi", "@pulumi/postgresql", "typescript", "@types/node"];
      for (const name of [...deps, ...Object.keys(manifest.dependencies)]) {
        fs.mkdirSync(path.dirname(path.join(nm, name)), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules", name), path.join(nm, name));
      }
      extract(packedTarball(), path.join(nm, PACKAGE));
      const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
      const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
      assert.ok(blocks.length >= 2, "README has TypeScript examples");
      const files = blocks.map((code, i) => {
        const file = path.join(dir, `readme${i}.ts`);
        fs.writeFileSync(file, code);
        return file;
      });
      for (const example of fs.readdirSync(path.join(ROOT, "examples"))) {
        const index = path.join(ROOT, "examples", example, "index.ts");
        if (!fs.existsSync(index)) continue;
        const file = path.join(dir, `example-${example}.ts`);
        fs.copyFileSync(index, file);
        files.push(file);
      }
      // Pulumi's TypeScript template today (nodenext), as it was until 2025 (commonjs, node, no
      // esModuleInterop), and with exactOptionalPropertyTypes: strict, no skipLibCheck in each.
      const base = {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        skipLibCheck: false,
        types: ["node"],
      };
      const setups: [string, ts.CompilerOptions][] = [
        [
          "nodenext",
          { ...base, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
        ],
        [
          "commonjs/node, no esModuleInterop",
          { ...base, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 },
        ],
        [
          "exactOptionalPropertyTypes",
          {
            ...base,
            module: ts.ModuleKind.CommonJS,
            moduleResolution: ts.ModuleResolutionKind.Node10,
            esModuleInterop: true,
            exactOptionalPropertyTypes: true,
          },
        ],
      ];
      const diagnostics: string[] = [];
      // The setups parse the same files: each declaration file is parsed once for all of them.
      const parsed = new Map<string, ts.SourceFile | undefined>();
      for (const [setup, options] of setups) {
        const host = ts.createCompilerHost(options);
        const parse = host.getSourceFile.bind(host);
        host.getSourceFile = (fileName, version, onError, fresh) => {
          const format = typeof version === "object" ? version.impliedNodeFormat : undefined;
          const key = `${format}:${fileName}`;
          if (!parsed.has(key)) parsed.set(key, parse(fileName, version, onError, fresh));
          return parsed.get(key);
        };
        const program = ts.createProgram(files, options, host);
        // Without skipLibCheck, for what this package owns: its declarations as the consumer's
        // compiler reads them, and the programs that use them. The SDKs' own declarations (most
        // of the program, @pulumi/postgresql's above all) are theirs to check, not ours.
        const ours = program
          .getSourceFiles()
          .filter(
            (f) => !f.fileName.includes("/node_modules/") || f.fileName.includes(`/node_modules/${PACKAGE}/`),
          );
        assert.ok(ours.some((f) => f.fileName.endsWith(`/node_modules/${PACKAGE}/dist/index.d.ts`)));
        const found = [
          ...program.getOptionsDiagnostics(),
          ...program.getGlobalDiagnostics(),
          ...ours.flatMap((f) => [
            ...program.getSyntacticDiagnostics(f),
            ...program.getSemanticDiagnostics(f),
          ]),
        ];
        for (const d of found) {
          const where = d.file
            ? `${path.relative(dir, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
            : "";
          diagnostics.push(`${setup}: ${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
        }
        // The public declarations are plain TypeScript: the consumer's program reaches no zod type.
        const zod = program.getSourceFiles().filter((f) => f.fileName.includes("/node_modules/zod/"));
        assert.deepEqual(
          zod.map((f) => path.relative(dir, f.fileName)),
          [],
          `${setup}: zod's declarations are part of the consumer's program`,
        );
      }
      assert.ok(files.length >= 5, `${files.length} programs`);
      assert.deepEqual(diagnostics, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
