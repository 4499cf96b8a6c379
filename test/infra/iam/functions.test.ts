/**
 * The IAM contract of every deployed function, from its REAL code: each handler
 * (functions/<name>/index.ts) runs in-process with exactly its synthesized environment, fed a
 * representative event (the payment flow is chained: what dedup publishes feeds standardise, and
 * so on to the assembler); every AWS call it makes is recorded and authorised against the
 * synthesized role policy, permissions boundary and resource/key policies of the dev
 * environment. A denial fails naming the function, the action, the resource and the policy
 * (NFR3, NFR5: a deployed flow must not stop on a permission it was never granted).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { ALBEvent, DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { stacksDir } from './support/stacks';
import { formatGrants, loadIamContract, type Grant, type IamContractImpl } from '../../../rehearsal/iam';
import { authorisation, approvedData, enrichedData, envelope, sqsEvent } from '../../support/builders';
import { authorisedEvent } from '../../../src/domain/ingest';
import type { LedgerEvent } from '../../../src/domain/events';
import { DynamoTransactionStateStore } from '../../../src/adapters/aws/dynamo-transaction-state-store';
import { markRetrying } from '../../../src/domain/transaction-state';
import { loadReferenceSet, prepareReferenceSet } from '../../../src/adapters/aws/reference-data-loader';
import { loadReferenceData } from '../../../src/adapters/embedded/reference-data';
import { reconciliationExecutionName } from '../../../src/recon/run/aws/objects';
import { CAMT053, LEDGER_HEADER, LEDGER_ROWS } from '../../recon/run/helpers';
import { FakeAws, denials, invokeDeployed, sent, startSynthesizedTables, type Invocation, type LocalDynamo } from './support/harness';

const ENV = 'dev';
let contract: IamContractImpl;
let dynamo: LocalDynamo;
const fake = new FakeAws();
const invocations = new Map<string, Invocation<unknown>>();

async function run<R = unknown>(name: string, event: unknown): Promise<Invocation<R>> {
  const invocation = await invokeDeployed<R>(contract, name, event, { dynamoEndpoint: dynamo.endpoint, fake });
  const previous = invocations.get(name);
  invocations.set(name, previous ? { ...invocation, requests: [...previous.requests, ...invocation.requests], calls: [...previous.calls, ...invocation.calls] } : invocation);
  return invocation;
}

/** Fails listing every denied call (function, action, resource, the policy at fault). */
function expectAllAllowed(invocation: Pick<Invocation<unknown>, 'calls'>): void {
  const denied = denials(invocation);
  if (denied.length > 0) throw new Error(`${denied.length} call(s) denied by the synthesized IAM:\n- ${denied.join('\n- ')}`);
}

/** The SQS batch Lambda receives for ledger events published on the bus. */
function delivered(events: readonly LedgerEvent[]): SQSEvent {
  return sqsEvent(events);
}

function published(type: string): LedgerEvent[] {
  return fake.events<LedgerEvent>().filter((event) => event.type === type);
}

const tableName = (table: string) => `ledgerline-${ENV}-${table}`;
const bucketName = (suffix: string) => `ledgerline-${ENV}-${suffix}-${contract.model.account}`;

beforeAll(async () => {
  contract = loadIamContract(stacksDir(), ENV);
  dynamo = await startSynthesizedTables(contract);
  // The reference data the flow's card needs, loaded by the deployment's own loader (`ledgerline load-reference-data`).
  const prepared = prepareReferenceSet('reference-data');
  const reference = loadReferenceData();
  const card = reference.cards.find((candidate) => candidate.status === 'ACTIVE')!;
  const needed = [`CARD#${card.panToken}`, `ACCOUNT#${card.accountId}`, `MERCHANT#${reference.merchants[0]!.id}`, 'PRODUCT#', 'FX#', 'ACCOUNT#SETTLE'];
  const items = prepared.items.filter((item) => needed.some((key) => item.key.includes(key)));
  await loadReferenceSet({ ...prepared, items }, { client: dynamo.client, tableName: tableName('reference') }).catch((error: unknown) => {
    console.warn(`reference data not loaded (enrich and rules will see none): ${(error as Error).message}`);
  });
}, 120_000);

afterAll(async () => {
  await dynamo?.stop();
});

/** An authorisation of the first active card of the reference data, at its first merchant. */
function knownCardAuthorisation(authorizationId: string) {
  const reference = loadReferenceData();
  const card = reference.cards.find((candidate) => candidate.status === 'ACTIVE')!;
  const merchant = reference.merchants[0]!;
  return authorisation({ authorizationId, panToken: card.panToken, merchant: { id: merchant.id, name: merchant.name, mcc: merchant.mcc, country: merchant.country } });
}

describe(`IAM contract: the payment flow's functions (${ENV})`, () => {
  let authorised: LedgerEvent;

  beforeAll(() => {
    authorised = authorisedEvent(knownCardAuthorisation('IAM-AUTH-1'), '2026-11-01T10:00:01.000Z');
  });

  it('ingest (Pipe enrichment, FR1): no AWS call of its own', async () => {
    const record: DynamoDBRecord = {
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: '1', NewImage: marshall(authorisation({ authorizationId: 'IAM-INGEST-1' }), { removeUndefinedValues: true }) as never },
    };
    const invocation = await run<LedgerEvent[]>('ingest', [record]);
    expect(invocation.result.map((event) => event.type)).toEqual(['payment.authorised']);
    expect(invocation.requests).toEqual([]);
  });

  it('dedup (FR2, FR3): dedup + transactions tables, the bus; a duplicate parks in the ingest bucket', async () => {
    const invocation = await run('dedup', delivered([authorised]));
    expect(sent(invocation, 'dynamodb', 'PutItem').map((request) => request.input.TableName)).toEqual(expect.arrayContaining([tableName('dedup'), tableName('transactions')]));
    expect(sent(invocation, 'events', 'PutEvents')).not.toHaveLength(0);
    const duplicate = authorisedEvent(knownCardAuthorisation('IAM-AUTH-2'), '2026-11-01T10:00:02.000Z');
    const again = await run('dedup', delivered([duplicate]));
    expect(sent(again, 's3', 'PutObject').map((request) => [request.input.Bucket, String(request.input.Key).split('/')[0]])).toEqual([[bucketName('ingest'), 'parked']]);
    expectAllAllowed(invocations.get('dedup')!);
  });

  it('standardise (FR5): the deduplicated payment → pacs.008', async () => {
    const input = published('payment.deduplicated');
    expect(input).not.toHaveLength(0);
    expectAllAllowed(await run('standardise', delivered(input)));
  });

  it('enrich (FR6): the reference table, the bus', async () => {
    const input = published('payment.standardised');
    expect(input).not.toHaveLength(0);
    const invocation = await run('enrich', delivered(input));
    expect(sent(invocation, 'dynamodb', 'GetItem').some((request) => request.input.TableName === tableName('reference'))).toBe(true);
    expectAllAllowed(invocation);
  });

  it('rules (FR7): rules state, reference data; a decline completes the transaction (UpdateItem)', async () => {
    const approved = published('payment.enriched');
    const declined = envelope('payment.enriched', enrichedData({ authorisation: { authorizationId: 'IAM-DECLINE-1', amount: { value: '999999.00', currency: 'GBP' } } }), 'IAM-DECLINE-1');
    const invocation = await run('rules', delivered([...approved, declined]));
    expect(sent(invocation, 'dynamodb', 'Query').some((request) => request.input.TableName === tableName('rules-state'))).toBe(true);
    expectAllAllowed(invocation);
  });

  it('posting (FR7) → assembler (FR8): legs, the sequence, the outbox, and completing the payment (transactions UpdateItem)', async () => {
    const approved = [
      ...published('payment.rules-decided').filter((event) => (event.data as { decision?: { outcome?: string } }).decision?.outcome === 'approve'),
      envelope('payment.rules-decided', approvedData({ authorisation: { authorizationId: 'IAM-POST-1' } }), 'IAM-POST-1'),
    ];
    const posting = await run('posting', delivered(approved));
    expect(sent(posting, 'dynamodb', 'TransactWriteItems')).not.toHaveLength(0);
    const legs = published('posting.leg-recorded');
    expect(legs.length).toBeGreaterThanOrEqual(2);
    const assembler = await run('assembler', delivered(legs));
    expect(sent(assembler, 's3', 'PutObject').map((request) => String(request.input.Key))).toEqual(expect.arrayContaining([expect.stringMatching(/^outbox\/postings\//)]));
    const completions = sent(assembler, 'dynamodb', 'UpdateItem').filter((request) => request.input.TableName === tableName('transactions'));
    expect(completions).not.toHaveLength(0);
    expectAllAllowed({ calls: [...posting.calls, ...assembler.calls] });
  });

  it('sweeper (SWEEP-2): a RETRYING transaction is re-driven through the redrive state machine', async () => {
    const store = new DynamoTransactionStateStore({ client: dynamo.client, tableName: tableName('transactions') });
    const stuck = authorisedEvent(authorisation({ authorizationId: 'IAM-SWEEP-1' }), '2026-11-01T09:00:00.000Z');
    await markRetrying(store, stuck, 'enrich', new Error('reference table throttled'), new Date('2026-11-01T09:00:00.000Z'));
    const invocation = await run('sweeper', { version: '0', id: 'sweep-1', 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} });
    expect(sent(invocation, 'states', 'StartExecution').map((request) => request.input.stateMachineArn)).toEqual([expect.stringContaining(':stateMachine:ledgerline-dev-posting-redrive')]);
    expectAllAllowed(invocation);
  });
});

describe(`IAM contract: the reconciliation functions (${ENV}, REC-2, WB-1)`, () => {
  const runId = () => reconciliationExecutionName({ bucket: bucketName('ingest'), key: 'incoming/statements/camt053.xml', versionId: 'v1' });

  it('reconcile-trigger: an uploaded statement starts the reconciliation state machine', async () => {
    const invocation = await run('reconcile-trigger', {
      version: '0',
      id: 'evt-1',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: contract.model.account,
      time: '2026-11-01T03:04:05Z',
      region: contract.model.region,
      resources: [`arn:aws:s3:::${bucketName('ingest')}`],
      detail: {
        version: '0',
        bucket: { name: bucketName('ingest') },
        object: { key: 'incoming/statements/camt053.xml', size: 2048, etag: 'abc', 'version-id': 'v1', sequencer: '00' },
        reason: 'PutObject',
      },
    });
    expect(sent(invocation, 'states', 'StartExecution').map((request) => request.input.stateMachineArn)).toEqual([expect.stringContaining(':stateMachine:ledgerline-dev-reconciliation')]);
    expectAllAllowed(invocation);
  });

  it('reconcile-normalise → match → summarise → cases: the statement through the real steps', async () => {
    fake.put(bucketName('ingest'), 'incoming/statements/camt053.xml', readFileSync(CAMT053));
    fake.put(bucketName('ingest'), 'incoming/ledger/ledger-export.csv', `${LEDGER_HEADER}\n${LEDGER_ROWS.join('\n')}\n`);
    const config = {
      ruleSet: 'default',
      confirmThreshold: '0.90',
      staleAfterDays: 30,
      matchConcurrency: 2,
      ledger: { bucket: bucketName('ingest'), key: 'incoming/ledger/ledger-export.csv' },
      partitionRows: 2,
      maxPartitions: 10,
      redshift: { schema: 'reconciliation' },
    };
    const normalise = await run<Record<string, unknown>>('reconcile-normalise', {
      bucket: bucketName('ingest'),
      key: 'incoming/statements/camt053.xml',
      versionId: 'v1',
      runId: runId(),
      analyticsBucket: bucketName('analytics'),
      config,
    });
    expect(sent(normalise, 's3', 'GetObject').map((request) => request.input.Bucket)).toContain(bucketName('ingest'));
    const partitions = normalise.result.partitions as unknown[];
    expect(partitions.length).toBeGreaterThan(0);
    const calls = [...normalise.calls];
    // The Distributed Map's ItemSelector: { runId, analyticsBucket, config, partition }.
    for (const partition of partitions) calls.push(...(await run('reconcile-match', { runId: runId(), analyticsBucket: bucketName('analytics'), config, partition })).calls);
    const summarise = await run('reconcile-summarise', { runId: runId(), analyticsBucket: bucketName('analytics'), config });
    const cases = await run('reconcile-cases', { runId: runId(), analyticsBucket: bucketName('analytics') });
    expect(sent(cases, 'dynamodb', 'GetItem').some((request) => request.input.TableName === tableName('workbench'))).toBe(true);
    expectAllAllowed({ calls: [...calls, ...summarise.calls, ...cases.calls] });
  });

  it('reconcile-workbench: reads its CSRF key from Secrets Manager, then serves a signed-in request from the workbench table', async () => {
    const fn = contract.model.functions.get(`ledgerline-${ENV}-reconcile-workbench`)!;
    fake.secrets.set(fn.environment.WORKBENCH_CSRF_SECRET_ARN!, 'c'.repeat(48));
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const now = Math.floor(Date.now() / 1000);
    const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    const header = { alg: 'ES256', kid: 'kid-1', signer: fn.environment.WORKBENCH_ALB_ARN, iss: fn.environment.WORKBENCH_OIDC_ISSUER, client: 'okta', exp: now + 60 };
    const payload = { sub: '00u1', email: 'ana@bank.example', groups: ['ledgerline-finance'], exp: now + 60, iss: fn.environment.WORKBENCH_OIDC_ISSUER };
    const data = `${segment(header)}.${segment(payload)}`;
    const token = `${data}.${sign('sha256', Buffer.from(data), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(pem, { status: 200 }));
    try {
      const event: ALBEvent = {
        requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:targetgroup/ledgerline-dev-workbench-fn/0123456789abcdef' } },
        httpMethod: 'GET',
        path: '/cases',
        queryStringParameters: {},
        headers: { 'x-amzn-oidc-data': token, accept: 'text/html' },
        body: null,
        isBase64Encoded: false,
      };
      const invocation = await run<{ statusCode: number }>('reconcile-workbench', event);
      expect(sent(invocation, 'secretsmanager', 'GetSecretValue').map((request) => request.input.SecretId)).toEqual([fn.environment.WORKBENCH_CSRF_SECRET_ARN]);
      expect(invocation.result.statusCode).toBe(200);
      expect(sent(invocation, 'dynamodb', 'Query').some((request) => request.input.TableName === tableName('workbench'))).toBe(true);
      expectAllAllowed(invocation);
    } finally {
      fetchSpy.mockRestore();
    }
  });
});

describe(`IAM contract: least privilege the other way (${ENV})`, () => {
  it('prints the grants of the invoked functions that no call used; the list does not grow past the committed one', () => {
    // The Lambda service's own calls with each role (event-source polling, environment key, logs, X-Ray, ENIs) count as use.
    contract.serviceViolations();
    const roles = [...invocations.keys()].map((name) => contract.functionRole(name));
    expect(roles.length).toBeGreaterThanOrEqual(13);
    const unused = contract.unusedGrants(roles);
    console.log(`Grants no recorded call used (${unused.length}):\n${formatGrants(unused)}`);
    const keyOf = (grant: Grant) => `${grant.role.replace(`ledgerline-${ENV}-`, '')} ${grant.action} ${grant.resource.split(contract.model.account).join('<account>')}`;
    const file = join(__dirname, 'unused-grants.json');
    // After removing grants (or accepting new ones deliberately): LEDGERLINE_IAM_WRITE_UNUSED=1 rewrites the committed list.
    if (process.env.LEDGERLINE_IAM_WRITE_UNUSED === '1') writeFileSync(file, `${JSON.stringify([...new Set(unused.map(keyOf))].sort(), null, 2)}\n`);
    const known = new Set(JSON.parse(readFileSync(file, 'utf8')) as string[]);
    const grown = unused.map(keyOf).filter((key) => !known.has(key));
    expect(grown).toEqual([]);
  });
});
