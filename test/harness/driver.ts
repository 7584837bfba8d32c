// Drives one resource kind through the provider host with arbitrary inputs: the serialized
// provider is taken from the quickstart program (captured from the installed package), the
// inputs are the test's. Each call goes over gRPC exactly as the engine sends it.

import * as path from "node:path";
import { captureProgram } from "./capture";
import { CheckFailedError, type Engine } from "./engine";
import { ROOT } from "./install";

export type Kind = "Publication" | "SchemaSync" | "Subscription" | "SequenceSync";
type Props = Record<string, unknown>;

const providers = new Map<Kind, string>();

async function capturedProviders(program: string, config: Record<string, string>, project: string) {
  for (const r of await captureProgram(path.join(ROOT, "examples", program, "index.ts"), config, project)) {
    const kind = r.type.split(":").pop() as Kind;
    if (!providers.has(kind)) providers.set(kind, String(r.inputs.__provider));
  }
}

/** The serialized `__provider` of a resource kind (captured once per process). */
export async function serializedProvider(kind: Kind): Promise<string> {
  if (!providers.has(kind)) {
    const url = "postgres://capture@placeholder/db";
    if (kind === "SequenceSync")
      // Not in the quickstart: the cutover example's switch phase declares one.
      await capturedProviders(
        "cutover",
        { oldUrl: url, newUrl: url, tables: JSON.stringify(["t"]), phase: "switch" },
        "cutover",
      );
    else await capturedProviders("quickstart", { primaryUrl: url, replicaUrl: url }, "quickstart");
  }
  return providers.get(kind)!;
}

export interface Created {
  urn: string;
  id: string;
  inputs: Props;
  outputs: Props;
}

export class Driver {
  private n = 0;
  constructor(
    readonly engine: Engine,
    readonly kind: Kind,
  ) {}

  urn(name: string): string {
    return `urn:pulumi:test::driver::pulumi-nodejs:dynamic/pg-replication:${this.kind}::${name}`;
  }

  private async withProvider(inputs: Props): Promise<Props> {
    return { ...inputs, __provider: await serializedProvider(this.kind) };
  }

  async check(inputs: Props, olds: Props = {}, urn = this.urn("r")) {
    return this.engine.check(urn, olds, await this.withProvider(inputs));
  }

  /** check (failing on any failure) then create. */
  async create(inputs: Props): Promise<Created> {
    const urn = this.urn(`r${++this.n}`);
    const checked = await this.check(inputs, {}, urn);
    if (checked.failures.length > 0) throw new CheckFailedError(urn, checked.failures);
    const created = await this.engine.create(urn, checked.inputs);
    return { urn, id: created.id, inputs: checked.inputs, outputs: created.outputs };
  }

  /** What `pulumi preview` would say next for `inputs`, given the current state. */
  async diff(state: Created, inputs: Props) {
    const checked = await this.check(inputs, state.inputs, state.urn);
    if (checked.failures.length > 0) throw new CheckFailedError(state.urn, checked.failures);
    return {
      ...(await this.engine.diff(state.urn, state.id, state.outputs, checked.inputs)),
      checked: checked.inputs,
    };
  }

  /** `pulumi refresh` of one resource: the new state, or undefined when it is gone. */
  async refresh(state: Created): Promise<Created | undefined> {
    const r = await this.engine.read(state.urn, state.id, state.outputs, state.inputs);
    return r.id ? { ...state, id: r.id, outputs: r.outputs, inputs: r.inputs ?? state.inputs } : undefined;
  }

  /** check → diff → update (refusing replacements: use replace()). */
  async update(state: Created, inputs: Props): Promise<Created> {
    const d = await this.diff(state, inputs);
    if (d.replaces.length > 0)
      throw new Error(`expected an in-place update, got replaces ${d.replaces.join(", ")}`);
    const outputs = await this.engine.update(state.urn, state.id, state.outputs, d.checked);
    return { ...state, inputs: d.checked, outputs };
  }

  delete(state: Created): Promise<void> {
    return this.engine.delete(state.urn, state.id, state.outputs);
  }
}
