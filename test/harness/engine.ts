// Plays the Pulumi engine's part: starts @pulumi/pulumi/cmd/dynamic-provider (the host `pulumi up`
// launches for dynamic resources) from the install directory, and drives it over gRPC in the
// engine's order: check → diff → create/update/replace (honouring replaces and
// deleteBeforeReplace) → read → delete. Keeps the stack's state in memory.

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { killHost, launchHost, releaseHost, takeIdleHost, type Host } from "./hosts";
import { installedPackageDir } from "./install";
import type { CapturedResource } from "./capture";

type Props = Record<string, unknown>;

export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  id: string;
  inputs: Props;
  outputs: Props;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

export class CheckFailedError extends Error {
  constructor(
    readonly urn: string,
    readonly failures: CheckFailure[],
  ) {
    super(`check failed for ${urn}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
}

export type Operation = "create" | "update" | "replace" | "same" | "delete";

export interface PlannedStep {
  urn: string;
  op: Operation;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
  failures?: CheckFailure[];
  /** The inputs check returned (what a preview's property diff shows). */
  checked?: Props;
}

/** A resource as the program registers it. */
export interface StepInput {
  urn: string;
  type: string;
  name: string;
  inputs: Props;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export class Engine {
  private host!: Host;
  private client: any;
  private struct: any;
  private proto: any;
  private grpc: any;
  /** Where this Engine's part of the host's output starts. */
  private logFrom = { out: 0, err: 0 };
  state = new Map<string, ResourceState>();
  /** The stack's name, as a program run sees it (pulumi.getStack()); each Engine is a stack of its own. */
  stack = "test";

  /**
   * `dir`: the program directory the host runs in (default: the packed package installed). A host
   * another Engine stopped using is taken up again (its stack state is not: each Engine is a stack
   * of its own), as a CLI session runs one host for many steps; a host that was killed is never
   * reused.
   */
  static async start(dir = installedPackageDir()): Promise<Engine> {
    const e = new Engine(dir);
    const idle = takeIdleHost(dir);
    if (idle) e.use(idle, false);
    else await e.launch();
    return e;
  }

  /** Connects to a host another process started (a program run's own engine; see live.ts). */
  static async attach(dir: string, port: number): Promise<Engine> {
    const e = new Engine(dir);
    e.connect(port);
    return e;
  }

  private constructor(readonly dir: string) {}

  /** The host's gRPC port. */
  port = 0;
  private services: any;

  /** Everything the host printed since this Engine took it (stdout after the port line, and stderr): searched for secrets. */
  get log(): string {
    if (!this.host) return "";
    const tail = (file: string, from: number) => {
      const text = fs.readFileSync(file);
      return text.subarray(Math.min(from, text.length)).toString();
    };
    return tail(this.host.out, this.logFrom.out) + tail(this.host.err, this.logFrom.err);
  }

  /** Takes `host` up: a new one's output from its start (after the port line), a reused one's from now on. */
  private use(host: Host, fresh: boolean): void {
    this.host = host;
    const portLine = fs.readFileSync(host.out, "utf8").indexOf("\n") + 1;
    this.logFrom = fresh
      ? { out: portLine, err: 0 }
      : { out: fs.statSync(host.out).size, err: fs.statSync(host.err).size };
    this.connect(host.port);
  }

  private loadSdk() {
    // The SDK the program directory resolves (hoisted in workspaces, in pnpm's store with pnpm).
    const sdk = createRequire(path.join(this.dir, "program.js")).resolve("@pulumi/pulumi/package.json");
    const req = createRequire(sdk);
    this.grpc = req("@grpc/grpc-js");
    this.struct = req("google-protobuf/google/protobuf/struct_pb");
    this.proto = req("./proto/provider_pb");
    this.services = req("./proto/provider_grpc_pb");
    return req;
  }

  private connect(port: number): void {
    if (!this.services) this.loadSdk();
    this.port = port;
    this.client = new this.services.ResourceProviderClient(
      `127.0.0.1:${port}`,
      this.grpc.credentials.createInsecure(),
    );
  }

  private async launch(): Promise<void> {
    const req = this.loadSdk();
    const host = await launchHost(this.dir, req.resolve("./cmd/dynamic-provider/index.js"));
    this.use(host, true);
    const configure = new this.proto.ConfigureRequest();
    configure.setArgs(this.struct.Struct.fromJavaScript({}));
    configure.setAcceptsecrets(true);
    configure.setAcceptresources(true);
    await this.call("configure", configure);
  }

  /** Ends this stack's session with the host; the host waits for the next Engine. */
  async stop(): Promise<void> {
    this.client?.close();
    if (this.host) releaseHost(this.host);
  }

  /** Kills the host process abruptly (a crash mid-operation), then starts a fresh one. */
  async restartHost(): Promise<void> {
    killHost(this.host);
    await new Promise((r) => setTimeout(r, 50));
    this.client?.close();
    await this.launch();
  }

  private call(method: string, request: unknown): Promise<any> {
    const host = this.host;
    if (host) host.inFlight++;
    return new Promise((resolve, reject) =>
      this.client[method](request, (err: Error | null, resp: unknown) => {
        if (host) host.inFlight--;
        if (err) reject(new Error(err.message.replace(/^\d+ [A-Z_]+: /, "")));
        else resolve(resp);
      }),
    );
  }

  private toStruct(v: Props): unknown {
    return this.struct.Struct.fromJavaScript(JSON.parse(JSON.stringify(v)));
  }

  async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
    const req = new this.proto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const resp = await this.call("check", req);
    return {
      inputs: resp.getInputs().toJavaScript(),
      failures: resp
        .getFailuresList()
        .map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(
    urn: string,
    id: string,
    olds: Props,
    news: Props,
  ): Promise<{ changes: boolean | undefined; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new this.proto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const resp = await this.call("diff", req);
    const c = resp.getChanges();
    const kinds = this.proto.DiffResponse.DiffChanges;
    return {
      changes: c === kinds.DIFF_SOME ? true : c === kinds.DIFF_NONE ? false : undefined,
      replaces: resp.getReplacesList(),
      deleteBeforeReplace: resp.getDeletebeforereplace(),
    };
  }

  async create(urn: string, props: Props): Promise<{ id: string; outputs: Props }> {
    const req = new this.proto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(this.toStruct(props));
    const resp = await this.call("create", req);
    return { id: resp.getId(), outputs: resp.getProperties().toJavaScript() };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<Props> {
    const req = new this.proto.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const resp = await this.call("update", req);
    return resp.getProperties().toJavaScript();
  }

  async read(
    urn: string,
    id: string,
    props: Props,
    inputs: Props,
  ): Promise<{ id: string; outputs: Props; inputs?: Props }> {
    const req = new this.proto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(this.toStruct(props));
    req.setInputs(this.toStruct(inputs));
    const resp = await this.call("read", req);
    return {
      id: resp.getId(),
      outputs: resp.getProperties()?.toJavaScript() ?? {},
      inputs: resp.getInputs()?.toJavaScript(),
    };
  }

  async delete(urn: string, id: string, props: Props): Promise<void> {
    const req = new this.proto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(this.toStruct(props));
    await this.call("delete", req);
  }

  /**
   * One resource's step, as the engine runs it when the program registers the resource: check, diff,
   * and in `up` the create, update or replace (honouring deleteBeforeReplace). Returns the step and
   * the outputs dependents see: in a preview the old outputs when nothing changes, else the checked
   * inputs (a dynamic provider does not preview; missing outputs are unknown to the program).
   */
  async step(r: StepInput, mode: "preview" | "up"): Promise<{ step: PlannedStep; outputs: Props }> {
    const old = this.state.get(r.urn);
    const checked = await this.check(r.urn, old?.inputs ?? {}, r.inputs);
    if (checked.failures.length > 0) {
      if (mode === "up") throw new CheckFailedError(r.urn, checked.failures);
      return {
        step: {
          urn: r.urn,
          op: old ? "update" : "create",
          failures: checked.failures,
          checked: checked.inputs,
        },
        outputs: checked.inputs,
      };
    }
    if (!old) {
      if (mode === "preview")
        return { step: { urn: r.urn, op: "create", checked: checked.inputs }, outputs: checked.inputs };
      const created = await this.create(r.urn, checked.inputs);
      this.state.set(r.urn, {
        urn: r.urn,
        type: r.type,
        name: r.name,
        id: created.id,
        inputs: checked.inputs,
        outputs: created.outputs,
      });
      return { step: { urn: r.urn, op: "create", checked: checked.inputs }, outputs: created.outputs };
    }
    const d = await this.diff(r.urn, old.id, old.outputs, checked.inputs);
    if (d.changes === undefined) throw new Error(`diff of ${r.urn} returned DIFF_UNKNOWN`);
    if (d.replaces.length > 0) {
      const step: PlannedStep = {
        urn: r.urn,
        op: "replace",
        replaces: d.replaces,
        deleteBeforeReplace: d.deleteBeforeReplace,
        checked: checked.inputs,
      };
      if (mode === "preview") return { step, outputs: checked.inputs };
      if (d.deleteBeforeReplace) {
        await this.delete(r.urn, old.id, old.outputs);
        this.state.delete(r.urn);
      }
      const created = await this.create(r.urn, checked.inputs);
      if (!d.deleteBeforeReplace) await this.delete(r.urn, old.id, old.outputs);
      this.state.set(r.urn, { ...old, id: created.id, inputs: checked.inputs, outputs: created.outputs });
      return { step, outputs: created.outputs };
    }
    if (d.changes) {
      const step: PlannedStep = { urn: r.urn, op: "update", checked: checked.inputs };
      if (mode === "preview") return { step, outputs: checked.inputs };
      const outputs = await this.update(r.urn, old.id, old.outputs, checked.inputs);
      this.state.set(r.urn, { ...old, inputs: checked.inputs, outputs });
      return { step, outputs };
    }
    if (mode === "up") this.state.set(r.urn, { ...old, inputs: checked.inputs });
    return { step: { urn: r.urn, op: "same", checked: checked.inputs }, outputs: old.outputs };
  }

  /** Deletes (or, in a preview, plans to delete) what the state has and the program no longer declares. */
  async deleteUndeclared(declared: ReadonlySet<string>, mode: "preview" | "up"): Promise<PlannedStep[]> {
    const steps: PlannedStep[] = [];
    for (const old of [...this.state.values()].reverse()) {
      if (declared.has(old.urn)) continue;
      if (mode === "up") {
        await this.delete(old.urn, old.id, old.outputs);
        this.state.delete(old.urn);
      }
      steps.push({ urn: old.urn, op: "delete" });
    }
    return steps;
  }

  /** `pulumi preview` of a captured program: check and diff every resource, change nothing. */
  async preview(resources: CapturedResource[]): Promise<PlannedStep[]> {
    const plan: PlannedStep[] = [];
    for (const r of resources) plan.push((await this.step(r, "preview")).step);
    return [...plan, ...(await this.deleteUndeclared(new Set(resources.map((r) => r.urn)), "preview"))];
  }

  /** `pulumi up` of a captured program: applies it resource by resource, in registration order. */
  async up(resources: CapturedResource[], onStep?: (s: PlannedStep) => void): Promise<PlannedStep[]> {
    const steps: PlannedStep[] = [];
    for (const r of resources) {
      const { step } = await this.step(r, "up");
      steps.push(step);
      onStep?.(step);
    }
    return [...steps, ...(await this.deleteUndeclared(new Set(resources.map((r) => r.urn)), "up"))];
  }

  /** `pulumi refresh`: reads every resource; an empty id means it is gone. */
  async refresh(): Promise<void> {
    for (const s of [...this.state.values()]) {
      const r = await this.read(s.urn, s.id, s.outputs, s.inputs);
      if (!r.id) this.state.delete(s.urn);
      else this.state.set(s.urn, { ...s, id: r.id, outputs: r.outputs, inputs: r.inputs ?? s.inputs });
    }
  }

  /** `pulumi destroy`: deletes in reverse order of creation. */
  async destroy(onStep?: (s: PlannedStep) => void): Promise<void> {
    for (const s of [...this.state.values()].reverse()) {
      await this.delete(s.urn, s.id, s.outputs);
      this.state.delete(s.urn);
      onStep?.({ urn: s.urn, op: "delete" });
    }
  }
}
