/**
 * One environment's synthesized Terraform (`<dir>/stacks/ledgerline-<env>-<component>/cdk.tf.json`) as a
 * model with CONCRETE values: every interpolation — `${aws_x.y.attr}`, cross-stack
 * `${data.terraform_remote_state.<n>.outputs.<o>}` (followed into the producing stack's `output`
 * block), a few data sources and functions — is resolved to the value AWS would hold after apply,
 * built from the resource's own configuration and the environment's account and region (ARNs,
 * queue URLs, stream ARNs, deterministic key ids ...). An interpolation that cannot be resolved
 * is an error naming the stack, the address and the expression: never a silent pass.
 *
 * On top of it: the roles (trust, inline and managed policies, permissions boundary), the
 * resource policies (key, bucket, queue, topic, function, secret, bus) and the CMK that encrypts
 * each table, bucket, queue, topic, log group, state machine, secret, pipe, schedule, bus and
 * function environment. Used by the IAM contract (NFR3, NFR5: a deployed flow must not fail on a
 * permission it was never granted).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export interface StackJson {
  terraform?: Json;
  provider?: Record<string, Json[]>;
  resource?: Record<string, Record<string, Json>>;
  data?: Record<string, Record<string, Json>>;
  output?: Record<string, { value: unknown }>;
}

export interface TfResource {
  stack: string;
  type: string;
  name: string;
  /** `<stack>/<type>.<name>` */
  address: string;
  /** As synthesized (interpolations unresolved). */
  raw: Json;
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatementJson[];
}

/** A policy document and the Terraform address it comes from. */
export interface NamedPolicy {
  address: string;
  document: PolicyDocument;
}

export interface RoleModel {
  name: string;
  arn: string;
  address: string;
  trust: NamedPolicy;
  inline: NamedPolicy[];
  managed: NamedPolicy[];
  /** The boundary policy, when the role names one that this environment synthesizes. */
  boundary?: NamedPolicy;
  boundaryArn?: string;
}

export type ResourcePolicyKind = 'kms' | 's3' | 'sqs' | 'sns' | 'lambda' | 'secretsmanager' | 'events';

export interface ResourcePolicyModel {
  kind: ResourcePolicyKind;
  /** The resource the policy is attached to (key, bucket, queue, topic, function, secret, bus ARN). */
  arn: string;
  /** Addresses the document was assembled from (one per policy; several aws_lambda_permission). */
  addresses: string[];
  document: PolicyDocument;
}

export interface EncryptionModel {
  /** The encrypted resource's ARN. */
  arn: string;
  keyArn: string;
  /** The resource (or the setting) that names the key. */
  address: string;
}

export interface FunctionModel {
  name: string;
  arn: string;
  address: string;
  roleName: string;
  /** Exactly `environment.variables`, resolved. */
  environment: Record<string, string>;
  environmentKeyArn?: string;
  logGroup?: string;
}

export class ResolutionError extends Error {
  override name = 'ResolutionError';
}

const INTERPOLATION = /\$\{([^{}]+)\}/g;
const WHOLE = /^\$\{([^{}]+)\}$/;

export function list<T>(value: T | readonly T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...value] : [value as T];
}

/** Nested blocks synthesize as an object (cdktf) or a one-element list (hand-written JSON). */
export function block(value: unknown): Json | undefined {
  if (Array.isArray(value)) return value[0] as Json | undefined;
  return value && typeof value === 'object' ? (value as Json) : undefined;
}

function hex(seed: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i += 1) out += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return out.slice(0, length);
}

/** A deterministic UUID (v4 layout) from a seed. */
export function uuidFrom(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The random suffix AWS appends to a secret's name in its ARN. */
export const SECRET_SUFFIX = 'AbCdEf';
/** The stream label of every synthesized table stream. */
export const STREAM_LABEL = '2026-01-01T00:00:00.000';

const EC2_PREFIX: Readonly<Record<string, [prefix: string, arnType: string]>> = {
  aws_vpc: ['vpc', 'vpc'],
  aws_subnet: ['subnet', 'subnet'],
  aws_security_group: ['sg', 'security-group'],
  aws_default_security_group: ['sg', 'security-group'],
  aws_route_table: ['rtb', 'route-table'],
  aws_internet_gateway: ['igw', 'internet-gateway'],
  aws_nat_gateway: ['nat', 'natgateway'],
  aws_eip: ['eipalloc', 'elastic-ip'],
  aws_vpn_gateway: ['vgw', 'vpn-gateway'],
  aws_vpc_endpoint: ['vpce', 'vpc-endpoint'],
  aws_flow_log: ['fl', 'vpc-flow-log'],
  aws_vpc_security_group_ingress_rule: ['sgr', 'security-group-rule'],
  aws_vpc_security_group_egress_rule: ['sgr', 'security-group-rule'],
};

export class TerraformModel {
  readonly resources: TfResource[] = [];
  readonly account: string;
  readonly region: string;
  private readonly byAddress = new Map<string, TfResource>();
  private readonly attributeCache = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  constructor(
    readonly env: string,
    readonly stacks: ReadonlyMap<string, StackJson>,
  ) {
    for (const [stack, json] of stacks) {
      for (const [type, byName] of Object.entries(json.resource ?? {})) {
        for (const [name, raw] of Object.entries(byName)) {
          const resource = { stack, type, name, address: `${stack}/${type}.${name}`, raw };
          this.resources.push(resource);
          this.byAddress.set(resource.address, resource);
        }
      }
    }
    const provider = [...stacks.values()].map((json) => json.provider?.aws?.[0]).find((aws) => aws !== undefined);
    const account = list(provider?.allowed_account_ids as string[] | undefined)[0];
    const region = provider?.region;
    if (typeof account !== 'string' || typeof region !== 'string')
      throw new ResolutionError(`environment ${env}: no aws provider with allowed_account_ids and region in ${[...stacks.keys()].join(', ')}`);
    this.account = account;
    this.region = region;
  }

  static load(stacksDir: string, env: string): TerraformModel {
    const root = join(stacksDir, 'stacks');
    if (!existsSync(root)) throw new ResolutionError(`${stacksDir}: no stacks/ directory (synthesize first)`);
    const prefix = `ledgerline-${env}-`;
    const names = readdirSync(root).filter((name) => name.startsWith(prefix) && existsSync(join(root, name, 'cdk.tf.json')));
    if (names.length === 0) throw new ResolutionError(`${root}: no ${prefix}*/cdk.tf.json`);
    const stacks = new Map<string, StackJson>();
    for (const name of names.sort()) stacks.set(name, JSON.parse(readFileSync(join(root, name, 'cdk.tf.json'), 'utf8')) as StackJson);
    return new TerraformModel(env, stacks);
  }

  get(address: string): TfResource | undefined {
    return this.byAddress.get(address);
  }

  of(type: string): TfResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /** The resource's configuration with every interpolation resolved (deeply). */
  config(resource: TfResource): Json {
    return this.resolveValue(resource.stack, resource.raw, resource.address) as Json;
  }

  /** One configuration field, resolved. */
  field(resource: TfResource, field: string): unknown {
    return this.resolveValue(resource.stack, resource.raw[field], `${resource.address}.${field}`);
  }

  str(resource: TfResource, field: string): string {
    const value = this.field(resource, field);
    if (typeof value !== 'string') throw new ResolutionError(`${resource.address}: ${field} is ${JSON.stringify(value)}, not a string`);
    return value;
  }

  /** The provider's default tags of a stack. */
  defaultTags(stack: string): Record<string, string> {
    const aws = this.stacks.get(stack)?.provider?.aws?.[0];
    return { ...((block(aws?.default_tags)?.tags as Record<string, string> | undefined) ?? {}) };
  }

  /** Tags a resource carries after apply: provider default tags + its own `tags`. */
  tagsOf(resource: TfResource): Record<string, string> {
    const own = this.field(resource, 'tags');
    return { ...this.defaultTags(resource.stack), ...(own && typeof own === 'object' ? (own as Record<string, string>) : {}) };
  }

  resolveValue(stack: string, value: unknown, where: string): unknown {
    if (typeof value === 'string') return this.resolveString(stack, value, where);
    if (Array.isArray(value)) return value.map((inner, i) => this.resolveValue(stack, inner, `${where}[${i}]`));
    if (value && typeof value === 'object') {
      const out: Json = {};
      for (const [key, inner] of Object.entries(value)) if (key !== '//') out[key] = this.resolveValue(stack, inner, `${where}.${key}`);
      return out;
    }
    return value;
  }

  resolveString(stack: string, value: string, where: string): unknown {
    const whole = WHOLE.exec(value);
    if (whole) return this.expression(stack, whole[1]!.trim(), where);
    return value.replace(INTERPOLATION, (_, expression: string) => {
      const resolved = this.expression(stack, expression.trim(), where);
      if (typeof resolved === 'object') throw new ResolutionError(`${where}: \${${expression}} is not a scalar (${JSON.stringify(resolved).slice(0, 80)}) inside a string`);
      return String(resolved);
    });
  }

  private expression(stack: string, expression: string, where: string): unknown {
    const fail = (reason: string): never => {
      throw new ResolutionError(`${where}: cannot resolve \${${expression}} (${reason})`);
    };
    if (expression === 'terraform.workspace') return 'default';
    const fn = /^([a-z0-9_]+)\((.*)\)$/s.exec(expression);
    if (fn) {
      if (fn[1] === 'filebase64sha256') return createHash('sha256').update(fn[2]!).digest('base64');
      // join("<separator>", [<reference or "literal">, ...]): a list of references without commas of their own.
      const join = fn[1] === 'join' ? /^\s*"((?:[^"\\]|\\.)*)"\s*,\s*\[(.*)\]\s*$/s.exec(fn[2]!) : null;
      if (join) {
        const items = join[2]!
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '');
        const values = items.map((item) => /^"(.*)"$/s.exec(item)?.[1] ?? this.expression(stack, item, where));
        if (values.some((value) => typeof value === 'object')) return fail('join of a non-scalar');
        return values.map(String).join(JSON.parse(`"${join[1]!}"`) as string);
      }
      // replace(<reference>, "<literal>", "<literal>"): a plain substring replacement (Terraform's regex form is not used).
      const replace = fn[1] === 'replace' ? /^\s*([^",]+?)\s*,\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*$/s.exec(fn[2]!) : null;
      if (replace) {
        const value = this.expression(stack, replace[1]!, where);
        if (typeof value !== 'string') return fail('replace of a non-string');
        const search = JSON.parse(`"${replace[2]!}"`) as string;
        if (search.startsWith('/') && search.endsWith('/')) return fail('replace with a regular expression is not modelled');
        return value.split(search).join(JSON.parse(`"${replace[3]!}"`) as string);
      }
      return fail(`function ${fn[1]} is not modelled`);
    }
    // a.b[0].c is a.b.0.c
    const parts = expression.replace(/\[(\d+)\]/g, '.$1').split('.');
    if (parts[0] === 'data') {
      const [, type, name, ...path] = parts;
      if (!type || !name) return fail('malformed data reference');
      if (type === 'terraform_remote_state') {
        if (path[0] !== 'outputs' || !path[1]) return fail('only outputs.<name> of a remote state is modelled');
        const data = this.stacks.get(stack)?.data?.terraform_remote_state?.[name];
        if (!data) return fail(`stack ${stack} has no data.terraform_remote_state.${name}`);
        const producer = this.producerOf(stack, name, data);
        if (!producer) return fail(`no stack of this environment produces remote state ${name}`);
        const output = this.stacks.get(producer)?.output?.[path[1]];
        if (!output) return fail(`stack ${producer} has no output ${path[1]}`);
        return this.resolveValue(producer, output.value, `${producer}/output.${path[1]}`);
      }
      const data = this.stacks.get(stack)?.data?.[type]?.[name];
      if (!data) return fail(`stack ${stack} has no data.${type}.${name}`);
      const attribute = path[0];
      if (type === 'aws_secretsmanager_secret_version' && attribute === 'secret_string') return `<value of secret ${String(this.resolveValue(stack, data.secret_id, where))}>`;
      if (type === 'aws_secretsmanager_random_password' && attribute === 'random_password') return 'R'.repeat(Number(data.password_length ?? 32));
      if (attribute && attribute in data) return this.resolveValue(stack, data[attribute], where);
      return fail(`data source ${type}.${attribute ?? '?'} is not modelled`);
    }
    if (parts[0] === 'var' || parts[0] === 'local' || parts[0] === 'module') return fail(`${parts[0]} references are not modelled`);
    const [type, name, attribute, ...rest] = parts;
    if (!type || !name || !attribute) return fail('not <type>.<name>.<attribute>');
    const target = this.byAddress.get(`${stack}/${type}.${name}`);
    if (!target) return fail(`stack ${stack} has no resource ${type}.${name}`);
    let value = this.attribute(target, attribute);
    for (const step of rest) {
      const index = /^(\d+)$/.exec(step);
      value = index ? (value as unknown[])[Number(index[1])] : (value as Json | undefined)?.[step];
      if (value === undefined) return fail(`${step} of ${type}.${name}.${attribute} is not modelled`);
    }
    return value;
  }

  private producerOf(stack: string, name: string, data: Json): string | undefined {
    const byName = /^cross-stack-reference-input-(.+)$/.exec(name)?.[1];
    if (byName && this.stacks.has(byName)) return byName;
    const key = block(data.config)?.key;
    if (typeof key !== 'string') return undefined;
    const component = /\/([^/]+)\.tfstate$/.exec(key)?.[1];
    return [...this.stacks.keys()].find((candidate) => candidate !== stack && candidate.endsWith(`-${component}`));
  }

  /** An attribute of a resource after apply: its configuration, or what AWS computes for it. */
  attribute(resource: TfResource, attribute: string): unknown {
    const key = `${resource.address}#${attribute}`;
    if (this.attributeCache.has(key)) return this.attributeCache.get(key);
    if (this.resolving.has(key)) throw new ResolutionError(`${resource.address}: ${attribute} refers to itself`);
    this.resolving.add(key);
    try {
      const computed = this.computed(resource, attribute);
      const value = computed !== undefined ? computed : attribute in resource.raw ? this.field(resource, attribute) : undefined;
      if (value === undefined) throw new ResolutionError(`${resource.address}: attribute ${attribute} of ${resource.type} is not modelled`);
      this.attributeCache.set(key, value);
      return value;
    } finally {
      this.resolving.delete(key);
    }
  }

  arnOf(resource: TfResource): string {
    return String(this.attribute(resource, 'arn'));
  }

  private computed(resource: TfResource, attribute: string): unknown {
    const { region, account } = this;
    const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${account}:${rest}`;
    const seed = `${this.env}/${resource.address}`;
    const s = (field: string) => this.str(resource, field);
    const ec2 = EC2_PREFIX[resource.type];
    if (ec2) {
      const id = `${ec2[0]}-${hex(seed, 17)}`;
      if (attribute === 'id') return id;
      if (attribute === 'arn') return arn('ec2', `${ec2[1]}/${id}`);
      if (attribute === 'prefix_list_id' && resource.type === 'aws_vpc_endpoint') return `pl-${hex(seed, 8)}`;
      if (attribute === 'owner_id') return account;
      return undefined;
    }
    switch (resource.type) {
      case 'aws_kms_key': {
        const keyId = uuidFrom(seed);
        if (attribute === 'key_id' || attribute === 'id') return keyId;
        if (attribute === 'arn') return arn('kms', `key/${keyId}`);
        return undefined;
      }
      case 'aws_kms_alias':
        if (attribute === 'arn') return arn('kms', s('name'));
        if (attribute === 'id') return s('name');
        if (attribute === 'target_key_arn') return this.keyArnFor(resource, this.field(resource, 'target_key_id'));
        return undefined;
      case 'aws_iam_role':
        if (attribute === 'arn') return `arn:aws:iam::${account}:role${this.rawOr(resource, 'path', '/')}${s('name')}`;
        if (attribute === 'id') return s('name');
        if (attribute === 'unique_id') return `AROA${hex(seed, 17).toUpperCase()}`;
        return undefined;
      case 'aws_iam_policy':
        if (attribute === 'arn' || attribute === 'id') return `arn:aws:iam::${account}:policy${this.rawOr(resource, 'path', '/')}${s('name')}`;
        return undefined;
      case 'aws_dynamodb_table':
        if (attribute === 'arn') return arn('dynamodb', `table/${s('name')}`);
        if (attribute === 'id') return s('name');
        if (attribute === 'stream_label') return STREAM_LABEL;
        if (attribute === 'stream_arn') {
          if (this.field(resource, 'stream_enabled') !== true) throw new ResolutionError(`${resource.address}: stream_arn of a table without stream_enabled`);
          return `${arn('dynamodb', `table/${s('name')}`)}/stream/${STREAM_LABEL}`;
        }
        return undefined;
      case 'aws_sqs_queue':
        if (attribute === 'arn') return arn('sqs', s('name'));
        if (attribute === 'url' || attribute === 'id') return `https://sqs.${region}.amazonaws.com/${account}/${s('name')}`;
        return undefined;
      case 'aws_sns_topic':
        if (attribute === 'arn' || attribute === 'id') return arn('sns', s('name'));
        return undefined;
      case 'aws_s3_bucket':
        if (attribute === 'arn') return `arn:aws:s3:::${s('bucket')}`;
        if (attribute === 'id') return s('bucket');
        if (attribute === 'bucket_domain_name') return `${s('bucket')}.s3.amazonaws.com`;
        return undefined;
      case 'aws_s3_object':
        if (attribute === 'arn') return `arn:aws:s3:::${s('bucket')}/${s('key')}`;
        if (attribute === 'id') return s('key');
        return undefined;
      case 'aws_lambda_function':
        if (attribute === 'arn') return arn('lambda', `function:${s('function_name')}`);
        if (attribute === 'qualified_arn') return arn('lambda', `function:${s('function_name')}:$LATEST`);
        if (attribute === 'invoke_arn') return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn('lambda', `function:${s('function_name')}`)}/invocations`;
        if (attribute === 'id') return s('function_name');
        return undefined;
      case 'aws_cloudwatch_log_group':
        if (attribute === 'arn') return arn('logs', `log-group:${s('name')}`);
        if (attribute === 'id') return s('name');
        return undefined;
      case 'aws_cloudwatch_event_bus':
        if (attribute === 'arn') return arn('events', `event-bus/${s('name')}`);
        if (attribute === 'id') return s('name');
        return undefined;
      case 'aws_cloudwatch_event_rule': {
        const bus = resource.raw.event_bus_name === undefined ? 'default' : String(this.field(resource, 'event_bus_name'));
        const busName = bus.startsWith('arn:') ? bus.split('/').pop()! : bus;
        if (attribute === 'arn') return arn('events', busName === 'default' ? `rule/${s('name')}` : `rule/${busName}/${s('name')}`);
        if (attribute === 'id') return busName === 'default' ? s('name') : `${busName}/${s('name')}`;
        return undefined;
      }
      case 'aws_cloudwatch_event_archive':
        if (attribute === 'arn') return arn('events', `archive/${s('name')}`);
        return undefined;
      case 'aws_sfn_state_machine':
        if (attribute === 'arn' || attribute === 'id') return arn('states', `stateMachine:${s('name')}`);
        return undefined;
      case 'aws_pipes_pipe':
        if (attribute === 'arn') return arn('pipes', `pipe/${s('name')}`);
        if (attribute === 'id') return s('name');
        return undefined;
      case 'aws_scheduler_schedule':
        if (attribute === 'arn') return arn('scheduler', `schedule/${this.rawOr(resource, 'group_name', 'default')}/${s('name')}`);
        return undefined;
      case 'aws_secretsmanager_secret':
        if (attribute === 'arn' || attribute === 'id') return arn('secretsmanager', `secret:${s('name')}-${SECRET_SUFFIX}`);
        return undefined;
      case 'aws_secretsmanager_secret_version':
        if (attribute === 'version_id') return uuidFrom(seed);
        if (attribute === 'arn') return this.field(resource, 'secret_id');
        if (attribute === 'id') return `${String(this.field(resource, 'secret_id'))}|${uuidFrom(seed)}`;
        return undefined;
      case 'aws_ssm_parameter':
        if (attribute === 'arn') return arn('ssm', `parameter${s('name').startsWith('/') ? '' : '/'}${s('name')}`);
        if (attribute === 'id') return s('name');
        return undefined;
      case 'aws_lb':
        if (attribute === 'arn' || attribute === 'id') return arn('elasticloadbalancing', `loadbalancer/app/${s('name')}/${hex(seed, 16)}`);
        if (attribute === 'dns_name') return `internal-${s('name')}-${hex(seed, 10)}.${region}.elb.amazonaws.com`;
        return undefined;
      case 'aws_lb_target_group':
        if (attribute === 'arn' || attribute === 'id') return arn('elasticloadbalancing', `targetgroup/${s('name')}/${hex(seed, 16)}`);
        return undefined;
      case 'aws_lb_listener': {
        if (attribute !== 'arn' && attribute !== 'id') return undefined;
        const lb = String(this.field(resource, 'load_balancer_arn'));
        return `${lb.replace(':loadbalancer/', ':listener/')}/${hex(seed, 16)}`;
      }
      case 'aws_glue_catalog_database':
        if (attribute === 'arn') return arn('glue', `database/${s('name')}`);
        if (attribute === 'id') return `${account}:${s('name')}`;
        return undefined;
      case 'aws_glue_catalog_table':
        if (attribute === 'arn') return arn('glue', `table/${s('database_name')}/${s('name')}`);
        return undefined;
      case 'aws_glue_job':
        if (attribute === 'arn') return arn('glue', `job/${s('name')}`);
        if (attribute === 'id') return s('name');
        return undefined;
      case 'aws_glue_connection':
        if (attribute === 'arn') return arn('glue', `connection/${s('name')}`);
        if (attribute === 'id') return `${account}:${s('name')}`;
        return undefined;
      case 'aws_glue_security_configuration':
        if (attribute === 'id') return s('name');
        return undefined;
      case 'aws_emrserverless_application': {
        const id = `00${hex(seed, 16)}`;
        if (attribute === 'id') return id;
        if (attribute === 'arn') return arn('emr-serverless', `/applications/${id}`);
        return undefined;
      }
      case 'aws_redshiftserverless_namespace':
        if (attribute === 'arn') return arn('redshift-serverless', `namespace/${uuidFrom(seed)}`);
        if (attribute === 'namespace_id') return uuidFrom(seed);
        if (attribute === 'id') return s('namespace_name');
        if (attribute === 'admin_password_secret_arn') {
          if (this.field(resource, 'manage_admin_password') !== true) throw new ResolutionError(`${resource.address}: admin_password_secret_arn without manage_admin_password`);
          return arn('secretsmanager', `secret:${this.adminSecretName(resource)}-${SECRET_SUFFIX}`);
        }
        return undefined;
      case 'aws_redshiftserverless_workgroup':
        if (attribute === 'arn') return arn('redshift-serverless', `workgroup/${uuidFrom(seed)}`);
        if (attribute === 'workgroup_id') return uuidFrom(seed);
        if (attribute === 'id') return s('workgroup_name');
        return undefined;
      case 'aws_cloudwatch_metric_alarm':
        if (attribute === 'arn') return arn('cloudwatch', `alarm:${s('alarm_name')}`);
        if (attribute === 'id') return s('alarm_name');
        return undefined;
      case 'aws_cloudwatch_dashboard':
        if (attribute === 'dashboard_arn') return `arn:aws:cloudwatch::${account}:dashboard/${s('dashboard_name')}`;
        return undefined;
      case 'aws_codebuild_project':
        if (attribute === 'arn' || attribute === 'id') return arn('codebuild', `project/${s('name')}`);
        return undefined;
      case 'aws_codepipeline':
        if (attribute === 'arn') return arn('codepipeline', s('name'));
        return undefined;
      case 'aws_rds_cluster': {
        // AUDIT-1's Aurora cluster: endpoints in AWS's shape; the RDS-managed master secret.
        const id = s('cluster_identifier');
        const resourceId = `cluster-${hex(seed, 26).toUpperCase()}`;
        if (attribute === 'id') return id;
        if (attribute === 'arn') return arn('rds', `cluster:${id}`);
        if (attribute === 'cluster_resource_id') return resourceId;
        if (attribute === 'endpoint') return `${id}.cluster-${hex(`${account}/${region}`, 12)}.${region}.rds.amazonaws.com`;
        if (attribute === 'reader_endpoint') return `${id}.cluster-ro-${hex(`${account}/${region}`, 12)}.${region}.rds.amazonaws.com`;
        if (attribute === 'port') return resource.raw.port === undefined ? 5432 : this.field(resource, 'port');
        if (attribute === 'master_user_secret') {
          if (this.field(resource, 'manage_master_user_password') !== true) throw new ResolutionError(`${resource.address}: master_user_secret without manage_master_user_password`);
          return [
            {
              secret_arn: arn('secretsmanager', `secret:${this.rdsSecretName(resource)}-${SECRET_SUFFIX}`),
              secret_status: 'active',
              kms_key_id: resource.raw.master_user_secret_kms_key_id === undefined ? null : this.field(resource, 'master_user_secret_kms_key_id'),
            },
          ];
        }
        return undefined;
      }
      case 'aws_rds_cluster_instance':
        if (attribute === 'id') return s('identifier');
        if (attribute === 'arn') return arn('rds', `db:${s('identifier')}`);
        if (attribute === 'endpoint') return `${s('identifier')}.${hex(`${account}/${region}`, 12)}.${region}.rds.amazonaws.com`;
        return undefined;
      case 'aws_db_subnet_group':
        if (attribute === 'id') return s('name');
        if (attribute === 'arn') return arn('rds', `subgrp:${s('name')}`);
        return undefined;
      case 'aws_rds_cluster_parameter_group':
        if (attribute === 'id') return s('name');
        if (attribute === 'arn') return arn('rds', `cluster-pg:${s('name')}`);
        return undefined;
      // The payments API edge (API-1..5): Cognito, the HTTP API, CloudFront, WAF; ids in AWS's shapes.
      case 'aws_cognito_user_pool': {
        const id = `${region}_${hex(seed, 9)}`;
        if (attribute === 'id') return id;
        if (attribute === 'arn') return arn('cognito-idp', `userpool/${id}`);
        if (attribute === 'endpoint') return `cognito-idp.${region}.amazonaws.com/${id}`;
        return undefined;
      }
      case 'aws_cognito_user_pool_client':
        if (attribute === 'id') return hex(seed, 26);
        if (attribute === 'client_secret') return `rehearsal-client-secret-${hex(seed, 16)}`;
        return undefined;
      case 'aws_cognito_resource_server':
        if (attribute === 'id') return s('identifier');
        return undefined;
      case 'aws_cognito_user_pool_domain':
        if (attribute === 'id') return s('domain');
        if (attribute === 'cloudfront_distribution') return `d${hex(seed, 13)}.cloudfront.net`;
        return undefined;
      case 'aws_apigatewayv2_api': {
        const id = hex(seed, 10);
        if (attribute === 'id') return id;
        if (attribute === 'arn') return `arn:aws:apigateway:${region}::/apis/${id}`;
        if (attribute === 'execution_arn') return arn('execute-api', id);
        if (attribute === 'api_endpoint') return `https://${id}.execute-api.${region}.amazonaws.com`;
        return undefined;
      }
      case 'aws_apigatewayv2_stage':
        if (attribute === 'id') return s('name');
        if (attribute === 'arn') return `arn:aws:apigateway:${region}::/apis/${String(this.field(resource, 'api_id'))}/stages/${s('name')}`;
        if (attribute === 'execution_arn') return `${arn('execute-api', String(this.field(resource, 'api_id')))}/${s('name')}`;
        if (attribute === 'invoke_url') return `https://${String(this.field(resource, 'api_id'))}.execute-api.${region}.amazonaws.com/${s('name')}`;
        return undefined;
      case 'aws_apigatewayv2_integration':
      case 'aws_apigatewayv2_authorizer':
      case 'aws_apigatewayv2_route':
        if (attribute === 'id') return hex(seed, 7);
        return undefined;
      case 'aws_cloudfront_distribution': {
        const id = `E${hex(seed, 13).toUpperCase()}`;
        if (attribute === 'id') return id;
        if (attribute === 'arn') return `arn:aws:cloudfront::${account}:distribution/${id}`;
        if (attribute === 'domain_name') return `d${hex(seed, 13)}.cloudfront.net`;
        if (attribute === 'hosted_zone_id') return 'Z2FDTNDATAQYW2';
        return undefined;
      }
      case 'aws_wafv2_web_acl': {
        const id = uuidFrom(seed);
        if (attribute === 'id') return id;
        if (attribute === 'arn')
          return `arn:aws:wafv2:${String(resource.raw.scope) === 'CLOUDFRONT' ? 'us-east-1' : region}:${account}:${String(resource.raw.scope) === 'CLOUDFRONT' ? 'global' : 'regional'}/webacl/${s('name')}/${id}`;
        return undefined;
      }
      case 'aws_sesv2_email_identity':
        if (attribute === 'arn') return arn('ses', `identity/${s('email_identity')}`);
        if (attribute === 'id') return s('email_identity');
        return undefined;
      case 'aws_sesv2_configuration_set':
        if (attribute === 'arn') return arn('ses', `configuration-set/${s('configuration_set_name')}`);
        if (attribute === 'id') return s('configuration_set_name');
        return undefined;
      case 'aws_lambda_event_source_mapping':
        if (attribute === 'uuid' || attribute === 'id') return uuidFrom(seed);
        if (attribute === 'arn') return arn('lambda', `event-source-mapping:${uuidFrom(seed)}`);
        return undefined;
      default:
        return undefined;
    }
  }

  /** The RDS-managed master secret's name: `rds!cluster-<uuid>`. */
  rdsSecretName(cluster: TfResource): string {
    return `rds!cluster-${uuidFrom(`${this.env}/${cluster.address}/master-secret`)}`;
  }

  /** The Redshift-managed admin secret's name: `redshift!<namespace>-<admin user>`. */
  adminSecretName(namespace: TfResource): string {
    return `redshift!${this.str(namespace, 'namespace_name')}-${this.str(namespace, 'admin_username')}`;
  }

  private rawOr(resource: TfResource, field: string, fallback: string): string {
    return resource.raw[field] === undefined ? fallback : this.str(resource, field);
  }

  /** A key given as key ARN, key id, alias name or alias ARN → the key's ARN (or undefined for AWS-managed keys). */
  keyArnFor(from: TfResource, value: unknown): string {
    if (typeof value !== 'string' || value === '') throw new ResolutionError(`${from.address}: KMS key ${JSON.stringify(value)} is not a key reference`);
    const keys = this.of('aws_kms_key');
    if (/^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\//.test(value)) return value;
    const byId = keys.find((key) => this.attribute(key, 'key_id') === value);
    if (byId) return this.arnOf(byId);
    const aliasName = value.startsWith('arn:') ? value.split(':').pop()! : value;
    const alias = this.of('aws_kms_alias').find((candidate) => this.str(candidate, 'name') === aliasName);
    if (alias) return this.keyArnFor(alias, this.field(alias, 'target_key_id'));
    throw new ResolutionError(`${from.address}: KMS key ${value} is neither a key nor an alias of this environment`);
  }
}

function parsePolicy(text: unknown, where: string): PolicyDocument {
  if (typeof text !== 'string') throw new ResolutionError(`${where}: policy is ${JSON.stringify(text)?.slice(0, 60)}, not a JSON string`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ResolutionError(`${where}: policy is not JSON (${(error as Error).message})`);
  }
  const statement = (parsed as { Statement?: unknown }).Statement;
  if (statement === undefined) throw new ResolutionError(`${where}: policy has no Statement`);
  return { ...(parsed as object), Statement: list(statement as PolicyStatementJson | PolicyStatementJson[]) } as PolicyDocument;
}

/** The IAM view of one environment: roles, resource policies, encryption, functions. */
export class IamModel {
  readonly roles = new Map<string, RoleModel>();
  /** Role name by the address of its aws_iam_role. */
  readonly roleNames = new Map<string, string>();
  readonly resourcePolicies = new Map<string, ResourcePolicyModel>();
  /** Encryption of each resource ARN by a customer-managed key. */
  readonly encryption = new Map<string, EncryptionModel>();
  /** Key ARN → its aws_kms_key. */
  readonly keys = new Map<string, TfResource>();
  readonly functions = new Map<string, FunctionModel>();
  /** ARN → resource, for every resource with an ARN. */
  readonly byArn = new Map<string, TfResource>();
  readonly deployRoleName: string | undefined;

  constructor(readonly tf: TerraformModel) {
    for (const resource of tf.resources) {
      if (!hasArn(resource.type)) continue;
      this.byArn.set(tf.arnOf(resource), resource);
    }
    for (const key of tf.of('aws_kms_key')) this.keys.set(tf.arnOf(key), key);
    this.collectRoles();
    this.collectResourcePolicies();
    this.collectEncryption();
    this.collectFunctions();
    const deploy = tf.of('aws_iam_role').find((role) => tf.str(role, 'name').endsWith('-deploy'));
    this.deployRoleName = deploy ? tf.str(deploy, 'name') : undefined;
  }

  static load(stacksDir: string, env: string): IamModel {
    return new IamModel(TerraformModel.load(stacksDir, env));
  }

  get account(): string {
    return this.tf.account;
  }

  get region(): string {
    return this.tf.region;
  }

  roleArn(roleName: string): string {
    const role = this.roles.get(roleName);
    if (!role) throw new ResolutionError(`environment ${this.tf.env}: no role ${roleName}`);
    return role.arn;
  }

  /** The resource named `name` among resources of `type` (by the field that names it). */
  named(type: string, name: string): TfResource | undefined {
    const field = NAME_FIELD[type] ?? 'name';
    return this.tf.of(type).find((resource) => resource.raw[field] !== undefined && this.tf.field(resource, field) === name);
  }

  private collectRoles(): void {
    const tf = this.tf;
    const policies = new Map<string, NamedPolicy>();
    for (const policy of tf.of('aws_iam_policy')) policies.set(tf.arnOf(policy), { address: policy.address, document: parsePolicy(tf.field(policy, 'policy'), policy.address) });
    for (const role of tf.of('aws_iam_role')) {
      const name = tf.str(role, 'name');
      const boundaryArn = role.raw.permissions_boundary === undefined ? undefined : tf.str(role, 'permissions_boundary');
      const boundary = boundaryArn ? policies.get(boundaryArn) : undefined;
      if (boundaryArn && !boundary) throw new ResolutionError(`${role.address}: permissions boundary ${boundaryArn} is not a policy this environment synthesizes`);
      this.roles.set(name, {
        name,
        arn: tf.arnOf(role),
        address: role.address,
        trust: { address: role.address, document: parsePolicy(tf.field(role, 'assume_role_policy'), `${role.address}.assume_role_policy`) },
        inline: [],
        managed: [],
        ...(boundary ? { boundary, boundaryArn } : {}),
      });
      this.roleNames.set(role.address, name);
    }
    const roleOf = (resource: TfResource): RoleModel => {
      const name = tf.str(resource, 'role');
      const role = this.roles.get(name) ?? [...this.roles.values()].find((candidate) => candidate.arn === name);
      if (!role) throw new ResolutionError(`${resource.address}: role ${name} is not synthesized in this environment`);
      return role;
    };
    for (const inline of tf.of('aws_iam_role_policy')) roleOf(inline).inline.push({ address: inline.address, document: parsePolicy(tf.field(inline, 'policy'), inline.address) });
    for (const attachment of tf.of('aws_iam_role_policy_attachment')) {
      const arn = tf.str(attachment, 'policy_arn');
      const policy = policies.get(arn);
      if (!policy) throw new ResolutionError(`${attachment.address}: attaches ${arn}, which this environment does not synthesize (AWS-managed policies are not modelled)`);
      roleOf(attachment).managed.push(policy);
    }
  }

  private addResourcePolicy(kind: ResourcePolicyKind, arn: string, address: string, document: PolicyDocument): void {
    const existing = this.resourcePolicies.get(arn);
    if (existing) {
      existing.addresses.push(address);
      existing.document.Statement.push(...document.Statement);
    } else {
      this.resourcePolicies.set(arn, { kind, arn, addresses: [address], document: { Version: '2012-10-17', Statement: [...document.Statement] } });
    }
  }

  private collectResourcePolicies(): void {
    const tf = this.tf;
    for (const key of tf.of('aws_kms_key')) {
      if (key.raw.policy === undefined) continue;
      this.addResourcePolicy('kms', tf.arnOf(key), key.address, parsePolicy(tf.field(key, 'policy'), key.address));
    }
    for (const policy of tf.of('aws_s3_bucket_policy'))
      this.addResourcePolicy('s3', `arn:aws:s3:::${tf.str(policy, 'bucket')}`, policy.address, parsePolicy(tf.field(policy, 'policy'), policy.address));
    for (const policy of tf.of('aws_sqs_queue_policy')) {
      const url = tf.str(policy, 'queue_url');
      const queue = tf.of('aws_sqs_queue').find((candidate) => tf.attribute(candidate, 'url') === url);
      if (!queue) throw new ResolutionError(`${policy.address}: queue ${url} is not synthesized in this environment`);
      this.addResourcePolicy('sqs', tf.arnOf(queue), policy.address, parsePolicy(tf.field(policy, 'policy'), policy.address));
    }
    for (const policy of tf.of('aws_sns_topic_policy')) this.addResourcePolicy('sns', tf.str(policy, 'arn'), policy.address, parsePolicy(tf.field(policy, 'policy'), policy.address));
    for (const policy of tf.of('aws_secretsmanager_secret_policy')) {
      const secret = tf.str(policy, 'secret_arn');
      this.addResourcePolicy('secretsmanager', secret, policy.address, parsePolicy(tf.field(policy, 'policy'), policy.address));
    }
    for (const policy of tf.of('aws_cloudwatch_event_bus_policy')) {
      const bus = policy.raw.event_bus_name === undefined ? 'default' : tf.str(policy, 'event_bus_name');
      const arn = bus.startsWith('arn:') ? bus : `arn:aws:events:${tf.region}:${tf.account}:event-bus/${bus}`;
      this.addResourcePolicy('events', arn, policy.address, parsePolicy(tf.field(policy, 'policy'), policy.address));
    }
    for (const permission of tf.of('aws_lambda_permission')) {
      const functionName = tf.str(permission, 'function_name');
      const fn = functionName.startsWith('arn:') ? functionName : `arn:aws:lambda:${tf.region}:${tf.account}:function:${functionName}`;
      const principal = tf.str(permission, 'principal');
      const condition: Record<string, Record<string, string>> = {};
      if (permission.raw.source_arn !== undefined) condition.ArnLike = { 'aws:SourceArn': tf.str(permission, 'source_arn') };
      if (permission.raw.source_account !== undefined) condition.StringEquals = { 'aws:SourceAccount': tf.str(permission, 'source_account') };
      const statement: PolicyStatementJson = {
        Sid: permission.raw.statement_id === undefined ? permission.name : tf.str(permission, 'statement_id'),
        Effect: 'Allow',
        Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
        Action: tf.str(permission, 'action'),
        Resource: fn,
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      };
      this.addResourcePolicy('lambda', fn, permission.address, { Statement: [statement] });
    }
  }

  private encrypt(arn: string, keyRef: unknown, from: TfResource): void {
    if (keyRef === undefined || keyRef === null || keyRef === '') return;
    const keyArn = this.tf.keyArnFor(from, keyRef);
    if (!this.keys.has(keyArn)) throw new ResolutionError(`${from.address}: encrypts with ${keyArn}, a key this environment does not synthesize`);
    this.encryption.set(arn, { arn, keyArn, address: from.address });
  }

  private collectEncryption(): void {
    const tf = this.tf;
    for (const table of tf.of('aws_dynamodb_table')) {
      const sse = block(tf.field(table, 'server_side_encryption'));
      if (sse?.enabled === true && sse.kms_key_arn) {
        this.encrypt(tf.arnOf(table), sse.kms_key_arn, table);
        if (tf.field(table, 'stream_enabled') === true) this.encrypt(String(tf.attribute(table, 'stream_arn')), sse.kms_key_arn, table);
      }
    }
    for (const config of tf.of('aws_s3_bucket_server_side_encryption_configuration')) {
      for (const rule of list(tf.field(config, 'rule') as Json[])) {
        const byDefault = block(rule.apply_server_side_encryption_by_default);
        if (byDefault?.sse_algorithm === 'aws:kms' || byDefault?.sse_algorithm === 'aws:kms:dsse') this.encrypt(`arn:aws:s3:::${tf.str(config, 'bucket')}`, byDefault.kms_master_key_id, config);
      }
    }
    const direct: ReadonlyArray<[type: string, field: string]> = [
      ['aws_sqs_queue', 'kms_master_key_id'],
      ['aws_sns_topic', 'kms_master_key_id'],
      ['aws_cloudwatch_log_group', 'kms_key_id'],
      ['aws_secretsmanager_secret', 'kms_key_id'],
      ['aws_pipes_pipe', 'kms_key_identifier'],
      ['aws_scheduler_schedule', 'kms_key_arn'],
      ['aws_cloudwatch_event_bus', 'kms_key_identifier'],
      ['aws_lambda_function', 'kms_key_arn'],
      ['aws_redshiftserverless_namespace', 'kms_key_id'],
    ];
    for (const [type, field] of direct) for (const resource of tf.of(type)) if (resource.raw[field] !== undefined) this.encrypt(tf.arnOf(resource), tf.field(resource, field), resource);
    for (const machine of tf.of('aws_sfn_state_machine')) {
      const encryption = block(tf.field(machine, 'encryption_configuration'));
      if (encryption?.type === 'CUSTOMER_MANAGED_KMS_KEY') this.encrypt(tf.arnOf(machine), encryption.kms_key_id, machine);
    }
    for (const namespace of tf.of('aws_redshiftserverless_namespace')) {
      if (tf.field(namespace, 'manage_admin_password') === true && namespace.raw.admin_password_secret_kms_key_id !== undefined) {
        this.encrypt(String(tf.attribute(namespace, 'admin_password_secret_arn')), tf.field(namespace, 'admin_password_secret_kms_key_id'), namespace);
      }
    }
  }

  private collectFunctions(): void {
    const tf = this.tf;
    for (const fn of tf.of('aws_lambda_function')) {
      const roleArn = tf.str(fn, 'role');
      const role = [...this.roles.values()].find((candidate) => candidate.arn === roleArn);
      if (!role) throw new ResolutionError(`${fn.address}: execution role ${roleArn} is not synthesized in this environment`);
      const variables = block(tf.field(fn, 'environment'))?.variables as Record<string, unknown> | undefined;
      const environment: Record<string, string> = {};
      for (const [name, value] of Object.entries(variables ?? {})) {
        if (typeof value !== 'string') throw new ResolutionError(`${fn.address}: environment variable ${name} is ${JSON.stringify(value)}, not a string`);
        environment[name] = value;
      }
      const name = tf.str(fn, 'function_name');
      const logGroup = block(tf.field(fn, 'logging_config'))?.log_group;
      this.functions.set(name, {
        name,
        arn: tf.arnOf(fn),
        address: fn.address,
        roleName: role.name,
        environment,
        ...(this.encryption.get(tf.arnOf(fn)) ? { environmentKeyArn: this.encryption.get(tf.arnOf(fn))!.keyArn } : {}),
        ...(typeof logGroup === 'string' ? { logGroup } : {}),
      });
    }
  }
}

/** The field that holds a resource's name, where it is not `name`. */
const NAME_FIELD: Readonly<Record<string, string>> = {
  aws_s3_bucket: 'bucket',
  aws_lambda_function: 'function_name',
  aws_redshiftserverless_workgroup: 'workgroup_name',
  aws_redshiftserverless_namespace: 'namespace_name',
  aws_cloudwatch_metric_alarm: 'alarm_name',
};

const ARN_TYPES = new Set([
  'aws_kms_key',
  'aws_kms_alias',
  'aws_iam_role',
  'aws_iam_policy',
  'aws_dynamodb_table',
  'aws_sqs_queue',
  'aws_sns_topic',
  'aws_s3_bucket',
  'aws_lambda_function',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_event_bus',
  'aws_cloudwatch_event_rule',
  'aws_cloudwatch_event_archive',
  'aws_sfn_state_machine',
  'aws_pipes_pipe',
  'aws_scheduler_schedule',
  'aws_secretsmanager_secret',
  'aws_ssm_parameter',
  'aws_lb',
  'aws_lb_target_group',
  'aws_glue_job',
  'aws_glue_catalog_database',
  'aws_glue_connection',
  'aws_emrserverless_application',
  'aws_redshiftserverless_namespace',
  'aws_redshiftserverless_workgroup',
  'aws_cloudwatch_metric_alarm',
  'aws_codebuild_project',
]);

function hasArn(type: string): boolean {
  return ARN_TYPES.has(type);
}
