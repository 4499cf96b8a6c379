/**
 * A read-only view of one synthesized stack (`<synth dir>/stacks/<stack>/cdk.tf.json`), used by
 * the test generator ONLY to find addresses: which CDKTF logical id a construct got, which
 * remote-state inputs a stack reads and which outputs its producers export. Expected values
 * never come from here (that would test the JSON against itself): they come from the sources of
 * truth (environments/, stacks/naming.ts, src/routes.ts, src/adapters/aws/*).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

interface StackDocument {
  terraform?: { required_providers?: Record<string, { version?: string; source?: string }> };
  provider?: { aws?: { region?: string; allowed_account_ids?: string[]; alias?: string }[] };
  resource?: Record<string, Record<string, Json>>;
  data?: Record<string, Record<string, Json>>;
  output?: Record<string, { value: unknown }>;
}

export interface Block {
  /** `resource` or `data`. */
  mode: 'resource' | 'data';
  type: string;
  name: string;
  /** Terraform address, e.g. `aws_lambda_function.fn-posting_function_608B32D3` or `data.aws_x.y`. */
  address: string;
  /** The construct path below the stack, e.g. `fn-posting/function`. */
  path: string;
  config: Json;
}

const REMOTE_INPUT = 'cross-stack-reference-input-';
const REFERENCE = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

export class SynthStack {
  readonly document: StackDocument;
  readonly blocks: Block[] = [];
  private readonly byPath = new Map<string, Block>();

  constructor(
    readonly name: string,
    readonly dir: string,
  ) {
    const file = join(dir, 'cdk.tf.json');
    if (!existsSync(file)) throw new Error(`stack ${name}: no ${file} (synthesize first)`);
    this.document = JSON.parse(readFileSync(file, 'utf8')) as StackDocument;
    for (const mode of ['resource', 'data'] as const) {
      for (const [type, byName] of Object.entries(this.document[mode] ?? {})) {
        for (const [blockName, config] of Object.entries(byName)) {
          const metadata = (config['//'] as { metadata?: { path?: string } } | undefined)?.metadata;
          const path = (metadata?.path ?? '').replace(`${name}/`, '');
          const block: Block = { mode, type, name: blockName, address: `${mode === 'data' ? 'data.' : ''}${type}.${blockName}`, path, config };
          this.blocks.push(block);
          if (path) this.byPath.set(`${mode}:${path}`, block);
        }
      }
    }
  }

  /** The aliases of the stack's further AWS providers (e.g. `us_east_1` for CloudFront's WAF). */
  providerAliases(): string[] {
    return (this.document.provider?.aws ?? []).map((provider) => provider.alias).filter((alias): alias is string => typeof alias === 'string');
  }

  /** The AWS provider's pinned account (allowed_account_ids) and region. */
  get account(): string {
    const account = this.document.provider?.aws?.[0]?.allowed_account_ids?.[0];
    if (!account) throw new Error(`stack ${this.name}: its aws provider pins no account (allowed_account_ids)`);
    return account;
  }

  get region(): string {
    const region = this.document.provider?.aws?.[0]?.region;
    if (!region) throw new Error(`stack ${this.name}: its aws provider sets no region`);
    return region;
  }

  get awsProviderVersion(): string | undefined {
    return this.document.terraform?.required_providers?.aws?.version;
  }

  /** The resource a construct path names (e.g. `fn-posting/role/role`); throws naming the path when absent. */
  resource(path: string, type?: string): Block {
    const block = this.byPath.get(`resource:${path}`);
    if (!block) throw new Error(`stack ${this.name}: no resource at construct path "${path}"`);
    if (type && block.type !== type) throw new Error(`stack ${this.name}: "${path}" is a ${block.type}, not a ${type}`);
    return block;
  }

  /** The data source a construct path names. */
  dataSource(path: string): Block {
    const block = this.byPath.get(`data:${path}`);
    if (!block) throw new Error(`stack ${this.name}: no data source at construct path "${path}"`);
    return block;
  }

  /** Resources of a type, optionally filtered by their configuration. */
  resources(type: string, where: (config: Json) => boolean = () => true): Block[] {
    return this.blocks.filter((block) => block.mode === 'resource' && block.type === type && where(block.config));
  }

  /** The one resource of `type` whose configuration satisfies `where` (e.g. the role with a given name). */
  only(type: string, where: (config: Json) => boolean, what: string): Block {
    const found = this.resources(type, where);
    if (found.length !== 1) throw new Error(`stack ${this.name}: expected one ${type} for ${what}, found ${found.length}`);
    return found[0]!;
  }

  /** Remote-state inputs: data address → producing stack name. */
  remoteInputs(): { address: string; producer: string }[] {
    return this.blocks.filter((block) => block.mode === 'data' && block.type === 'terraform_remote_state').map((block) => ({ address: block.address, producer: block.name.replace(REMOTE_INPUT, '') }));
  }

  /** Outputs as `{ name, type, resourceName, attribute }` (CDKTF exports plain `${type.name.attr}` references). */
  outputs(): { name: string; type: string; resourceName: string; attribute: string }[] {
    return Object.entries(this.document.output ?? {}).map(([outputName, output]) => {
      const match = typeof output.value === 'string' ? REFERENCE.exec(output.value) : null;
      if (!match) throw new Error(`stack ${this.name}: output ${outputName} is ${JSON.stringify(output.value)}, not a plain resource attribute reference`);
      return { name: outputName, type: match[1]!, resourceName: match[2]!, attribute: match[3]! };
    });
  }

  block(type: string, name: string): Block {
    const found = this.blocks.find((block) => block.mode === 'resource' && block.type === type && block.name === name);
    if (!found) throw new Error(`stack ${this.name}: no resource ${type}.${name}`);
    return found;
  }
}

/** Every stack of a synth directory, by name. */
export function loadSynth(synthDir: string): Map<string, SynthStack> {
  const root = join(synthDir, 'stacks');
  const stacks = new Map<string, SynthStack>();
  for (const name of readdirSync(root).sort()) stacks.set(name, new SynthStack(name, join(root, name)));
  return stacks;
}

/** A string attribute of a block's configuration. */
export function attr(block: Block, name: string): string {
  const value = block.config[name];
  if (typeof value !== 'string') throw new Error(`${block.address}: attribute ${name} is ${JSON.stringify(value)}, not a string`);
  return value;
}

/** The `Name` tag of a block. */
export function nameTag(block: Block): string {
  const tags = block.config.tags as Record<string, string> | undefined;
  if (!tags?.Name) throw new Error(`${block.address}: no Name tag`);
  return tags.Name;
}
