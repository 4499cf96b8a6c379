/**
 * Physical names and ARNs of everything Ledgerline deploys, derived from the environment
 * config alone. Every stack and every IAM policy uses these, so:
 * - policies name exact ARNs without cross-stack tokens (a bucket policy in `data` can name the
 *   function roles of `app` without a dependency cycle);
 * - the policy tests can check that an ARN in a policy is one of the environment's resources.
 * Only resources whose ids AWS generates (KMS keys, subnets, security groups, stream ARNs,
 * Redshift/EMR ids) travel as CDKTF cross-stack references.
 */
import type { DeployedFunctionName, EnvironmentConfig } from '../environments/types';
import type { Route } from '../src/routes';
import type { TableName } from '../src/adapters/aws/tables';

export interface AccountScope {
  prefix: string;
  account: string;
  region: string;
}

/** Prefixes of the ingest bucket (REC-1, REC-2). The runtime defaults (runtime-config) agree with these. */
export const INGEST_PREFIXES = Object.freeze({
  incoming: 'incoming/',
  incomingStatements: 'incoming/statements/',
  quarantine: 'quarantine/',
  parked: 'parked/',
  outbox: 'outbox/postings/',
  results: 'results/',
  /** Reconciliation re-upload claims (content hash → first run); src/recon/run/aws/config.ts default. */
  registry: 'results/registry/',
  /** Ledger exports the reconciliation reads (not under incoming/statements/: uploading one starts nothing). */
  ledgerExports: 'incoming/ledger/',
  /** MODE-2: files of authorisations; one dropped here is posted by ingest-batch. */
  incomingAuthorisations: 'incoming/authorisations/',
  /** MODE-2: one record per batch file content (content hash → status, attempts, summary): kept with the results. */
  batchRegistry: 'results/batches/',
});

/** Prefixes of the analytics bucket. */
export const ANALYTICS_PREFIXES = Object.freeze({
  scripts: 'scripts/',
  normalised: 'normalised/',
  curated: 'curated/',
  matches: 'matches/',
  glueTemp: 'tmp/glue/',
  emrLogs: 'logs/emr/',
});

export class Names {
  readonly prefix: string;
  readonly account: string;
  readonly region: string;

  constructor(scope: AccountScope) {
    this.prefix = scope.prefix;
    this.account = scope.account;
    this.region = scope.region;
  }

  static of(config: EnvironmentConfig): Names {
    return new Names(config);
  }

  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  // --- IAM -------------------------------------------------------------------
  roleName(suffix: string): string {
    return this.name(suffix);
  }
  roleArn(suffix: string): string {
    return `arn:aws:iam::${this.account}:role/${this.roleName(suffix)}`;
  }
  get deployRoleName(): string {
    return this.name('deploy');
  }
  get deployRoleArn(): string {
    return this.roleArn('deploy');
  }
  /** Read-only role the pipeline's plan step assumes (it can plan, never apply). */
  get planRoleName(): string {
    return this.name('plan');
  }
  get planRoleArn(): string {
    return this.roleArn('plan');
  }
  get permissionsBoundaryName(): string {
    return this.name('boundary');
  }
  get permissionsBoundaryArn(): string {
    return `arn:aws:iam::${this.account}:policy/${this.permissionsBoundaryName}`;
  }

  // --- Functions -------------------------------------------------------------
  functionName(fn: DeployedFunctionName): string {
    return this.name(fn);
  }
  functionArn(fn: DeployedFunctionName): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${this.functionName(fn)}`;
  }
  functionRoleSuffix(fn: DeployedFunctionName): string {
    return `fn-${fn}`;
  }
  functionRoleArn(fn: DeployedFunctionName): string {
    return this.roleArn(this.functionRoleSuffix(fn));
  }
  functionLogGroup(fn: DeployedFunctionName): string {
    return `/aws/lambda/${this.functionName(fn)}`;
  }

  // --- Tables ----------------------------------------------------------------
  tableName(table: TableName): string {
    return this.name(table.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`));
  }
  tableArn(table: TableName): string {
    return `arn:aws:dynamodb:${this.region}:${this.account}:table/${this.tableName(table)}`;
  }
  tableIndexArn(table: TableName, index: string): string {
    return `${this.tableArn(table)}/index/${index}`;
  }

  // --- Buckets ---------------------------------------------------------------
  /** Bucket names are global: the account id keeps them unique. */
  bucketName(suffix: string): string {
    return `${this.prefix}-${suffix}-${this.account}`;
  }
  bucketArn(suffix: string): string {
    return `arn:aws:s3:::${this.bucketName(suffix)}`;
  }
  get ingestBucket(): string {
    return this.bucketName('ingest');
  }
  get ingestBucketArn(): string {
    return this.bucketArn('ingest');
  }
  get analyticsBucket(): string {
    return this.bucketName('analytics');
  }
  get analyticsBucketArn(): string {
    return this.bucketArn('analytics');
  }

  // --- Eventing --------------------------------------------------------------
  get busName(): string {
    return this.name('bus');
  }
  get busArn(): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${this.busName}`;
  }
  get archiveName(): string {
    return this.name('replay');
  }
  /** THE rule of a route (src/routes.ts: `<env>-<name>`, env = this environment's prefix). */
  routeRuleName(route: Pick<Route, 'name'>): string {
    return this.name(route.name);
  }
  routeRuleArn(route: Pick<Route, 'name'>): string {
    return `arn:aws:events:${this.region}:${this.account}:rule/${this.busName}/${this.routeRuleName(route)}`;
  }
  /** The one non-route rule on the bus: posting.failed → the posting notifications topic. */
  get postingFailureRuleName(): string {
    return this.name('posting-failed-notify');
  }
  get postingFailureRuleArn(): string {
    return `arn:aws:events:${this.region}:${this.account}:rule/${this.busName}/${this.postingFailureRuleName}`;
  }
  /** The rule on the DEFAULT bus (S3 sends there): a statement uploaded → reconcile-trigger (REC-2). */
  get statementUploadedRuleName(): string {
    return this.name('statement-uploaded');
  }
  /** MODE-2: S3 object created under incoming/authorisations/ → ingest-batch (default bus). */
  get batchUploadedRuleName(): string {
    return this.name('batch-uploaded');
  }
  ruleArnOnDefaultBus(ruleName: string): string {
    return `arn:aws:events:${this.region}:${this.account}:rule/${ruleName}`;
  }
  get pipeName(): string {
    return this.name('authorisations-pipe');
  }
  get pipeArn(): string {
    return `arn:aws:pipes:${this.region}:${this.account}:pipe/${this.pipeName}`;
  }

  // --- Queues ----------------------------------------------------------------
  /** src/routes.ts: the queue of a route is `<env>-<name>-queue`. */
  routeQueueName(route: Pick<Route, 'name'>): string {
    return this.name(`${route.name}-queue`);
  }
  routeDlqName(route: Pick<Route, 'name'>): string {
    return this.name(`${route.name}-dlq`);
  }
  queueArn(queueName: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${queueName}`;
  }
  queueUrl(queueName: string): string {
    return `https://sqs.${this.region}.amazonaws.com/${this.account}/${queueName}`;
  }
  /** Events EventBridge could not deliver to a rule target (one DLQ for all route targets). */
  get busDeliveryDlqName(): string {
    return this.name('bus-delivery-dlq');
  }
  get pipeDlqName(): string {
    return this.name('authorisations-pipe-dlq');
  }
  get schedulerDlqName(): string {
    return this.name('scheduler-dlq');
  }
  /** NOTIFY-1/2: the notifier's outward-events queue (fed by the outward-to-notify rule) and its DLQ. */
  get notifyQueueName(): string {
    return this.name('notify-events');
  }
  get notifyDlqName(): string {
    return this.name('notify-events-dlq');
  }
  /** AUDIT-1: the positions of the stream records the audit feed gave up on (a dead-letter queue: `-dlq`). */
  get auditFeedFailuresQueueName(): string {
    return this.name('audit-stream-dlq');
  }
  /** Failed asynchronous invocations (EventBridge → reconcile-trigger, Scheduler → sweeper). */
  get asyncInvokeDlqName(): string {
    return this.name('async-invoke-dlq');
  }

  // --- Workflows -------------------------------------------------------------
  stateMachineName(suffix: string): string {
    return this.name(suffix);
  }
  stateMachineArn(suffix: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${this.stateMachineName(suffix)}`;
  }
  stateMachineExecutionsArn(suffix: string): string {
    return `arn:aws:states:${this.region}:${this.account}:execution:${this.stateMachineName(suffix)}:*`;
  }
  stateMachineRoleArn(suffix: string): string {
    return this.roleArn(`sfn-${suffix}`);
  }
  stateMachineLogGroup(suffix: string): string {
    return `/aws/vendedlogs/states/${this.stateMachineName(suffix)}`;
  }
  get redriveStateMachine(): string {
    return 'posting-redrive';
  }
  get reconciliationStateMachine(): string {
    return 'reconciliation';
  }

  // --- Notifications / config ------------------------------------------------
  topicName(suffix: string): string {
    return this.name(suffix);
  }
  topicArn(suffix: string): string {
    return `arn:aws:sns:${this.region}:${this.account}:${this.topicName(suffix)}`;
  }
  ssmParameterName(path: string): string {
    return `/${this.prefix.replace(/-/g, '/')}/${path}`;
  }
  ssmParameterArn(path: string): string {
    return `arn:aws:ssm:${this.region}:${this.account}:parameter${this.ssmParameterName(path)}`;
  }

  // --- Exceptions workbench (internal ALB) ------------------------------------
  /** ALB and target group names: ≤ 32 characters (AWS). */
  get workbenchLoadBalancerName(): string {
    return this.name('workbench');
  }
  get workbenchTargetGroupName(): string {
    return this.name('workbench-fn');
  }
  /** Secrets Manager names of the workbench (the deploy role may read and write values only under this path). */
  get workbenchSecretPath(): string {
    return `${this.prefix}/workbench/`;
  }
  get workbenchCsrfSecretName(): string {
    return `${this.workbenchSecretPath}csrf-secret`;
  }

  // --- Analytics -------------------------------------------------------------
  get glueDatabase(): string {
    return this.prefix.replace(/-/g, '_');
  }
  get glueJobName(): string {
    return this.name('normalise-statements');
  }
  get glueJobArn(): string {
    return `arn:aws:glue:${this.region}:${this.account}:job/${this.glueJobName}`;
  }
  get redshiftNamespace(): string {
    return this.name('recon');
  }
  get redshiftWorkgroup(): string {
    return this.name('recon');
  }
  /** Roles of the analytics engines (named here so the ingest/analytics bucket policies can name them). */
  get glueJobRoleArn(): string {
    return this.roleArn('glue-job');
  }
  get emrJobRoleArn(): string {
    return this.roleArn('emr-job');
  }
  get redshiftRoleArn(): string {
    return this.roleArn('redshift');
  }
  get redshiftDatabase(): string {
    return 'reconciliation';
  }
  logGroupArn(logGroupName: string): string {
    return `arn:aws:logs:${this.region}:${this.account}:log-group:${logGroupName}`;
  }
}
