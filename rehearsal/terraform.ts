/**
 * The synthesized Terraform of ONE environment (REH-1), read back from its stacks' `cdk.tf.json` and
 * resolved the way a first `terraform apply` resolves it. Resolution is the IAM contract's model
 * (rehearsal/iam/model.ts, `TerraformModel`): `${aws_x.y.attr}` inside a stack,
 * `${data.terraform_remote_state.<input>.outputs.<output>}` from the producing stack's output, and
 * the values AWS computes (ARNs, ids, URLs, stream ARNs, key ids) — so the rehearsal and the IAM
 * evaluator agree on every identifier.
 *
 * Everything the rehearsal boots comes from here, never from the TypeScript configuration
 * (stacks/, environments/): a value the synth got wrong is rehearsed as wrong. A reference that
 * cannot be resolved is recorded (and reported), its value a visible `<unresolved ...>` string.
 */
import { join } from 'node:path';
import { ResolutionError, TerraformModel, type TfResource } from './iam/model';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SynthStack {
  name: string;
  /** Directory holding the stack's cdk.tf.json (asset paths are relative to it). */
  dir: string;
  json: JsonObject;
}

export interface ResourceRef {
  stack: string;
  type: string;
  name: string;
  /** `type.name` */
  address: string;
  /** The arguments as synthesized (unresolved). */
  raw: JsonObject;
}

export class SynthesizedEnvironment {
  readonly model: TerraformModel;
  readonly stacks = new Map<string, SynthStack>();
  readonly region: string;
  readonly account: string;
  /** References that could not be resolved (reported, never guessed silently). */
  readonly unresolved = new Set<string>();

  constructor(
    readonly synthDir: string,
    readonly env: string,
  ) {
    this.model = TerraformModel.load(synthDir, env);
    for (const [name, json] of this.model.stacks) this.stacks.set(name, { name, dir: join(synthDir, 'stacks', name), json: json as unknown as JsonObject });
    this.region = this.model.region;
    this.account = this.model.account;
  }

  private tf(ref: Pick<ResourceRef, 'stack' | 'type' | 'name'>): TfResource {
    const resource = this.model.get(`${ref.stack}/${ref.type}.${ref.name}`);
    if (!resource) throw new Error(`no resource ${ref.type}.${ref.name} in stack ${ref.stack}`);
    return resource;
  }

  /** Every resource of `type` across the environment's stacks. */
  resources(type: string): ResourceRef[] {
    return this.model
      .of(type)
      .map((resource) => ({ stack: resource.stack, type: resource.type, name: resource.name, address: `${resource.type}.${resource.name}`, raw: resource.raw as unknown as JsonObject }))
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  private unresolvedValue(error: unknown): string {
    if (!(error instanceof ResolutionError)) throw error;
    this.unresolved.add(error.message);
    return `<unresolved: ${error.message}>`;
  }

  /** The resource's arguments with every interpolation resolved (field by field). */
  resolved(ref: ResourceRef): JsonObject {
    const resource = this.tf(ref);
    const out: JsonObject = {};
    for (const key of Object.keys(ref.raw)) {
      if (key === '//') continue;
      try {
        out[key] = this.model.field(resource, key) as Json;
      } catch (error) {
        out[key] = this.unresolvedValue(error);
      }
    }
    return out;
  }

  /** The value of `attribute` of resource `type.name` in `stack` once applied. */
  attribute(stack: string, type: string, name: string, attribute: string): Json {
    try {
      return this.model.attribute(this.tf({ stack, type, name }), attribute) as Json;
    } catch (error) {
      return this.unresolvedValue(error);
    }
  }

  /** The stack-relative path of a resource in the construct tree (`//.metadata.path`). */
  static constructPath(ref: ResourceRef): string {
    const meta = (ref.raw['//'] as JsonObject | undefined)?.metadata as JsonObject | undefined;
    return typeof meta?.path === 'string' ? meta.path : ref.address;
  }
}
