/**
 * A read model over synthesized Terraform JSON (cdktf.out/stacks/<stack>/cdk.tf.json) of one
 * scope (an environment's stacks, the tooling stacks, or a fixture). References are resolved
 * across stacks: `${data.terraform_remote_state.<input>.outputs.<output>}` becomes the producing
 * stack's expression, so `refs()` can name the resources a value points at wherever they live.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export interface StackJson {
  terraform?: { backend?: Record<string, Json>; required_providers?: Json };
  provider?: Record<string, Json[]>;
  resource?: Record<string, Record<string, Json>>;
  data?: Record<string, Record<string, Json>>;
  output?: Record<string, { value: unknown }>;
}

export interface Resource {
  stack: string;
  type: string;
  name: string;
  /** `<stack>/<type>.<name>` */
  address: string;
  config: Json;
}

const REMOTE = /^data\.terraform_remote_state\.cross-stack-reference-input-(.+?)\.outputs\.(.+)$/;
const RESOURCE_REF = /^([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.|\[|$)/;
const INTERPOLATION = /\$\{([^{}]+)\}/g;

export class SynthModel {
  readonly resources: Resource[] = [];
  private readonly byAddress = new Map<string, Resource>();

  constructor(
    readonly name: string,
    readonly stacks: ReadonlyMap<string, StackJson>,
  ) {
    for (const [stack, json] of stacks) {
      for (const [type, byName] of Object.entries(json.resource ?? {})) {
        for (const [name, config] of Object.entries(byName)) {
          const resource = { stack, type, name, address: `${stack}/${type}.${name}`, config };
          this.resources.push(resource);
          this.byAddress.set(resource.address, resource);
        }
      }
    }
  }

  static fromOutdir(name: string, outdir: string, stackNames: readonly string[]): SynthModel {
    const stacks = new Map<string, StackJson>();
    for (const stack of stackNames) stacks.set(stack, JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as StackJson);
    return new SynthModel(name, stacks);
  }

  of(type: string): Resource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  get(address: string): Resource | undefined {
    return this.byAddress.get(address);
  }

  /** Resolves one interpolation expression (inside `${}`) to `<stack>/<type>.<name>` when it names a resource. */
  private resolveExpression(stack: string, expression: string, depth = 0): string[] {
    const remote = REMOTE.exec(expression.trim());
    if (remote && depth < 4) {
      const [, producer, output] = remote;
      const value = this.stacks.get(producer!)?.output?.[output!]?.value;
      return typeof value === 'string' ? this.refsIn(producer!, value, depth + 1) : [];
    }
    const match = RESOURCE_REF.exec(expression.trim());
    if (!match || match[1] === 'data' || match[1] === 'var' || match[1] === 'local') return [];
    return [`${stack}/${match[1]}.${match[2]}`];
  }

  private refsIn(stack: string, value: string, depth: number): string[] {
    const found: string[] = [];
    for (const match of value.matchAll(INTERPOLATION)) found.push(...this.resolveExpression(stack, match[1]!, depth));
    return found;
  }

  /** Resources a value (string, list or object, searched deeply) of `resource` refers to. */
  refs(resource: Resource, value: unknown = resource.config): string[] {
    const found = new Set<string>();
    const visit = (inner: unknown) => {
      if (typeof inner === 'string') this.refsIn(resource.stack, inner, 0).forEach((ref) => found.add(ref));
      else if (Array.isArray(inner)) inner.forEach(visit);
      else if (inner && typeof inner === 'object') Object.values(inner).forEach(visit);
    };
    visit(value);
    return [...found];
  }

  /** Does `value` of `resource` refer to a resource of `type` (optionally: that exact address)? */
  refersTo(resource: Resource, value: unknown, type: string, address?: string): boolean {
    return this.refs(resource, value).some((ref) => (address ? ref === address : ref.split('/')[1]!.startsWith(`${type}.`)));
  }

  /** Resources of `type` whose `field` refers to `target`. */
  attachedTo(target: Resource, type: string, field: string): Resource[] {
    return this.of(type).filter((resource) => this.refs(resource, resource.config[field]).includes(target.address));
  }
}

/** Statements of a JSON policy document string (never `jsonencode`: stacks write plain JSON). */
export interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export function statementsOf(policy: unknown): Statement[] {
  if (typeof policy !== 'string') return [];
  const document = JSON.parse(policy) as { Statement?: Statement | Statement[] };
  if (!document.Statement) return [];
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

export function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Nested blocks synthesize as an object (cdktf) or a one-element list (hand-written JSON). */
export function block(value: unknown): Json | undefined {
  if (Array.isArray(value)) return value[0] as Json | undefined;
  return value && typeof value === 'object' ? (value as Json) : undefined;
}
