/**
 * The rehearsal gateway's denial path (REH-1, IAM-1): the same SDK call a deployed function makes is served when
 * the synthesized role grants it, and answered exactly as AWS answers a denial (HTTP 400
 * AccessDeniedException for a JSON service, 403 AccessDenied XML for S3, nothing written) when the
 * synth lacks the grant; the denial is logged naming the function, the action, the resource and
 * the policy. A rehearsal of a deployment with a missing grant can therefore never pass.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { synthesizeLedgerline } from '../../stacks/ledgerline';
import { dev } from '../../environments/dev';
import { RehearsalCloud } from '../../rehearsal/cloud';
import { functionsReading, loadDeployment } from '../../rehearsal/deployment';
import { FLOW_KEYS, LEDGER_BALANCE_ATTRIBUTES as BAL, LEDGER_KEYS } from '../../src/adapters/aws/tables';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { SecretsManagerSigningKeyStore } from '../../src/adapters/aws/notify-directory';
import { EXTERNAL_PREFIX } from '../../rehearsal/gateway';
import { withPlainStacks } from '../support/plain-stacks';

const root = mkdtempSync(join(tmpdir(), 'ledgerline-rehearsal-gateway-'));
const intact = join(root, 'intact');

beforeAll(() => {
  withPlainStacks(() => synthesizeLedgerline({ assetMode: 'placeholder', outdir: intact, environments: [dev], tooling: false }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the synth whose role policy `policyAddress` no longer allows `action` (the grant removed). */
function withoutGrant(name: string, policyPrefix: string, action: string): string {
  const dir = join(root, name);
  cpSync(intact, dir, { recursive: true });
  const stackDir = join(dir, 'stacks', 'ledgerline-dev-app');
  const file = join(stackDir, 'cdk.tf.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { resource: Record<string, Record<string, { policy: string }>> };
  const policies = json.resource.aws_iam_role_policy!;
  const address = Object.keys(policies).find((key) => key.startsWith(policyPrefix));
  if (!address) throw new Error(`no role policy ${policyPrefix}* in ${readdirSync(stackDir).join(', ')}`);
  const document = JSON.parse(policies[address]!.policy) as { Statement: { Action: string | string[] }[] };
  let removed = 0;
  document.Statement = document.Statement.map((statement) => {
    const actions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter((candidate) => candidate !== action || (removed += 1) < 0);
    return { ...statement, Action: actions };
  }).filter((statement) => statement.Action.length > 0);
  if (removed === 0) throw new Error(`${address} does not grant ${action}`);
  policies[address]!.policy = JSON.stringify(document);
  writeFileSync(file, JSON.stringify(json));
  return dir;
}

async function boot(synthDir: string): Promise<RehearsalCloud> {
  const cloud = new RehearsalCloud({ deployment: loadDeployment(synthDir, 'dev'), synthDir, workDir: mkdtempSync(join(root, 'work-')), announce: () => undefined });
  await Promise.all([cloud.dynamo.start(), cloud.s3.start(), cloud.gateway.start()]);
  return cloud;
}

const JOURNAL_KEY = LEDGER_KEYS.sequence('seq-1');

/** What DynamoLedgerStore sends for a first sequence of an account (LEDGER-1): the journal put and the balance shard's creation. */
function ledgerTransaction(table: string) {
  return new TransactWriteItemsCommand({
    TransactItems: [
      { Put: { TableName: table, Item: { pk: { S: JOURNAL_KEY }, authorizationId: { S: 'AUTH-1' } }, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } } },
      {
        Update: {
          TableName: table,
          Key: { pk: { S: LEDGER_KEYS.balance('ACC-1', 0) } },
          UpdateExpression: 'SET #balance = :delta, #version = :one, #currency = :currency, #accountId = :account, #shard = :shard',
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk', '#balance': BAL.balance, '#version': BAL.version, '#currency': BAL.currency, '#accountId': BAL.accountId, '#shard': BAL.shard },
          ExpressionAttributeValues: { ':delta': { N: '-1654' }, ':one': { N: '1' }, ':currency': { S: 'GBP' }, ':account': { S: 'ACC-1' }, ':shard': { N: '0' } },
        },
      },
    ],
  });
}

describe('rehearsal gateway: IAM', () => {
  it("serves the posting stage's ledger transaction (the fused hot-path's role) when its role grants it, and denies it as AWS does when the synth lacks dynamodb:UpdateItem", async () => {
    const clouds = [await boot(intact), await boot(withoutGrant('no-update', 'fn-hot-path_role_policy', 'dynamodb:UpdateItem'))];
    try {
      const [allowed, denied] = clouds.map((cloud) => {
        // authorise and ingest-batch run the same stages; the test holds the route consumer's role.
        const posting = functionsReading(cloud.deployment, 'LEDGER_TABLE').find((fn) => fn.logicalName === 'hot-path');
        expect(posting!.logicalName).toBe('hot-path');
        const client = new DynamoDBClient({ endpoint: cloud.gateway.endpoint, region: cloud.deployment.region, credentials: { accessKeyId: posting!.roleName, secretAccessKey: 'x' }, maxAttempts: 1 });
        return { cloud, client, table: posting!.environment.LEDGER_TABLE! };
      });
      await expect(allowed!.client.send(ledgerTransaction(allowed!.table))).resolves.toBeDefined();
      expect(allowed!.cloud.gateway.denials.size).toBe(0);

      const failure = await denied!.client.send(ledgerTransaction(denied!.table)).then(
        () => undefined,
        (error: unknown) => error as { name: string; $metadata: { httpStatusCode?: number }; message: string },
      );
      expect(failure?.name).toBe('AccessDeniedException');
      expect(failure?.$metadata.httpStatusCode).toBe(400);
      expect(failure?.message).toContain('dynamodb:UpdateItem');
      const [denial] = [...denied!.cloud.gateway.denials.values()];
      expect(denial).toMatchObject({ caller: 'function hot-path', action: 'dynamodb:UpdateItem', resource: `arn:aws:dynamodb:eu-west-2:111111111111:table/${denied!.table}` });
      expect(denial!.policies.some((policy) => policy.includes('fn-hot-path_role_policy'))).toBe(true);
      // Nothing of the denied transaction was written (read as a caller outside the deployment, not IAM-checked).
      const leg = await new DynamoDBClient({ endpoint: denied!.cloud.gateway.endpoint, region: 'eu-west-2', credentials: { accessKeyId: `${EXTERNAL_PREFIX}test`, secretAccessKey: 'x' } }).send(
        new GetItemCommand({ TableName: denied!.table, Key: { pk: { S: JOURNAL_KEY } } }),
      );
      expect(leg.Item).toBeUndefined();
    } finally {
      await Promise.all(clouds.map((cloud) => cloud.stop()));
    }
  });

  it('answers an S3 call the role may not make with 403 AccessDenied, and serves it when granted', async () => {
    const clouds = [await boot(intact), await boot(withoutGrant('no-get', 'fn-reconcile-normalise_role_policy', 's3:GetObject'))];
    try {
      const outcomes = await Promise.all(
        clouds.map(async (cloud) => {
          const normalise = cloud.deployment.functions.find((fn) => fn.logicalName === 'reconcile-normalise')!;
          const bucket = cloud.deployment.buckets.find((candidate) => candidate.eventBridge)!.name;
          const client = new S3Client({
            endpoint: cloud.gateway.endpoint,
            region: cloud.deployment.region,
            forcePathStyle: true,
            credentials: { accessKeyId: normalise.roleName, secretAccessKey: 'x' },
            maxAttempts: 1,
          });
          return client.send(new GetObjectCommand({ Bucket: bucket, Key: 'incoming/statements/absent.xml' })).then(
            () => ({ name: 'ok', status: 200 }),
            (error: { name: string; $metadata: { httpStatusCode?: number } }) => ({ name: error.name, status: error.$metadata.httpStatusCode }),
          );
        }),
      );
      // Granted: the request reaches S3 (the object does not exist). Not granted: S3's own denial.
      expect(outcomes).toEqual([
        { name: 'NoSuchKey', status: 404 },
        { name: 'AccessDenied', status: 403 },
      ]);
      expect([...clouds[1]!.gateway.denials.values()].map((denial) => [denial.caller, denial.action])).toEqual([['function reconcile-normalise', 's3:GetObject']]);
    } finally {
      await Promise.all(clouds.map((cloud) => cloud.stop()));
    }
  });

  it("serves an operator's run-time secret (a webhook signing key, HOOK-1) to the roles whose policy names its prefix, and denies it to others", async () => {
    const cloud = await boot(intact);
    try {
      const notify = cloud.deployment.functions.find((fn) => fn.logicalName === 'notify')!;
      const posting = cloud.deployment.functions.find((fn) => fn.logicalName === 'hot-path')!;
      const client = (accessKeyId: string) =>
        new SecretsManagerClient({ endpoint: cloud.gateway.endpoint, region: cloud.deployment.region, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
      const prefix = notify.environment.NOTIFY_SIGNING_KEY_PREFIX!;
      const operator = new SecretsManagerSigningKeyStore({ client: client(`${EXTERNAL_PREFIX}operator`), prefix });
      const keys = Array.from({ length: 3 }, (_, index) => ({ keyId: `partner-${index}`, secret: randomBytes(24).toString('hex') }));
      for (const key of keys) await operator.put(key);
      // Again: PutSecretValue of an existing secret, never a second CreateSecret.
      await operator.put({ ...keys[0]!, secret: 'a-rotated-secret-of-32-characters' });
      const read = await new SecretsManagerSigningKeyStore({ client: client(notify.roleName), prefix }).keys(keys.map((key) => key.keyId));
      expect(read).toEqual([{ keyId: 'partner-0', secret: 'a-rotated-secret-of-32-characters' }, ...keys.slice(1)]);
      expect(cloud.gateway.denials.size).toBe(0);
      await expect(new SecretsManagerSigningKeyStore({ client: client(posting.roleName), prefix }).keys(['partner-1'])).rejects.toThrow(/secretsmanager:GetSecretValue/);
      expect([...cloud.gateway.denials.values()].map((denial) => [denial.caller, denial.action, denial.resource])).toEqual([
        ['function hot-path', 'secretsmanager:GetSecretValue', expect.stringMatching(new RegExp(`:secret:${prefix}partner-1-[A-Za-z0-9]{6}$`))],
      ]);
      await expect(new SecretsManagerSigningKeyStore({ client: client(notify.roleName), prefix }).keys(['never-created'])).rejects.toThrow(/signing key never-created is not known/);
    } finally {
      await cloud.stop();
    }
  });

  it('lets the notifier read a payment from the flow journal by id only (dynamodb:LeadingKeys FLOW#PAYMENT#*), and nothing else of the rules-state table', async () => {
    const cloud = await boot(intact);
    try {
      const notify = cloud.deployment.functions.find((fn) => fn.logicalName === 'notify')!;
      const client = new DynamoDBClient({ endpoint: cloud.gateway.endpoint, region: cloud.deployment.region, credentials: { accessKeyId: notify.roleName, secretAccessKey: 'x' }, maxAttempts: 1 });
      const table = notify.environment.RULES_STATE_TABLE!;
      await expect(client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: FLOW_KEYS.payment('AUTH-1') }, sk: { S: FLOW_KEYS.paymentSort } } }))).resolves.toBeDefined();
      expect(cloud.gateway.denials.size).toBe(0);
      for (const pk of [FLOW_KEYS.ingestedPartition('2026-11-02T10:00:00.000Z', 0), 'DECISION#tx-1', FLOW_KEYS.answered('AUTH-1')])
        await expect(client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: 'x' } } }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect([...cloud.gateway.denials.values()].map((denial) => [denial.caller, denial.action, denial.count])).toEqual([['function notify', 'dynamodb:GetItem', 3]]);
    } finally {
      await cloud.stop();
    }
  });

  it('refuses a caller whose access key is no role of the deployment', async () => {
    const cloud = await boot(intact);
    try {
      const client = new DynamoDBClient({ endpoint: cloud.gateway.endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'ledgerline-dev-fn-nonexistent', secretAccessKey: 'x' }, maxAttempts: 1 });
      await expect(client.send(new GetItemCommand({ TableName: 'ledgerline-dev-ledger', Key: { pk: { S: 'x' } } }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    } finally {
      await cloud.stop();
    }
  });
});
