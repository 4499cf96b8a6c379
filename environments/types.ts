/**
 * The typed configuration of one Ledgerline environment. `main.ts` builds the SAME stacks for
 * every environment; environments differ only in these values (sizes, AZ count, retention,
 * alarm thresholds, account/region, Direct Connect gateway id), never in code.
 *
 * Route batch settings (batch size, batching window, maxReceiveCount) are not here: they come
 * from each route's `queue` in src/routes.ts, the one definition the local runtime also uses.
 * Table keys / indexes / TTL / streams come from src/adapters/aws/tables.ts, and the Lambda
 * environment variables from src/adapters/aws/runtime-config.ts.
 */
import type { FunctionName } from '../src/adapters/aws/runtime-config';
import type { ReconFunctionName } from '../src/recon/run/aws/config';
import type { WorkbenchFunctionName } from '../src/adapters/aws/workbench-config';
import type { Role } from '../src/recon/workbench/cases';
import type { Topology } from '../src/routes';

export type EnvironmentName = 'dev' | 'staging' | 'prod';

/**
 * The functions of the operating modes and the flow audit (MODE-2, MODE-4, FLOW-1..3), deployed in
 * every topology: `authorise` (real-time, invoked synchronously), `ingest-batch` (a dropped file)
 * and `flow-auditor` (scheduled).
 */
export type ModeFunctionName = 'authorise' | 'ingest-batch' | 'flow-auditor';

/**
 * The customer edge's functions, deployed in every topology: the payments API (API-1..5), the
 * notifier and the webhook sweeper (NOTIFY-1/2, HOOK-1/2), the audit trail's stream reader
 * (AUDIT-1..3).
 */
export type EdgeFunctionName = 'api' | 'notify' | 'webhook-sweeper' | 'audit-stream';

/** Every deployable function: the route consumers of either topology + the sweeper
 * (runtime-config), the Pipe enrichment `ingest`, the reconciliation functions
 * (src/recon/run/aws/config.ts), the exceptions workbench (src/adapters/aws/workbench-config.ts),
 * the operating modes' functions and the customer edge's. The environment's topology decides
 * which consumers are deployed (stacks/catalogue.ts). Every one is sized explicitly per
 * environment: synth fails naming the environment and the function when a sizing is missing. */
export type DeployedFunctionName = FunctionName | 'ingest' | ReconFunctionName | WorkbenchFunctionName | ModeFunctionName | EdgeFunctionName;

export interface FunctionSizing {
  /** Measured, not guessed: see BENCHMARKS.md / bench/ for the hot-path numbers. */
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency: caps the function (protects DynamoDB and downstreams) and guarantees it capacity. */
  reservedConcurrency: number;
}

export interface DirectConnectConfig {
  /** Existing Direct Connect gateway (owned by the network team, usually in a network account). */
  gatewayId: string;
  /** Account that owns the DX gateway (proposal/acceptance flow when it is not this account). */
  gatewayOwnerAccountId: string;
  /** On-premises CIDRs routed from the private subnets through the virtual private gateway. */
  onPremisesCidrs: readonly string[];
  /** Amazon-side ASN of the virtual private gateway. */
  amazonSideAsn: number;
}

export interface NetworkConfig {
  vpcCidr: string;
  /** Availability zones used (2 in dev, 3 in prod). Subnets are carved from vpcCidr per AZ. */
  azCount: number;
  /** 'per-az': one NAT gateway per AZ (prod: no cross-AZ dependency); 'single': one for all (dev: cost). */
  natGateways: 'per-az' | 'single';
  directConnect: DirectConnectConfig;
  flowLogRetentionDays: number;
}

export interface RetentionConfig {
  /** CloudWatch Logs retention of every log group. */
  logDays: number;
  /** EventBridge archive retention (replay window). */
  archiveDays: number;
  /** Days before incoming statement / authorisation files move to STANDARD_IA, and expire. */
  incomingTransitionDays: number;
  incomingExpirationDays: number;
  quarantineExpirationDays: number;
  parkedExpirationDays: number;
  /** Posting outbox and reconciliation results: kept (regulatory), moved to Glacier after this. */
  outboxGlacierDays: number;
  noncurrentVersionExpirationDays: number;
}

/** Every alarm fires when its metric is GREATER THAN the threshold (0 = on the first occurrence). */
export interface AlarmThresholds {
  /** Messages visible on any dead-letter queue (0 = alarm on the first one). */
  dlqDepth: number;
  /** Function Errors per 5 minutes. */
  functionErrors: number;
  /** Function Throttles per 5 minutes. */
  functionThrottles: number;
  /** Age in seconds of the oldest message on a route queue. */
  oldestMessageAgeSeconds: number;
  /** Age in ms of the authorisation stream records when the Pipe reads them (iterator age). */
  iteratorAgeMs: number;
  /** Failed / timed-out / aborted executions per state machine per 5 minutes. */
  stateMachineFailures: number;
  /** Failed Pipe executions per 5 minutes. */
  pipeFailures: number;
  /**
   * Throttled triggers of any EventBridge rule per 5 minutes (AWS/Events ThrottledRules): the
   * account's target-invocation quota is shared by every rule of the region.
   */
  ruleThrottles: number;
  /** Rule target invocations that failed for good per 5 minutes (AWS/Events FailedInvocations). */
  ruleFailedInvocations: number;
}

export interface AlarmRecipients {
  email: readonly string[];
  /** HTTPS endpoints (paging / chat integrations) subscribed to the alarm topic. */
  https: readonly string[];
}

export interface PipeConfig {
  // The Pipe's batch size and batching window are the near-real-time source's (config/sources.json, MODE-1).
  /** Concurrent batches per stream shard (1-10). */
  parallelizationFactor: number;
  maximumRetryAttempts: number;
  maximumRecordAgeSeconds: number;
}

export interface AnalyticsConfig {
  glueWorkerType: 'G.1X' | 'G.2X' | 'G.4X';
  glueNumberOfWorkers: number;
  glueTimeoutMinutes: number;
  emrMaximumCapacity: { cpu: string; memory: string; disk: string };
  emrIdleTimeoutMinutes: number;
  redshiftBaseCapacityRpus: number;
  redshiftMaxCapacityRpus: number;
  /** Partitions the reconciliation Distributed Map runs at once. */
  matchConcurrency: number;
  /**
   * REC-EMR-1: a run with at least this many statement lines or ledger entries matches on EMR
   * Serverless instead of the Distributed Map.
   */
  emrMinRows: number;
}

/** The Okta OIDC application the workbench signs people in with (WB-AUTH-1: the function's own OIDC code; the discovery document names the endpoints). */
export interface WorkbenchOidcConfig {
  /** Okta authorization server, e.g. https://bank.okta.com/oauth2/default (the `iss` claim). */
  issuer: string;
  clientId: string;
  /** Secrets Manager secret (created empty by the data stack, value set by the identity team) holding the client secret; under `<prefix>/workbench/`. */
  clientSecretName: string;
}

/** WB-1: the exceptions workbench behind an internal ALB (Okta SSO). */
export interface WorkbenchConfig {
  /** ACM certificate of the workbench's internal host name (HTTPS listener). */
  certificateArn: string;
  oidc: WorkbenchOidcConfig;
  /** Okta group → workbench role. A user in none of these groups cannot use the workbench. */
  groupRoles: Readonly<Record<string, Role>>;
  /** Who may reach the ALB on 443: the on-premises CIDRs (over Direct Connect); never 0.0.0.0/0. */
  allowedCidrs: readonly string[];
  /** WB-AUTH-1: the absolute session limit: signed out this long after signing in, however active (then Okta is asked again). */
  sessionTimeoutSeconds: number;
  /**
   * The host name finance reaches the workbench at (the certificate's name, an internal DNS alias
   * of the ALB): the OIDC redirect URI is `https://<hostName>/callback`. Default: the ALB's DNS name.
   */
  hostName?: string;
}

/** A partner of the payments API (API-5): one Cognito app client (client credentials) with these scopes. */
export interface ApiPartner {
  /** The app client's name suffix (lowercase letters, digits, dashes). */
  name: string;
  /** Scopes from the route table (src/api/routes.ts API_SCOPES), e.g. `ledgerline/payments.write`. */
  scopes: readonly string[];
}

/** The payments API's edge (API-5): Cognito, HTTP API, CloudFront + WAF. */
export interface ApiEdgeConfig {
  partners: readonly ApiPartner[];
  /** Stage-wide throttling of the HTTP API (every client together). */
  stageThrottle: { burst: number; perSecond: number };
  /**
   * Requests per 5 minutes one bearer token may make before the WAF blocks it (the rate-based rule
   * keyed on the Authorization header: a client-credentials token belongs to one app client).
   */
  tokenRequestsPer5Minutes: number;
  /** Requests per 5 minutes from one IP address before the WAF blocks it. */
  ipRequestsPer5Minutes: number;
  /** Access token lifetime of the partners' app clients, minutes (5–1440). */
  accessTokenMinutes: number;
}

/** The audit trail's Aurora PostgreSQL Serverless v2 cluster (AUDIT-1). */
export interface AuditDatabaseConfig {
  /** Serverless v2 capacity, ACUs (0–256 in 0.5 steps; min ≤ max; max ≥ 1). */
  minAcu: number;
  maxAcu: number;
  /** Cluster instances (writer + readers), 1–15. */
  instances: number;
  /** Automated backup retention, days (1–35). */
  backupRetentionDays: number;
}

/**
 * A trusted synchronous caller of the deployed `authorise` function (MODE-4): a role, usually in
 * another account (the card authorisation switch), that invokes it with one authorisation and
 * waits for the outcome. Each becomes one `aws_lambda_permission` naming exactly that role.
 */
export interface RealTimeCaller {
  /** The caller's AWS account (12 digits). */
  accountId: string;
  /** The caller's IAM role name (no path). */
  roleName: string;
  /** Who this is, for the permission's statement and the docs. */
  description: string;
}

/** Notifications (NOTIFY-2): the SES sending domain and From address. */
export interface NotificationsConfig {
  /** The SES sending domain (an identity verified by DKIM in the bank's DNS). */
  emailDomain: string;
  /** The From address: a mailbox of emailDomain. */
  emailFrom: string;
}

export interface EnvironmentConfig {
  name: EnvironmentName;
  /** Resource name prefix, e.g. "ledgerline-dev". */
  prefix: string;
  account: string;
  region: string;
  network: NetworkConfig;
  retention: RetentionConfig;
  alarms: AlarmThresholds;
  /**
   * Sizing of every deployable function. The topology (`runtime.topology`) decides which are
   * deployed: `hot-path` when fused, the six stage functions when staged.
   */
  functions: Readonly<Record<DeployedFunctionName, FunctionSizing>>;
  pipe: PipeConfig;
  /** Rate of the sweeper schedule (EventBridge Scheduler expression). */
  sweeperSchedule: string;
  /** Runtime settings passed through the runtime-config contract. */
  runtime: {
    /**
     * How the hot path's edges are carried (FUSE-1, src/routes.ts): `fused` (one function runs
     * every stage per batch; the Pipe feeds its queue; only outward events cross the bus) or
     * `staged` (every edge crosses the bus: one rule, queue and function per stage).
     */
    topology: Topology;
    dedupWindowSeconds: number;
    hotAccountShards: Readonly<Record<string, number>>;
  };
  analytics: AnalyticsConfig;
  workbench: WorkbenchConfig;
  /** The payments API's edge: partners (app clients), throttling, WAF limits (API-5). */
  api: ApiEdgeConfig;
  /** The audit trail's database sizing (AUDIT-1). */
  audit: AuditDatabaseConfig;
  /** Notifications: the sending domain (NOTIFY-2). */
  notify: NotificationsConfig;
  /**
   * MODE-4: the roles that may invoke `authorise` synchronously (lambda:InvokeFunction on it, by
   * its resource policy). Empty: nothing outside the account may call it (the payments API posts
   * in process and needs no entry here).
   */
  realTimeCallers: readonly RealTimeCaller[];
  /** Deletion protection on tables / Redshift and KMS deletion window: on outside dev. */
  protectStatefulResources: boolean;
  kmsDeletionWindowDays: number;
  /** Roles (outside this code) allowed to use the ingest bucket / administer keys: break-glass, finance upload. */
  humanRoleArns: {
    breakGlass: string;
    financeUploaders: string;
  };
  /** Terraform state (created by this environment's bootstrap stack). */
  state: { bucket: string; lockTable: string; region: string };
  /**
   * Who gets this environment's alarms (OPS-1): at least one email address or HTTPS endpoint
   * (e.g. the on-call paging service's SNS integration URL). Synth fails without one.
   * Email subscriptions stay pending until the recipient confirms the AWS message.
   */
  alarmRecipients: AlarmRecipients;
  tags: Readonly<Record<string, string>>;
}

/** The shared tooling account: CodeBuild + CodePipeline promote dev → staging → prod. */
export interface ToolingConfig {
  prefix: string;
  account: string;
  region: string;
  /** Existing CodeConnections (CodeStar) connection to the source repository. */
  sourceConnectionArn: string;
  repository: string;
  branch: string;
  network: Pick<NetworkConfig, 'vpcCidr' | 'azCount' | 'flowLogRetentionDays'>;
  logDays: number;
  kmsDeletionWindowDays: number;
  breakGlassRoleArn: string;
  state: { bucket: string; lockTable: string; region: string };
  /** Promotion order; a manual approval precedes every environment listed in manualApprovalBefore. */
  promotion: readonly EnvironmentName[];
  manualApprovalBefore: readonly EnvironmentName[];
  tags: Readonly<Record<string, string>>;
}
