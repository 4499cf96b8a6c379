/**
 * REH-1: the rehearsal itself, as `rehearse(options)` runs it (the steps: rehearse.ts, its command,
 * which loads this module only once its arguments parse, so `--help` and a refused argument answer
 * without loading the stand-ins, the SDK clients and the stacks).
 */
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadReferenceSet, prepareReferenceSet } from '../src/adapters/aws/reference-data-loader';
import { connectPostgres, postgresExecutor } from '../redshift/executors';
import { migrate } from '../redshift/migrations';
import { fromMinorUnits, toMinorUnits } from '../src/domain/money';
import { countsToJson, type MeasuredCounts } from '../src/cost/counts';
import { RehearsalCloud } from './cloud';
import { functionsReading, loadDeployment, roleNameOf, settingOf, type Deployment } from './deployment';
import { balancesFromLedgerItems, legsFromLedgerItems } from '../src/adapters/aws/dynamo-ledger-store';
import type { AttributeMap } from './dynamo';
import { embeddedPost, embeddedReconcile, type EmbeddedRun } from './embedded';
import { EXTERNAL_PREFIX, type Denial, type GatewayResponse } from './gateway';
import type { RequestAuthorizer } from './iam/contract';
import { PostgresDataApi } from './redshift/data-api';
import { POSTING_RECORD_LAYOUT } from '../src/domain/posting-record';
import { startPostgres, type PostgresCluster } from './redshift/postgres';
import type { JsonObject } from './terraform';
import { GlueStandIn } from './glue';
import { matchesEventPattern } from './event-pattern';
import { Meter, type ArchiveDefinition } from './metering';
import { diffMaps, section, seconds, table, type Difference } from './report';
import { authorisationItem, generateInput, generateStatement, ledgerExport, legsOfRecords, POISON_AUTHORISATION_ID, type ExportLeg } from './traffic';
import { FLOW_KEYS } from '../src/adapters/aws/tables';
import { readOutboxRecords, rehearseModes, type ModesReport } from './modes';
import { startAuditStandIn, type AuditReport, type AuditStandIn } from './audit';
import { deliveryOf, PARTNER_PURPOSE, setUpPartner, waitUntil, type NotificationsReport, type Partner, type SweeperCase } from './edge';
import { withPlainStacks } from '../test/support/plain-stacks';

export interface RehearsalOptions {
  env: string;
  count: number;
  seed: number;
  duplicateRate: number;
  /** Keep the work directory (logs, state, bundles) here instead of a temporary one. */
  keep?: string;
  /** An existing synth output directory (default: synthesize now). */
  synthDir?: string;
  /** Synthesize with the functions already bundled here (<dir>/<name>/index.js, as `npm run build` lays them out) instead of bundling them now. */
  bundleDir?: string;
  /** Execution environments per function at most. */
  maxProcesses: number;
  /** Replaces the IAM contract (tests). */
  authorizer?: RequestAuthorizer;
  log?: (text: string) => void;
  /** COST-1: meter the traffic and the sweeper, and write the measured counts to this file. */
  counts?: string;
}

export interface QueueReport {
  queue: string;
  sent: number;
  received: number;
  deleted: number;
  redelivered: number;
  duplicatesInjected: number;
  visibilityExpiriesInjected: number;
  movedToDlq: number;
  depth: number;
}

export interface DeadLetterReport {
  queue: string;
  body: string;
  origin: string;
  expected: boolean;
  why: string;
}

export interface RehearsalReport {
  env: string;
  count: number;
  seed: number;
  authorizer: { kind: string; detail: string };
  timings: Record<string, number>;
  emulation: { component: string; standIn: string; status: 'emulated' | 'gap' }[];
  gaps: { name: string; detail: string; count: number }[];
  findings: string[];
  denials: Denial[];
  deadLetters: DeadLetterReport[];
  queues: QueueReport[];
  functions: { name: string; invocations: number; errors: number; timeouts: number; maxConcurrent: number; limit: number; reserved?: number; initErrors: string[] }[];
  sweeper: { runs: unknown[]; parked: boolean; redriveExecutions: number; faultInjections: number };
  redeliveries: { duplicatesInjected: number; visibilityExpiriesInjected: number; redelivered: number };
  ledger: { accounts: number; rehearsal: { accountId: string; currency: string; balance: string }[] };
  postingRecords: { rehearsal: number; embedded: number; legs: number; legItems: number };
  /** Transactions by status at the end (transactions table). */
  transactions: Record<string, number>;
  reconciliation: { execution?: Record<string, unknown>; embedded?: Record<string, unknown>; status: string };
  embeddedSummary: Record<string, unknown>;
  differences: Difference[];
  /** Re-sent twins where the deployment posted the other twin than the embedded run (arrival order, FR3). */
  twinSwaps: TwinSwap[];
  /** MODE-2, MODE-4, FLOW-1..3: the operating-mode functions (rehearsal/modes.ts). */
  modes: ModesReport;
  /** NOTIFY-2, HOOK-1/2: notify and webhook-sweeper with a partner subscribed to the modes' payments (rehearsal/edge.ts). */
  notifications?: NotificationsReport;
  /** AUDIT-1: audit-stream on the audited tables' stream records → the audit trail in a local PostgreSQL (rehearsal/audit.ts). */
  audit?: AuditReport;
  equal: boolean;
  exitCode: number;
  workDir: string;
  /** COST-1: the measured counts (with --counts). */
  measured?: MeasuredCounts;
}

const EXTERNAL_SECRET = 'rehearsal-external-secret';

function externalCredentials(who: string) {
  return { accessKeyId: `${EXTERNAL_PREFIX}${who}`, secretAccessKey: EXTERNAL_SECRET };
}

async function synthesize(env: string, outdir: string, bundleDir?: string): Promise<void> {
  const { synthesizeLedgerline, ENVIRONMENTS } = await import('../stacks/ledgerline');
  const config = ENVIRONMENTS.find((candidate) => candidate.name === env);
  if (!config) throw new Error(`--env ${env}: no such environment (have ${ENVIRONMENTS.map((candidate) => candidate.name).join(', ')})`);
  // V8's own stack formatting: cdktf records a creation stack for every token, and tsx would format
  // each through the sources' maps (test/support/plain-stacks.ts); the Terraform written is the same.
  withPlainStacks(() => synthesizeLedgerline({ assetMode: 'bundle', bundleDir, outdir, environments: [config], tooling: false }));
}

export interface TwinSwap {
  embeddedRecord: string;
  rehearsalRecord: string;
  embeddedAuthorisation: string;
  rehearsalAuthorisation: string;
}

const AUTHORISATION_FIELD = POSTING_RECORD_LAYOUT.find(([name]) => name === 'authorizationId')!;
const SEQUENCE_FIELD = POSTING_RECORD_LAYOUT.find(([name]) => name === 'sequenceId')!;

function blank(line: string, field: (typeof POSTING_RECORD_LAYOUT)[number]): string {
  return line.slice(0, field[1] - 1) + ' '.repeat(field[2]) + line.slice(field[1] - 1 + field[2]);
}

function authorisationOf(content: string): string {
  return content.slice(AUTHORISATION_FIELD[1] - 1, AUTHORISATION_FIELD[1] - 1 + AUTHORISATION_FIELD[2]).trimEnd();
}

/** Two posting records of the same payment whose authorisations are re-sent twins (see above). */
function isTwinSwap(a: string, b: string, businessKeys: ReadonlyMap<string, string>): boolean {
  const first = businessKeys.get(authorisationOf(a));
  if (first === undefined || first !== businessKeys.get(authorisationOf(b)) || authorisationOf(a) === authorisationOf(b)) return false;
  const normal = (content: string) =>
    content
      .split('\n')
      .map((line) => blank(blank(line, SEQUENCE_FIELD), AUTHORISATION_FIELD))
      .join('\n');
  return normal(a) === normal(b);
}

/** JSON with object keys sorted (the CLI and the workflow order a summary's keys differently). */
function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}

function emulationTable(cloud: RehearsalCloud, deployment: Deployment): RehearsalReport['emulation'] {
  const rows: RehearsalReport['emulation'] = [];
  const add = (component: string, standIn: string, status: 'emulated' | 'gap' = 'emulated') => rows.push({ component, standIn, status });
  add(
    `DynamoDB: ${deployment.tables.length} tables`,
    `dynalite (keys, ${deployment.tables.reduce((n, t) => n + t.globalSecondaryIndexes.length, 0)} GSIs, ${deployment.tables.reduce((n, t) => n + t.localSecondaryIndexes.length, 0)} LSIs)`,
  );
  add('DynamoDB TransactWriteItems', 'gateway over dynalite: exclusive lock, snapshot/restore, CancellationReasons');
  for (const table of deployment.tables.filter((candidate) => candidate.streamEnabled)) add(`DynamoDB stream ${table.name}`, `gateway-emitted ${table.streamViewType} INSERT/MODIFY/REMOVE records`);
  const ttl = deployment.tables.filter((candidate) => candidate.ttlAttribute).map((candidate) => `${candidate.name}.${candidate.ttlAttribute}`);
  if (ttl.length > 0) add('DynamoDB TTL', `NOT applied (noted: ${ttl.join(', ')})`, 'gap');
  add(`S3: ${deployment.buckets.length} buckets`, 's3rver (path-style) + gateway: If-None-Match, version ids, aws-chunked, EventBridge notifications');
  add(`SQS: ${deployment.queues.length} queues`, 'in-memory: visibility timeout, ApproximateReceiveCount, redrive to DLQ (virtual clock)');
  add(`EventBridge: ${deployment.buses.length} bus(es) + default, ${deployment.rules.length} rules`, 'synthesized event_pattern matcher; SQS / Lambda / SNS targets; target DLQs');
  for (const pipe of deployment.pipes)
    add(
      `Pipe ${pipe.name}`,
      `filter, batch ${pipe.batchSize}/${pipe.maximumBatchingWindowSeconds}s, ×${pipe.parallelizationFactor}, ${pipe.bisectOnFailure ? 'bisect, ' : ''}${pipe.maximumRetryAttempts} retries, DLQ`,
    );
  add(`Lambda event-source mappings: ${deployment.eventSourceMappings.length}`, 'poller: batch size, batching window, maximum concurrency, ReportBatchItemFailures');
  for (const schedule of deployment.schedules) {
    const target = schedule.targetArn.replace(/:(\$LATEST|[0-9]+)$/, '');
    // The sweepers and the flow auditor are fired below; the workbench's bulk advance is exercised by its own test.
    if (/-(sweeper|flow-auditor)$/.test(target)) add(`Scheduler ${schedule.name} (${schedule.expression})`, 'fired by the rehearsal at quiescence (the rate is not timed)');
    else add(`Scheduler ${schedule.name} (${schedule.expression})`, 'NOT fired by the rehearsal (its handler runs in test/functions/reconcile-workbench-schedule.test.ts)', 'gap');
  }
  add(`Step Functions: ${deployment.stateMachines.length} state machines`, 'aws-local-stepfunctions on the synthesized ASL; Wait states and retry intervals compressed');
  add(
    `Lambda: ${deployment.functions.length} functions`,
    `real bundles from the synthesized zips, child processes, Lambda env + context; local node ${process.version} (deployed: ${[...new Set(deployment.functions.map((fn) => fn.runtime))].join(', ')}), ${process.arch}`,
  );
  add('IAM', cloud.authorizer.detail);
  add('KMS', 'NOT emulated: nothing is encrypted; key policies only as far as the IAM contract evaluates them', 'gap');
  add('VPC, subnets, endpoints, security groups', 'NOT emulated (every process reaches the gateway directly)', 'gap');
  add(
    `Secrets Manager: ${deployment.secrets.length} secrets`,
    "seeded with a first deploy's values (synthesized secret_version, else unset); CreateSecret/PutSecretValue of secrets an operator creates at run time (webhook signing keys)",
  );
  add(`SSM: ${deployment.parameters.length} parameter(s)`, 'synthesized values');
  add(`SNS: ${deployment.topics.length} topics`, 'publications recorded, not delivered');
  add('Glue job (startJobRun.sync)', "the job's deployed logic module (python3) on its input, read as its role; Parquet/catalog writes NOT rehearsed (no Spark)", 'gap');
  add(
    'Redshift Serverless + Data API',
    "PostgreSQL 15 stand-in (rehearsal/redshift): the migrations, then the workflow's load batch through the dialect layer; COPY reads S3 as the namespace's default role",
  );
  add(
    'Operating modes: ingest-batch, authorise, flow-auditor (rehearsal/modes.ts)',
    "a file by the S3 → default-bus rule; synchronous Invoke as the caller authorise's permission names; the auditor by its schedule's target after an event is lost between stages",
  );
  add(
    'Customer edge: notify, webhook-sweeper (rehearsal/edge.ts)',
    "a partner's webhook receiver on loopback (real HTTP), its signing key created in Secrets Manager and its subscription in the notifications table by the product's own adapters; the sweeper by its schedule's target",
  );
  add(
    'Aurora PostgreSQL (audit trail) + audit-stream (rehearsal/audit.ts)',
    "local PostgreSQL over TCP with TLS for the synthesized endpoint (a throw-away CA trusted as the runtime's RDS CAs; connections to the endpoint's name redirected), the RDS-managed secret served, the audit migrations applied; the streams' records delivered after the run in the mappings' batches, every third twice",
  );
  add('ALB + Okta + workbench function', 'NOT exercised', 'gap');
  add('CloudWatch logs, metrics, alarms, X-Ray', 'function output to log files only', 'gap');
  return rows;
}

interface SweeperFault {
  target: string;
  parked: boolean;
  injections: number;
}

export async function rehearse(options: RehearsalOptions): Promise<RehearsalReport> {
  const log = options.log ?? ((text: string) => process.stdout.write(text));
  const timings: Record<string, number> = {};
  const started = performance.now();
  const workDir = options.keep ? resolve(options.keep) : mkdtempSync(join(tmpdir(), 'ledgerline-rehearsal-'));
  mkdirSync(workDir, { recursive: true });
  const findings: string[] = [];

  // 1. Synth ------------------------------------------------------------------------------------
  let synthDir = options.synthDir ? resolve(options.synthDir) : join(workDir, 'synth');
  if (!options.synthDir) {
    const t = performance.now();
    log(`synthesizing ${options.env} with real bundles${options.bundleDir === undefined ? '' : ` (from ${options.bundleDir})`} into ${synthDir} ...\n`);
    await synthesize(options.env, synthDir, options.bundleDir === undefined ? undefined : resolve(options.bundleDir));
    timings.synthMs = performance.now() - t;
  }
  synthDir = resolve(synthDir);
  const deployment = loadDeployment(synthDir, options.env);
  if (deployment.synth.unresolved.size > 0) findings.push(`unresolved Terraform references: ${[...deployment.synth.unresolved].slice(0, 10).join('; ')}`);

  // Inputs and the embedded run -----------------------------------------------------------------
  const input = generateInput(options.count, options.seed, options.duplicateRate);
  const inputFile = join(workDir, 'authorisations.ndjson');
  writeFileSync(inputFile, `${input.lines.join('\n')}\n`);
  log(`embedded run: ${input.lines.length} lines (seed ${options.seed}, duplicates ${options.duplicateRate}, 1 poisoned) ...\n`);
  const embeddedState = join(workDir, 'embedded-state');
  rmSync(embeddedState, { recursive: true, force: true });
  const embedded: EmbeddedRun = await embeddedPost(inputFile, embeddedState);
  timings.embeddedPostMs = embedded.elapsedMs;
  const statement = generateStatement(legsOfRecords(embedded.records.values()));
  const statementFile = join(workDir, statement.fileName);
  writeFileSync(statementFile, statement.content);
  const embeddedReconcileStarted = performance.now();
  const embeddedRecon = await embeddedReconcile(statementFile, embeddedState, join(workDir, 'embedded-recon'));
  timings.embeddedReconcileMs = performance.now() - embeddedReconcileStarted;

  // 2. Boot -------------------------------------------------------------------------------------
  const bootStarted = performance.now();
  const routeQueues = new Set(deployment.eventSourceMappings.map((mapping) => mapping.sourceArn));
  const deliveries = new Map<string, number>();
  const cloud = new RehearsalCloud({
    deployment,
    synthDir,
    workDir,
    maxProcesses: options.maxProcesses,
    authorizer: options.authorizer,
    // At-least-once: every 40th message a rule delivers to a consumed queue arrives twice.
    onQueueDelivery: (queue, message) => {
      if (!routeQueues.has(queue.definition.arn)) return;
      const n = (deliveries.get(queue.name) ?? 0) + 1;
      deliveries.set(queue.name, n);
      if (n % 40 === 0) queue.duplicate(message);
    },
    // The second batch of every mapping outlives its visibility timeout: its deletes come too late.
    expireVisibility: (_mapping, batchNumber) => batchNumber === 2,
  });
  const report: Partial<RehearsalReport> = { env: options.env, count: options.count, seed: options.seed, workDir, findings };
  let postgres: PostgresCluster | undefined;
  let partnerEndpoint: Partner | undefined;
  let auditStandIn: AuditStandIn | undefined;
  let redshiftApi: PostgresDataApi | undefined;
  try {
    await cloud.start();
    // AUDIT-1: the audit trail's stand-in, collecting the audited tables' stream records from the start.
    try {
      auditStandIn = await startAuditStandIn(cloud);
      if (auditStandIn) for (const name of [...cloud.gaps.keys()]) if (name.startsWith('DynamoDB stream mapping ') && name.endsWith('-audit-stream')) cloud.gaps.delete(name);
    } catch (error) {
      findings.push(`the audit trail's stand-in (rehearsal/audit.ts) could not start: ${(error as Error).message.slice(0, 600)}`);
    }
    timings.bootMs = performance.now() - bootStarted;
    const emulation = emulationTable(cloud, deployment);
    log(section(`Rehearsal of ${options.env} (${deployment.region}, account ${deployment.account}) from ${synthDir}`));
    log(`${table([['COMPONENT', 'STAND-IN', 'STATUS'], ...emulation.map((row) => [row.component, row.standIn, row.status === 'gap' ? 'GAP' : 'emulated'])])}\n`);

    const endpoint = cloud.gateway.endpoint;
    const region = deployment.region;
    const clientFor = (credentials: { accessKeyId: string; secretAccessKey: string }) => new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 10 });
    const s3For = (credentials: { accessKeyId: string; secretAccessKey: string }) => new S3Client({ endpoint, region, credentials, forcePathStyle: true, maxAttempts: 5 });

    // 3. Deploy-time steps --------------------------------------------------------------------------
    const deployStarted = performance.now();
    const referenceTable = settingOf(deployment, 'REFERENCE_TABLE');
    const deployRole = deployment.deployRoleName;
    if (!deployRole) findings.push('the synth has no deploy role (bootstrap aws_iam_role.deploy-role): the deploy-time reference data load ran as an outside principal');
    const deployClient = clientFor(deployRole ? { accessKeyId: deployRole, secretAccessKey: 'rehearsal-secret' } : externalCredentials('deployer'));
    const referenceDir = resolve(__dirname, '..', 'reference-data');
    try {
      const loaded = await loadReferenceSet(prepareReferenceSet(referenceDir), { client: deployClient, tableName: referenceTable });
      log(`reference data ${loaded.version}: ${loaded.written} items into ${loaded.table} as ${deployRole ?? 'an outside principal'} (${loaded.batches} batches, ${loaded.retries} retries)\n`);
    } catch (error) {
      // A deploy-time step that fails is a finding; the rehearsal carries on with whatever it left.
      const where = ((error as Error).stack ?? '')
        .split('\n')
        .find((line) => line.includes('/src/'))
        ?.trim();
      findings.push(
        `deploy-time reference data load (src/adapters/aws/reference-data-loader.ts as ${deployRole ?? 'an outside principal'}) failed: ${(error as Error).message}${where ? ` (${where})` : ''}`,
      );
      log(`FINDING: the reference data load failed: ${(error as Error).message.slice(0, 400)}\n`);
    }
    // Redshift: the migrations a first deploy applies (scripts/redshift-migrate.ts), as the deploy role.
    const workgroup = deployment.synth.resources('aws_redshiftserverless_workgroup')[0];
    const namespace = deployment.synth.resources('aws_redshiftserverless_namespace')[0];
    if (workgroup && namespace) {
      const workgroupName = String(deployment.synth.resolved(workgroup).workgroup_name);
      const adminSecret = String(deployment.synth.attribute(namespace.stack, namespace.type, namespace.name, 'admin_password_secret_arn'));
      const denial = deployRole
        ? cloud.gateway.authorize(
            { kind: 'role', roleName: deployRole },
            { service: 'redshift-data', operation: 'BatchExecuteStatement', input: { WorkgroupName: workgroupName, SecretArn: adminSecret } },
            'deploy role: Redshift migrations',
          )
        : undefined;
      if (denial) findings.push(`the Redshift migrations cannot run as the deploy role: ${denial}`);
      postgres = await startPostgres();
      const client = await connectPostgres(postgres.url);
      try {
        const migrated = await migrate(postgresExecutor(client, `PostgreSQL stand-in of ${workgroupName}`));
        log(`Redshift migrations on the stand-in of ${workgroupName}: applied ${migrated.applied.join(', ') || 'none'}\n`);
      } finally {
        await client.end();
      }
      const copyRoleArn = String(deployment.synth.resolved(namespace).default_iam_role_arn ?? '');
      const copyRole = /:role\//.test(copyRoleArn) ? roleNameOf(copyRoleArn) : undefined;
      if (!copyRole) findings.push(`the Redshift namespace has no default IAM role: COPY ... IAM_ROLE DEFAULT in the load cannot read S3 (default_iam_role_arn = ${copyRoleArn || 'unset'})`);
      const reader = s3For(copyRole ? { accessKeyId: copyRole, secretAccessKey: 'rehearsal-secret' } : externalCredentials('redshift-without-role'));
      const dataApi = new PostgresDataApi(postgres.url, async (uri) => {
        const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
        if (!match) throw new Error(`COPY FROM ${uri}: not an s3:// URI`);
        const object = await reader.send(new GetObjectCommand({ Bucket: match[1]!, Key: match[2]! }));
        return object.Body!.transformToString('utf8');
      });
      redshiftApi = dataApi;
      cloud.useRedshift({
        batchExecuteStatement: async (input) => (await dataApi.batchExecuteStatement(input as { Sqls?: string[] })) as unknown as JsonObject,
        describeStatement: async (input) => {
          // The workflow polls after a Wait: let the batch settle first (Wait states run compressed).
          for (let i = 0; i < 600; i += 1) {
            const described = await dataApi.describeStatement(input as { Id?: string });
            if (described.Status !== 'STARTED') return described as unknown as JsonObject;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          return (await dataApi.describeStatement(input as { Id?: string })) as unknown as JsonObject;
        },
      });
    } else {
      cloud.gap('Redshift', 'the synth has no Redshift Serverless workgroup/namespace');
    }
    for (const secret of deployment.secrets) {
      if (cloud.secretValues.get(secret.arn) !== undefined) continue;
      cloud.gap(`Secret without a first value: ${secret.name}`, 'created by Terraform without a version: GetSecretValue answers ResourceNotFoundException until its owner sets it');
    }
    const glue = new GlueStandIn(deployment, (roleName) => s3For({ accessKeyId: roleName, secretAccessKey: 'rehearsal-secret' }));
    cloud.useGlue(glue);
    timings.deployStepsMs = performance.now() - deployStarted;

    // 4. Traffic ----------------------------------------------------------------------------------
    const authorisationsTable = deployment.tables.find((table) => deployment.pipes.some((pipe) => pipe.sourceArn === table.streamArn))?.name;
    if (!authorisationsTable) throw new Error('no table feeds a Pipe: the synth has no authorisation stream');
    const dedupTable = settingOf(deployment, 'DEDUP_TABLE');
    const transactionsTable = settingOf(deployment, 'TRANSACTIONS_TABLE');
    const postedIds = new Set(legsOfRecords(embedded.records.values()).map((leg) => leg.authorizationId));
    // The faulted payment must have no re-sent twin in the input: while its claim fails, a twin would
    // claim the business key first and post in its place (first claim wins, FR3), a different but
    // equally valid outcome that the embedded run (input order) cannot show.
    type Line = { authorizationId: string; network: string; stan: string; rrn: string; transmittedAt: string; amount: { value: string; currency: string } };
    const parsed = input.lines.map((line) => JSON.parse(line) as Line);
    const businessKey = (auth: Line) => [auth.network, auth.stan, auth.rrn, auth.transmittedAt, auth.amount.value, auth.amount.currency].join('|');
    const twins = new Map<string, number>();
    for (const auth of parsed) twins.set(businessKey(auth), (twins.get(businessKey(auth)) ?? 0) + 1);
    const faultTarget = parsed.find((auth, index) => index > parsed.length / 10 && postedIds.has(auth.authorizationId) && twins.get(businessKey(auth)) === 1)?.authorizationId;
    const fault: SweeperFault = { target: faultTarget ?? '', parked: false, injections: 0 };
    // The hot path's dedup (fused `hot-path`, staged `dedup`): authorise and ingest-batch read the dedup table too.
    const dedupReaders = functionsReading(deployment, 'DEDUP_TABLE');
    const dedupRole = (dedupReaders.find((fn) => fn.logicalName === 'hot-path' || fn.logicalName === 'dedup') ?? dedupReaders[0])?.roleName;
    cloud.gateway.fault = (caller, request): GatewayResponse | undefined => {
      if (!fault.target || fault.parked || request.service !== 'dynamodb' || request.operation !== 'PutItem') return undefined;
      const inputItem = request.input as { TableName?: string; Item?: AttributeMap };
      const authorizationId = (inputItem.Item?.authorizationId as { S?: string } | undefined)?.S;
      if (authorizationId !== fault.target) return undefined;
      if (inputItem.TableName === transactionsTable && (inputItem.Item?.status as { S?: string } | undefined)?.S === 'RETRYING') {
        fault.parked = true;
        return undefined;
      }
      if (inputItem.TableName !== dedupTable || caller.principal.kind !== 'role' || caller.principal.roleName !== dedupRole) return undefined;
      fault.injections += 1;
      return {
        status: 500,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'InternalServerError' },
        body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error (injected by the rehearsal: the sweeper path)' }),
      };
    };
    let poisonSequence: string | undefined;
    cloud.dynamo.onStream(authorisationsTable, (record) => {
      if ((record.dynamodb.NewImage?.authorizationId as { S?: string } | undefined)?.S === POISON_AUTHORISATION_ID) poisonSequence = record.dynamodb.SequenceNumber;
    });

    // COST-1: the meter counts the traffic and the sweeper (not the deploy-time steps, the
    // reconciliation or the report's own reads).
    const meter = options.counts ? attachMeter(cloud, deployment) : undefined;
    const pipeRequests = new Map<string, { records: number; filteredOut: number; requests: number }>();
    if (meter)
      for (const pipe of deployment.pipes) {
        const table = deployment.tables.find((candidate) => candidate.streamArn === pipe.sourceArn);
        if (!table) continue;
        const tally = { records: 0, filteredOut: 0, requests: 0 };
        pipeRequests.set(pipe.name, tally);
        cloud.dynamo.onStream(table.name, (record) => {
          if (!meter.recording) return;
          tally.records += 1;
          if (pipe.filterPatterns.length > 0 && !pipe.filterPatterns.some((pattern) => matchesEventPattern(pattern, record))) tally.filteredOut += 1;
          else tally.requests += Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(record)) / (64 * 1024)));
        });
      }
    if (meter) meter.recording = true;
    const tracing = process.env.REHEARSAL_TRACE === '1';
    const traceStarted = performance.now();
    const trace = (line: string) => log(`  [${seconds(performance.now() - traceStarted)}] ${line}\n`);
    if (tracing) cloud.trace = trace;
    const ticker = tracing
      ? setInterval(() => {
          const queues = cloud.pollers.map((poller) => `${poller.host.definition.logicalName} ${poller.queue.visibleCount()}/${poller.queue.depth}${poller.busy ? `*${poller.busy}` : ''}`).join(' ');
          trace(
            `gateway ${cloud.gateway.counters.requests} req; lambdas ${cloud.lambdas.inFlight}; pipe ${cloud.pipes.map((pipe) => pipe.pending).join(',')}; sfn ${cloud.states.running}; queues ${queues}`,
          );
        }, 5000)
      : undefined;
    log(section('Traffic'));
    log(`writing ${input.lines.length} authorisations into ${authorisationsTable} (upstream writer) ...\n`);
    const trafficStarted = performance.now();
    const upstream = clientFor(externalCredentials('upstream-authorisation-writer'));
    const chunks: string[][] = [];
    for (let i = 0; i < input.lines.length; i += 25) chunks.push(input.lines.slice(i, i + 25));
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < chunks.length) {
          const chunk = chunks[next++]!;
          let request: Record<string, { PutRequest: { Item: ReturnType<typeof authorisationItem> } }[]> = {
            [authorisationsTable]: chunk.map((line) => ({ PutRequest: { Item: authorisationItem(line) } })),
          };
          while (Object.keys(request).length > 0) {
            const output = await upstream.send(new BatchWriteItemCommand({ RequestItems: request }));
            request = (output.UnprocessedItems ?? {}) as typeof request;
          }
        }
      }),
    );
    timings.writeMs = performance.now() - trafficStarted;
    await cloud.settle();
    timings.trafficMs = performance.now() - trafficStarted;
    log(`traffic drained in ${seconds(timings.trafficMs)} (virtual time skipped: ${seconds(cloud.clock.skipped)})\n`);

    // Sweeper schedule: at least once after the poisoned message, until a sweep finds nothing.
    const sweeperStarted = performance.now();
    const schedule = deployment.schedules.find((candidate) => /:function:[a-z0-9-]+-sweeper$/.test(candidate.targetArn) && !/-webhook-sweeper$/.test(candidate.targetArn));
    if (!schedule) findings.push('the synth has no schedule of the sweeper: nothing ever runs it');
    for (let tick = 0; schedule && tick < 6; tick += 1) {
      const outcome = await cloud.fireSchedule(schedule);
      await cloud.settle();
      const examined = outcome.ok ? Number((outcome.result as { examined?: number } | null)?.examined ?? 0) : -1;
      log(`schedule ${schedule.name} tick ${tick + 1}: ${outcome.ok ? JSON.stringify(outcome.result) : `FAILED ${outcome.error.errorType}: ${outcome.error.errorMessage}`}\n`);
      if (!outcome.ok || examined === 0) break;
    }
    timings.sweeperMs = performance.now() - sweeperStarted;
    if (meter) meter.recording = false;

    // FLOW-1..3: the flow auditor's schedule fires once at quiescence: it reads every stage table and
    // finds nothing stuck that it cannot repair (the poisoned record is the Pipe's dead letter, not a payment).
    const auditSchedule = deployment.schedules.find((candidate) => /:function:[a-z0-9-]+-flow-auditor$/.test(candidate.targetArn));
    if (!auditSchedule) findings.push('the synth has no schedule of the flow auditor: nothing audits the flow (FLOW-1)');
    if (auditSchedule) {
      const audit = await cloud.fireSchedule(auditSchedule);
      await cloud.settle();
      log(`schedule ${auditSchedule.name}: ${audit.ok ? JSON.stringify(audit.result) : `FAILED ${audit.error.errorType}: ${audit.error.errorMessage}`}\n`);
      if (!audit.ok) findings.push(`the flow auditor failed: ${audit.error.errorType}: ${audit.error.errorMessage}`);
      else if (Number((audit.result as { stuckUnrepaired?: number } | null)?.stuckUnrepaired ?? 0) > 0)
        findings.push(`the flow auditor left payments stuck and unrepaired: ${JSON.stringify(audit.result)}`);
    }

    // 5. Reconciliation ---------------------------------------------------------------------------
    log(section('Statement upload'));
    const reconStarted = performance.now();
    const ingestBucket = settingOf(deployment, 'INGEST_BUCKET');
    const outboxPrefix = settingOf(deployment, 'OUTBOX_PREFIX');
    const ledgerTable = settingOf(deployment, 'LEDGER_TABLE');
    const observer = s3For(externalCredentials('report'));
    const legItems = legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never);
    const exportLegs: ExportLeg[] = legItems.map((leg) => ({
      legId: leg.legId,
      sequenceId: leg.sequenceId,
      accountId: leg.accountId,
      direction: leg.direction,
      amountMinor: toMinorUnits(leg.amount.value, leg.amount.currency),
      currency: leg.amount.currency,
      valueDate: leg.valueDate,
      authorizationId: leg.authorizationId,
    }));
    const referenceItems = (await cloud.dynamo.scanAll(referenceTable)).map((item) => unmarshall(item as never) as Record<string, unknown>);
    const ibans = new Map(referenceItems.filter((item) => item.kind === 'account' && typeof item.iban === 'string').map((item) => [String(item.accountId), String(item.iban)] as const));
    const parameter = deployment.parameters.find((candidate) => /reconciliation/.test(candidate.name));
    const ledgerLocation = parameter ? (JSON.parse(parameter.value) as { ledger?: { bucket: string; key: string } }).ledger : undefined;
    let execution: Record<string, unknown> | undefined;
    if (!ledgerLocation) findings.push('the reconciliation parameter names no ledger export (ledger.bucket/key)');
    else {
      cloud.gap(
        'Ledger export (an input from outside the deployment)',
        `nothing synthesized writes s3://${ledgerLocation.bucket}/${ledgerLocation.key}, which the reconciliation reads (Parameter Store \`ledger\`): the rehearsal wrote it from its ledger table, in the shape of the embedded --state ledger side`,
      );
      await s3For(externalCredentials('ledger-exporter')).send(
        new PutObjectCommand({ Bucket: ledgerLocation.bucket, Key: ledgerLocation.key, Body: ledgerExport(exportLegs, (id) => ibans.get(id)), ContentType: 'application/x-ndjson' }),
      );
      const rule = deployment.rules.find((candidate) => candidate.name.endsWith('-statement-uploaded') && candidate.pattern.source && JSON.stringify(candidate.pattern.source).includes('aws.s3'));
      const prefix = (JSON.stringify(rule?.pattern ?? {}).match(/"prefix":"([^"]+)"/) ?? [])[1] ?? 'incoming/statements/';
      const key = `${prefix}${statement.fileName}`;
      log(`finance uploads s3://${ingestBucket}/${key} (${statement.entries} entries, account ${statement.accountId})\n`);
      await s3For(externalCredentials('finance-upload')).send(new PutObjectCommand({ Bucket: ingestBucket, Key: key, Body: statement.content, ContentType: 'application/xml' }));
      await cloud.settle();
      const recon = [...cloud.states.executions.values()].find((candidate) => candidate.input.includes(statement.fileName));
      if (!recon) findings.push(`the statement upload started no reconciliation (rule ${rule?.name ?? '(none)'} → ${rule?.targets.map((target) => target.arn).join(', ') ?? 'no target'})`);
      else {
        execution = { name: recon.name, status: recon.status, output: recon.output ? JSON.parse(recon.output) : undefined, error: recon.error, cause: recon.cause, startedBy: recon.startedBy };
        log(`reconciliation ${recon.name}: ${recon.status}${recon.error ? ` ${recon.error}: ${recon.cause}` : ''}\n`);
        if (recon.status !== 'SUCCEEDED') findings.push(`the reconciliation execution ${recon.name} ended ${recon.status}: ${recon.error ?? ''}: ${recon.cause ?? ''}`);
      }
    }
    timings.reconciliationMs = performance.now() - reconStarted;

    if (ticker) clearInterval(ticker);

    // 6. Results ----------------------------------------------------------------------------------
    const totals = new Map<string, { currency: string; minor: bigint }>();
    for (const balance of balancesFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never))
      totals.set(balance.accountId, { currency: balance.currency, minor: toMinorUnits(balance.balance, balance.currency) });
    const rehearsalBalances = [...totals.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([accountId, total]) => ({ accountId, currency: total.currency, balance: fromMinorUnits(total.minor, total.currency) }));
    const records = await readOutboxRecords(observer, ingestBucket, outboxPrefix, findings);

    // Comparison ----------------------------------------------------------------------------------
    const differences: Difference[] = [];
    differences.push(
      ...diffMaps(
        'balance',
        new Map(embedded.balances.map((balance) => [`${balance.accountId} ${balance.currency}`, balance.balance])),
        new Map(rehearsalBalances.map((balance) => [`${balance.accountId} ${balance.currency}`, balance.balance])),
      ),
    );
    // A pair of re-sent twins (the same business key, two authorisation ids) posts ONE record; which
    // twin's authorisation is the original depends on which claim dedup sees first (FR3): input
    // order embedded, arrival order deployed. Such a swap (same legs, accounts, amounts, dates;
    // only the authorisation and sequence ids differ) is reported apart, not hidden.
    const keyOf = new Map(parsed.map((auth) => [auth.authorizationId, businessKey(auth)] as const));
    const recordDiffs = diffMaps('posting record', embedded.records, records);
    const onlyEmbedded = recordDiffs.filter((d) => d.rehearsal === '(absent)');
    const onlyRehearsal = recordDiffs.filter((d) => d.embedded === '(absent)');
    const swaps: TwinSwap[] = [];
    for (const theirs of onlyRehearsal) {
      const match = onlyEmbedded.find((ours) => !swaps.some((swap) => swap.embeddedRecord === ours.key) && isTwinSwap(ours.embedded, theirs.rehearsal, keyOf));
      if (match)
        swaps.push({ embeddedRecord: match.key, rehearsalRecord: theirs.key, embeddedAuthorisation: authorisationOf(match.embedded), rehearsalAuthorisation: authorisationOf(theirs.rehearsal) });
    }
    differences.push(...recordDiffs.filter((d) => !swaps.some((swap) => swap.embeddedRecord === d.key || swap.rehearsalRecord === d.key)));
    const legsInRecords = legsOfRecords(records.values()).length;
    if (legsInRecords !== legItems.length)
      differences.push({ what: 'legs', key: 'ledger table LEG# items vs legs in posting records', embedded: String(legsInRecords), rehearsal: String(legItems.length) });
    const legSums = new Map<string, bigint>();
    for (const leg of exportLegs) legSums.set(leg.accountId, (legSums.get(leg.accountId) ?? 0n) + (leg.direction === 'CREDIT' ? leg.amountMinor : -leg.amountMinor));
    for (const [accountId, total] of totals) {
      if ((legSums.get(accountId) ?? 0n) !== total.minor) differences.push({ what: 'balance vs legs', key: accountId, embedded: String(legSums.get(accountId) ?? 0n), rehearsal: String(total.minor) });
    }
    const embeddedSummary = (embeddedRecon as { summary?: Record<string, unknown> }).summary ?? embeddedRecon;
    const awsSummary = (execution?.output as { summary?: Record<string, unknown> } | undefined)?.summary;
    if (!awsSummary)
      differences.push({ what: 'reconciliation', key: 'summary', embedded: 'present', rehearsal: `absent (${String(execution?.status ?? 'no execution')} ${String(execution?.error ?? '')})` });
    else {
      for (const field of ['statementLines', 'ledgerEntries', 'matched', 'unmatchedStatement', 'unmatchedLedger', 'exceptions', 'balanceChecks']) {
        const a = canonicalJson(embeddedSummary[field]);
        const b = canonicalJson(awsSummary[field]);
        if (a !== b) differences.push({ what: 'reconciliation', key: field, embedded: a ?? '(absent)', rehearsal: b ?? '(absent)' });
      }
    }

    // The reconciliation results themselves: the same CSVs as the embedded run's --out directory.
    const resultPrefix = (execution?.output as { resultPrefix?: string } | undefined)?.resultPrefix;
    const results = resultPrefix ? /^s3:\/\/([^/]+)\/(.*)$/.exec(resultPrefix) : null;
    if (results) {
      for (const file of ['matches.csv', 'exceptions.csv']) {
        const embeddedCsv = readFileSync(join(workDir, 'embedded-recon', file), 'utf8');
        let rehearsalCsv = '(absent)';
        try {
          rehearsalCsv = await (await observer.send(new GetObjectCommand({ Bucket: results[1]!, Key: `${results[2]!}${file}` }))).Body!.transformToString('utf8');
        } catch (error) {
          rehearsalCsv = `(unreadable: ${(error as Error).name})`;
        }
        if (embeddedCsv !== rehearsalCsv) {
          const a = embeddedCsv.split('\n');
          const b = rehearsalCsv.split('\n');
          const line = a.findIndex((text, index) => text !== b[index]);
          differences.push({ what: 'reconciliation result', key: `${file} line ${line + 1}`, embedded: a[line] ?? '(end)', rehearsal: b[line] ?? '(end)' });
        }
      }
    }

    // MODE-2, MODE-4, FLOW-1..3: the operating-mode functions on the same deployment, compared with
    // the embedded run continued from its state (what they add to the ledger and the outbox).
    // NOTIFY-2, HOOK-1/2: a partner subscribes to posted payments before the modes run; it refuses
    // the real-time payment's webhook until it recovers (the webhook sweeper's case, after the modes).
    log(section('Customer edge: a partner subscribes to posted payments'));
    const partner = await setUpPartner(cloud, externalCredentials);
    partnerEndpoint = partner;
    let partnerRecovered = false;
    partner.refuse = (reference) => !partnerRecovered && reference !== undefined && /^AUTH-[0-9]+-R-/.test(reference);
    log(`partner ${partner.subscriptionId} at ${partner.url}: subscribed to ${PARTNER_PURPOSE}, signing key ${partner.keyId}; refusing real-time payments' webhooks until it recovers\n`);
    const legsBeforeModes = new Set(legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never).map((leg) => leg.authorizationId));

    log(section('Operating modes (ingest-batch, authorise, flow-auditor)'));
    const modesStarted = performance.now();
    const modes = await rehearseModes({
      cloud,
      workDir,
      seed: options.seed,
      embeddedState,
      embeddedBefore: { balances: embedded.balances, records: embedded.records },
      outside: externalCredentials,
      log,
    });
    timings.modesMs = performance.now() - modesStarted;
    differences.push(...modes.differences);
    findings.push(...modes.findings);

    log(section('Customer edge: notify and webhook-sweeper'));
    const edgeStarted = performance.now();
    const notifications = await rehearseNotifications({
      cloud,
      deployment,
      partner,
      posted: [...new Set(legsFromLedgerItems((await cloud.dynamo.scanAll(ledgerTable)) as never).map((leg) => leg.authorizationId))].filter((id) => !legsBeforeModes.has(id)),
      recover: () => {
        partnerRecovered = true;
      },
      findings,
      log,
    });
    timings.edgeMs = performance.now() - edgeStarted;

    // AUDIT-1: every audited stream record of the run → audit-stream (as its mappings batch them, re-delivered) → the audit trail.
    let audit: AuditReport | undefined;
    if (auditStandIn) {
      log(section("Audit trail: audit-stream on the audited tables' streams"));
      const auditStarted = performance.now();
      try {
        audit = await auditStandIn.report();
        log(`${JSON.stringify({ ...audit, missing: audit.missing.length })}\n`);
        if (audit.invocationErrors.length > 0) findings.push(`audit-stream failed: ${audit.invocationErrors.join('; ')}`);
        if (audit.rows !== audit.expectedRows || audit.missing.length > 0)
          findings.push(`the audit trail holds ${audit.rows} rows for ${audit.expectedRows} audited stream records (missing e.g. ${audit.missing.slice(0, 3).join(', ') || 'none'})`);
        if (audit.duplicates > 0) findings.push(`${audit.duplicates} audited record(s) are stored more than once after re-delivery`);
        if (!audit.intact) findings.push(`the audit trail's chain does not verify: ${audit.faults.join('; ')}`);
        if (audit.redelivered === 0) findings.push('no audit stream batch was delivered twice: idempotency under re-delivery not exercised');
      } catch (error) {
        findings.push(`the audit trail case failed: ${(error as Error).message.slice(0, 600)}`);
      }
      timings.auditMs = performance.now() - auditStarted;
    }

    // Dead letters: exactly the poisoned record on the Pipe's DLQ is expected.
    const deadLetters: DeadLetterReport[] = [];
    for (const queue of cloud.queues.queues.values()) {
      for (const message of queue.deadLetters) {
        const body = message.body;
        let expected = false;
        let why = message.origin;
        try {
          const info = (JSON.parse(body) as { ddbStreamBatchInfo?: { startSequenceNumber?: string; endSequenceNumber?: string } }).ddbStreamBatchInfo;
          if (info && poisonSequence && info.startSequenceNumber === poisonSequence && info.endSequenceNumber === poisonSequence) {
            expected = true;
            why = `the poisoned authorisation ${POISON_AUTHORISATION_ID} (zero amount, ING-3), after ${message.origin}`;
          }
        } catch {
          // not JSON: unexpected
        }
        deadLetters.push({ queue: queue.name, body: body.slice(0, 600), origin: message.origin, expected, why });
      }
    }
    if (!deadLetters.some((letter) => letter.expected)) findings.push(`the poisoned authorisation ${POISON_AUTHORISATION_ID} did not reach the Pipe's dead-letter queue`);
    const unexpectedDeadLetters = deadLetters.filter((letter) => !letter.expected);

    const queues: QueueReport[] = [...cloud.queues.queues.values()].map((queue) => ({ queue: queue.name, ...queue.counters, depth: queue.depth }));
    const functions = [...cloud.lambdas.hosts.values()].map((host) => ({
      name: host.definition.logicalName,
      invocations: host.stats.invocations,
      errors: host.stats.errors,
      timeouts: host.stats.timeouts,
      maxConcurrent: host.stats.maxConcurrent,
      limit: host.limit,
      reserved: host.definition.reservedConcurrency,
      initErrors: host.initErrors.map((error) => `${error.errorType}: ${error.errorMessage}`),
    }));
    for (const fn of functions) for (const error of fn.initErrors) findings.push(`function ${fn.name} cannot start: ${error}`);
    // Errors the functions logged, except the rehearsal's own injected fault.
    for (const host of cloud.lambdas.hosts.values()) {
      const errors = [...host.loggedErrors].filter(([text]) => !text.includes('injected by the rehearsal')).sort((a, b) => b[1] - a[1]);
      for (const [text, count] of errors.slice(0, 3)) findings.push(`function ${host.definition.logicalName} logged ${count}× ${text}`);
      if (errors.length > 3) findings.push(`function ${host.definition.logicalName} logged ${errors.length - 3} more distinct errors (see ${host.logPath})`);
    }
    // Every transaction ends COMPLETED (SWEEP-1): one still RUNNING, RETRYING or FAILED did not post or end.
    const statuses = new Map<string, number>();
    for (const item of await cloud.dynamo.scanAll(transactionsTable)) {
      // The flow journal's markers (FLOW#…, tables.ts FLOW_KEYS) share the table; they are no transactions.
      if (String((item.transactionId as { S?: string } | undefined)?.S ?? '').startsWith(FLOW_KEYS.prefix)) continue;
      const status = String((item.status as { S?: string } | undefined)?.S ?? 'unknown');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const unfinished = [...statuses].filter(([status]) => status !== 'COMPLETED');
    if (unfinished.length > 0) findings.push(`transactions not COMPLETED at the end: ${unfinished.map(([status, n]) => `${n} ${status}`).join(', ')}`);
    const redriveExecutions = [...cloud.states.executions.values()].filter((candidate) => candidate.startedBy.includes('sweeper')).length;
    if (fault.target && !fault.parked) findings.push(`the injected fault on ${fault.target} never led to a RETRYING transaction (${fault.injections} injections)`);
    if (fault.target && redriveExecutions === 0) findings.push('the sweeper started no redrive execution');
    for (const failure of cloud.events.deliveryFailures) findings.push(`EventBridge could not deliver (${failure.errorCode}) from rule ${failure.rule} to ${failure.target}: ${failure.message}`);
    for (const message of cloud.gateway.unexpected) findings.push(message);
    for (const message of cloud.gateway.unmodelled) findings.push(message);
    for (const pipe of cloud.pipes) for (const failure of pipe.failures) if (!failure.reason.includes('zero amount')) findings.push(`pipe ${pipe.definition.name}: ${failure.reason}`);
    for (const invocation of cloud.asyncInvocations)
      if (invocation.outcome && !invocation.outcome.ok)
        findings.push(
          `asynchronous invocation of ${invocation.function} (${invocation.origin}) failed ${invocation.attempts}×: ${invocation.outcome.error.errorType}: ${invocation.outcome.error.errorMessage}`,
        );
    const denials = [...cloud.gateway.denials.values()];
    const equal = differences.length === 0;
    const exitCode = !equal || denials.length > 0 || unexpectedDeadLetters.length > 0 || findings.length > 0 ? 1 : 0;
    timings.totalMs = performance.now() - started;

    Object.assign(report, {
      authorizer: { kind: cloud.authorizer.kind, detail: cloud.authorizer.detail },
      timings,
      emulation,
      gaps: [...cloud.gaps.values()],
      denials,
      deadLetters,
      queues,
      functions,
      sweeper: {
        runs: cloud.scheduleRuns.filter((run) => run.schedule === schedule?.name).map((run) => (run.outcome.ok ? run.outcome.result : run.outcome.error)),
        parked: fault.parked,
        redriveExecutions,
        faultInjections: fault.injections,
      },
      redeliveries: {
        duplicatesInjected: queues.reduce((n, queue) => n + queue.duplicatesInjected, 0),
        visibilityExpiriesInjected: queues.reduce((n, queue) => n + queue.visibilityExpiriesInjected, 0),
        redelivered: queues.reduce((n, queue) => n + queue.redelivered, 0),
      },
      ledger: { accounts: rehearsalBalances.length, rehearsal: rehearsalBalances },
      postingRecords: { rehearsal: records.size, embedded: embedded.records.size, legs: legsInRecords, legItems: legItems.length },
      transactions: Object.fromEntries(statuses),
      reconciliation: { execution, embedded: embeddedSummary, status: String(execution?.status ?? 'not started') },
      embeddedSummary: embedded.summary,
      differences,
      twinSwaps: swaps,
      modes,
      notifications,
      audit,
      equal,
      exitCode,
    } satisfies Partial<RehearsalReport>);
    if (options.keep) {
      // The whole ledger and every posting record, beside the logs, for reading after the run.
      writeFileSync(join(workDir, 'rehearsal-ledger.tsv'), rehearsalBalances.map((row) => `${row.accountId}\t${row.currency}\t${row.balance}\n`).join(''));
      mkdirSync(join(workDir, 'rehearsal-outbox'), { recursive: true });
      for (const [id, content] of records) writeFileSync(join(workDir, 'rehearsal-outbox', `${id}.txt`), content);
    }
    if (meter && options.counts) {
      await meter.settled();
      const measured = meter.counts(
        {
          env: options.env,
          region: deployment.region,
          count: options.count,
          posted: Number(embedded.summary.posted ?? 0),
          seed: options.seed,
          date: new Date().toISOString().replace(/\.[0-9]+Z$/, 'Z'),
          ...gitIdentity(),
          clean: exitCode === 0,
          window:
            'the traffic (every authorisation written, through the Pipe to its posting record, with the injected redeliveries and transient fault) and the sweeper runs; not the deploy-time steps, the statement reconciliation or the report reads',
          topology: topologyOf(deployment),
          injected: {
            duplicateDeliveries: queues.reduce((n, queue) => n + queue.duplicatesInjected, 0),
            visibilityExpiries: queues.reduce((n, queue) => n + queue.visibilityExpiriesInjected, 0),
            transientFaults: fault.injections,
          },
          pipes: Object.fromEntries(
            cloud.pipes.map((pipe) => {
              const tally = pipeRequests.get(pipe.definition.name) ?? {
                records: pipe.counters.records,
                filteredOut: pipe.counters.filteredOut,
                requests: pipe.counters.records - pipe.counters.filteredOut,
              };
              return [pipe.definition.name, { records: tally.records, filteredOut: tally.filteredOut, batches: pipe.counters.batches, requests: tally.requests }];
            }),
          ),
        },
        (functionName) => `/aws/lambda/${functionName}`,
      );
      (report as RehearsalReport).measured = measured;
      mkdirSync(dirname(resolve(options.counts)), { recursive: true });
      writeFileSync(options.counts, `${JSON.stringify(countsToJson(measured), null, 2)}\n`);
    }
    printReport(report as RehearsalReport, cloud, log);
    if (options.counts && report.measured) log(`\nmeasured counts (COST-1): ${options.counts} (${report.measured.posted} payments posted${report.measured.clean ? '' : ', NOT a clean run'})\n`);
    return report as RehearsalReport;
  } finally {
    await partnerEndpoint?.close();
    await cloud.stop();
    await auditStandIn?.stop().catch(() => undefined);
    await redshiftApi?.close().catch(() => undefined);
    await postgres?.stop();
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  }
}

function printReport(report: RehearsalReport, cloud: RehearsalCloud, log: (text: string) => void): void {
  log(section('Ledger (balances per account, rehearsal)'));
  const shown = report.ledger.rehearsal.slice(0, 25);
  log(`${table([['ACCOUNT', 'CCY', 'BALANCE'], ...shown.map((row) => [row.accountId, row.currency, row.balance])], [2])}\n`);
  if (report.ledger.rehearsal.length > shown.length) log(`... ${report.ledger.rehearsal.length - shown.length} more accounts (--keep DIR writes them all to DIR/rehearsal-ledger.tsv)\n`);
  log(section('Posting records (outbox)'));
  log(
    `rehearsal ${report.postingRecords.rehearsal} records (${report.postingRecords.legs} legs; ledger table holds ${report.postingRecords.legItems} legs), embedded ${report.postingRecords.embedded} records\n`,
  );
  log(section('Reconciliation'));
  const output = report.reconciliation.execution?.output as { summary?: Record<string, unknown>; cases?: unknown } | undefined;
  log(
    `state machine: ${report.reconciliation.status}${output?.summary ? ` ${JSON.stringify({ matched: output.summary.matched, unmatchedStatement: output.summary.unmatchedStatement, unmatchedLedger: output.summary.unmatchedLedger, exceptions: output.summary.exceptions, cases: output.cases })}` : ''}\n`,
  );
  log(section('Operating modes'));
  log(modesSummary(report.modes));
  log(section('Customer edge (notify, webhook-sweeper)'));
  log(notificationsSummary(report.notifications));
  log(section('Queues'));
  log(
    `${table(
      [
        ['QUEUE', 'SENT', 'RECEIVED', 'DELETED', 'REDELIVERED', 'DUPLICATED', 'EXPIRED', 'TO-DLQ', 'DEPTH'],
        ...report.queues.map((q) => [
          q.queue,
          String(q.sent),
          String(q.received),
          String(q.deleted),
          String(q.redelivered),
          String(q.duplicatesInjected),
          String(q.visibilityExpiriesInjected),
          String(q.movedToDlq),
          String(q.depth),
        ]),
      ],
      [1, 2, 3, 4, 5, 6, 7, 8],
    )}\n`,
  );
  log(section('Dead letters'));
  log(
    report.deadLetters.length === 0
      ? 'none\n'
      : `${report.deadLetters.map((letter) => `${letter.expected ? 'expected  ' : 'UNEXPECTED'} ${letter.queue}: ${letter.why}\n           ${letter.body.slice(0, 300)}`).join('\n')}\n`,
  );
  log(section('Sweeper'));
  log(
    `transient fault injected ${report.sweeper.faultInjections}× → parked RETRYING: ${report.sweeper.parked}; schedule runs: ${JSON.stringify(report.sweeper.runs)}; redrive executions: ${report.sweeper.redriveExecutions}\n`,
  );
  log(section('Functions'));
  log(
    `${table(
      [
        ['FUNCTION', 'INVOCATIONS', 'ERRORS', 'TIMEOUTS', 'MAX-CONCURRENT', 'LIMIT (reserved)'],
        ...report.functions.map((fn) => [fn.name, String(fn.invocations), String(fn.errors), String(fn.timeouts), String(fn.maxConcurrent), `${fn.limit} (${fn.reserved ?? '-'})`]),
      ],
      [1, 2, 3, 4],
    )}\n`,
  );
  log(section('IAM'));
  log(`${report.authorizer.kind}: ${report.authorizer.detail}\n`);
  log(
    report.denials.length === 0
      ? 'no call was denied\n'
      : `${report.denials.map((denial) => `DENIED ${denial.count}× ${denial.caller} → ${denial.action} on ${denial.resource}: ${denial.reason}${denial.policies.length ? ` [${denial.policies.join(', ')}]` : ''}`).join('\n')}\n`,
  );
  log(section('Gaps used'));
  log(report.gaps.length === 0 ? 'none\n' : `${report.gaps.map((gap) => `GAP ${gap.name} (${gap.count}×): ${gap.detail}`).join('\n')}\n`);
  log(section('Timings'));
  log(
    `${table(
      Object.entries(report.timings).map(([name, ms]) => [name, seconds(ms)]),
      [1],
    )}\nvirtual time skipped (visibility timeouts): ${seconds(cloud.clock.skipped)}\n`,
  );
  const requests = Object.entries(cloud.gateway.counters.byService).sort((a, b) => b[1] - a[1]);
  log(
    `gateway: ${cloud.gateway.counters.requests} requests, ${(cloud.gateway.counters.servedMs / Math.max(1, cloud.gateway.counters.requests)).toFixed(1)} ms each on average (${cloud.gateway.counters.external} from outside the deployment): ${requests.map(([name, n]) => `${name} ${n}`).join(', ')}\n`,
  );
  log(section('Findings'));
  log(report.findings.length === 0 ? 'none\n' : `${report.findings.map((finding) => `FINDING ${finding}`).join('\n')}\n`);
  if (report.twinSwaps.length > 0) {
    log(section('Duplicate twins posted in arrival order'));
    log(
      `${report.twinSwaps.length} pair(s) of re-sent authorisations (same business key): the deployment posted the twin whose claim dedup saw first, the embedded run the first in input order (FR3). Legs, accounts, amounts and dates are identical; only the authorisation and sequence ids differ:\n${report.twinSwaps
        .map((swap) => `  embedded ${swap.embeddedRecord} (${swap.embeddedAuthorisation})  ↔  rehearsal ${swap.rehearsalRecord} (${swap.rehearsalAuthorisation})`)
        .join('\n')}\n`,
    );
  }
  log(section('Comparison with the embedded run'));
  if (report.equal)
    log(
      `EQUAL: balances, posting records and reconciliation results match the embedded run${report.twinSwaps.length ? ` (posting records up to the ${report.twinSwaps.length} twin swap(s) above)` : ''}\n`,
    );
  else {
    log(`DIFFERENT (${report.differences.length}):\n`);
    log(
      `${table([['WHAT', 'KEY', 'EMBEDDED', 'REHEARSAL'], ...report.differences.slice(0, 40).map((d) => [d.what, d.key, d.embedded.replace(/\n/g, '⏎').slice(0, 60), d.rehearsal.replace(/\n/g, '⏎').slice(0, 60)])])}\n`,
    );
  }
  log(`\nexit code ${report.exitCode}; work directory ${report.workDir}${report.workDir.includes('ledgerline-rehearsal-') ? ' (removed)' : ''}\n`);
}

function modesSummary(modes: ModesReport | undefined): string {
  if (!modes) return 'not run\n';
  const lines: string[] = [];
  if (modes.batch)
    lines.push(
      `ingest-batch (MODE-2): s3://${modes.batch.bucket}/${modes.batch.key} by rule ${modes.batch.rule}: ${modes.batch.first?.outcome ?? 'no outcome'} ${JSON.stringify(modes.batch.first?.summary ?? {})}; uploaded again: ${modes.batch.again?.outcome ?? 'no outcome'}, added ${modes.batch.addedByAgain.records} records / ${modes.batch.addedByAgain.legs} legs`,
    );
  for (const call of modes.authorise?.calls ?? [])
    lines.push(
      `authorise (MODE-4) ${call.name}: ${'error' in call.outcome ? String(call.outcome.error) : String(call.outcome.outcome)}${call.legsInLedger ? ` (${call.legsInLedger} legs in the ledger table)` : ''}`,
    );
  if (modes.flow) {
    lines.push(
      `flow-auditor (FLOW-1..3): ${modes.flow.planted} lost on ${modes.flow.lostAt ?? 'NOTHING'}; audit ${JSON.stringify(modes.flow.first ?? {})}; after the repair ${JSON.stringify(modes.flow.second ?? {})}; posted: ${modes.flow.posted}`,
    );
    for (const alarm of modes.flow.alarms)
      lines.push(
        `  alarm ${alarm.alarm}: ${alarm.namespace}/${alarm.metric} ${JSON.stringify(alarm.dimensions)} = ${alarm.emitted ?? 'NOT EMITTED'} (threshold ${alarm.threshold}${alarm.breached ? ', BREACHED' : ''})`,
      );
  }
  lines.push(`added: ${modes.added.records} posting records (embedded ${modes.added.embeddedRecords}), ${modes.added.accounts} account balances changed`);
  return `${lines.join('\n')}\n`;
}

/**
 * NOTIFY-2, HOOK-1/2 (rehearsal/edge.ts): every payment the modes posted is told to the partner,
 * once, signed; the refused real-time payment's delivery waits RETRYING until the webhook
 * sweeper, fired by its schedule's target after the partner recovers, delivers it once.
 */
async function rehearseNotifications(options: {
  cloud: RehearsalCloud;
  deployment: Deployment;
  partner: Partner;
  posted: readonly string[];
  recover: () => void;
  findings: string[];
  log: (text: string) => void;
}): Promise<NotificationsReport> {
  const { cloud, deployment, partner, posted, findings, log } = options;
  const outside = externalCredentials;
  const kind = (id: string) => (/^AUTH-[0-9]+-B-/.test(id) ? 'batch' : /^AUTH-[0-9]+-R-/.test(id) ? 'realTime' : 'other');
  const counts = { batch: 0, realTime: 0, other: 0 };
  for (const id of posted) counts[kind(id)] += 1;

  // The webhook sweeper's case first: the refused delivery is parked; the partner recovers; when due, the schedule fires.
  const refused = partner.received.filter((request) => request.status === 503);
  const sweeper: SweeperCase = { refusedRequests: refused.length, sweeps: [], deliveredAfterRecovery: 0, verified: false };
  const target = refused[0];
  const schedule = deployment.schedules.find((candidate) => /-webhook-sweeper$/.test(candidate.targetArn.replace(/:(\$LATEST|[0-9]+)$/, '')));
  if (!schedule) findings.push('the synth has no schedule of the webhook sweeper: a parked webhook is never re-driven (HOOK-2)');
  if (!target) findings.push("the partner refused no webhook: the real-time payment's notification never reached it (HOOK-2 sweeper case not exercised)");
  else {
    Object.assign(sweeper, { deliveryId: target.deliveryId, reference: target.reference });
    const parked = (await deliveryOf(cloud, outside, target.deliveryId)).state;
    if (parked) sweeper.parked = { status: parked.status, attempts: parked.attempts, ...(parked.dueAt ? { dueAt: parked.dueAt } : {}) };
    if (parked?.status !== 'RETRYING') findings.push(`the refused delivery ${target.deliveryId} is ${parked?.status ?? 'absent'}, not parked RETRYING for the sweeper`);
    const recoveredAt = partner.received.length;
    options.recover();
    await waitUntil(parked?.dueAt, 60_000);
    for (let sweep = 0; schedule && sweep < 2; sweep += 1) {
      const outcome = await cloud.fireSchedule(schedule);
      await cloud.settle();
      sweeper.sweeps.push(outcome.ok ? outcome.result : outcome.error);
      log(`schedule ${schedule.name} sweep ${sweep + 1}: ${outcome.ok ? JSON.stringify(outcome.result) : `FAILED ${outcome.error.errorType}: ${outcome.error.errorMessage}`}\n`);
      if (!outcome.ok) findings.push(`the webhook sweeper failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
    }
    const after = partner.received.slice(recoveredAt).filter((request) => request.deliveryId === target.deliveryId);
    sweeper.deliveredAfterRecovery = after.filter((request) => request.status === 200).length;
    sweeper.verified = after.length > 0 && after.every((request) => request.verified.valid);
    const final = await deliveryOf(cloud, outside, target.deliveryId);
    if (final.state) sweeper.final = { status: final.state.status, attempts: final.state.attempts, ...(final.attempts.length ? { lastBy: final.attempts[final.attempts.length - 1]!.by } : {}) };
    if (sweeper.deliveredAfterRecovery !== 1 || after.length !== 1)
      findings.push(
        `the webhook sweeper delivered the parked delivery ${target.deliveryId} ${sweeper.deliveredAfterRecovery}× in ${after.length} request(s) after the partner recovered (expected once)`,
      );
    if (!sweeper.verified)
      findings.push(`the swept delivery ${target.deliveryId} was not signed verifiably: ${after.map((request) => (request.verified.valid ? 'valid' : request.verified.reason)).join('; ')}`);
    if (sweeper.final?.status !== 'COMPLETED') findings.push(`the swept delivery ${target.deliveryId} ended ${sweeper.final?.status ?? 'absent'}, not COMPLETED`);
  }

  // Every payment the modes posted: one delivered webhook (repeats share its delivery id), signed.
  const delivered = new Map<string, Set<string>>();
  for (const request of partner.received) {
    if (request.status !== 200 || !request.reference) continue;
    delivered.set(request.reference, (delivered.get(request.reference) ?? new Set()).add(request.deliveryId));
  }
  const missing = posted.filter((id) => !delivered.has(id));
  const twice = [...delivered].filter(([, ids]) => ids.size > 1).map(([id]) => id);
  const unverified = partner.received.filter((request) => !request.verified.valid).map((request) => ({ deliveryId: request.deliveryId, reason: (request.verified as { reason: string }).reason }));
  const strangers = [...delivered.keys()].filter((id) => !posted.includes(id));
  if (counts.batch === 0 || counts.realTime === 0) findings.push(`the modes posted ${counts.batch} batch and ${counts.realTime} real-time payment(s): the notifier's case needs both`);
  if (missing.length > 0) findings.push(`${missing.length} payment(s) the modes posted were never told to the subscribed partner (NOTIFY-2): ${missing.slice(0, 5).join(', ')}`);
  if (twice.length > 0) findings.push(`${twice.length} payment(s) were told to the partner under two delivery ids: ${twice.slice(0, 5).join(', ')}`);
  if (unverified.length > 0) findings.push(`${unverified.length} webhook(s) failed the product's signature verification: ${unverified[0]!.reason}`);
  if (strangers.length > 0) findings.push(`the partner was told of ${strangers.length} payment(s) the modes did not post: ${strangers.slice(0, 5).join(', ')}`);
  return {
    partner: { url: partner.url, purpose: PARTNER_PURPOSE, subscriptionId: partner.subscriptionId },
    posted: counts,
    delivered: [...delivered.values()].reduce((n, ids) => n + ids.size, 0),
    missing,
    twice,
    unverified,
    requests: partner.received.length,
    sweeper,
  };
}

function notificationsSummary(report: NotificationsReport | undefined): string {
  if (!report) return 'not run\n';
  const sweeper = report.sweeper;
  return `${[
    `notify (NOTIFY-2): partner ${report.partner.subscriptionId} subscribed to ${report.partner.purpose}; the modes posted ${report.posted.batch} batch, ${report.posted.realTime} real-time, ${report.posted.other} other payment(s); ${report.delivered} webhook(s) delivered in ${report.requests} request(s); missing ${report.missing.length}, told twice ${report.twice.length}, unverified ${report.unverified.length}`,
    sweeper
      ? `webhook-sweeper (HOOK-2): ${sweeper.deliveryId ?? 'no delivery'} refused ${sweeper.refusedRequests}×, parked ${JSON.stringify(sweeper.parked ?? {})}; sweeps ${JSON.stringify(sweeper.sweeps)}; delivered after recovery ${sweeper.deliveredAfterRecovery}× (signature ${sweeper.verified ? 'verified' : 'NOT verified'}), final ${JSON.stringify(sweeper.final ?? {})}`
      : 'webhook-sweeper: not run',
  ].join('\n')}\n`;
}

/** Attaches one Meter (COST-1) to every stand-in of the booted cloud. */
function attachMeter(cloud: RehearsalCloud, deployment: Deployment): Meter {
  const archives: ArchiveDefinition[] = deployment.synth.resources('aws_cloudwatch_event_archive').map((ref) => {
    const values = deployment.synth.resolved(ref);
    const source = String(values.event_source_arn ?? '');
    return {
      name: String(values.name ?? ref.address),
      busName: source.includes('event-bus/') ? source.split('event-bus/')[1]! : 'default',
      pattern: typeof values.event_pattern === 'string' ? (JSON.parse(values.event_pattern) as JsonObject) : undefined,
    };
  });
  const meter = new Meter(archives);
  cloud.gateway.meter = meter;
  cloud.events.meter = meter;
  cloud.states.meter = meter;
  for (const queue of cloud.queues.queues.values()) queue.meter = meter;
  for (const poller of cloud.pollers) poller.meter = meter;
  for (const host of cloud.lambdas.hosts.values()) host.meter = meter;
  return meter;
}

/** The commit the counts were measured at, and whether the deployment's sources had local changes. */
function gitIdentity(): { gitCommit: string; gitDirty: boolean } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: resolve(__dirname, '..'), encoding: 'utf8' }).trim();
  try {
    const gitCommit = git('rev-parse', 'HEAD');
    const gitDirty = git('status', '--porcelain', '--', 'src', 'functions', 'stacks', 'environments', 'schemas', 'workflows', 'rehearsal', 'main.ts') !== '';
    return { gitCommit, gitDirty };
  } catch {
    return { gitCommit: 'unknown', gitDirty: true };
  }
}

/** What the measured deployment was: its functions, rule → queue → function routes and pipes. */
function topologyOf(deployment: Deployment): MeasuredCounts['topology'] {
  const queueName = (arn: string) => deployment.queues.find((queue) => queue.arn === arn)?.name ?? arn;
  const functionName = (arn: string) => deployment.functions.find((fn) => fn.arn === arn.replace(/:(\$LATEST|[0-9]+)$/, ''))?.functionName ?? arn.split(':').pop()!;
  const routes = deployment.rules.flatMap((rule) =>
    rule.targets
      .filter((target) => target.arn.includes(':sqs:'))
      .flatMap((target) =>
        deployment.eventSourceMappings
          .filter((mapping) => mapping.sourceArn === target.arn)
          .map((mapping) => ({ rule: rule.name, queue: queueName(target.arn), function: functionName(mapping.functionArn) })),
      ),
  );
  const resourceName = (arn: string) =>
    arn.includes(':sqs:') ? queueName(arn) : arn.includes('event-bus/') ? `bus ${arn.split('event-bus/')[1]}` : (deployment.tables.find((table) => table.streamArn === arn)?.name ?? arn);
  return {
    functions: deployment.functions.map((fn) => fn.functionName).sort(),
    routes: routes.sort((a, b) => (a.rule < b.rule ? -1 : 1)),
    pipes: deployment.pipes.map((pipe) => ({ name: pipe.name, source: resourceName(pipe.sourceArn), target: resourceName(pipe.targetArn) })),
  };
}
