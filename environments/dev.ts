import type { EnvironmentConfig } from './types';

/** Corporate networks reaching this VPC over Direct Connect (routes, and the workbench ALB's only clients). */
const ON_PREMISES_CIDRS = ['172.16.0.0/16'];

/** dev: 2 AZs, one NAT gateway, short retention, small reserved concurrency, no deletion protection. */
export const dev: EnvironmentConfig = {
  name: 'dev',
  prefix: 'ledgerline-dev',
  account: '111111111111',
  region: 'eu-west-2',
  network: {
    vpcCidr: '10.40.0.0/16',
    azCount: 2,
    natGateways: 'single',
    directConnect: {
      gatewayId: '3f2c0b8e-6d1a-4a52-9e3b-7c1d2e4f5a60',
      gatewayOwnerAccountId: '999999999999',
      onPremisesCidrs: ON_PREMISES_CIDRS,
      amazonSideAsn: 64612,
    },
    flowLogRetentionDays: 30,
  },
  retention: {
    logDays: 14,
    archiveDays: 7,
    incomingTransitionDays: 30,
    incomingExpirationDays: 90,
    quarantineExpirationDays: 30,
    parkedExpirationDays: 30,
    outboxGlacierDays: 90,
    noncurrentVersionExpirationDays: 30,
  },
  alarms: {
    dlqDepth: 0,
    functionErrors: 10,
    functionThrottles: 10,
    oldestMessageAgeSeconds: 900,
    iteratorAgeMs: 300_000,
    stateMachineFailures: 0,
    pipeFailures: 0,
    ruleThrottles: 0,
    ruleFailedInvocations: 0,
  },
  functions: {
    ingest: { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 5 },
    // FUSE-1: the fused hot path (runtime.topology 'fused'); the six stage functions below are deployed when 'staged'.
    'hot-path': { memoryMb: 1024, timeoutSeconds: 60, reservedConcurrency: 5 },
    dedup: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 5 },
    standardise: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 5 },
    enrich: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 5 },
    rules: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 5 },
    posting: { memoryMb: 1024, timeoutSeconds: 60, reservedConcurrency: 5 },
    assembler: { memoryMb: 1024, timeoutSeconds: 60, reservedConcurrency: 5 },
    sweeper: { memoryMb: 512, timeoutSeconds: 300, reservedConcurrency: 1 },
    'reconcile-trigger': { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 2 },
    'reconcile-normalise': { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 },
    'reconcile-match': { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 10 },
    'reconcile-summarise': { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 },
    'reconcile-cases': { memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 2 },
    'reconcile-workbench': { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 3 },
    // MODE-4: authorise runs one authorisation (or one bounded wave) through the fused hot path:
    // the hot path's memory and concurrency, with an API's timeout (the caller waits on it).
    authorise: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 5 },
    // MODE-2: whole files in chunks, up to Lambda's 15 minutes; at least 2 GB (a chunk of 2,000
    // authorisations and its stage state in memory); two files at a time at most.
    'ingest-batch': { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 },
    // FLOW-1..3: one audit of the window at a time (reads every stage table of the window).
    'flow-auditor': { memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 1 },
    // API-1..5: the payments API posts through authorise's handler in process: authorise's sizing;
    // 30 s is API Gateway's integration limit.
    api: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 5 },
    // NOTIFY-1/2, HOOK-1/2: a batch of 10 outward events, each one email / SMS / push / webhook
    // attempt (webhook timeouts are seconds): 60 s; the queue's visibility follows it.
    notify: { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 2 },
    // HOOK-2: the webhook sweeper re-attempts due deliveries on its schedule; one at a time.
    'webhook-sweeper': { memoryMb: 512, timeoutSeconds: 300, reservedConcurrency: 1 },
    // AUDIT-1: one invocation per stream shard of the three audited tables (parallelization 1).
    'audit-stream': { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 3 },
  },
  pipe: { parallelizationFactor: 2, maximumRetryAttempts: 10, maximumRecordAgeSeconds: 86_400 },
  sweeperSchedule: 'rate(15 minutes)',
  // HOT-1 (hotAccountShards): sized as prod at this environment's hot-path capacity (5 / 100): ceil(56/s × 3 × 1.25 × share × 40 ms) (test/infra/hot-accounts.test.ts).
  runtime: { topology: 'fused', dedupWindowSeconds: 604_800, hotAccountShards: { 'SETTLE-GBP-001': 4, 'SETTLE-GBP-002': 2 } },
  analytics: {
    glueWorkerType: 'G.1X',
    glueNumberOfWorkers: 2,
    glueTimeoutMinutes: 60,
    emrMaximumCapacity: { cpu: '16 vCPU', memory: '64 GB', disk: '200 GB' },
    emrIdleTimeoutMinutes: 15,
    redshiftBaseCapacityRpus: 8,
    redshiftMaxCapacityRpus: 32,
    matchConcurrency: 10,
    emrMinRows: 500_000,
  },
  api: {
    // Dev: one sandbox partner with every scope, low limits.
    partners: [{ name: 'sandbox', scopes: ['ledgerline/payments.write', 'ledgerline/payments.read', 'ledgerline/balances.read'] }],
    tokenRequestsPer5Minutes: 3_000,
    stageThrottle: { burst: 100, perSecond: 50 },
    ipRequestsPer5Minutes: 6_000,
    accessTokenMinutes: 60,
  },
  audit: { minAcu: 0.5, maxAcu: 2, instances: 1, backupRetentionDays: 1 },
  notify: { emailDomain: 'dev.notify.ledgerline.bank.example', emailFrom: 'payments@dev.notify.ledgerline.bank.example' },
  // MODE-4: the card switch's sandbox posts in real time through authorise (cross-account invoke).
  realTimeCallers: [{ accountId: '444444444444', roleName: 'card-switch-sandbox-ledgerline-invoker', description: 'Card authorisation switch (sandbox)' }],
  workbench: {
    certificateArn: 'arn:aws:acm:eu-west-2:111111111111:certificate/5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a51',
    // The certificate's name, an internal DNS alias of the ALB; registered at Okta as https://workbench.dev.ledgerline.bank.example/callback and /signed-out.
    hostName: 'workbench.dev.ledgerline.bank.example',
    oidc: {
      issuer: 'https://bank.oktapreview.com/oauth2/aus1ledgerlinedev',
      clientId: '0oa1ledgerlinedev01',
      clientSecretName: 'ledgerline-dev/workbench/okta-client-secret',
    },
    groupRoles: { 'ledgerline-finance-viewers': 'viewer', 'ledgerline-finance': 'reconciler', 'ledgerline-finance-approvers': 'approver' },
    allowedCidrs: ON_PREMISES_CIDRS,
    sessionTimeoutSeconds: 28_800,
  },
  protectStatefulResources: false,
  kmsDeletionWindowDays: 7,
  humanRoleArns: {
    breakGlass: 'arn:aws:iam::111111111111:role/ledgerline-break-glass',
    financeUploaders: 'arn:aws:iam::111111111111:role/ledgerline-finance-upload',
  },
  state: { bucket: 'ledgerline-dev-tfstate-111111111111', lockTable: 'ledgerline-dev-tf-locks', region: 'eu-west-2' },
  alarmRecipients: { email: ['payments-platform-dev@bank.example'], https: [] },
  tags: { Project: 'ledgerline', Environment: 'dev', CostCentre: 'payments-platform', DataClassification: 'confidential' },
};
