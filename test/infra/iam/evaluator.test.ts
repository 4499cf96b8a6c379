/**
 * The evaluator (rehearsal/iam/evaluate.ts) on small handmade policy sets, one class of rule at a
 * time: identity allow / deny, permissions boundary, KMS key policy required, kms:ViaService,
 * service principals judged by resource policies only, RequestTag vs ResourceTag on create; and
 * generated cases: removing statements flips the decision exactly when no remaining statement
 * allows (and none denies).
 */
import fc from 'fast-check';
import { evaluate, validateCall, type EvaluationRequest, type PolicySet } from '../../../rehearsal/iam/evaluate';
import type { PolicyDocument, PolicyStatementJson } from '../../../rehearsal/iam/model';

const ACCOUNT = '111111111111';
const ROLE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/ledgerline-dev-fn-posting/posting`;
const TABLE = `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/ledgerline-dev-transactions`;
const OTHER_TABLE = `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/ledgerline-dev-ledger`;
const KEY = `arn:aws:kms:eu-west-2:${ACCOUNT}:key/0b0e4c1a-1111-4222-8333-444455556666`;
const QUEUE = `arn:aws:sqs:eu-west-2:${ACCOUNT}:ledgerline-dev-approved-to-posting-queue`;

const doc = (...statements: PolicyStatementJson[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
const allow = (action: string | string[], resource: string | string[], condition?: PolicyStatementJson['Condition'], sid?: string): PolicyStatementJson => ({
  ...(sid ? { Sid: sid } : {}),
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...(condition ? { Condition: condition } : {}),
});

function request(action: string, resource: string, context: EvaluationRequest['context'] = {}, principal = ROLE_SESSION): EvaluationRequest {
  return { principal, action, resource, accountId: ACCOUNT, context, caller: 'function posting' };
}

const identity = (...statements: PolicyStatementJson[]): PolicySet => ({ identity: [{ address: 'app/aws_iam_role_policy.posting', document: doc(...statements) }] });
const ROOT = { AWS: `arn:aws:iam::${ACCOUNT}:root` };
const keyPolicy = (...statements: PolicyStatementJson[]) => ({ addresses: ['data/aws_kms_key.data'], document: doc(...statements) });
const delegatesToIam: PolicyStatementJson = { Sid: 'AccountDelegatesUseToIam', Effect: 'Allow', Principal: ROOT, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' };

describe('evaluator: identity policies', () => {
  it('allows what an identity statement allows, and nothing else', () => {
    const policies = identity(allow(['dynamodb:GetItem', 'dynamodb:PutItem'], TABLE));
    expect(evaluate(request('dynamodb:PutItem', TABLE), policies).allowed).toBe(true);
    const denied = evaluate(request('dynamodb:UpdateItem', TABLE), policies);
    expect(denied).toEqual({ allowed: false, reason: 'no Allow in role policies (app/aws_iam_role_policy.posting)', policies: ['app/aws_iam_role_policy.posting'] });
    expect(evaluate(request('dynamodb:PutItem', OTHER_TABLE), policies).allowed).toBe(false);
  });

  it('an explicit Deny wins over any Allow and is named', () => {
    const policies = identity(allow('dynamodb:*', TABLE), { Sid: 'NoDeletes', Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' });
    expect(evaluate(request('dynamodb:PutItem', TABLE), policies).allowed).toBe(true);
    expect(evaluate(request('dynamodb:DeleteItem', TABLE), policies).reason).toBe('explicit Deny in role policy: statement NoDeletes of app/aws_iam_role_policy.posting');
  });

  it('wildcards in actions and resources match as IAM globs', () => {
    const policies = identity(allow('dynamodb:Get*', `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/ledgerline-dev-*`));
    expect(evaluate(request('dynamodb:GetItem', OTHER_TABLE), policies).allowed).toBe(true);
    expect(evaluate(request('dynamodb:PutItem', OTHER_TABLE), policies).allowed).toBe(false);
    expect(evaluate(request('dynamodb:GetItem', `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/other-dev-x`), policies).allowed).toBe(false);
  });

  it('an unknown action or an ARN of the wrong type is an error, not a silent deny', () => {
    expect(() => validateCall('dynamodb:UpdateItems', TABLE)).toThrow('dynamodb:UpdateItems is not an action of dynamodb');
    expect(() => validateCall('dynamodb:UpdateItem', QUEUE)).toThrow('is not a table ARN that dynamodb:UpdateItem is authorised on');
    expect(() => validateCall('emr-serverless:CreateApplication', `arn:aws:emr-serverless:eu-west-2:${ACCOUNT}:/applications/x`)).toThrow('supports no resource-level permissions');
  });
});

describe('evaluator: permissions boundary', () => {
  it('cuts what the role allows to what the boundary also allows, naming the boundary', () => {
    const policies: PolicySet = {
      ...identity(allow(['dynamodb:PutItem', 'secretsmanager:GetSecretValue'], ['*'])),
      boundary: { address: 'bootstrap/aws_iam_policy.boundary', document: doc(allow('dynamodb:PutItem', `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/*`)) },
    };
    expect(evaluate(request('dynamodb:PutItem', TABLE), policies).allowed).toBe(true);
    const secret = `arn:aws:secretsmanager:eu-west-2:${ACCOUNT}:secret:ledgerline-dev/workbench/csrf-secret-AbCdEf`;
    const denied = evaluate(request('secretsmanager:GetSecretValue', secret), policies);
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toBe('permissions boundary bootstrap/aws_iam_policy.boundary does not allow it');
    expect(denied.policies).toContain('bootstrap/aws_iam_policy.boundary');
  });

  it('never grants by itself', () => {
    const policies: PolicySet = { identity: [], boundary: { address: 'b', document: doc(allow('dynamodb:*', '*')) } };
    expect(evaluate(request('dynamodb:PutItem', TABLE), policies).allowed).toBe(false);
  });
});

describe('evaluator: KMS needs the key policy', () => {
  const viaDynamo = { 'kms:ViaService': 'dynamodb.eu-west-2.amazonaws.com', 'kms:CallerAccount': ACCOUNT };
  const roleGrant = allow('kms:Decrypt', KEY, { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-2.amazonaws.com' } }, 'TableKey');

  it('an IAM grant works only when the key policy delegates to IAM (account root)', () => {
    expect(evaluate(request('kms:Decrypt', KEY, viaDynamo), { ...identity(roleGrant), resource: keyPolicy(delegatesToIam) }).allowed).toBe(true);
    const noDelegation = evaluate(request('kms:Decrypt', KEY, viaDynamo), {
      ...identity(roleGrant),
      resource: keyPolicy({ Effect: 'Allow', Principal: { Service: 'logs.eu-west-2.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' }),
    });
    expect(noDelegation.allowed).toBe(false);
    expect(noDelegation.reason).toContain('key policy data/aws_kms_key.data does not allow the account or this role');
    expect(evaluate(request('kms:Decrypt', KEY, viaDynamo), identity(roleGrant)).reason).toContain('the key has no key policy in this environment');
  });

  it('kms:ViaService pins the service: the same role through another service is refused, naming the unmet condition', () => {
    const denied = evaluate(request('kms:Decrypt', KEY, { 'kms:ViaService': 'states.eu-west-2.amazonaws.com' }), { ...identity(roleGrant), resource: keyPolicy(delegatesToIam) });
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toContain(
      'statement TableKey of app/aws_iam_role_policy.posting does not apply: its condition {"StringEquals":{"kms:ViaService":"dynamodb.eu-west-2.amazonaws.com"}} is not met',
    );
    expect(evaluate(request('kms:Decrypt', KEY, {}), { ...identity(roleGrant), resource: keyPolicy(delegatesToIam) }).allowed).toBe(false);
  });
});

describe('evaluator: service principals are judged by the resource policy alone', () => {
  const events = 'events.amazonaws.com';
  const rule = `arn:aws:events:eu-west-2:${ACCOUNT}:rule/ledgerline-dev-bus/ledgerline-dev-approved-to-posting`;
  const queuePolicy = {
    addresses: ['data/aws_sqs_queue_policy.route'],
    document: doc({ Sid: 'EventBridgeRulesMaySend', Effect: 'Allow', Principal: { Service: events }, Action: 'sqs:SendMessage', Resource: QUEUE, Condition: { ArnEquals: { 'aws:SourceArn': rule } } }),
  };

  it('allowed for the named source, refused for another or without a resource policy', () => {
    expect(evaluate(request('sqs:SendMessage', QUEUE, { 'aws:SourceArn': rule }, events), { identity: [], resource: queuePolicy }).allowed).toBe(true);
    expect(evaluate(request('sqs:SendMessage', QUEUE, { 'aws:SourceArn': `${rule}-other` }, events), { identity: [], resource: queuePolicy }).reason).toContain(
      'resource policy data/aws_sqs_queue_policy.route does not allow events.amazonaws.com',
    );
    expect(evaluate(request('sqs:SendMessage', QUEUE, { 'aws:SourceArn': rule }, events), { identity: [] }).reason).toBe(`no resource policy on ${QUEUE} admits events.amazonaws.com`);
  });

  it('a key policy statement for one service does not admit another', () => {
    const key = keyPolicy(delegatesToIam, { Sid: 'Logs', Effect: 'Allow', Principal: { Service: 'logs.eu-west-2.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' });
    expect(evaluate(request('kms:Decrypt', KEY, {}, 'logs.eu-west-2.amazonaws.com'), { identity: [], resource: key }).allowed).toBe(true);
    expect(evaluate(request('kms:Decrypt', KEY, {}, 'delivery.logs.amazonaws.com'), { identity: [], resource: key }).reason).toBe(
      'key policy data/aws_kms_key.data does not allow delivery.logs.amazonaws.com',
    );
  });
});

describe('evaluator: creating a resource has request tags, not resource tags', () => {
  const create = ['redshift-serverless:CreateNamespace'];
  const namespace = `arn:aws:redshift-serverless:eu-west-2:${ACCOUNT}:namespace/0b0e4c1a-1111-4222-8333-444455556666`;
  const requestTags = { 'aws:RequestTag/Project': 'ledgerline', 'aws:TagKeys': ['Project', 'Environment'] };

  it('a ResourceTag condition cannot be met by a resource being created; a RequestTag condition can', () => {
    const onResourceTag = identity(allow(create, `arn:aws:redshift-serverless:eu-west-2:${ACCOUNT}:namespace/*`, { StringEquals: { 'aws:ResourceTag/Project': 'ledgerline' } }, 'Tagged'));
    const denied = evaluate(request('redshift-serverless:CreateNamespace', namespace, requestTags), onResourceTag);
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toContain('statement Tagged of app/aws_iam_role_policy.posting does not apply: its condition {"StringEquals":{"aws:ResourceTag/Project":"ledgerline"}} is not met');
    const onRequestTag = identity(allow(create, `arn:aws:redshift-serverless:eu-west-2:${ACCOUNT}:namespace/*`, { StringEquals: { 'aws:RequestTag/Project': 'ledgerline' } }));
    expect(evaluate(request('redshift-serverless:CreateNamespace', namespace, requestTags), onRequestTag).allowed).toBe(true);
    expect(evaluate(request('redshift-serverless:CreateNamespace', namespace, { 'aws:RequestTag/Project': 'other' }), onRequestTag).allowed).toBe(false);
  });
});

describe('evaluator: generated policy sets', () => {
  const ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:DeleteItem'];
  const RESOURCES = [TABLE, OTHER_TABLE, `${TABLE}/index/byStatus`];
  const statement = fc.record({
    effect: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Allow', 'Allow', 'Deny'),
    actions: fc.subarray(ACTIONS, { minLength: 1 }),
    resources: fc.subarray(RESOURCES, { minLength: 1 }),
  });
  const covers = (s: { actions: string[]; resources: string[] }, action: string, resource: string) => s.actions.includes(action) && s.resources.includes(resource);

  it('removing statements flips the decision exactly when no remaining Allow covers the call (and no Deny does)', () => {
    fc.assert(
      fc.property(
        fc.array(statement, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...ACTIONS),
        fc.constantFrom(...RESOURCES),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        (statements, action, resource, keep) => {
          const toPolicy = (list: typeof statements) => identity(...list.map((s, i) => ({ Sid: `S${i}`, Effect: s.effect, Action: s.actions, Resource: s.resources })));
          const expected = (list: typeof statements) => list.some((s) => s.effect === 'Allow' && covers(s, action, resource)) && !list.some((s) => s.effect === 'Deny' && covers(s, action, resource));
          const all = evaluate(request(action, resource), toPolicy(statements)).allowed;
          const kept = statements.filter((_, i) => keep[i]);
          const remaining = kept.length === 0 ? false : evaluate(request(action, resource), toPolicy(kept)).allowed;
          expect(all).toBe(expected(statements));
          expect(remaining).toBe(expected(kept));
          // Removing only Allows that do not cover the call never changes an allowed decision.
          const withoutIrrelevant = statements.filter((s) => s.effect === 'Deny' || covers(s, action, resource));
          expect(evaluate(request(action, resource), toPolicy(withoutIrrelevant)).allowed).toBe(all);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('removing the only covering Allow flips allowed → denied; removing one of two keeps it allowed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ACTIONS), fc.constantFrom(...RESOURCES), fc.integer({ min: 0, max: 3 }), (action, resource, noise) => {
        const covering: PolicyStatementJson = allow(action, resource, undefined, 'Covering');
        const unrelated = Array.from({ length: noise }, (_, i) =>
          allow(
            ACTIONS.find((candidate) => candidate !== action)!,
            RESOURCES[i % RESOURCES.length]!,
            undefined,
            `Noise${i}`,
          ),
        );
        expect(evaluate(request(action, resource), identity(covering, ...unrelated)).allowed).toBe(true);
        expect(evaluate(request(action, resource), identity(...unrelated, allow('dynamodb:BatchGetItem', resource))).allowed).toBe(false);
        expect(evaluate(request(action, resource), identity(allow(action, resource, undefined, 'Twin'), ...unrelated)).allowed).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('evaluator: actions without resource-level permissions', () => {
  it('are allowed only by a statement on Resource "*", never by one naming an ARN', () => {
    const onArn = identity(allow('emr-serverless:CreateApplication', `arn:aws:emr-serverless:eu-west-2:${ACCOUNT}:/applications/*`));
    expect(evaluate(request('emr-serverless:CreateApplication', '*'), onArn).allowed).toBe(false);
    expect(evaluate(request('emr-serverless:CreateApplication', '*'), identity(allow('emr-serverless:CreateApplication', '*'))).allowed).toBe(true);
  });
});
