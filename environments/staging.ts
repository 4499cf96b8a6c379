import type { EnvironmentConfig } from './types';

/** Corporate networks reaching this VPC over Direct Connect (routes, and the workbench ALB's only clients). */
const ON_PREMISES_CIDRS = ['172.16.0.0/16', '172.20.0.0/16'];

/** staging: prod-shaped (3 AZs, NAT per AZ, deletion protection) at smaller scale. */
export const staging: EnvironmentConfig = {
  name: 'staging',
  prefix: 'ledgerline-staging',
  account: '222222222222',
  region: 'eu-west-2',
  network: {
    vpcCidr: '10.41.0.0/16',
    azCount: 3,
    natGateways: 'per-az',
    directConnect: {
      gatewayId: '3f2c0b8e-6d1a-4a52-9e3b-7c1d2e4f5a60',
      gatewayOwnerAccountId: '999999999999',
      onPremisesCidrs: ON_PREMISES_CIDRS,
      amazonSideAsn: 64613,
    },
    flowLogRetentionDays: 90,
  },
  retention: {
    logDays: 90,
    archiveDays: 30,
    incomingTransitionDays: 30,
    incomingExpirationDays: 365,
    quarantineExpirationDays: 90,
    parkedExpirationDays: 90,
    outboxGlacierDays: 90,
    noncurrentVersionExpirationDays: 90,
  },
  alarms: {
    dlqDepth: 0,
    functionErrors: 5,
    functionThrottles: 5,
    oldestMessageAgeSeconds: 300,
    iteratorAgeMs: 120_000,
    stateMachineFailures: 0,
    pipeFailures: 0,
    ruleThrottles: 0,
    ruleFailedInvocations: 0,
  },
  functions: {
    ingest: { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 20 },
    // FUSE-1: the fused hot path (runtime.topology 'fused'); the six stage functions below are deployed when 'staged'.
    'hot-path': { memoryMb: 1769, timeoutSeconds: 60, reservedConcurrency: 20 },
    dedup: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 20 },
    standardise: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 20 },
    enrich: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 20 },
    rules: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 20 },
    posting: { memoryMb: 1024, timeoutSeconds: 60, reservedConcurrency: 20 },
    assembler: { memoryMb: 1024, timeoutSeconds: 60, reservedConcurrency: 20 },
    sweeper: { memoryMb: 512, timeoutSeconds: 300, reservedConcurrency: 1 },
    'reconcile-trigger': { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 5 },
    'reconcile-normalise': { memoryMb: 3008, timeoutSeconds: 900, reservedConcurrency: 5 },
    'reconcile-match': { memoryMb: 3008, timeoutSeconds: 900, reservedConcurrency: 40 },
    'reconcile-summarise': { memoryMb: 3008, timeoutSeconds: 900, reservedConcurrency: 5 },
    'reconcile-cases': { memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 5 },
    'reconcile-workbench': { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 5 },
    // MODE-4: authorise runs one authorisation (or one bounded wave) through the fused hot path:
    // the hot path's memory and concurrency, with an API's timeout (the caller waits on it).
    authorise: { memoryMb: 1769, timeoutSeconds: 30, reservedConcurrency: 20 },
    // MODE-2: whole files in chunks, up to Lambda's 15 minutes; at least 2 GB (a chunk of 2,000
    // authorisations and its stage state in memory); two files at a time at most.
    'ingest-batch': { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 },
    // FLOW-1..3: one audit of the window at a time (reads every stage table of the window).
    'flow-auditor': { memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 1 },
    // API-1..5: the payments API posts through authorise's handler in process: authorise's sizing;
    // 30 s is API Gateway's integration limit.
    api: { memoryMb: 1769, timeoutSeconds: 30, reservedConcurrency: 20 },
    // NOTIFY-1/2, HOOK-1/2: a batch of 10 outward events, each one email / SMS / push / webhook
    // attempt (webhook timeouts are seconds): 60 s; the queue's visibility follows it.
    notify: { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 5 },
    // HOOK-2: the webhook sweeper re-attempts due deliveries on its schedule; one at a time.
    'webhook-sweeper': { memoryMb: 512, timeoutSeconds: 300, reservedConcurrency: 1 },
    // AUDIT-1: one invocation per stream shard of the three audited tables (parallelization 1).
    'audit-stream': { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 6 },
  },
  pipe: { parallelizationFactor: 5, maximumRetryAttempts: 10, maximumRecordAgeSeconds: 86_400 },
  sweeperSchedule: 'rate(10 minutes)',
  runtime: {
    topology: 'fused',
    dedupWindowSeconds: 604_800,
    // HOT-1: sized as prod at this environment's hot-path capacity (20 / 100): ceil(222/s × 3 × 1.25 × share × 40 ms) (test/infra/hot-accounts.test.ts).
    hotAccountShards: { 'SETTLE-GBP-001': 15, 'SETTLE-GBP-002': 5, 'FXPOS-GBP': 4, 'FXFEE-GBP': 3, 'SETTLE-EUR-001': 2, 'SETTLE-GBP-003': 2, 'SETTLE-USD-001': 2, 'FXPOS-EUR': 2, 'SETTLE-GBP-004': 2 },
  },
  analytics: {
    glueWorkerType: 'G.1X',
    glueNumberOfWorkers: 5,
    glueTimeoutMinutes: 120,
    emrMaximumCapacity: { cpu: '64 vCPU', memory: '256 GB', disk: '1000 GB' },
    emrIdleTimeoutMinutes: 15,
    redshiftBaseCapacityRpus: 8,
    redshiftMaxCapacityRpus: 64,
    matchConcurrency: 40,
    emrMinRows: 1_000_000,
  },
  api: {
    // Staging: the partners' certification clients, at production shape with smaller limits.
    partners: [
      { name: 'acquirer-cert', scopes: ['ledgerline/payments.write', 'ledgerline/payments.read'] },
      { name: 'treasury-cert', scopes: ['ledgerline/balances.read'] },
    ],
    tokenRequestsPer5Minutes: 15_000,
    stageThrottle: { burst: 500, perSecond: 250 },
    ipRequestsPer5Minutes: 30_000,
    accessTokenMinutes: 60,
  },
  audit: { minAcu: 0.5, maxAcu: 4, instances: 1, backupRetentionDays: 7 },
  notify: { emailDomain: 'staging.notify.ledgerline.bank.example', emailFrom: 'payments@staging.notify.ledgerline.bank.example' },
  // MODE-4: the card switch's staging platform posts in real time through authorise (cross-account invoke).
  realTimeCallers: [{ accountId: '555555555555', roleName: 'card-switch-staging-ledgerline-invoker', description: 'Card authorisation switch (staging)' }],
  workbench: {
    certificateArn: 'arn:aws:acm:eu-west-2:222222222222:certificate/6a1d2b3c-4d5e-4f60-9b0a-1d2e3f4a5b62',
    // The certificate's name, an internal DNS alias of the ALB; registered at Okta as https://workbench.staging.ledgerline.bank.example/callback and /signed-out.
    hostName: 'workbench.staging.ledgerline.bank.example',
    oidc: {
      issuer: 'https://bank.oktapreview.com/oauth2/aus1ledgerlinestg',
      clientId: '0oa1ledgerlinestg01',
      clientSecretName: 'ledgerline-staging/workbench/okta-client-secret',
    },
    groupRoles: { 'ledgerline-finance-viewers': 'viewer', 'ledgerline-finance': 'reconciler', 'ledgerline-finance-approvers': 'approver' },
    allowedCidrs: ON_PREMISES_CIDRS,
    sessionTimeoutSeconds: 28_800,
  },
  protectStatefulResources: true,
  kmsDeletionWindowDays: 30,
  humanRoleArns: {
    breakGlass: 'arn:aws:iam::222222222222:role/ledgerline-break-glass',
    financeUploaders: 'arn:aws:iam::222222222222:role/ledgerline-finance-upload',
  },
  state: { bucket: 'ledgerline-staging-tfstate-222222222222', lockTable: 'ledgerline-staging-tf-locks', region: 'eu-west-2' },
  alarmRecipients: { email: ['payments-platform@bank.example'], https: [] },
  tags: { Project: 'ledgerline', Environment: 'staging', CostCentre: 'payments-platform', DataClassification: 'confidential' },
};
