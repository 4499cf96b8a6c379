/**
 * `app`: the stateless layer, deployed on every change.
 * - One Lambda per catalogue entry of the environment's topology (stacks/catalogue.ts, FUSE-1),
 *   each with its own least-privilege role.
 * - Per route of the topology (src/routes.ts `routesFor`): ONE EventBridge rule on the bus → the
 *   route's SQS queue (DLQ + retry policy on the target) → an event-source mapping into the
 *   consumer (batch size and batching window from the route, ReportBatchItemFailures).
 * - The EventBridge Pipe: authorisation table stream → ingest (enrichment) → where
 *   `authorisationEntry` says: the hot path's queue (fused: no rule delivery per payment) or the
 *   bus (staged); batch, filter, DLQ.
 * - The sweeper schedule (EventBridge Scheduler), the S3 statement-uploaded rule (default bus).
 * - The state machines (posting redrive, reconciliation) from workflows/*.asl.json, with logging,
 *   tracing and a CMK, and the SSM parameter holding the reconciliation configuration.
 * - The exceptions workbench ingress: an INTERNAL ALB in the private subnets, reachable on 443
 *   only from the on-premises CIDRs (Direct Connect), whose HTTPS listener (TLS 1.2+) forwards to
 *   the reconcile-workbench Lambda target group. WB-AUTH-1: the function signs people in itself
 *   with Okta (src/recon/workbench/oidc.ts, the same code as locally; sessions in the
 *   workbenchSessions table), calling Okta over HTTPS through the NAT.
 *
 * Hot path: no Step Functions execution per payment (rules are evaluated in the rules stage);
 * standard queues; every reader batches.
 */
import type { Construct } from 'constructs';
import { Token, dependable } from 'cdktf';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment';
import { S3BucketCorsConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-cors-configuration';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { PipesPipe } from '@cdktf/provider-aws/lib/pipes-pipe';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import type { EdgeFunctionName, EnvironmentConfig, RealTimeCaller } from '../environments/types';
import { authorisationEntry, FUSED_CONSUMER, HOT_PATH_STAGES, routesFor, type Route, type StageName } from '../src/routes';
import { EventTypes } from '../src/domain/events';
import { LEDGER_BALANCES_INDEX, TABLES, TABLE_NAMES, TRANSACTION_STATUS_INDEXES, WORKBENCH_INDEXES, type TableName } from '../src/adapters/aws/tables';
import {
  readWorkbenchFunctionConfig,
  readWorkbenchUploadConfig,
  WORKBENCH_FUNCTION,
  WORKBENCH_UPLOAD_VARIABLE_NAMES,
  WORKBENCH_VARIABLE_NAMES,
  type WorkbenchUploadVariable,
  type WorkbenchVariable,
} from '../src/adapters/aws/workbench-config';
import { FUNCTION_ENVIRONMENT, readFunctionConfig, variablesFor, type FunctionName, type RuntimeVariable } from '../src/adapters/aws/runtime-config';
import { RECON_FUNCTION_ENVIRONMENT, readReconFunctionConfig, type ReconFunctionName } from '../src/recon/run/aws/config';
import { LedgerlineStack } from './lib/base';
import { LedgerlineFunction } from './lib/function';
import { encryptedLogGroup } from './lib/logs';
import { LeastPrivilegeRole, allow, awsRequiresWildcard, kmsVia, policyDocument, serviceTrustPolicy, type PolicyStatement } from './lib/iam';
import type { FunctionAssets } from './lib/assets';
import type { VpcNetwork } from './lib/network';
import { INGEST_PREFIXES, type Names } from './naming';
import {
  FLOW_AUDIT_SETTINGS,
  WEBHOOK_SWEEP_SCHEDULE,
  functionCatalogue,
  functionSizing,
  isEdgeFunction,
  isModeFunction,
  type CatalogueEntry,
  type CatalogueFunctionName,
  type ModeFunctionName,
} from './catalogue';
import { PaymentsApiEdge } from './lib/api';
import { Notifications } from './lib/notify';
import { AUDITED_TABLES, AuditTrailDatabase, type AuditedTableName } from './lib/audit-db';
import { API_VARIABLES, readApiConfig } from '../functions/api/api';
import { OUTWARD_NOTIFY_ROUTE } from '../src/routes';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { FLOW_AUDITOR_VARIABLES, readFlowAuditorConfig } from '../functions/flow-auditor/config';
import { BULK_ADVANCE_EVENT, BULK_ADVANCE_SCHEDULE } from '../functions/reconcile-workbench/schedule';
import { ingestBatchVariables, readIngestBatchConfig } from '../functions/ingest-batch/config';
import type { DataStack } from './data-stack';
import type { AnalyticsStack } from './analytics-stack';
import { renderWorkflow } from './workflows';
import { sourceConfig, streamSource } from '../src/modes/source-config';

/**
 * Every consumer's transaction-state store (SWEEP-1): consistent reads and conditional puts
 * (park-exhausted marks RETRYING; a stage ending a re-driven payment completes it if tracked).
 */
const TRANSACTIONS_RW = ['dynamodb:GetItem', 'dynamodb:PutItem'];

/** Per table: the actions on the table itself, and the indexes the function queries (Query on each index). */
export type TableAccess = Partial<Record<TableName, { actions: readonly string[]; indexes?: readonly string[]; indexActions?: readonly string[] }>>;

/**
 * DynamoDB actions per hot-path stage and table, read off the AWS adapters (src/adapters/aws/dynamo-*):
 * conditional puts, consistent gets, queries on named indexes and the ledger's TransactWriteItems
 * (authorised per item as PutItem / UpdateItem / ConditionCheckItem).
 */
export const STAGE_TABLE_ACCESS: Readonly<Record<StageName, TableAccess>> = {
  dedup: { dedup: { actions: ['dynamodb:PutItem', 'dynamodb:GetItem'] }, transactions: { actions: TRANSACTIONS_RW } },
  standardise: { transactions: { actions: TRANSACTIONS_RW } },
  enrich: { transactions: { actions: TRANSACTIONS_RW }, reference: { actions: ['dynamodb:GetItem'] } },
  rules: {
    transactions: { actions: TRANSACTIONS_RW },
    // Decisions by key; velocity windows as a Query of the table's time-ordered sort key (no index).
    rulesState: { actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query'] },
  },
  // LEDGER-1: consistent BatchGetItem of the balance shards' versions, then TransactWriteItems of a
  // journal Put per sequence + one versioned Update per shard (authorised per item as PutItem / UpdateItem).
  posting: {
    transactions: { actions: TRANSACTIONS_RW },
    ledger: { actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  },
  assembler: { transactions: { actions: TRANSACTIONS_RW } },
};

/** The union of several grants (FUSE-1: the fused function may do exactly what its stages do). */
export function mergeTableAccess(accesses: readonly TableAccess[]): TableAccess {
  const merged: TableAccess = {};
  for (const access of accesses) {
    for (const [table, grant] of Object.entries(access) as [TableName, NonNullable<TableAccess[TableName]>][]) {
      const current = merged[table];
      const actions = [...new Set([...(current?.actions ?? []), ...grant.actions])];
      const indexes = [...new Set([...(current?.indexes ?? []), ...(grant.indexes ?? [])])];
      const indexActions = [...new Set([...(current?.indexActions ?? []), ...(grant.indexActions ?? [])])];
      merged[table] = { actions, ...(indexes.length > 0 ? { indexes } : {}), ...(indexActions.length > 0 ? { indexActions } : {}) };
    }
  }
  return merged;
}

/** DynamoDB actions that only read (their callers need only kms:Decrypt on the table key). */
const TABLE_READS: ReadonlySet<string> = new Set(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan']);

/**
 * DynamoDB actions per function and table. The set of tables per function must equal its
 * runtime-config contract; the fused `hot-path` gets the union of its stages'.
 */
const HOT_PATH_TABLE_ACCESS = mergeTableAccess(HOT_PATH_STAGES.map((stage) => STAGE_TABLE_ACCESS[stage]));

export const TABLE_ACCESS: Readonly<Partial<Record<CatalogueFunctionName, TableAccess>>> = {
  ...STAGE_TABLE_ACCESS,
  [FUSED_CONSUMER]: HOT_PATH_TABLE_ACCESS,
  // MODE-4 / MODE-2: the fused hot path's stages; the flow journal's ingestion (PutItem on the
  // rules-state table) and markers (PutItem on the transactions table) are within its grants.
  authorise: HOT_PATH_TABLE_ACCESS,
  'ingest-batch': HOT_PATH_TABLE_ACCESS,
  // API-1..5: authorise's stages in process, plus the API's own reads and its idempotency keys
  // (src/adapters/aws/dynamo-idempotency-store.ts: consistent GetItem, conditional Put and Updates);
  // a payment's status asks the ledger for its sequence (GetItem), a balance scans the balances index.
  api: mergeTableAccess([
    HOT_PATH_TABLE_ACCESS,
    {
      apiIdempotency: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
      ledger: { actions: ['dynamodb:GetItem'], indexes: [LEDGER_BALANCES_INDEX], indexActions: ['dynamodb:Scan'] },
    },
  ]),
  // FLOW-1..3 (src/adapters/aws/flow-facts.ts): the intake Scan, consistent BatchGetItem of each
  // payment's facts, and a Query per journal partition of the window. Reads only.
  'flow-auditor': {
    authorisations: { actions: ['dynamodb:Scan'] },
    transactions: { actions: ['dynamodb:BatchGetItem'] },
    dedup: { actions: ['dynamodb:BatchGetItem'] },
    rulesState: { actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'] },
    ledger: { actions: ['dynamodb:BatchGetItem'] },
  },
  sweeper: {
    transactions: {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      indexes: Object.values(TRANSACTION_STATUS_INDEXES).map((index) => index.indexName),
    },
  },
  // REC-RUN-1: a run reconciles against the posting journal (the ledger's SEQ# items, one per sequence).
  'reconcile-normalise': { ledger: { actions: ['dynamodb:Scan'] } },
  // TransactWriteItems of Puts is authorised as PutItem per item.
  'reconcile-workbench': {
    // WB-AUTH-1 (src/adapters/aws/dynamo-session-store.ts): consistent GetItem of a session, conditional PutItem of a
    // session or sign-in, UpdateItem (touch), DeleteItem (sign-out; a sign-in taken once, ALL_OLD); rotation's
    // TransactWriteItems of a Delete and a Put is authorised per item.
    workbenchSessions: { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
    // A case's open rows (src/adapters/aws/dynamo-workbench-store.ts) are put before it opens and deleted after it
    // closes (PutItem, DeleteItem); a candidate lookup and a save read the cases' states (BatchGetItem); a save's
    // transaction ADDs to a counts item (UpdateItem); every index is queried. WB-BULK-1 jobs
    // (src/adapters/aws/dynamo-bulk-job-store.ts) are in the same table: created by conditional PutItem, read by
    // Query, leased, recorded and completed by conditional UpdateItem: no further action.
    workbench: {
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      indexes: Object.values(WORKBENCH_INDEXES).map((index) => index.indexName),
    },
    // ADJ-1: an approved write-off is one ledger sequence: TransactWriteItems of the journal Put and the
    // balance Updates (authorised per item), the balances' versions read first (BatchGetItem), and
    // GetItem of a sequence's journal item (was it booked?).
    ledger: { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
    reference: { actions: ['dynamodb:GetItem'] },
  },
  // The import: the run marker (GetItem, conditional PutItem), the cases of the run's accounts
  // (Query on byAccount), whether the table holds any case yet (a one-item Query per status on
  // byStatus: the counts start complete), the plan's TransactWriteItems of Puts (authorised as PutItem per item),
  // refreshed cases (their ages read first: BatchGetItem) and the counts in its transactions (UpdateItem), and open rows: new cases' in
  // BatchWriteItem, a reopened case's put, a cleared case's deleted (Query of its partition, DeleteItem).
  'reconcile-cases': {
    workbench: {
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
      indexes: [WORKBENCH_INDEXES.byStatus.indexName, WORKBENCH_INDEXES.byAccount.indexName],
    },
  },
};

/**
 * Functions Lambda invokes asynchronously (a schedule, an EventBridge rule): each gets the async-invoke dead-letter queue
 * and its key. WB-BULK-1: the workbench, an ALB target, is also invoked by its bulk schedule.
 */
function isAsyncInvoked(entry: CatalogueEntry): boolean {
  return entry.kind === 'scheduled' || entry.kind === 'event-trigger' || entry.name === WORKBENCH_FUNCTION;
}

/** TLS 1.2+ (TLS 1.3 preferred) on the workbench listener. */
export const WORKBENCH_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

const TABLE_BY_ENV_VAR = new Map<string, TableName>(TABLE_NAMES.map((table) => [TABLES[table].envVar, table]));

function isContractFunction(name: CatalogueFunctionName): name is FunctionName {
  return name in FUNCTION_ENVIRONMENT;
}

function isReconFunction(name: CatalogueFunctionName): name is ReconFunctionName {
  return name in RECON_FUNCTION_ENVIRONMENT;
}

/** Values of the workbench's contract that only exist once its ALB and secrets do (Terraform tokens). */
export interface WorkbenchRuntimeValues {
  /** The ALB's DNS name (the host of the OIDC redirect URI unless the environment names one). */
  loadBalancerDnsName: string;
  csrfSecretArn: string;
  oidcClientSecretArn: string;
}

/** The workbench's origin as the browser reaches it: its host name, else the ALB's DNS name (the OIDC redirect URI's and the upload CORS rule's). */
export function workbenchBaseUrl(config: EnvironmentConfig, loadBalancerDnsName: string): string {
  return `https://${config.workbench.hostName ?? loadBalancerDnsName}`;
}

/**
 * The workbench's contract (src/adapters/aws/workbench-config.ts) with this environment's values,
 * checked with its own reader at synth. The ALB's DNS name and the secrets' ARNs are Terraform
 * tokens at synth, so the check sees a well-formed stand-in for those.
 */
function workbenchEnvironment(config: EnvironmentConfig, names: Names, runtime: WorkbenchRuntimeValues): Record<string, string> {
  const environment: Record<WorkbenchVariable | WorkbenchUploadVariable, string> = {
    WORKBENCH_TABLE: names.tableName('workbench'),
    // WB-AUTH-1: the function's own OIDC sign-in against Okta, its sessions in DynamoDB.
    WORKBENCH_SESSIONS_TABLE: names.tableName('workbenchSessions'),
    WORKBENCH_BASE_URL: workbenchBaseUrl(config, runtime.loadBalancerDnsName),
    WORKBENCH_OIDC_ISSUER: config.workbench.oidc.issuer,
    WORKBENCH_OIDC_CLIENT_ID: config.workbench.oidc.clientId,
    WORKBENCH_OIDC_CLIENT_SECRET_ARN: runtime.oidcClientSecretArn,
    WORKBENCH_SESSION_SECONDS: String(config.workbench.sessionTimeoutSeconds),
    WORKBENCH_GROUP_ROLES: JSON.stringify(config.workbench.groupRoles),
    WORKBENCH_CSRF_SECRET_ARN: runtime.csrfSecretArn,
    LEDGER_TABLE: names.tableName('ledger'),
    REFERENCE_TABLE: names.tableName('reference'),
    INGEST_BUCKET: names.ingestBucket,
    OUTBOX_PREFIX: INGEST_PREFIXES.outbox,
    // NOTIFY-1: an approved write-off is announced (workbench.write-off-approved) on the bus.
    EVENT_BUS_NAME: names.busName,
    // REC-1: the Upload page presigns a PUT to the statement prefix and reads the workflow's quarantine and registry.
    STATEMENTS_PREFIX: INGEST_PREFIXES.incomingStatements,
    QUARANTINE_PREFIX: INGEST_PREFIXES.quarantine,
    REGISTRY_PREFIX: INGEST_PREFIXES.registry,
  };
  readWorkbenchUploadConfig({ ...environment, AWS_REGION: names.region });
  const standIn = (value: string, example: string) => (Token.isUnresolved(value) ? example : value);
  readWorkbenchFunctionConfig({
    ...environment,
    WORKBENCH_BASE_URL: standIn(environment.WORKBENCH_BASE_URL, `https://internal-${names.workbenchLoadBalancerName}-0123456789.${names.region}.elb.amazonaws.com`),
    WORKBENCH_OIDC_CLIENT_SECRET_ARN: standIn(runtime.oidcClientSecretArn, `arn:aws:secretsmanager:${names.region}:${names.account}:secret:${config.workbench.oidc.clientSecretName}-AbCdEf`),
    WORKBENCH_CSRF_SECRET_ARN: standIn(runtime.csrfSecretArn, `arn:aws:secretsmanager:${names.region}:${names.account}:secret:${names.workbenchCsrfSecretName}-AbCdEf`),
  });
  return environment;
}

/**
 * The reconciliation functions' contract (src/recon/run/aws/config.ts) with this environment's
 * values, checked with their own reader at synth time.
 */
function reconEnvironment(name: ReconFunctionName, names: Names): Record<string, string> {
  const values: Record<string, string> = {
    RECONCILIATION_STATE_MACHINE_ARN: names.stateMachineArn(names.reconciliationStateMachine),
    QUARANTINE_PREFIX: INGEST_PREFIXES.quarantine,
    REGISTRY_PREFIX: INGEST_PREFIXES.registry,
    WORKBENCH_TABLE: names.tableName('workbench'),
    LEDGER_TABLE: names.tableName('ledger'),
    // NOTIFY-1: reconcile-cases announces the committed run (reconciliation.completed) on the bus.
    EVENT_BUS_NAME: names.busName,
  };
  const contract = RECON_FUNCTION_ENVIRONMENT[name];
  const environment: Record<string, string> = {};
  for (const variable of [...contract.required, ...contract.optional]) {
    const value = values[variable];
    if (value === undefined) throw new Error(`function ${name}: no value for ${variable}`);
    environment[variable] = value;
  }
  readReconFunctionConfig(name, environment);
  return environment;
}

/**
 * Exactly the function's environment contract (runtime-config `variablesFor`, or the
 * reconciliation contract) with this environment's values, checked with the function's own
 * reader at synth time.
 */
export function functionEnvironment(name: CatalogueFunctionName, config: EnvironmentConfig, names: Names, workbench?: WorkbenchRuntimeValues, edge?: EdgeRuntime): Record<string, string> {
  if (isReconFunction(name)) return reconEnvironment(name, names);
  if (isEdgeFunction(name)) {
    if (!edge) throw new Error(`function ${name}: its edge constructs (API, notifications, audit trail) are needed for its environment`);
    return edgeEnvironment(name, config, names, edge);
  }
  if (name === WORKBENCH_FUNCTION) {
    if (!workbench) throw new Error(`function ${name}: its ALB's DNS name and its secrets' ARNs are needed for its environment`);
    return workbenchEnvironment(config, names, workbench);
  }
  if (isModeFunction(name)) return modeEnvironment(name, config, names);
  if (!isContractFunction(name)) return {};
  const values = runtimeValues(config, names);
  const environment: Record<string, string> = {};
  for (const variable of variablesFor(name)) {
    const value = values[variable];
    if (value !== undefined) environment[variable] = value;
  }
  readFunctionConfig(name, environment);
  return environment;
}

/** The api function's contract: the hot path's (it posts through authorise's handler in process) and its edge's (functions/api/api.ts). */
export const API_CONTRACT_VARIABLES: readonly string[] = Object.freeze([...variablesFor(FUSED_CONSUMER), ...Object.keys(API_VARIABLES)]);

/** The edge constructs an edge function's environment and grants come from (each declared once, in its construct). */
export interface EdgeRuntime {
  api: PaymentsApiEdge;
  notifications: Notifications;
  audit: AuditTrailDatabase;
}

/**
 * An edge function's environment, from its construct (one definition each), checked with the
 * function's own reader at synth; Terraform tokens (the user pool, its clients) stand in as
 * well-formed values for the check.
 */
function edgeEnvironment(name: EdgeFunctionName, config: EnvironmentConfig, names: Names, edge: EdgeRuntime): Record<string, string> {
  switch (name) {
    case 'api': {
      const values: Record<string, string | undefined> = { ...runtimeValues(config, names), ...edge.api.handlerEnvironment(), API_IDEMPOTENCY_TABLE: names.tableName('apiIdempotency') };
      const environment: Record<string, string> = {};
      for (const variable of API_CONTRACT_VARIABLES) {
        const value = values[variable];
        if (value !== undefined) environment[variable] = value;
      }
      readFunctionConfig(FUSED_CONSUMER, environment);
      const standIn = (value: string | undefined, example: string) => (value === undefined || Token.isUnresolved(value) ? example : value);
      readApiConfig({
        ...environment,
        COGNITO_ISSUER: standIn(environment.COGNITO_ISSUER, `https://cognito-idp.${names.region}.amazonaws.com/${names.region}_AbCdEfGhI`),
        API_AUDIENCES: standIn(environment.API_AUDIENCES, 'appclientid0123456789abcdef'),
      });
      return environment;
    }
    case 'notify':
    case 'webhook-sweeper':
      return edge.notifications.functionEnvironment();
    case 'audit-stream':
      return edge.audit.functionEnvironment();
  }
}

/** The variables of a mode function's contract (functions/<name>/config.ts; authorise: the fused hot path's). */
export function modeVariables(name: ModeFunctionName): readonly string[] {
  switch (name) {
    case 'authorise':
      return variablesFor(FUSED_CONSUMER);
    case 'ingest-batch':
      return ingestBatchVariables();
    case 'flow-auditor':
      return FLOW_AUDITOR_VARIABLES;
  }
}

/** A mode function's contract with this environment's values, checked with its own reader at synth. */
function modeEnvironment(name: ModeFunctionName, config: EnvironmentConfig, names: Names): Record<string, string> {
  const values: Record<string, string | undefined> = {
    ...runtimeValues(config, names),
    BATCH_SOURCE: sourceConfig(config.name).sources.find((source) => source.mode === 'batch')?.name,
    BATCH_REGISTRY_PREFIX: INGEST_PREFIXES.batchRegistry,
    FLOW_STUCK_AFTER_SECONDS: String(FLOW_AUDIT_SETTINGS.stuckAfterSeconds),
    FLOW_WINDOW_SECONDS: String(FLOW_AUDIT_SETTINGS.windowSeconds),
    FLOW_REPAIR: String(FLOW_AUDIT_SETTINGS.repair),
  };
  const environment: Record<string, string> = {};
  for (const variable of modeVariables(name)) {
    const value = values[variable];
    if (value !== undefined) environment[variable] = value;
  }
  if (name === 'authorise') readFunctionConfig(FUSED_CONSUMER, environment);
  else if (name === 'ingest-batch') readIngestBatchConfig(environment);
  else readFlowAuditorConfig(environment);
  return environment;
}

/** This environment's value of every variable of the shared runtime contract (undefined: left unset). */
function runtimeValues(config: EnvironmentConfig, names: Names): Record<RuntimeVariable, string | undefined> {
  return {
    EVENT_BUS_NAME: names.busName,
    DEDUP_TABLE: names.tableName('dedup'),
    TRANSACTIONS_TABLE: names.tableName('transactions'),
    LEDGER_TABLE: names.tableName('ledger'),
    REFERENCE_TABLE: names.tableName('reference'),
    RULES_STATE_TABLE: names.tableName('rulesState'),
    AUTHORISATIONS_TABLE: names.tableName('authorisations'),
    INGEST_BUCKET: names.ingestBucket,
    PARKED_PREFIX: INGEST_PREFIXES.parked,
    OUTBOX_PREFIX: INGEST_PREFIXES.outbox,
    REDRIVE_STATE_MACHINE_ARN: names.stateMachineArn(names.redriveStateMachine),
    // The SQS fallback is for deployments without the redrive state machine; this one has it.
    REDRIVE_QUEUE_URL: undefined,
    DEDUP_WINDOW_SECONDS: String(config.runtime.dedupWindowSeconds),
    HOT_ACCOUNT_SHARDS: Object.keys(config.runtime.hotAccountShards).length > 0 ? JSON.stringify(config.runtime.hotAccountShards) : undefined,
    // Resolved from the reference table's META#VERSION item at run time.
    REFERENCE_DATA_VERSION: undefined,
    LEDGERLINE_ENVIRONMENT: config.name,
    PIPE_NAME: names.pipeName,
  };
}

/** The variables of a function's environment contract (whichever contract it has). */
function contractVariables(name: CatalogueFunctionName): readonly string[] {
  if (isContractFunction(name)) return variablesFor(name);
  if (name === 'api') return API_CONTRACT_VARIABLES;
  if (isModeFunction(name)) return modeVariables(name);
  if (isReconFunction(name)) return [...RECON_FUNCTION_ENVIRONMENT[name].required, ...RECON_FUNCTION_ENVIRONMENT[name].optional];
  return name === WORKBENCH_FUNCTION ? [...WORKBENCH_VARIABLE_NAMES, ...WORKBENCH_UPLOAD_VARIABLE_NAMES] : [];
}

/** The tables a function's contract names (its *_TABLE variables). */
export function contractTables(name: CatalogueFunctionName): TableName[] {
  const variables = contractVariables(name);
  return variables.map((variable) => TABLE_BY_ENV_VAR.get(variable)).filter((table): table is TableName => table !== undefined);
}

/** The role ARN of a real-time caller (MODE-4): the permission's principal. */
export function realTimeCallerArn(caller: RealTimeCaller): string {
  return `arn:aws:iam::${caller.accountId}:role/${caller.roleName}`;
}

/** The statement id of a real-time caller's permission on authorise (Lambda: [A-Za-z0-9-_], ≤ 100). */
export function realTimeCallerStatementId(caller: RealTimeCaller): string {
  return `RealTimeCaller-${caller.accountId}-${caller.roleName}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The environment's real-time callers, checked: each an account and a role name, none twice; a bad one is named. */
export function checkRealTimeCallers(config: Pick<EnvironmentConfig, 'name' | 'realTimeCallers'>): readonly RealTimeCaller[] {
  const callers = config.realTimeCallers;
  if (!Array.isArray(callers)) throw new Error(`environment ${config.name}: realTimeCallers must be a list (empty: nobody may invoke authorise)`);
  const seen = new Set<string>();
  for (const caller of callers) {
    const where = `environment ${config.name}: realTimeCallers ${JSON.stringify(caller)}`;
    if (!/^\d{12}$/.test(String(caller.accountId))) throw new Error(`${where}: accountId must be 12 digits`);
    if (!ROLE_NAME.test(String(caller.roleName))) throw new Error(`${where}: roleName must be an IAM role name (1–64 of letters, digits, + = , . @ _ -; no path)`);
    if (typeof caller.description !== 'string' || caller.description.trim() === '') throw new Error(`${where}: description must say who the caller is`);
    const arn = realTimeCallerArn(caller);
    if (seen.has(arn)) throw new Error(`${where}: listed twice`);
    seen.add(arn);
  }
  return callers;
}

export interface AppStackProps {
  network: VpcNetwork;
  data: DataStack;
  analytics: AnalyticsStack;
  assets: FunctionAssets;
}

export class AppStack extends LedgerlineStack {
  readonly functions = new Map<CatalogueFunctionName, LedgerlineFunction>();
  readonly rules = new Map<string, CloudwatchEventRule>();
  readonly redrive: SfnStateMachine;
  readonly reconciliation: SfnStateMachine;
  readonly pipe: PipesPipe;
  readonly workbenchLoadBalancer: Lb;
  readonly workbenchListener: LbListener;
  readonly workbenchTargetGroup: LbTargetGroup;
  readonly workbenchLoadBalancerSecurityGroup: SecurityGroup;
  /** REC-1: the ingest bucket's CORS rule for the workbench's statement upload. */
  readonly ingestUploadCors: S3BucketCorsConfiguration;
  /** The customer edge (API-5, NOTIFY-2, AUDIT-1): each construct declares its functions' environment and grants once. */
  readonly paymentsApi: PaymentsApiEdge;
  readonly notifications: Notifications;
  readonly auditTrail: AuditTrailDatabase;

  constructor(
    app: Construct,
    private readonly config: EnvironmentConfig,
    props: AppStackProps,
  ) {
    super(app, { scope: config, component: 'app', assumeDeployRole: true });
    const names = this.names;
    const { region, account } = config;
    const { network, data, analytics } = props;
    const dataKey = data.dataKey.arn;
    const messagingKey = data.messagingKey.arn;
    const logsKey = data.logsKey.arn;

    // --- Functions ---------------------------------------------------------------------------
    const subnetIds = network.privateSubnets.map((subnet) => subnet.id);
    const subnetArns = subnetIds.map((id) => `arn:aws:ec2:${region}:${account}:subnet/${id}`);
    const securityGroupIds = [network.workloadSecurityGroup.id];
    const asyncDlqArn = names.queueArn(names.asyncInvokeDlqName);

    // --- Exceptions workbench ingress (its function is catalogued below) --------------------------
    this.workbenchLoadBalancerSecurityGroup = this.workbenchAlbSecurityGroup(network);
    this.workbenchLoadBalancer = new Lb(this, 'workbench-alb', {
      name: names.workbenchLoadBalancerName,
      internal: true,
      loadBalancerType: 'application',
      subnets: subnetIds,
      securityGroups: [this.workbenchLoadBalancerSecurityGroup.id],
      dropInvalidHeaderFields: true,
      desyncMitigationMode: 'strictest',
      enableDeletionProtection: config.protectStatefulResources,
      ipAddressType: 'ipv4',
    });
    this.workbenchTargetGroup = new LbTargetGroup(this, 'workbench-target-group', {
      name: names.workbenchTargetGroupName,
      targetType: 'lambda',
      // A sign-in answer sets two cookies: one Set-Cookie header each (functions/reconcile-workbench).
      lambdaMultiValueHeadersEnabled: true,
    });
    this.workbenchListener = this.workbenchHttpsListener(this.workbenchLoadBalancer, this.workbenchTargetGroup);
    const workbenchCsrfSecretArn = data.workbenchCsrfSecret.arn;
    const workbenchOidcClientSecretArn = data.workbenchOktaClientSecret.arn;
    const workbenchFunctionSecurityGroup = this.workbenchFunctionSecurityGroup(network);

    // --- The customer edge's constructs (their functions are catalogued below) ---------------------
    // NOTIFY-2: SES identity and configuration set, the outward-events queue and its DLQ.
    this.notifications = new Notifications(this, 'notifications', {
      names,
      config: config.notify,
      messagingKeyArn: messagingKey,
      dataKeyArn: dataKey,
      notifyTimeoutSeconds: functionSizing(config, 'notify').timeoutSeconds,
    });
    // AUDIT-1: the audit trail's Aurora cluster (private, TLS forced), its security groups, the feed's failure queue.
    this.auditTrail = new AuditTrailDatabase(this, 'audit-trail', {
      names,
      sizing: config.audit,
      vpcId: network.vpc.id,
      privateSubnetIds: subnetIds,
      dataKeyArn: dataKey,
      protect: config.protectStatefulResources,
    });
    // API-5: Cognito, the HTTP API and its routes, CloudFront + WAF. The function is named, not
    // referenced (it is created below with the API's issuer and clients in its environment): the
    // integration and invoke permissions wait for it (wireEdge).
    this.paymentsApi = new PaymentsApiEdge(this, 'payments-api', {
      names,
      config: config.api,
      account,
      tags: config.tags,
      functionName: names.functionName('api'),
      functionArn: names.functionArn('api'),
      logsKmsKeyArn: logsKey,
      logRetentionDays: config.retention.logDays,
      protect: config.protectStatefulResources,
    });
    const edge: EdgeRuntime = { api: this.paymentsApi, notifications: this.notifications, audit: this.auditTrail };
    const streamArns = Object.fromEntries(AUDITED_TABLES.map((table) => [table, data.tables.get(table)!.streamArn])) as Record<AuditedTableName, string>;

    const topology = config.runtime.topology;
    for (const entry of functionCatalogue(topology)) {
      const code = props.assets.code.get(entry.name);
      if (!code) throw new Error(`no code for function ${entry.name}`);
      const asyncInvoked = isAsyncInvoked(entry);
      const groups =
        entry.kind === 'load-balancer-target'
          ? [...securityGroupIds, workbenchFunctionSecurityGroup.id]
          : entry.name === 'audit-stream'
            ? [...securityGroupIds, this.auditTrail.functionSecurityGroup.id]
            : securityGroupIds;
      const fn = new LedgerlineFunction(this, `fn-${entry.name}`, {
        names,
        name: entry.name,
        description: entry.description,
        sizing: functionSizing(config, entry.name),
        zipPath: code.zipPath,
        environment: functionEnvironment(
          entry.name,
          config,
          names,
          { loadBalancerDnsName: this.workbenchLoadBalancer.dnsName, csrfSecretArn: workbenchCsrfSecretArn, oidcClientSecretArn: workbenchOidcClientSecretArn },
          edge,
        ),
        statements: [
          ...this.permissionsFor(entry, { dataKey, messagingKey, analyticsKey: analytics.key.arn, workbenchSecretArns: { csrf: workbenchCsrfSecretArn, oidcClient: workbenchOidcClientSecretArn } }),
          ...this.edgeStatements(entry.name, streamArns),
        ],
        subnetIds,
        subnetArns,
        securityGroupIds: groups,
        securityGroupArns: groups.map((id) => `arn:aws:ec2:${region}:${account}:security-group/${id}`),
        environmentKmsKeyArn: dataKey,
        logsKmsKeyArn: logsKey,
        logRetentionDays: config.retention.logDays,
        ...(asyncInvoked ? { asyncDeadLetterQueueArn: asyncDlqArn } : {}),
      });
      this.functions.set(entry.name, fn);
    }

    this.attachWorkbenchFunction(this.functions.get(WORKBENCH_FUNCTION)!, this.workbenchTargetGroup);
    // REC-1: the Upload page's browser PUTs a statement straight to the ingest bucket (a PUT the function presigned):
    // CORS lets exactly the workbench's origin PUT, sending the one header it signs besides the length.
    this.ingestUploadCors = new S3BucketCorsConfiguration(this, 'ingest-upload-cors', {
      bucket: names.ingestBucket,
      corsRule: [
        {
          id: 'workbench-statement-upload',
          allowedMethods: ['PUT'],
          allowedOrigins: [workbenchBaseUrl(config, this.workbenchLoadBalancer.dnsName)],
          allowedHeaders: ['content-type'],
          maxAgeSeconds: 600,
        },
      ],
    });

    // --- The customer edge: API → api, outward events → notify, streams → audit-stream, the webhook sweeper
    this.wireEdge(streamArns, messagingKey);

    // --- MODE-4: the trusted synchronous callers of authorise (its resource policy) -----------------
    this.realTimeCallerPermissions(this.functions.get('authorise')!);

    // --- Routes: rule → queue → consumer (the topology's routes, FUSE-1) ---------------------------
    // MODE-1: each route's batch size and window are config/sources.json's, with this environment's overrides.
    for (const route of routesFor(topology, config.name)) this.wireRoute(route);

    // --- Pipe: authorisation stream → ingest → the hot path's queue (fused) or the bus (staged) ----
    this.pipe = this.authorisationsPipe(data, messagingKey, dataKey, logsKey);

    // --- Schedules: the sweeper, the flow auditor ---------------------------------------------------
    this.sweeperSchedule(messagingKey);
    this.flowAuditorSchedule(messagingKey);
    this.workbenchBulkSchedule(messagingKey);

    // --- Workflows --------------------------------------------------------------------------------
    this.redrive = this.stateMachine(
      names.redriveStateMachine,
      'STANDARD',
      renderWorkflow('redrive', { EventBusName: names.busName }),
      [allow(['events:PutEvents'], [names.busArn], undefined, 'RedriveToBus')],
      dataKey,
      logsKey,
    );

    const configParameter = 'reconciliation/config';
    new SsmParameter(this, 'reconciliation-config', {
      name: names.ssmParameterName(configParameter),
      description: 'Reconciliation workflow configuration (REC-2: Parameter Store)',
      type: 'String',
      tier: 'Standard',
      value: JSON.stringify({
        ruleSet: 'default',
        confirmThreshold: '0.90',
        matchConcurrency: config.analytics.matchConcurrency,
        staleAfterDays: 30,
        // The ledger export finance's exporter writes. `{ journal: true, accounts: { <IBAN>: <ledger account> } }`
        // reads the posting journal instead (REC-RUN-1; the function may Scan the ledger table).
        ledger: { bucket: names.ingestBucket, key: `${INGEST_PREFIXES.ledgerExports}ledger-export.ndjson` },
        redshift: { workgroup: names.redshiftWorkgroup, database: names.redshiftDatabase, schema: 'reconciliation' },
        // REC-EMR-1: runs this large match on the EMR Serverless job instead of the Distributed Map.
        emr: { ...analytics.emrMatch, minRows: config.analytics.emrMinRows },
      }),
    });
    const topicArn = names.topicArn('reconciliation');
    const reconName = names.reconciliationStateMachine;
    this.reconciliation = this.stateMachine(
      reconName,
      'STANDARD',
      renderWorkflow('reconciliation', {
        ConfigParameterName: names.ssmParameterName(configParameter),
        NormaliseFunctionArn: names.functionArn('reconcile-normalise'),
        MatchFunctionArn: names.functionArn('reconcile-match'),
        SummariseFunctionArn: names.functionArn('reconcile-summarise'),
        CasesFunctionArn: names.functionArn('reconcile-cases'),
        GlueJobName: names.glueJobName,
        GlueDatabase: names.glueDatabase,
        AnalyticsBucket: names.analyticsBucket,
        RedshiftWorkgroup: names.redshiftWorkgroup,
        RedshiftDatabase: names.redshiftDatabase,
        RedshiftSecretArn: analytics.redshiftAdminSecretArn,
        NotificationTopicArn: topicArn,
      }),
      [
        allow(['ssm:GetParameter'], [names.ssmParameterArn(configParameter)], undefined, 'Configuration'),
        allow(
          ['lambda:InvokeFunction'],
          [names.functionArn('reconcile-normalise'), names.functionArn('reconcile-match'), names.functionArn('reconcile-summarise'), names.functionArn('reconcile-cases')],
          undefined,
          'Steps',
        ),
        allow(['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'], [names.glueJobArn], undefined, 'GlueJob'),
        // Distributed Map: child executions of this same state machine.
        allow(['states:StartExecution'], [names.stateMachineArn(reconName)], undefined, 'DistributedMapChildren'),
        allow(['states:DescribeExecution', 'states:StopExecution'], [names.stateMachineExecutionsArn(reconName)], undefined, 'DistributedMapChildrenControl'),
        // REC-EMR-1: large runs match on the EMR Serverless job (startJobRun.sync: the job, its role, the managed rule .sync polls with).
        allow(['emr-serverless:StartJobRun'], [analytics.emr.arn], undefined, 'EmrJob'),
        allow(['emr-serverless:GetJobRun', 'emr-serverless:CancelJobRun'], [`${analytics.emr.arn}/jobruns/*`], undefined, 'EmrJobRuns'),
        allow(['iam:PassRole'], [analytics.emrMatch.executionRoleArn], { StringEquals: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' } }, 'EmrJobRole'),
        allow(
          ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          [`arn:aws:events:${region}:${config.account}:rule/StepFunctionsGetEventsForEMRServerlessJobRule`],
          undefined,
          'EmrJobSync',
        ),
        // A failed run releases its re-upload claim (ReleaseClaim state).
        allow(['s3:DeleteObject'], [`${names.ingestBucketArn}/${INGEST_PREFIXES.registry}*`], undefined, 'ReleaseRegistryClaim'),
        allow(['redshift-data:BatchExecuteStatement'], [analytics.workgroup.arn], undefined, 'RedshiftLoad'),
        allow(['secretsmanager:GetSecretValue'], [analytics.redshiftAdminSecretArn], undefined, 'RedshiftCredentials'),
        kmsVia([analytics.key.arn], ['secretsmanager'], region, ['kms:Decrypt']),
        // Data API statement ids are not ARNs (AWS scopes these to the caller's own statements).
        awsRequiresWildcard('RedshiftStatements', ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult']),
        allow(['sns:Publish'], [topicArn], undefined, 'Notify'),
        kmsVia([messagingKey], ['sns'], region),
      ],
      dataKey,
      logsKey,
    );

    // --- S3 statement uploaded → reconcile-trigger, batch file uploaded → ingest-batch (default bus) --
    this.statementUploadedRule();
    this.batchUploadedRule();

    // --- Posting failures → the posting notifications topic (operations) -----------------------------
    this.postingFailureNotifications();
  }

  /**
   * Not a route (no consumer): `posting.failed` (retries exhausted, low volume) is published to the
   * posting notifications topic for operations. Per-payment `posting.completed` is deliberately
   * not notified (volume and cost).
   */
  private postingFailureNotifications(): void {
    const names = this.names;
    const rule = new CloudwatchEventRule(this, 'rule-posting-failed-notify', {
      name: names.postingFailureRuleName,
      description: 'Operations: posting.failed → the posting notifications topic',
      eventBusName: names.busName,
      eventPattern: JSON.stringify({ 'detail-type': [EventTypes.postingFailed] }),
      state: 'ENABLED',
    });
    new CloudwatchEventTarget(this, 'rule-posting-failed-notify-target', {
      rule: rule.name,
      eventBusName: names.busName,
      targetId: 'posting-notifications',
      arn: names.topicArn('posting-notifications'),
      deadLetterConfig: { arn: names.queueArn(names.busDeliveryDlqName) },
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    });
  }

  /** The ALB's group: HTTPS in from the on-premises CIDRs only; no egress (its target is a Lambda function, invoked through the Lambda API, not the VPC). */
  private workbenchAlbSecurityGroup(network: VpcNetwork): SecurityGroup {
    const names = this.names;
    const cidrs = this.config.workbench.allowedCidrs;
    if (cidrs.length === 0 || cidrs.some((cidr) => cidr === '0.0.0.0/0' || cidr.endsWith('/0'))) {
      throw new Error(`workbench.allowedCidrs must name the on-premises networks, never the world: ${JSON.stringify(cidrs)}`);
    }
    const group = new SecurityGroup(this, 'workbench-alb-sg', {
      vpcId: network.vpc.id,
      name: names.name('workbench-alb'),
      description: 'Exceptions workbench ALB: HTTPS from the on-premises networks (Direct Connect) only',
      tags: { Name: names.name('workbench-alb') },
    });
    cidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `workbench-alb-https-in-${i}`, {
        securityGroupId: group.id,
        description: `HTTPS from on-premises ${cidr}`,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: cidr,
      });
    });
    return group;
  }

  /**
   * Added to the workbench function's groups: HTTPS out to Okta (WB-AUTH-1: the function itself
   * reads the issuer's discovery document and JWKS and redeems the authorization code at its token
   * endpoint), through the NAT: Okta has no VPC endpoint, and its addresses are not fixed.
   */
  private workbenchFunctionSecurityGroup(network: VpcNetwork): SecurityGroup {
    const names = this.names;
    const group = new SecurityGroup(this, 'workbench-fn-sg', {
      vpcId: network.vpc.id,
      name: names.name('workbench-fn'),
      description: 'Exceptions workbench function: HTTPS to Okta (OIDC discovery, JWKS, token endpoint); no ingress',
      tags: { Name: names.name('workbench-fn') },
    });
    new VpcSecurityGroupEgressRule(this, 'workbench-fn-https-okta', {
      securityGroupId: group.id,
      description: `HTTPS to the Okta issuer ${new URL(this.config.workbench.oidc.issuer).host} (through the NAT)`,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });
    return group;
  }

  /**
   * HTTPS (TLS 1.2+) straight to the workbench function: no authenticate-oidc at the ALB
   * (WB-AUTH-1: the function runs the OIDC flow itself, the same code as locally).
   */
  private workbenchHttpsListener(loadBalancer: Lb, targetGroup: LbTargetGroup): LbListener {
    return new LbListener(this, 'workbench-https', {
      loadBalancerArn: loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: WORKBENCH_TLS_POLICY,
      certificateArn: this.config.workbench.certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
    });
  }

  /** What an edge function's role needs beyond its tables and buckets: its construct's grants (declared once there). */
  private edgeStatements(name: CatalogueFunctionName, streamArns: Readonly<Record<AuditedTableName, string>>): PolicyStatement[] {
    switch (name) {
      case 'notify':
        return this.notifications.functionStatements(true);
      case 'webhook-sweeper':
        return this.notifications.functionStatements(false);
      case 'audit-stream':
        return this.auditTrail.functionStatements(streamArns);
      default:
        return [];
    }
  }

  /**
   * The customer edge around its functions: the API's integration and invoke permissions wait for
   * the api function; the outward-events rule (src/routes.ts OUTWARD_NOTIFY_ROUTE) feeds the
   * notifier's queue, which feeds notify; the audited tables' streams feed audit-stream; the
   * webhook sweeper runs on its schedule.
   */
  private wireEdge(streamArns: Readonly<Record<AuditedTableName, string>>, messagingKey: string): void {
    const names = this.names;
    const api = this.functions.get('api')!;
    for (const node of this.paymentsApi.node.findAll()) {
      if (node instanceof LambdaPermission || node instanceof Apigatewayv2Integration) node.dependsOn = [...(node.dependsOn ?? []), dependable(api.fn)];
    }

    const queue = this.notifications.events.queue;
    this.ruleToQueue('rule-outward-notify', OUTWARD_NOTIFY_ROUTE, queue.arn, 'notify-queue');
    const tlsOnly = (arn: string): PolicyStatement => ({
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:*',
      Resource: arn,
      Condition: { Bool: { 'aws:SecureTransport': false } },
    });
    new SqsQueuePolicy(this, 'notify-events-policy', {
      queueUrl: queue.url,
      policy: policyDocument([
        tlsOnly(queue.arn),
        {
          Sid: 'EventBridgeRulesMaySend',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queue.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': [names.routeRuleArn(OUTWARD_NOTIFY_ROUTE)] } },
        },
      ]),
    });
    new SqsQueuePolicy(this, 'notify-events-dlq-policy', { queueUrl: this.notifications.events.dlq.url, policy: policyDocument([tlsOnly(this.notifications.events.dlq.arn)]) });
    new SqsQueuePolicy(this, 'audit-feed-failures-policy', { queueUrl: this.auditTrail.feedFailures.url, policy: policyDocument([tlsOnly(this.auditTrail.feedFailures.arn)]) });
    this.notifications.feed(this.functions.get('notify')!.fn.functionName, functionSizing(this.config, 'notify').reservedConcurrency);

    this.auditTrail.feed(this.functions.get('audit-stream')!.fn.functionName, streamArns);

    this.schedule(messagingKey, {
      fn: 'webhook-sweeper',
      id: 'webhook-sweeper-scheduler',
      invokeSid: 'InvokeWebhookSweeper',
      description: 'Webhook sweeper (HOOK-2): re-attempt the due deliveries',
      scheduleExpression: WEBHOOK_SWEEP_SCHEDULE,
    });
  }

  /**
   * MODE-4: each configured real-time caller (environments/*.ts `realTimeCallers`) may invoke
   * authorise, by one permission naming exactly its role; nothing else outside the account may.
   * The functions are not published under aliases, so the permission is on the function itself
   * (unqualified: $LATEST, the version every caller runs).
   */
  private realTimeCallerPermissions(authorise: LedgerlineFunction): void {
    checkRealTimeCallers(this.config).forEach((caller, i) => {
      new LambdaPermission(this, `authorise-caller-${i}`, {
        statementId: realTimeCallerStatementId(caller),
        action: 'lambda:InvokeFunction',
        functionName: authorise.fn.functionName,
        principal: realTimeCallerArn(caller),
      });
    });
  }

  /** The ALB may invoke the workbench function only through its target group. */
  private attachWorkbenchFunction(fn: LedgerlineFunction, targetGroup: LbTargetGroup): void {
    const permission = new LambdaPermission(this, 'workbench-alb-invoke', {
      statementId: 'AllowWorkbenchTargetGroup',
      action: 'lambda:InvokeFunction',
      functionName: fn.fn.functionName,
      principal: 'elasticloadbalancing.amazonaws.com',
      sourceArn: targetGroup.arn,
    });
    new LbTargetGroupAttachment(this, 'workbench-target', { targetGroupArn: targetGroup.arn, targetId: fn.fn.arn, dependsOn: [permission] });
  }

  /** Everything a function may do besides logs/X-Ray/VPC (lib/function.ts adds those). */
  private permissionsFor(entry: CatalogueEntry, keys: { dataKey: string; messagingKey: string; analyticsKey: string; workbenchSecretArns: { csrf: string; oidcClient: string } }): PolicyStatement[] {
    const names = this.names;
    const { region } = this.config;
    const statements: PolicyStatement[] = [];
    const contract = contractVariables(entry.name);

    // Tables: exactly the contract's tables, with the actions the adapters use.
    const access = TABLE_ACCESS[entry.name] ?? {};
    const granted = Object.keys(access).sort();
    const expected = contractTables(entry.name).sort();
    if (granted.join() !== expected.join()) {
      throw new Error(`function ${entry.name}: TABLE_ACCESS names tables [${granted}] but its runtime contract names [${expected}]`);
    }
    for (const table of expected) {
      const grant = access[table]!;
      const sid = `Table${table[0]!.toUpperCase()}${table.slice(1)}`;
      // Item actions on the table; an index only serves Query (IAM-1: nothing granted that no call uses).
      statements.push(allow(grant.actions, [names.tableArn(table)], undefined, sid));
      if (grant.indexes?.length) {
        statements.push(
          allow(
            [...(grant.indexActions ?? ['dynamodb:Query'])],
            grant.indexes.map((index) => names.tableIndexArn(table, index)),
            undefined,
            `${sid}Indexes`,
          ),
        );
      }
    }
    // A function that only reads its tables only decrypts (IAM-1).
    const writes = expected.some((table) => access[table]!.actions.some((action) => !TABLE_READS.has(action)));
    if (expected.length > 0) statements.push(kmsVia([keys.dataKey], ['dynamodb'], region, writes ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']));

    // Whatever contract names the bus publishes to it (NOTIFY-1: the reconciliation's and the workbench's contracts too).
    if (contract.includes('EVENT_BUS_NAME')) statements.push(allow(['events:PutEvents'], [names.busArn], undefined, 'PublishToBus'));

    if (entry.route) {
      statements.push(
        allow(
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          [names.queueArn(names.routeQueueName(entry.route))],
          undefined,
          'ConsumeRouteQueue',
        ),
        kmsVia([keys.messagingKey], ['sqs'], region, ['kms:Decrypt']),
      );
    }
    // The async-invoke dead-letter queue's key.
    if (isAsyncInvoked(entry)) statements.push(kmsVia([keys.messagingKey], ['sqs'], region, ['kms:GenerateDataKey', 'kms:Decrypt']));

    for (const s3 of entry.s3 ?? []) {
      const bucketArn = s3.bucket === 'ingest' ? names.ingestBucketArn : names.analyticsBucketArn;
      const key = s3.bucket === 'ingest' ? keys.dataKey : keys.analyticsKey;
      if (s3.read?.length)
        statements.push(
          allow(
            ['s3:GetObject', 's3:GetObjectVersion'],
            s3.read.map((prefix) => `${bucketArn}/${prefix}*`),
          ),
        );
      if (s3.list?.length) statements.push(allow(['s3:ListBucket'], [bucketArn], { StringLike: { 's3:prefix': s3.list.map((prefix) => `${prefix}*`) } }));
      if (s3.readObjects?.length)
        statements.push(
          allow(
            ['s3:GetObject'],
            s3.readObjects.map((key) => `${bucketArn}/${key}`),
          ),
        );
      if (s3.write?.length)
        statements.push(
          allow(
            ['s3:PutObject'],
            s3.write.map((prefix) => `${bucketArn}/${prefix}*`),
          ),
        );
      if (s3.delete?.length)
        statements.push(
          allow(
            ['s3:DeleteObject'],
            s3.delete.map((prefix) => `${bucketArn}/${prefix}*`),
          ),
        );
      // Listing keys reads no object: no key use.
      if (s3.read?.length || s3.readObjects?.length || s3.write?.length || s3.delete?.length) {
        statements.push(kmsVia([key], ['s3'], region, s3.write?.length ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']));
      }
    }

    // Starting an execution of a state machine encrypted with a CMK encrypts its input with the
    // caller's credentials (encryption context: the state machine's ARN).
    const startsExecutionsOf = (machine: string, sid: string) => [
      allow(['states:StartExecution'], [names.stateMachineArn(machine)], undefined, sid),
      allow(['kms:GenerateDataKey', 'kms:Decrypt'], [keys.dataKey], { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': names.stateMachineArn(machine) } }, `${sid}DataKey`),
    ];
    if (entry.name === 'sweeper') statements.push(...startsExecutionsOf(names.redriveStateMachine, 'Redrive'));
    if (entry.name === 'reconcile-trigger') statements.push(...startsExecutionsOf(names.reconciliationStateMachine, 'StartReconciliation'));
    if (entry.name === WORKBENCH_FUNCTION) {
      // Each read once per container; both secrets are encrypted under the data CMK.
      statements.push(
        allow(['secretsmanager:GetSecretValue'], [keys.workbenchSecretArns.csrf], undefined, 'CsrfSecret'),
        // WB-AUTH-1: the Okta client secret the sign-in presents at the token endpoint.
        allow(['secretsmanager:GetSecretValue'], [keys.workbenchSecretArns.oidcClient], undefined, 'OidcClientSecret'),
        kmsVia([keys.dataKey], ['secretsmanager'], region, ['kms:Decrypt']),
      );
    }
    return statements;
  }

  /** A bus rule of a route that delivers to a queue, undeliverable events parked on the bus-delivery DLQ. */
  private ruleToQueue(id: string, route: Pick<Route, 'name' | 'description' | 'eventPattern'>, queueArn: string, targetId: string): CloudwatchEventRule {
    const names = this.names;
    const rule = new CloudwatchEventRule(this, id, {
      name: names.routeRuleName(route),
      description: route.description,
      eventBusName: names.busName,
      eventPattern: JSON.stringify(route.eventPattern),
      state: 'ENABLED',
    });
    this.rules.set(route.name, rule);
    new CloudwatchEventTarget(this, `${id}-target`, {
      rule: rule.name,
      eventBusName: names.busName,
      targetId,
      arn: queueArn,
      deadLetterConfig: { arn: names.queueArn(names.busDeliveryDlqName) },
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
    });
    return rule;
  }

  private wireRoute(route: Route): void {
    const names = this.names;
    const queueArn = names.queueArn(names.routeQueueName(route));
    this.ruleToQueue(`rule-${route.name}`, route, queueArn, 'queue');
    const consumer = this.functions.get(route.consumer)!;
    const sizing = functionSizing(this.config, route.consumer);
    new LambdaEventSourceMapping(this, `esm-${route.name}`, {
      eventSourceArn: queueArn,
      functionName: consumer.fn.arn,
      batchSize: route.queue.batchSize,
      maximumBatchingWindowInSeconds: route.queue.maxBatchingWindowSeconds,
      functionResponseTypes: ['ReportBatchItemFailures'],
      // Never let the poller outrun the reserved concurrency (throttled batches only churn).
      scalingConfig: { maximumConcurrency: Math.max(2, sizing.reservedConcurrency) },
      enabled: true,
    });
  }

  private authorisationsPipe(data: DataStack, messagingKey: string, dataKey: string, logsKey: string): PipesPipe {
    const names = this.names;
    const { region } = this.config;
    const pipeConfig = this.config.pipe;
    // MODE-1/MODE-3: the Pipe batches as the near-real-time source of config/sources.json says (with this environment's overrides).
    const stream = streamSource(this.config.name);
    const table = data.tables.get('authorisations')!;
    const ingest = this.functions.get('ingest')!;
    const logGroupName = `/aws/vendedlogs/pipes/${names.pipeName}`;
    const logGroup = encryptedLogGroup(this, 'pipe-logs', logGroupName, this.config.retention.logDays, logsKey);
    const pipeDlqArn = names.queueArn(names.pipeDlqName);
    // FUSE-1: fused, the Pipe feeds the hot path's queue directly (no rule delivery per payment:
    // at 1,111 payments/s one would take half of the region's target-invocation quota).
    const entry = authorisationEntry(this.config.runtime.topology);
    const targetArn = entry.kind === 'queue' ? names.queueArn(names.routeQueueName(entry.route)) : names.busArn;
    const role = new LeastPrivilegeRole(this, 'pipe-role', {
      name: names.roleName('pipe-authorisations'),
      description: `EventBridge Pipe: authorisation stream → ingest enrichment → ${entry.kind === 'queue' ? `the ${entry.route.name} queue` : 'bus'}`,
      assumeRolePolicy: serviceTrustPolicy('pipes.amazonaws.com', this.config.account, names.pipeArn),
      permissionsBoundary: names.permissionsBoundaryArn,
      statements: [
        allow(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], [table.streamArn], undefined, 'ReadStream'),
        allow(['dynamodb:ListStreams'], [`${names.tableArn('authorisations')}/stream/*`], undefined, 'ListStreams'),
        kmsVia([dataKey], ['dynamodb'], region, ['kms:Decrypt']),
        allow(['lambda:InvokeFunction'], [ingest.fn.arn], undefined, 'Enrich'),
        entry.kind === 'queue' ? allow(['sqs:SendMessage'], [targetArn], undefined, 'Target') : allow(['events:PutEvents'], [targetArn], undefined, 'Target'),
        allow(['sqs:SendMessage'], [pipeDlqArn], undefined, 'DeadLetters'),
        kmsVia([messagingKey], ['sqs'], region),
        // The pipe's own data (filter pattern) is encrypted under the messaging key (pipe ARN as encryption context).
        allow(['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt'], [messagingKey], undefined, 'PipeDataKey'),
        allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${names.logGroupArn(logGroupName)}:*`], undefined, 'Logs'),
      ],
    });
    return new PipesPipe(this, 'pipe', {
      name: names.pipeName,
      description: `FR1: approved authorisations (table stream) → payment.authorised events ${entry.kind === 'queue' ? 'on the hot path queue' : 'on the bus'}`,
      roleArn: role.arn,
      desiredState: 'RUNNING',
      kmsKeyIdentifier: messagingKey,
      source: table.streamArn,
      sourceParameters: {
        dynamodbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: stream.batchSize,
          maximumBatchingWindowInSeconds: stream.batchingWindowSeconds,
          parallelizationFactor: pipeConfig.parallelizationFactor,
          maximumRetryAttempts: pipeConfig.maximumRetryAttempts,
          maximumRecordAgeInSeconds: pipeConfig.maximumRecordAgeSeconds,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: pipeDlqArn },
        },
        // Only new items: modifications and deletes never become payments (ingest skips them too).
        filterCriteria: { filter: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      },
      enrichment: ingest.fn.arn,
      target: targetArn,
      // The enrichment returns envelopes; each becomes one SQS message (the bare envelope, which the
      // hot path reads: src/lambda/sqs-consumer.ts) or one event (detail-type = type, source = source).
      ...(entry.kind === 'bus' ? { targetParameters: { eventbridgeEventBusParameters: { detailType: '$.type', source: '$.source' } } } : {}),
      logConfiguration: { level: 'ERROR', includeExecutionData: ['ALL'], cloudwatchLogsLogDestination: { logGroupArn: logGroup.arn } },
      dependsOn: [role.policy],
    });
  }

  private sweeperSchedule(messagingKey: string): void {
    this.schedule(messagingKey, {
      fn: 'sweeper',
      id: 'scheduler',
      invokeSid: 'InvokeSweeper',
      description: 'Sweeper (SWEEP-2): re-drive RETRYING transactions',
      scheduleExpression: this.config.sweeperSchedule,
    });
  }

  /** FLOW-1..3: the flow auditor every FLOW_AUDIT_SETTINGS.scheduleMinutes (the alarm's period). */
  private flowAuditorSchedule(messagingKey: string): void {
    const minutes: number = FLOW_AUDIT_SETTINGS.scheduleMinutes;
    this.schedule(messagingKey, {
      fn: 'flow-auditor',
      id: 'flow-auditor-scheduler',
      invokeSid: 'InvokeFlowAuditor',
      description: 'Flow auditor (FLOW-1..3): audit the flow of the last window, re-emit stuck payments',
      scheduleExpression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`,
    });
  }

  /**
   * WB-BULK-1: the workbench function every minute with the schedule's own event (functions/reconcile-workbench/schedule.ts),
   * which it tells from an ALB request by its shape: it works the running bulk jobs, so a job finishes with no page open.
   */
  private workbenchBulkSchedule(messagingKey: string): void {
    this.schedule(messagingKey, {
      fn: WORKBENCH_FUNCTION,
      id: 'workbench-bulk-scheduler',
      invokeSid: 'InvokeWorkbenchBulkAdvance',
      description: 'Workbench bulk jobs (WB-BULK-1): advance the running jobs with no page open',
      scheduleExpression: BULK_ADVANCE_SCHEDULE,
      input: JSON.stringify(BULK_ADVANCE_EVENT),
    });
  }

  /** An EventBridge Scheduler schedule invoking `fn` (with `input`, default `{}`), with its own role and the scheduler dead-letter queue. */
  private schedule(messagingKey: string, props: { fn: CatalogueFunctionName; id: string; invokeSid: string; description: string; scheduleExpression: string; input?: string }): void {
    const names = this.names;
    const target = this.functions.get(props.fn)!;
    const dlqArn = names.queueArn(names.schedulerDlqName);
    const role = new LeastPrivilegeRole(this, `${props.id}-role`, {
      name: names.roleName(`scheduler-${props.fn}`),
      description: `EventBridge Scheduler: invokes ${props.fn}`,
      assumeRolePolicy: serviceTrustPolicy('scheduler.amazonaws.com', this.config.account),
      permissionsBoundary: names.permissionsBoundaryArn,
      statements: [
        allow(['lambda:InvokeFunction'], [target.fn.arn], undefined, props.invokeSid),
        allow(['sqs:SendMessage'], [dlqArn], undefined, 'DeadLetters'),
        kmsVia([messagingKey], ['sqs', 'scheduler'], this.config.region),
      ],
    });
    new SchedulerSchedule(this, `${props.fn}-schedule`, {
      name: names.name(props.fn),
      description: props.description,
      scheduleExpression: props.scheduleExpression,
      flexibleTimeWindow: { mode: 'OFF' },
      kmsKeyArn: messagingKey,
      target: {
        arn: target.fn.arn,
        roleArn: role.arn,
        input: props.input ?? '{}',
        retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 },
        deadLetterConfig: { arn: dlqArn },
      },
    });
  }

  /** MODE-2: a file of authorisations created under incoming/authorisations/ → ingest-batch (S3 sends to the default bus). */
  private batchUploadedRule(): void {
    const names = this.names;
    const target = this.functions.get('ingest-batch')!;
    const ruleName = names.batchUploadedRuleName;
    const rule = new CloudwatchEventRule(this, 'rule-batch-uploaded', {
      name: ruleName,
      description: 'MODE-2: a file of authorisations uploaded to incoming/authorisations/ is posted by ingest-batch',
      eventPattern: JSON.stringify({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [names.ingestBucket] }, object: { key: [{ prefix: INGEST_PREFIXES.incomingAuthorisations }] } },
      }),
      state: 'ENABLED',
    });
    new CloudwatchEventTarget(this, 'rule-batch-uploaded-target', {
      rule: rule.name,
      targetId: 'ingest-batch',
      arn: target.fn.arn,
      deadLetterConfig: { arn: names.queueArn(names.busDeliveryDlqName) },
      retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
    });
    new LambdaPermission(this, 'batch-uploaded-invoke', {
      statementId: 'AllowBatchUploadedRule',
      action: 'lambda:InvokeFunction',
      functionName: target.fn.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: names.ruleArnOnDefaultBus(ruleName),
      sourceAccount: this.config.account,
    });
  }

  private statementUploadedRule(): void {
    const names = this.names;
    const trigger = this.functions.get('reconcile-trigger')!;
    const ruleName = names.statementUploadedRuleName;
    const rule = new CloudwatchEventRule(this, 'rule-statement-uploaded', {
      name: ruleName,
      description: 'REC-2: a bank statement uploaded to incoming/statements/ starts a reconciliation',
      eventPattern: JSON.stringify({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [names.ingestBucket] }, object: { key: [{ prefix: INGEST_PREFIXES.incomingStatements }] } },
      }),
      state: 'ENABLED',
    });
    new CloudwatchEventTarget(this, 'rule-statement-uploaded-target', {
      rule: rule.name,
      targetId: 'reconcile-trigger',
      arn: trigger.fn.arn,
      deadLetterConfig: { arn: names.queueArn(names.busDeliveryDlqName) },
      retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 20 },
    });
    new LambdaPermission(this, 'statement-uploaded-invoke', {
      statementId: 'AllowStatementUploadedRule',
      action: 'lambda:InvokeFunction',
      functionName: trigger.fn.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: names.ruleArnOnDefaultBus(ruleName),
      sourceAccount: this.config.account,
    });
  }

  private stateMachine(suffix: string, type: 'STANDARD' | 'EXPRESS', definition: string, statements: readonly PolicyStatement[], dataKey: string, logsKey: string): SfnStateMachine {
    const names = this.names;
    const logGroupName = names.stateMachineLogGroup(suffix);
    const logGroup = encryptedLogGroup(this, `sfn-${suffix}-logs`, logGroupName, this.config.retention.logDays, logsKey);
    const role = new LeastPrivilegeRole(this, `sfn-${suffix}-role`, {
      name: names.roleName(`sfn-${suffix}`),
      description: `Step Functions ${names.stateMachineName(suffix)}`,
      assumeRolePolicy: serviceTrustPolicy('states.amazonaws.com', this.config.account),
      permissionsBoundary: names.permissionsBoundaryArn,
      statements: [
        ...statements,
        // Step Functions uses the key with the role's credentials, with the state machine's ARN as the
        // encryption context (not through a kms:ViaService endpoint).
        allow(['kms:Decrypt', 'kms:GenerateDataKey'], [dataKey], { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': names.stateMachineArn(suffix) } }, 'StateMachineDataKey'),
        // Vended log delivery and X-Ray: AWS authorises these on * only.
        awsRequiresWildcard('LogDelivery', [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ]),
        awsRequiresWildcard('XRay', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
      ],
    });
    return new SfnStateMachine(this, `sfn-${suffix}`, {
      name: names.stateMachineName(suffix),
      type,
      roleArn: role.arn,
      definition,
      loggingConfiguration: { level: 'ALL', includeExecutionData: true, logDestination: `${logGroup.arn}:*` },
      tracingConfiguration: { enabled: true },
      encryptionConfiguration: { type: 'CUSTOMER_MANAGED_KMS_KEY', kmsKeyId: dataKey, kmsDataKeyReusePeriodSeconds: 300 },
      dependsOn: [role.policy],
    });
  }
}
