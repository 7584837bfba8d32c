// Every TypeScript block in README.md compiles against the package's own types.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { ROOT } from "../harness/install";

describe("README.md", () => {
  it("has TypeScript blocks that compile", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 2, "README has TypeScript examples");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-"));
    const files = blocks.map((code, i) => {
      const file = path.join(dir, `block${i}.ts`);
      fs.writeFileSync(file, code);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      baseUrl: ROOT,
      typeRoots: [path.join(ROOT, "node_modules", "@types")],
      paths: {
        "pulumi-pg-replication": [path.join(ROOT, "src", "index.ts")],
        "*": [path.join(ROOT, "node_modules", "*")],
      },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : "";
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(diagnostics, []);
  });
});
