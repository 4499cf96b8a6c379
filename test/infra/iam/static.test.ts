/**
 * The IAM contract's checks that need no recorded call, over the dev, staging and prod synth and
 * the topology variant (FUSE-1: dev's configuration staged):
 * - every use AWS services make of our keys, queues, topics, streams, functions and roles once
 *   deployed (CloudWatch Logs, vended log delivery, EventBridge, CloudWatch alarms, Pipes,
 *   Scheduler, Step Functions, Glue, Lambda, the ALB, VPC flow logs), derived from the resources;
 * - the deploy role creating every resource of the deployed stacks (request tags from the
 *   provider's default tags, no resource tags yet);
 * - the state machines' Task states, as calls of their roles (REC-2: Parameter Store, Redshift
 *   Data API with its Secrets Manager credentials, Glue, SNS, S3).
 * Plus the contract's own behaviour on the synthesized model: concrete ARNs, unresolvable
 * interpolations named, HTTP decoding and SDK recording agreeing.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { stacksDir } from './support/stacks';
import { decodeHttpRequest, formatViolation, loadIamContract, principalFromAuthorization, recordSdkCalls, ResolutionError, type IamContractImpl, type Violation } from '../../../rehearsal/iam';
import { SYNTHESIZED_SCOPES } from '../support/synth';
import { FUSED_CONSUMER } from '../../../src/routes';

/** Every environment and topology variant (FUSE-1: `staged`), with the function that posts to the ledger in its topology. */
const ENVIRONMENTS = SYNTHESIZED_SCOPES.map(([scope, config]) => [scope, config.runtime.topology === 'fused' ? FUSED_CONSUMER : 'posting'] as const);

function expectNone(violations: readonly Violation[]): void {
  if (violations.length > 0) throw new Error(`${violations.length} violation(s):\n- ${violations.map(formatViolation).join('\n- ')}`);
}

const contracts = new Map<string, IamContractImpl>();
function contract(env: string): IamContractImpl {
  if (!contracts.has(env)) contracts.set(env, loadIamContract(stacksDir(), env));
  return contracts.get(env)!;
}

describe.each(ENVIRONMENTS)('IAM contract of %s: the synthesized model', (env, poster) => {
  it('resolves every resource to concrete values (ARNs, names, stream labels, cross-stack outputs)', () => {
    const model = contract(env).model;
    const tf = model.tf;
    for (const resource of tf.resources) expect(JSON.stringify(tf.config(resource))).not.toMatch(/\$\{/);
    const account = model.account;
    const posting = model.functions.get(`ledgerline-${env}-${poster}`)!;
    expect(posting.arn).toBe(`arn:aws:lambda:${model.region}:${account}:function:ledgerline-${env}-${poster}`);
    expect(model.roleArn(posting.roleName)).toBe(`arn:aws:iam::${account}:role/ledgerline-${env}-fn-${poster}`);
    const workbench = model.functions.get(`ledgerline-${env}-reconcile-workbench`)!;
    expect(workbench.environment.WORKBENCH_CSRF_SECRET_ARN).toBe(`arn:aws:secretsmanager:${model.region}:${account}:secret:ledgerline-${env}/workbench/csrf-secret-AbCdEf`);
    expect(workbench.environment.WORKBENCH_OIDC_CLIENT_SECRET_ARN).toBe(`arn:aws:secretsmanager:${model.region}:${account}:secret:ledgerline-${env}/workbench/okta-client-secret-AbCdEf`);
    // WB-AUTH-1: the redirect URI's host is the ALB's DNS name (no workbench.hostName configured).
    expect(workbench.environment.WORKBENCH_BASE_URL).toMatch(/^https:\/\/[^\s/$]+$/);
    const table = `arn:aws:dynamodb:${model.region}:${account}:table/ledgerline-${env}-transactions`;
    expect(model.encryption.get(table)?.keyArn).toMatch(new RegExp(`^arn:aws:kms:${model.region}:${account}:key/[0-9a-f-]{36}$`));
    expect(model.encryption.get(`arn:aws:states:${model.region}:${account}:stateMachine:ledgerline-${env}-reconciliation`)?.keyArn).toBe(model.encryption.get(table)?.keyArn);
    expect([...model.encryption.keys()]).toEqual(expect.arrayContaining([`arn:aws:dynamodb:${model.region}:${account}:table/ledgerline-${env}-authorisations/stream/2026-01-01T00:00:00.000`]));
    expect(model.roles.get(`ledgerline-${env}-deploy`)?.managed.length).toBeGreaterThan(0);
    expect(model.roles.get(`ledgerline-${env}-fn-${poster}`)?.boundary?.address).toBe(`ledgerline-${env}-bootstrap/aws_iam_policy.boundary`);
  });

  it('every service principal and service-side use of our resources is allowed (logs, log delivery, EventBridge, alarms, Pipes, Scheduler, Step Functions, Glue, Lambda, ALB, flow logs)', () => {
    const calls = contract(env).serviceViolations();
    expectNone(calls);
  });

  it('the deploy role may create every resource of the app, data, analytics, network and observability stacks', () => {
    expectNone(contract(env).deployViolations());
  });

  it('the reconciliation state machine may run its Task states (Parameter Store, Lambda, Glue, Redshift Data API + its secret, SNS, S3)', () => {
    const c = contract(env);
    const emr = c.model.tf.of('aws_emrserverless_application')[0]!;
    const emrRole = c.model.tf.of('aws_iam_role').find((role) => c.model.tf.str(role, 'name').endsWith('-emr-job'))!;
    const bindings = {
      '$.normalised.registryBucket': `ledgerline-${env}-ingest-${c.model.account}`,
      '$.normalised.registryKey': 'results/registry/0000.json',
      // REC-EMR-1: the workflow configuration names the job (app-stack puts analytics.emrMatch there).
      '$.config.value.emr.applicationId': c.model.tf.attribute(emr, 'id'),
      '$.config.value.emr.executionRoleArn': c.model.tf.arnOf(emrRole),
    };
    expectNone(c.workflowViolations(`ledgerline-${env}-reconciliation`, bindings));
  });

  it('the posting redrive state machine may put the parked envelope back on the bus', () => {
    expectNone(contract(env).workflowViolations(`ledgerline-${env}-posting-redrive`));
  });
});

describe('IAM contract: the faults it exists to find are found for the right reason', () => {
  // These assert the MECHANISM on the synthesized dev model, whatever the stacks say today: a
  // policy that denies must be named, and one that allows must let the same call through.
  const c = () => contract('dev');

  it('a call the role does not grant names the role policy; the same call under a granting policy passes', () => {
    const model = c().model;
    const posting = { kind: 'role' as const, roleName: `ledgerline-dev-fn-hot-path` };
    const table = `arn:aws:dynamodb:${model.region}:${model.account}:table/ledgerline-dev-transactions`;
    const denied = c().authorize({ principal: posting, action: 'dynamodb:DeleteItem', resource: table, caller: 'function hot-path' });
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toContain('function hot-path');
    expect(denied.reason).toContain('dynamodb:DeleteItem');
    expect(denied.reason).toContain(table);
    expect(denied.reason).toContain('ledgerline-dev-app/aws_iam_role_policy.fn-hot-path_role_policy');
    expect(c().authorize({ principal: posting, action: 'dynamodb:PutItem', resource: table }).allowed).toBe(true);
  });

  it('a boundary that names no secret blocks GetSecretValue even where the role grants it, and says it is the boundary', () => {
    const model = c().model;
    const role = model.roles.get('ledgerline-dev-fn-reconcile-workbench')!;
    const secret = model.functions.get('ledgerline-dev-reconcile-workbench')!.environment.WORKBENCH_CSRF_SECRET_ARN!;
    const decision = c().authorize({ principal: { kind: 'role', roleName: role.name }, action: 'secretsmanager:GetSecretValue', resource: secret });
    const boundaryNamesSecrets = JSON.stringify(role.boundary!.document).includes(':secretsmanager:');
    expect(decision.allowed).toBe(boundaryNamesSecrets);
    if (!decision.allowed) expect(decision.reason).toContain('permissions boundary ledgerline-dev-bootstrap/aws_iam_policy.boundary does not allow it');
  });

  it('a key policy without a delivery.logs statement refuses log delivery, naming the key policy', () => {
    const model = c().model;
    const machine = `arn:aws:states:${model.region}:${model.account}:stateMachine:ledgerline-dev-reconciliation`;
    const key = model.encryption.get(machine)!.keyArn;
    const keyPolicy = model.resourcePolicies.get(key)!;
    const decision = c().authorize({ principal: { kind: 'service', service: 'delivery.logs.amazonaws.com' }, action: 'kms:Decrypt', resource: key, context: { 'aws:SourceArn': machine } });
    expect(decision.allowed).toBe(JSON.stringify(keyPolicy.document).includes('delivery.logs.amazonaws.com'));
    if (!decision.allowed) expect(decision.reason).toContain(`key policy ${keyPolicy.addresses[0]} does not allow delivery.logs.amazonaws.com`);
  });

  it('creating a resource carries request tags and no resource tags: a ResourceTag condition on a create action denies it', () => {
    const violations = c().deployViolations();
    const emr = violations.filter((violation) => violation.action === 'emr-serverless:CreateApplication');
    const deploy = c().model.roles.get('ledgerline-dev-deploy')!;
    const emrStatement = deploy.managed.flatMap((policy) => policy.document.Statement).find((statement) => JSON.stringify(statement.Action ?? '').includes('emr-serverless:CreateApplication'));
    const createsOnWildcard = emrStatement?.Resource === '*' || (Array.isArray(emrStatement?.Resource) && emrStatement.Resource.includes('*'));
    const conditionedOnResourceTag = JSON.stringify(emrStatement?.Condition ?? {}).includes('aws:ResourceTag');
    // CreateApplication supports no resource ARN (iam-data): only Resource "*" without a ResourceTag condition can allow it.
    expect(emr.length === 0).toBe(createsOnWildcard && !conditionedOnResourceTag);
  });
});

describe('IAM contract: unresolvable synthesized values are errors naming the stack and address', () => {
  it('an interpolation of a resource that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-broken-'));
    try {
      const stack = join(dir, 'stacks', 'ledgerline-dev-app');
      mkdirSync(stack, { recursive: true });
      const json = {
        provider: { aws: [{ allowed_account_ids: ['111111111111'], region: 'eu-west-2' }] },
        resource: { aws_sqs_queue: { q: { name: 'ledgerline-dev-q', kms_master_key_id: '${aws_kms_key.missing.arn}' } } },
      };
      writeFileSync(join(stack, 'cdk.tf.json'), JSON.stringify(json));
      expect(() => loadIamContract(dir, 'dev')).toThrow(ResolutionError);
      expect(() => loadIamContract(dir, 'dev')).toThrow(
        'ledgerline-dev-app/aws_sqs_queue.q.kms_master_key_id: cannot resolve ${aws_kms_key.missing.arn} (stack ledgerline-dev-app has no resource aws_kms_key.missing)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cross-stack output that the producing stack does not have', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-broken-'));
    try {
      const write = (name: string, json: object) => {
        mkdirSync(join(dir, 'stacks', name), { recursive: true });
        writeFileSync(join(dir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(json));
      };
      const provider = { aws: [{ allowed_account_ids: ['111111111111'], region: 'eu-west-2' }] };
      write('ledgerline-dev-data', { provider, output: {} });
      write('ledgerline-dev-app', {
        provider,
        data: { terraform_remote_state: { 'cross-stack-reference-input-ledgerline-dev-data': { backend: 's3', config: { key: 'ledgerline-dev/data.tfstate' } } } },
        resource: { aws_sqs_queue: { q: { name: 'q', kms_master_key_id: '${data.terraform_remote_state.cross-stack-reference-input-ledgerline-dev-data.outputs.key-arn}' } } },
      });
      expect(() => loadIamContract(dir, 'dev')).toThrow(
        'ledgerline-dev-app/aws_sqs_queue.q.kms_master_key_id: cannot resolve ${data.terraform_remote_state.cross-stack-reference-input-ledgerline-dev-data.outputs.key-arn} (stack ledgerline-dev-data has no output key-arn)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('IAM contract: HTTP decoding and SDK recording give the same requests', () => {
  it('a DynamoDB UpdateItem and a Secrets Manager GetSecretValue, recorded in-process and decoded from the wire', async () => {
    const recorded: unknown[] = [];
    const wire: { url: string; method: string; headers: Record<string, string>; body: string }[] = [];
    const recorder = recordSdkCalls({ sink: (request) => recorded.push(request) });
    const credentials = { accessKeyId: 'ledgerline-dev-fn-assembler', secretAccessKey: 'x' };
    const capture = {
      handle: async (request: { method: string; path: string; query?: Record<string, string>; headers: Record<string, string>; body?: unknown }) => {
        wire.push({
          url: request.path,
          method: request.method,
          headers: request.headers,
          body: request.body instanceof Uint8Array ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('utf8') : String(request.body ?? ''),
        });
        return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: (await import('node:stream')).Readable.from([Buffer.from('{}')]) } };
      },
    };
    try {
      const dynamo = new DynamoDBClient({ region: 'eu-west-2', credentials, endpoint: 'http://127.0.0.1:1', requestHandler: capture as never });
      await dynamo.send(
        new UpdateItemCommand({
          TableName: 'ledgerline-dev-transactions',
          Key: { transactionId: { S: 't-1' } },
          UpdateExpression: 'SET #s = :c',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':c': { S: 'COMPLETED' } },
        }),
      );
      const secrets = new SecretsManagerClient({ region: 'eu-west-2', credentials, endpoint: 'http://127.0.0.1:1', requestHandler: capture as never });
      await secrets.send(new GetSecretValueCommand({ SecretId: 'ledgerline-dev/workbench/csrf-secret' })).catch(() => undefined);
    } finally {
      recorder.dispose();
    }
    const decoded = wire.map((request) => decodeHttpRequest(request));
    expect(decoded.map((request) => [request.service, request.operation])).toEqual([
      ['dynamodb', 'UpdateItem'],
      ['secretsmanager', 'GetSecretValue'],
    ]);
    expect(decoded).toEqual(recorded);
    expect(principalFromAuthorization(wire[0]!.headers)).toEqual({ kind: 'role', roleName: 'ledgerline-dev-fn-assembler' });
    const model = contract('dev').model;
    const calls = contract('dev').callsFor(principalFromAuthorization(wire[0]!.headers), decoded[0]!);
    expect(calls.map((call) => [call.action, call.resource])).toEqual([
      ['dynamodb:UpdateItem', `arn:aws:dynamodb:${model.region}:${model.account}:table/ledgerline-dev-transactions`],
      ['kms:GenerateDataKey', model.encryption.get(`arn:aws:dynamodb:${model.region}:${model.account}:table/ledgerline-dev-transactions`)!.keyArn],
      ['kms:Decrypt', model.encryption.get(`arn:aws:dynamodb:${model.region}:${model.account}:table/ledgerline-dev-transactions`)!.keyArn],
    ]);
    expect(calls[1]!.context).toMatchObject({ 'kms:ViaService': `dynamodb.${model.region}.amazonaws.com`, 'kms:CallerAccount': model.account });
  });

  it('S3 path-style requests, SNS query requests and Lambda invocations', () => {
    const headers = { authorization: 'AWS4-HMAC-SHA256 Credential=ledgerline-dev-fn-dedup/20261101/eu-west-2/s3/aws4_request, SignedHeaders=host, Signature=abc' };
    expect(
      decodeHttpRequest({ method: 'PUT', url: '/ledgerline-dev-ingest-111111111111/parked/2026-11-01/e%201.json?x-id=PutObject', headers: { ...headers, 'x-amz-server-side-encryption': 'aws:kms' } }),
    ).toEqual({
      service: 's3',
      operation: 'PutObject',
      input: { Bucket: 'ledgerline-dev-ingest-111111111111', Key: 'parked/2026-11-01/e 1.json', ServerSideEncryption: 'aws:kms' },
    });
    expect(decodeHttpRequest({ method: 'GET', url: '/b?list-type=2&prefix=results%2F', headers })).toEqual({ service: 's3', operation: 'ListObjectsV2', input: { Bucket: 'b', Prefix: 'results/' } });
    expect(decodeHttpRequest({ method: 'PUT', url: '/b/k2', headers: { ...headers, 'x-amz-copy-source': '/b/k1' } })).toMatchObject({
      operation: 'CopyObject',
      input: { CopySource: '/b/k1', Key: 'k2' },
    });
    const sns = { authorization: headers.authorization.replace('/s3/', '/sns/'), 'content-type': 'application/x-www-form-urlencoded' };
    expect(decodeHttpRequest({ method: 'POST', url: '/', headers: sns, body: 'Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aeu-west-2%3A111111111111%3At&Message=hi&Version=2010-03-31' })).toEqual({
      service: 'sns',
      operation: 'Publish',
      input: { TopicArn: 'arn:aws:sns:eu-west-2:111111111111:t', Message: 'hi' },
    });
    expect(
      decodeHttpRequest({
        method: 'POST',
        url: '/2015-03-31/functions/ledgerline-dev-reconcile-normalise/invocations',
        headers: { authorization: headers.authorization.replace('/s3/', '/lambda/') },
        body: '{}',
      }),
    ).toMatchObject({
      service: 'lambda',
      operation: 'Invoke',
      input: { FunctionName: 'ledgerline-dev-reconcile-normalise' },
    });
    expect(() => principalFromAuthorization({})).toThrow('not SigV4-signed');
  });
});
