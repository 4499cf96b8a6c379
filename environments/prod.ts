import type { EnvironmentConfig } from './types';

/** Corporate networks reaching this VPC over Direct Connect (routes, and the workbench ALB's only clients). */
const ON_PREMISES_CIDRS = ['172.16.0.0/16', '172.20.0.0/16', '192.168.100.0/24'];

/** prod: 3 AZs, NAT per AZ, long retention, deletion protection, sized for peak (measured). */
export const prod: EnvironmentConfig = {
  name: 'prod',
  prefix: 'ledgerline-prod',
  account: '333333333333',
  region: 'eu-west-2',
  network: {
    vpcCidr: '10.42.0.0/16',
    azCount: 3,
    natGateways: 'per-az',
    directConnect: {
      gatewayId: '8a1d4c2b-0e5f-4b7a-a1c3-9d8e7f6a5b40',
      gatewayOwnerAccountId: '999999999999',
      onPremisesCidrs: ON_PREMISES_CIDRS,
      amazonSideAsn: 64614,
    },
    flowLogRetentionDays: 365,
  },
  retention: {
    logDays: 400,
    archiveDays: 90,
    incomingTransitionDays: 30,
    incomingExpirationDays: 2555,
    quarantineExpirationDays: 365,
    parkedExpirationDays: 400,
    outboxGlacierDays: 90,
    noncurrentVersionExpirationDays: 400,
  },
  alarms: {
    dlqDepth: 0,
    functionErrors: 1,
    functionThrottles: 1,
    oldestMessageAgeSeconds: 120,
    iteratorAgeMs: 60_000,
    stateMachineFailures: 0,
    pipeFailures: 0,
    ruleThrottles: 0,
    ruleFailedInvocations: 0,
  },
  functions: {
    ingest: { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 50 },
    // FUSE-1: the fused hot path (runtime.topology 'fused'); the six stage functions below are deployed when 'staged'.
    'hot-path': { memoryMb: 1769, timeoutSeconds: 60, reservedConcurrency: 100 },
    dedup: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 100 },
    standardise: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 100 },
    enrich: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 100 },
    rules: { memoryMb: 1024, timeoutSeconds: 30, reservedConcurrency: 100 },
    posting: { memoryMb: 1536, timeoutSeconds: 60, reservedConcurrency: 100 },
    assembler: { memoryMb: 1024, timeoutSeconds: 60, reservedConcurrency: 50 },
    sweeper: { memoryMb: 512, timeoutSeconds: 300, reservedConcurrency: 1 },
    'reconcile-trigger': { memoryMb: 256, timeoutSeconds: 30, reservedConcurrency: 10 },
    'reconcile-normalise': { memoryMb: 4096, timeoutSeconds: 900, reservedConcurrency: 10 },
    'reconcile-match': { memoryMb: 4096, timeoutSeconds: 900, reservedConcurrency: 100 },
    'reconcile-summarise': { memoryMb: 4096, timeoutSeconds: 900, reservedConcurrency: 10 },
    'reconcile-cases': { memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 10 },
    'reconcile-workbench': { memoryMb: 512, timeoutSeconds: 30, reservedConcurrency: 20 },
    // MODE-4: authorise runs one authorisation (or one bounded wave) through the fused hot path:
    // the hot path's memory and concurrency, with an API's timeout (the caller waits on it).
    authorise: { memoryMb: 1769, timeoutSeconds: 30, reservedConcurrency: 100 },
    // MODE-2: whole files in chunks, up to Lambda's 15 minutes; at least 2 GB (a chunk of 2,000
    // authorisations and its stage state in memory); two files at a time at most.
    'ingest-batch': { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 },
    // FLOW-1..3: one audit of the window at a time (reads every stage table of the window).
    'flow-auditor': { memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 1 },
    // API-1..5: the payments API posts through authorise's handler in process: authorise's sizing;
    // 30 s is API Gateway's integration limit.
    api: { memoryMb: 1769, timeoutSeconds: 30, reservedConcurrency: 100 },
    // NOTIFY-1/2, HOOK-1/2: a batch of 10 outward events, each one email / SMS / push / webhook
    // attempt (webhook timeouts are seconds): 60 s; the queue's visibility follows it.
    notify: { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 10 },
    // HOOK-2: the webhook sweeper re-attempts due deliveries on its schedule; one at a time.
    'webhook-sweeper': { memoryMb: 512, timeoutSeconds: 300, reservedConcurrency: 1 },
    // AUDIT-1: one invocation per stream shard of the three audited tables (parallelization 1).
    'audit-stream': { memoryMb: 512, timeoutSeconds: 60, reservedConcurrency: 12 },
  },
  pipe: { parallelizationFactor: 10, maximumRetryAttempts: 10, maximumRecordAgeSeconds: 86_400 },
  sweeperSchedule: 'rate(5 minutes)',
  runtime: {
    topology: 'fused',
    dedupWindowSeconds: 604_800,
    // HOT-1: shards = ceil(1,111/s × 3 headroom × 1.25 × the account's share of payments × 40 ms), as if each payment were its own update (test/infra/hot-accounts.test.ts).
    hotAccountShards: {
      'SETTLE-GBP-001': 74,
      'SETTLE-GBP-002': 25,
      'FXPOS-GBP': 16,
      'FXFEE-GBP': 13,
      'SETTLE-EUR-001': 9,
      'SETTLE-GBP-003': 9,
      'SETTLE-USD-001': 7,
      'FXPOS-EUR': 6,
      'SETTLE-GBP-004': 6,
      'SETTLE-GBP-005': 5,
      'FXPOS-USD': 5,
      'SETTLE-GBP-006': 2,
      'SETTLE-GBP-007': 2,
      'SETTLE-GBP-008': 2,
      'SETTLE-GBP-009': 2,
      'SETTLE-GBP-011': 2,
      'SETTLE-GBP-015': 2,
      'SETTLE-EUR-002': 2,
      'SETTLE-EUR-003': 2,
      'SETTLE-USD-002': 2,
      'FXPOS-AED': 2,
      'FXPOS-BHD': 2,
      'FXPOS-CHF': 2,
      'FXPOS-JPY': 2,
      'FXPOS-SEK': 2,
      'FXFEE-EUR': 2,
    },
  },
  analytics: {
    glueWorkerType: 'G.2X',
    glueNumberOfWorkers: 10,
    glueTimeoutMinutes: 180,
    emrMaximumCapacity: { cpu: '200 vCPU', memory: '800 GB', disk: '4000 GB' },
    emrIdleTimeoutMinutes: 15,
    redshiftBaseCapacityRpus: 32,
    redshiftMaxCapacityRpus: 256,
    matchConcurrency: 100,
    emrMinRows: 2_000_000,
  },
  api: {
    // Prod: the acquirer posts and reads payments; treasury reads balances; the fraud desk reads payments.
    partners: [
      { name: 'acquirer', scopes: ['ledgerline/payments.write', 'ledgerline/payments.read'] },
      { name: 'treasury', scopes: ['ledgerline/balances.read'] },
      { name: 'fraud-desk', scopes: ['ledgerline/payments.read'] },
    ],
    tokenRequestsPer5Minutes: 120_000,
    stageThrottle: { burst: 2_000, perSecond: 1_000 },
    ipRequestsPer5Minutes: 200_000,
    accessTokenMinutes: 60,
  },
  audit: { minAcu: 2, maxAcu: 16, instances: 2, backupRetentionDays: 35 },
  notify: { emailDomain: 'notify.ledgerline.bank.example', emailFrom: 'payments@notify.ledgerline.bank.example' },
  // MODE-4: the card switch posts in real time through authorise (cross-account invoke); nobody else.
  realTimeCallers: [{ accountId: '666666666666', roleName: 'card-switch-ledgerline-invoker', description: 'Card authorisation switch (production)' }],
  workbench: {
    certificateArn: 'arn:aws:acm:eu-west-2:333333333333:certificate/7b2e3c4d-5e6f-4071-8c1b-2e3f4a5b6c73',
    // The certificate's name, an internal DNS alias of the ALB; registered at Okta as https://workbench.ledgerline.bank.example/callback and /signed-out.
    hostName: 'workbench.ledgerline.bank.example',
    oidc: {
      issuer: 'https://bank.okta.com/oauth2/aus1ledgerlineprd',
      clientId: '0oa1ledgerlineprd01',
      clientSecretName: 'ledgerline-prod/workbench/okta-client-secret',
    },
    groupRoles: { 'ledgerline-finance-viewers': 'viewer', 'ledgerline-finance': 'reconciler', 'ledgerline-finance-approvers': 'approver' },
    allowedCidrs: ON_PREMISES_CIDRS,
    sessionTimeoutSeconds: 28_800,
  },
  protectStatefulResources: true,
  kmsDeletionWindowDays: 30,
  humanRoleArns: {
    breakGlass: 'arn:aws:iam::333333333333:role/ledgerline-break-glass',
    financeUploaders: 'arn:aws:iam::333333333333:role/ledgerline-finance-upload',
  },
  state: { bucket: 'ledgerline-prod-tfstate-333333333333', lockTable: 'ledgerline-prod-tf-locks', region: 'eu-west-2' },
  alarmRecipients: { email: ['payments-platform@bank.example'], https: ['https://events.pagerduty.example/integration/ledgerline-prod/enqueue'] },
  tags: { Project: 'ledgerline', Environment: 'prod', CostCentre: 'payments-platform', DataClassification: 'confidential' },
};
