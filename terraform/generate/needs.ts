/**
 * What each deployed function DOES in AWS, read off its code (functions/<name>, the adapters in
 * src/adapters/aws and src/recon/run/aws), independently of the stack code that grants it:
 * the generated tests check that each function's planned role policy allows every call here on
 * the planned ARNs. A call missing from a role is an AccessDenied in production.
 */
import type { EnvironmentConfig } from '../../environments/types';
import type { CatalogueFunctionName } from '../../stacks/catalogue';
import { FUSED_CONSUMER, HOT_PATH_STAGES, routesFor, type StageName } from '../../src/routes';
import { LEDGER_BALANCES_INDEX, TRANSACTION_STATUS_INDEXES, WORKBENCH_INDEXES, type TableName } from '../../src/adapters/aws/tables';
import { FUNCTION_ENVIRONMENT, variablesFor, type FunctionName } from '../../src/adapters/aws/runtime-config';
import { WORKBENCH_FUNCTION } from '../../src/adapters/aws/workbench-config';
import { keys as reconKeys, runOutwardEventsKey } from '../../src/recon/run/aws/steps';
import { INGEST_PREFIXES, type Names } from '../../stacks/naming';
// The tables a function's environment contract names: the stack's own reading of the contracts.
import { contractTables, STAGE_TABLE_ACCESS, type TableAccess } from '../../stacks/app-stack';
import { mock } from '../mocks';
import type { Expected } from './context';

export interface Need {
  action: string;
  resource: string;
  why: string;
}

type TableCalls = Partial<Record<TableName, { actions: readonly string[]; indexes?: readonly string[]; why: string }>>;

/** What each table is for, as the generated assertions explain a grant. */
const TABLE_PURPOSE: Readonly<Partial<Record<TableName, string>>> = {
  dedup: 'FR2 duplicate claims',
  transactions: 'SWEEP-1 markRetrying (park-exhausted) / completeIfTracked',
  reference: 'FR6 reference data',
  rulesState: 'rules decisions; velocity windows (Query of the time-ordered sort key)',
  ledger: 'LEDGER-1 journal + balance shards (TransactWriteItems of Put/Update)',
};

/** DynamoDB calls per hot-path stage and table: the stacks' one definition, with each grant's purpose. */
const STAGE_TABLE_CALLS: Readonly<Record<StageName, TableCalls>> = Object.fromEntries(
  HOT_PATH_STAGES.map((stage) => [
    stage,
    Object.fromEntries(
      (Object.entries(STAGE_TABLE_ACCESS[stage]) as [TableName, NonNullable<TableAccess[TableName]>][]).map(([table, grant]) => [table, { ...grant, why: TABLE_PURPOSE[table] ?? table }]),
    ),
  ]),
) as Record<StageName, TableCalls>;

function mergeCalls(calls: readonly TableCalls[]): TableCalls {
  const merged: TableCalls = {};
  for (const one of calls) {
    for (const [table, grant] of Object.entries(one) as [TableName, NonNullable<TableCalls[TableName]>][]) {
      const current = merged[table];
      const indexes = [...new Set([...(current?.indexes ?? []), ...(grant.indexes ?? [])])];
      merged[table] = {
        actions: [...new Set([...(current?.actions ?? []), ...grant.actions])],
        ...(indexes.length > 0 ? { indexes } : {}),
        why: current ? (current.why.includes(grant.why) ? current.why : `${current.why}; ${grant.why}`) : grant.why,
      };
    }
  }
  return merged;
}

/** DynamoDB calls per function and table (SWEEP-1 transaction state, FR2-FR8 stores, WB-1 cases). */
const HOT_PATH_CALLS = mergeCalls(HOT_PATH_STAGES.map((stage) => STAGE_TABLE_CALLS[stage]));

const TABLE_CALLS: Readonly<Partial<Record<CatalogueFunctionName, TableCalls>>> = {
  ...STAGE_TABLE_CALLS,
  // FUSE-1: the fused function calls what its six stages call.
  [FUSED_CONSUMER]: HOT_PATH_CALLS,
  // MODE-4 / MODE-2: the same six stages; the flow journal's ingestion is a PutItem on the rules-state
  // table and its markers PutItems on the transactions table (FLOW-1), within the stages' calls.
  authorise: HOT_PATH_CALLS,
  'ingest-batch': HOT_PATH_CALLS,
  // API-1..5: authorise's stages in process; the idempotency keys; a payment's sequence and the balances index.
  api: mergeCalls([
    HOT_PATH_CALLS,
    {
      apiIdempotency: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], why: 'API-1 idempotency keys' },
      ledger: { actions: ['dynamodb:GetItem', 'dynamodb:Scan'], indexes: [LEDGER_BALANCES_INDEX], why: 'API-1 payment status (the sequence), balances (the balances index)' },
    },
  ]),
  // FLOW-1..3 (src/adapters/aws/flow-facts.ts): intake Scan, BatchGetItem of each payment's facts, a Query per journal partition.
  'flow-auditor': {
    authorisations: { actions: ['dynamodb:Scan'], why: 'FLOW-1 the near-real-time intake' },
    transactions: { actions: ['dynamodb:BatchGetItem'], why: 'FLOW-1 transaction state, rejection and posting-record markers' },
    dedup: { actions: ['dynamodb:BatchGetItem'], why: 'FLOW-1 dedup claims' },
    rulesState: { actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'], why: 'FLOW-1 rules decisions; the journal of ingestions' },
    ledger: { actions: ['dynamodb:BatchGetItem'], why: 'FLOW-1 ledger journal items' },
  },
  // SWEEP-2: listByStatus('RETRYING') queries the retrying index; updateTransaction (Get + conditional Put).
  sweeper: {
    transactions: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], indexes: [TRANSACTION_STATUS_INDEXES.RETRYING.indexName], why: 'SWEEP-2 re-drive' },
  },
  // WB-1: cases (GetItem, TransactWriteItems of Puts = PutItem), lists by status and by account.
  'reconcile-workbench': {
    // WB-AUTH-1: sessions and pending sign-ins (GetItem, conditional PutItem, UpdateItem touch, DeleteItem sign-out and
    // the one-time take; rotation's TransactWriteItems of a Delete and a Put authorised per item).
    workbenchSessions: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], why: 'WB-AUTH-1 sessions' },
    workbench: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], indexes: [WORKBENCH_INDEXES.byStatus.indexName, WORKBENCH_INDEXES.byAccount.indexName], why: 'WB-1 cases' },
    // ADJ-1: an approved write-off is one ledger sequence (TransactWriteItems of Puts and balance Updates, BatchGetItem of the balances, GetItem of the sequence).
    ledger: { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], why: 'ADJ-1 adjusting entries' },
    // ADJ-1: the case's account resolved through the reference data.
    reference: { actions: ['dynamodb:GetItem'], why: 'ADJ-1 the adjusted account' },
  },
  // WB-1 RaiseCases: run marker (Get, conditional Put), cases of the run's accounts (Query byAccount), TransactWriteItems of Puts.
  'reconcile-cases': {
    workbench: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], indexes: [WORKBENCH_INDEXES.byAccount.indexName], why: 'WB-1 case import' },
  },
  // REC-RUN-1: config.ledger {journal: true} reads the posting journal (one Scan per run).
  'reconcile-normalise': { ledger: { actions: ['dynamodb:Scan'], why: 'REC-RUN-1 the posting journal as the ledger side' } },
};

/** The stages a function runs: its own (staged), all six (fused `hot-path`, `authorise`, `ingest-batch`), none (any other). */
function stagesOf(fn: CatalogueFunctionName): readonly StageName[] {
  if (fn === FUSED_CONSUMER || fn === 'authorise' || fn === 'ingest-batch' || fn === 'api') return HOT_PATH_STAGES;
  return (HOT_PATH_STAGES as readonly string[]).includes(fn) ? [fn as StageName] : [];
}

/** Actions that touch a table only through an index (Query on a named index; the table ARN itself is not enough). */
const INDEX_ACTIONS = new Set(['dynamodb:Query', 'dynamodb:Scan']);

const SAMPLE_RUN = 'run-2025-01-31-0001';
const SAMPLE_PARTITION = 'p-0001';

/** Every AWS call `fn` makes on an environment's resources. */
export function functionNeeds(fn: CatalogueFunctionName, names: Names, expected: Expected, config: EnvironmentConfig): Need[] {
  const needs: Need[] = [];
  const dataKey = expected.key('data');
  const messagingKey = expected.key('messaging');
  const analyticsKey = expected.key('analytics');
  const ingest = names.ingestBucketArn;
  const analytics = names.analyticsBucketArn;
  const push = (action: string, resource: string, why: string) => needs.push({ action, resource, why });

  // Every function: its own log group (JSON logs), X-Ray, ENIs in the private subnets, and its environment key.
  const logStream = `${names.logGroupArn(names.functionLogGroup(fn))}:log-stream:2025/01/31/[$LATEST]0123456789abcdef`;
  push('logs:CreateLogStream', logStream, 'NFR7 logs');
  push('logs:PutLogEvents', logStream, 'NFR7 logs');
  push('xray:PutTraceSegments', '*', 'NFR7 tracing');
  push('ec2:CreateNetworkInterface', `arn:aws:ec2:${names.region}:${names.account}:network-interface/eni-0123456789abcdef0`, 'VPC attachment');
  for (const subnet of expected.subnetIds('private', config.network.azCount)) push('ec2:CreateNetworkInterface', expected.subnetArn(subnet), 'VPC attachment (private subnets)');
  push('ec2:CreateNetworkInterface', expected.securityGroupArn(expected.securityGroupId('workloads')), 'VPC attachment (workloads group)');
  push('kms:Decrypt', dataKey, 'environment variables are encrypted under the data key');

  // Tables.
  const calls = TABLE_CALLS[fn] ?? {};
  for (const table of contractTables(fn)) {
    const grant = calls[table];
    if (!grant) throw new Error(`terraform/generate/needs.ts: ${fn} names table ${table} in its contract but TABLE_CALLS says nothing about it`);
    for (const action of grant.actions) {
      if (INDEX_ACTIONS.has(action) && grant.indexes?.length) {
        for (const index of grant.indexes) push(action, names.tableIndexArn(table, index), grant.why);
      } else {
        push(action, names.tableArn(table), grant.why);
      }
    }
    if (!grant.actions.some((action) => INDEX_ACTIONS.has(action))) for (const index of grant.indexes ?? []) push('dynamodb:Query', names.tableIndexArn(table, index), grant.why);
  }
  if (contractTables(fn).length > 0) push('kms:Decrypt', dataKey, 'tables are encrypted under the data key');

  // Events and queues.
  if (fn in FUNCTION_ENVIRONMENT && variablesFor(fn as FunctionName).includes('EVENT_BUS_NAME')) push('events:PutEvents', names.busArn, 'publishes lifecycle events');
  if (fn === 'authorise' || fn === 'ingest-batch' || fn === 'api') push('events:PutEvents', names.busArn, 'publishes outward events (FUSE-2)');
  if (fn === 'flow-auditor') push('events:PutEvents', names.busArn, 'FLOW-3 re-emits stuck payments');
  if (fn === 'reconcile-cases') push('events:PutEvents', names.busArn, 'NOTIFY-1 announces the committed run (reconciliation.completed)');
  if (fn === WORKBENCH_FUNCTION) push('events:PutEvents', names.busArn, 'NOTIFY-1 announces an approved write-off');
  const route = routesFor(config.runtime.topology).find((candidate) => candidate.consumer === fn);
  if (route) {
    const queue = names.queueArn(names.routeQueueName(route));
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) push(action, queue, `event-source mapping of route ${route.name}`);
    push('kms:Decrypt', messagingKey, 'route queues are encrypted under the messaging key');
  }
  if (fn === 'sweeper' || fn === 'reconcile-trigger' || fn === 'ingest-batch' || fn === 'flow-auditor' || fn === 'webhook-sweeper') {
    push('sqs:SendMessage', names.queueArn(names.asyncInvokeDlqName), 'failed asynchronous invocations (NFR3)');
    push('kms:GenerateDataKey', messagingKey, 'the async-invoke DLQ is encrypted under the messaging key');
  }

  // S3 (REC-1/REC-2 layout: naming.ts prefixes, src/recon/run/aws/steps.ts keys).
  const stages = stagesOf(fn);
  if (stages.includes('dedup')) push('s3:PutObject', `${ingest}/${INGEST_PREFIXES.parked}2025/01/31/duplicate.json`, 'FR3 parked duplicates');
  if (stages.includes('assembler')) push('s3:PutObject', `${ingest}/${INGEST_PREFIXES.outbox}0123abcd.txt`, 'FR8/LEDGER-2 core-banking outbox (one object per batch)');
  if (stages.includes('dedup') || stages.includes('assembler')) push('kms:GenerateDataKey', dataKey, 'the ingest bucket is encrypted under the data key');
  switch (fn) {
    case 'reconcile-normalise':
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.incomingStatements}bank/statement.xml`, 'REC-1 statement');
      push('s3:GetObjectVersion', `${ingest}/${INGEST_PREFIXES.incomingStatements}bank/statement.xml`, 'REC-2 the uploaded version');
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.ledgerExports}ledger-export.ndjson`, 'REC-1 ledger export');
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.registry}0123abcd.json`, 'REC-2 re-upload claims');
      push('s3:PutObject', `${ingest}/${INGEST_PREFIXES.registry}0123abcd.json`, 'REC-2 re-upload claims');
      push('s3:PutObject', `${ingest}/${INGEST_PREFIXES.quarantine}bank/statement.xml`, 'REC-2 bad files move to quarantine/');
      push('s3:DeleteObject', `${ingest}/${INGEST_PREFIXES.incomingStatements}bank/statement.xml`, 'REC-2 bad files move to quarantine/');
      push('s3:PutObject', `${analytics}/${reconKeys.runManifest(SAMPLE_RUN)}`, 'REC-2 run manifest');
      push('s3:PutObject', `${analytics}/${reconKeys.chunk(SAMPLE_RUN, SAMPLE_PARTITION)}`, 'REC-2 partition chunks');
      push('kms:Decrypt', dataKey, 'the ingest bucket is encrypted under the data key');
      push('kms:GenerateDataKey', dataKey, 'the ingest bucket is encrypted under the data key');
      push('kms:GenerateDataKey', analyticsKey, 'the analytics bucket is encrypted under the analytics key');
      break;
    case 'reconcile-match':
      push('s3:GetObject', `${analytics}/${reconKeys.chunk(SAMPLE_RUN, SAMPLE_PARTITION)}`, 'REC-2 partition chunk');
      push('s3:PutObject', `${analytics}/${reconKeys.chunkResult(SAMPLE_RUN, SAMPLE_PARTITION)}`, 'REC-2 partition result');
      push('kms:Decrypt', analyticsKey, 'the analytics bucket is encrypted under the analytics key');
      push('kms:GenerateDataKey', analyticsKey, 'the analytics bucket is encrypted under the analytics key');
      break;
    case 'reconcile-summarise':
      push('s3:GetObject', `${analytics}/${reconKeys.runManifest(SAMPLE_RUN)}`, 'REC-2 run manifest');
      push('s3:GetObject', `${analytics}/${reconKeys.chunkResult(SAMPLE_RUN, SAMPLE_PARTITION)}`, 'REC-2 partition results');
      push('s3:PutObject', `${analytics}/${reconKeys.results(SAMPLE_RUN)}load/matches.csv`, 'REC-2 Redshift load files');
      push('s3:PutObject', `${analytics}/${reconKeys.runCases(SAMPLE_RUN)}`, 'WB-1 the run cases file');
      push('kms:Decrypt', analyticsKey, 'the analytics bucket is encrypted under the analytics key');
      push('kms:GenerateDataKey', analyticsKey, 'the analytics bucket is encrypted under the analytics key');
      break;
    case 'ingest-batch':
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.incomingAuthorisations}card-files-2025-01-31.ndjson`, 'MODE-2 the dropped file');
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.batchRegistry}${'0'.repeat(64)}.json`, 'MODE-2 the file registry');
      push('s3:PutObject', `${ingest}/${INGEST_PREFIXES.batchRegistry}${'0'.repeat(64)}.json`, 'MODE-2 the file registry');
      push('s3:ListBucket', ingest, 'MODE-2 an unknown file is a 404 (registry prefix)');
      push('kms:Decrypt', dataKey, 'the ingest bucket is encrypted under the data key');
      break;
    case 'flow-auditor':
      push('s3:ListBucket', ingest, 'FLOW-1 parked duplicates (dedup verdict)');
      break;
    case WORKBENCH_FUNCTION: {
      // REC-1: the Upload page presigns a PUT S3 authorises as this role; the upload's page reads the object, its registry claim, a quarantine reason.
      const upload = '20261206T181500Z-0123456789ab--camt053.xml';
      push('s3:PutObject', `${ingest}/${INGEST_PREFIXES.incomingStatements}${upload}`, 'REC-1 the presigned statement upload');
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.incomingStatements}${upload}`, 'REC-1 the upload page hashes its object');
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.registry}${'0'.repeat(64)}.json`, "REC-1 the upload's run (the registry's content claim)");
      push('s3:GetObject', `${ingest}/${INGEST_PREFIXES.quarantine}recon-20261206T181500Z-0123456789ab--camt053_xml-${'0'.repeat(40)}/${upload}.reason.json`, "REC-1 a quarantined upload's reason");
      push('s3:ListBucket', ingest, 'REC-1 the upload found by its id (statements and quarantine prefixes)');
      push('kms:GenerateDataKey', dataKey, 'the ingest bucket is encrypted under the data key');
      push('kms:Decrypt', dataKey, 'the ingest bucket is encrypted under the data key');
      break;
    }
    case 'reconcile-cases':
      push('s3:GetObject', `${analytics}/${reconKeys.runCases(SAMPLE_RUN)}`, 'WB-1 the run cases file');
      push('s3:GetObject', `${analytics}/${runOutwardEventsKey(SAMPLE_RUN)}`, "NOTIFY-1 the run's prepared announcement");
      push('kms:Decrypt', analyticsKey, 'the analytics bucket is encrypted under the analytics key');
      break;
    default:
      break;
  }

  // Workflows and secrets.
  if (fn === 'sweeper') push('states:StartExecution', names.stateMachineArn(names.redriveStateMachine), 'SWEEP-2 re-drive');
  if (fn === 'reconcile-trigger') push('states:StartExecution', names.stateMachineArn(names.reconciliationStateMachine), 'REC-2 an upload starts the workflow');
  if (fn === WORKBENCH_FUNCTION) {
    push('secretsmanager:GetSecretValue', mock.secretArn(names.account, names.region, names.workbenchCsrfSecretName), 'WB-1 CSRF key');
    push('secretsmanager:GetSecretValue', mock.secretArn(names.account, names.region, config.workbench.oidc.clientSecretName), 'WB-AUTH-1 the Okta client secret');
    push('kms:Decrypt', dataKey, 'the CSRF and Okta secrets are encrypted under the data key');
  }
  return needs;
}
