/**
 * `app` stack: every function's role, key, subnets and environment; every route's rule → queue →
 * event-source mapping → consumer; the Pipe; the sweeper schedule; the state machines; the
 * statement-uploaded trigger; the workbench ALB → target group → function; and each role's
 * policy against what its function does (needs.ts).
 */
import type { DeployedFunctionName, EnvironmentConfig } from '../../environments/types';
import { FUSED_CONSUMER } from '../../src/routes';
import { sourceConfig } from '../../src/modes/source-config';
import { authorisationEntry, routesFor } from '../../src/routes';
import { streamSource } from '../../src/modes/source-config';
import { TABLES, type TableName } from '../../src/adapters/aws/tables';
import { FUNCTION_ENVIRONMENT, variablesFor, type FunctionName, type RuntimeVariable } from '../../src/adapters/aws/runtime-config';
import { RECON_FUNCTION_ENVIRONMENT, type ReconFunctionName } from '../../src/recon/run/aws/config';
import { WORKBENCH_FUNCTION } from '../../src/adapters/aws/workbench-config';
import { INGEST_PREFIXES, type Names } from '../../stacks/naming';
import { FLOW_AUDIT_SETTINGS, functionCatalogue, functionSizing, type CatalogueFunctionName } from '../../stacks/catalogue';
import { mock } from '../mocks';
import { lit } from '../hcl';
import { checkLogGroup, named, ref, referencing, rolePolicy, type Expected, type Run, type SynthStack } from './context';
import { functionNeeds } from './needs';

/** Functions invoked asynchronously (Scheduler → sweeper / flow-auditor, EventBridge → reconcile-trigger / ingest-batch): their failures go to the async-invoke DLQ. */
const ASYNC_INVOKED: readonly CatalogueFunctionName[] = ['sweeper', 'reconcile-trigger', 'ingest-batch', 'flow-auditor', 'webhook-sweeper'];

/** The environment each function must get: its contract's variables with this environment's values. */
export function expectedEnvironment(fn: CatalogueFunctionName, names: Names, config: EnvironmentConfig): Record<string, string> {
  // MODE-4: authorise runs the fused hot path over its contract.
  if (fn === 'authorise') return expectedEnvironment(FUSED_CONSUMER, names, config);
  // API-1..5: the hot path's (authorise in process), the user pool's issuer, its partners' clients, the idempotency table.
  if (fn === 'api') {
    const apiName = `${names.prefix}-payments-api`;
    return {
      ...expectedEnvironment(FUSED_CONSUMER, names, config),
      COGNITO_ISSUER: `https://cognito-idp.${names.region}.amazonaws.com/${mock.cognitoUserPoolId(names.account, names.region, apiName)}`,
      API_AUDIENCES: config.api.partners.map((partner) => mock.cognitoClientId(names.account, names.region, `${apiName}-${partner.name}`)).join(','),
      API_IDEMPOTENCY_TABLE: names.tableName('apiIdempotency'),
    };
  }
  // NOTIFY-2, HOOK-2: one contract for the notifier and the webhook sweeper.
  if (fn === 'notify' || fn === 'webhook-sweeper') {
    return {
      NOTIFICATIONS_TABLE: names.tableName('notifications'),
      AUTHORISATIONS_TABLE: names.tableName('authorisations'),
      RULES_STATE_TABLE: names.tableName('rulesState'),
      NOTIFY_EMAIL_FROM: config.notify.emailFrom,
      NOTIFY_SIGNING_KEY_PREFIX: `${names.prefix}/webhooks/`,
      NOTIFY_SES_CONFIGURATION_SET: `${names.prefix}-notify`,
    };
  }
  // AUDIT-1: the audited tables and the cluster's writer endpoint and managed secret.
  if (fn === 'audit-stream') {
    const identifier = `${names.prefix}-audit`;
    return {
      LEDGER_TABLE: names.tableName('ledger'),
      TRANSACTIONS_TABLE: names.tableName('transactions'),
      WORKBENCH_TABLE: names.tableName('workbench'),
      AUDIT_DB_HOST: mock.rdsClusterEndpoint(names.account, names.region, identifier),
      AUDIT_DB_PORT: '5432',
      AUDIT_DB_NAME: 'ledgerline_audit',
      AUDIT_DB_SECRET_ARN: mock.rdsMasterSecretArn(names.account, names.region, identifier),
    };
  }
  // MODE-2: the hot path's, the batch source it posts as, its environment and the file registry.
  if (fn === 'ingest-batch') {
    return {
      ...expectedEnvironment(FUSED_CONSUMER, names, config),
      BATCH_SOURCE: sourceConfig(config.name).sources.find((source) => source.mode === 'batch')!.name,
      BATCH_REGISTRY_PREFIX: INGEST_PREFIXES.batchRegistry,
      LEDGERLINE_ENVIRONMENT: config.name,
    };
  }
  // FLOW-1..3: the stage tables it reads, the bus its repairs go to, the parked prefix, its settings.
  if (fn === 'flow-auditor') {
    return {
      EVENT_BUS_NAME: names.busName,
      TRANSACTIONS_TABLE: names.tableName('transactions'),
      AUTHORISATIONS_TABLE: names.tableName('authorisations'),
      DEDUP_TABLE: names.tableName('dedup'),
      RULES_STATE_TABLE: names.tableName('rulesState'),
      LEDGER_TABLE: names.tableName('ledger'),
      INGEST_BUCKET: names.ingestBucket,
      PARKED_PREFIX: INGEST_PREFIXES.parked,
      LEDGERLINE_ENVIRONMENT: config.name,
      FLOW_STUCK_AFTER_SECONDS: String(FLOW_AUDIT_SETTINGS.stuckAfterSeconds),
      FLOW_WINDOW_SECONDS: String(FLOW_AUDIT_SETTINGS.windowSeconds),
      FLOW_REPAIR: String(FLOW_AUDIT_SETTINGS.repair),
    };
  }
  if (fn in FUNCTION_ENVIRONMENT) {
    const tableOf = new Map<string, TableName>((Object.keys(TABLES) as TableName[]).map((table) => [TABLES[table].envVar, table]));
    const values: Partial<Record<RuntimeVariable, string>> = {
      EVENT_BUS_NAME: names.busName,
      INGEST_BUCKET: names.ingestBucket,
      PARKED_PREFIX: INGEST_PREFIXES.parked,
      OUTBOX_PREFIX: INGEST_PREFIXES.outbox,
      REDRIVE_STATE_MACHINE_ARN: names.stateMachineArn(names.redriveStateMachine),
      DEDUP_WINDOW_SECONDS: String(config.runtime.dedupWindowSeconds),
      LEDGERLINE_ENVIRONMENT: config.name,
      PIPE_NAME: names.pipeName,
      ...(Object.keys(config.runtime.hotAccountShards).length > 0 ? { HOT_ACCOUNT_SHARDS: JSON.stringify(config.runtime.hotAccountShards) } : {}),
    };
    const environment: Record<string, string> = {};
    for (const variable of variablesFor(fn as FunctionName)) {
      const table = tableOf.get(variable);
      const value = table ? names.tableName(table) : values[variable];
      if (value !== undefined) environment[variable] = value;
    }
    return environment;
  }
  if (fn in RECON_FUNCTION_ENVIRONMENT) {
    const values: Record<string, string> = {
      RECONCILIATION_STATE_MACHINE_ARN: names.stateMachineArn(names.reconciliationStateMachine),
      QUARANTINE_PREFIX: INGEST_PREFIXES.quarantine,
      REGISTRY_PREFIX: INGEST_PREFIXES.registry,
      WORKBENCH_TABLE: names.tableName('workbench'),
      LEDGER_TABLE: names.tableName('ledger'),
      EVENT_BUS_NAME: names.busName,
    };
    const contract = RECON_FUNCTION_ENVIRONMENT[fn as ReconFunctionName];
    return Object.fromEntries([...contract.required, ...contract.optional].map((variable) => [variable, values[variable]!]));
  }
  if (fn === WORKBENCH_FUNCTION) {
    return {
      WORKBENCH_TABLE: names.tableName('workbench'),
      // WB-AUTH-1: the function's own OIDC sign-in against Okta; the redirect URI on the ALB's host.
      WORKBENCH_SESSIONS_TABLE: names.tableName('workbenchSessions'),
      WORKBENCH_BASE_URL: `https://${config.workbench.hostName ?? mock.loadBalancerDnsName(names.account, names.region, names.workbenchLoadBalancerName)}`,
      WORKBENCH_OIDC_ISSUER: config.workbench.oidc.issuer,
      WORKBENCH_OIDC_CLIENT_ID: config.workbench.oidc.clientId,
      WORKBENCH_OIDC_CLIENT_SECRET_ARN: mock.secretArn(names.account, names.region, config.workbench.oidc.clientSecretName),
      WORKBENCH_SESSION_SECONDS: String(config.workbench.sessionTimeoutSeconds),
      WORKBENCH_GROUP_ROLES: JSON.stringify(config.workbench.groupRoles),
      WORKBENCH_CSRF_SECRET_ARN: mock.secretArn(names.account, names.region, names.workbenchCsrfSecretName),
      // ADJ-1: where an approved write-off is booked.
      LEDGER_TABLE: names.tableName('ledger'),
      REFERENCE_TABLE: names.tableName('reference'),
      INGEST_BUCKET: names.ingestBucket,
      OUTBOX_PREFIX: INGEST_PREFIXES.outbox,
      // NOTIFY-1: where an approved write-off is announced.
      EVENT_BUS_NAME: names.busName,
      // REC-1: the statement upload's prefixes (the workflow's own).
      STATEMENTS_PREFIX: INGEST_PREFIXES.incomingStatements,
      QUARANTINE_PREFIX: INGEST_PREFIXES.quarantine,
      REGISTRY_PREFIX: INGEST_PREFIXES.registry,
    };
  }
  return {};
}

function functions(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const privateSubnets = expected.subnetIds('private', config.network.azCount);
  const workloads = expected.securityGroupId('workloads');
  const routes = routesFor(config.runtime.topology, config.name);
  // The functions of the environment's topology (FUSE-1), each sized from its config.
  for (const fn of functionCatalogue(config.runtime.topology).map((entry) => entry.name)) {
    const sizing = functionSizing(config, fn);
    const lambda = named(stack, 'aws_lambda_function', names.functionName(fn), 'function_name');
    const f = (path: string) => ref(lambda, path);
    const who = `function ${names.functionName(fn)}`;
    run.eq(f('role'), names.functionRoleArn(fn), `${who}: its execution role`);
    run.eq(f('kms_key_arn'), expected.key('data'), `${who}: the key of its environment variables (the data key)`);
    run.eq(f('memory_size'), sizing.memoryMb, `${who}: memory (MB)`);
    run.eq(f('timeout'), sizing.timeoutSeconds, `${who}: timeout (s)`);
    run.eq(f('reserved_concurrent_executions'), sizing.reservedConcurrency, `${who}: reserved concurrency`);
    run.eqSet(f('vpc_config[0].subnet_ids'), privateSubnets, `${who}: subnets (the private subnets of the ${config.name} VPC)`);
    const groups = fn === WORKBENCH_FUNCTION ? [workloads, expected.securityGroupId('workbench-fn')] : fn === 'audit-stream' ? [workloads, expected.securityGroupId('audit-stream')] : [workloads];
    run.eqSet(f('vpc_config[0].security_group_ids'), groups, `${who}: security groups`);
    run.eq(f('logging_config[0].log_group'), names.functionLogGroup(fn), `${who}: log group`);
    checkLogGroup(stack, run, names.functionLogGroup(fn), expected.key('logs'), config.retention.logDays);

    const environment = expectedEnvironment(fn, names, config);
    const variables = `try(${f('environment[0].variables')}, {})`;
    run.eqSet(`keys(${variables})`, Object.keys(environment), `${who}: environment variable names (its contract)`);
    for (const [variable, value] of Object.entries(environment)) {
      if (variable === 'WORKBENCH_GROUP_ROLES' || variable === 'HOT_ACCOUNT_SHARDS') {
        run.eqJson(`jsondecode(lookup(${variables}, ${lit(variable)}, "null"))`, JSON.parse(value) as Record<string, string>, `${who}: ${variable}`);
      } else {
        run.eq(`lookup(${variables}, ${lit(variable)}, "<unset>")`, value, `${who}: ${variable}`);
      }
    }
    if (ASYNC_INVOKED.includes(fn)) run.eq(f('dead_letter_config[0].target_arn'), names.queueArn(names.asyncInvokeDlqName), `${who}: asynchronous-invocation dead-letter queue`);

    const roleName = names.roleName(names.functionRoleSuffix(fn));
    const { policy } = rolePolicy(stack, run, roleName);
    run.grants(policy, functionNeeds(fn, names, expected, config), `${roleName} (what ${fn} calls)`);
    // Least privilege: no function may pass roles or delete tables, and a consumer reads only its own route's queue.
    run.refuses(
      policy,
      [
        { action: 'iam:PassRole', resource: names.functionRoleArn(fn) },
        { action: 'dynamodb:DeleteTable', resource: names.tableArn('transactions') },
        ...routes.filter((route) => route.consumer !== fn).map((other) => ({ action: 'sqs:ReceiveMessage', resource: names.queueArn(names.routeQueueName(other)) })),
      ],
      `${roleName} (least privilege)`,
    );
  }
}

function routes(stack: SynthStack, run: Run, names: Names, config: EnvironmentConfig): void {
  for (const route of routesFor(config.runtime.topology, config.name)) {
    const rule = named(stack, 'aws_cloudwatch_event_rule', names.routeRuleName(route));
    run.eq(ref(rule, 'event_bus_name'), names.busName, `rule ${names.routeRuleName(route)}: its bus`);
    run.eqJson(`jsondecode(${ref(rule, 'event_pattern')})`, route.eventPattern as never, `rule ${names.routeRuleName(route)}: event pattern (src/routes.ts)`);
    const targets = referencing(stack, 'aws_cloudwatch_event_target', 'rule', rule, 'name');
    if (targets.length !== 1) throw new Error(`stack ${stack.name}: rule ${names.routeRuleName(route)} has ${targets.length} targets`);
    const target = targets[0]!;
    run.eq(ref(target, 'rule'), names.routeRuleName(route), `target of route ${route.name}: its rule`);
    run.eq(ref(target, 'event_bus_name'), names.busName, `target of route ${route.name}: its bus`);
    run.eq(ref(target, 'arn'), names.queueArn(names.routeQueueName(route)), `target of route ${route.name}: the route queue`);
    run.eq(ref(target, 'dead_letter_config[0].arn'), names.queueArn(names.busDeliveryDlqName), `target of route ${route.name}: undeliverable events`);

    const mapping = stack.resource(`esm-${route.name}`, 'aws_lambda_event_source_mapping');
    const m = (path: string) => ref(mapping, path);
    const who = `event-source mapping of route ${route.name}`;
    run.eq(m('event_source_arn'), names.queueArn(names.routeQueueName(route)), `${who}: its queue`);
    run.eq(m('function_name'), names.functionArn(route.consumer), `${who}: its consumer (${route.consumer})`);
    run.eq(m('batch_size'), route.queue.batchSize, `${who}: batch size (src/routes.ts)`);
    run.eq(m('maximum_batching_window_in_seconds'), route.queue.maxBatchingWindowSeconds, `${who}: batching window (src/routes.ts)`);
    run.contains(m('function_response_types'), 'ReportBatchItemFailures', `${who}: partial batch failures`);
    run.eq(m('scaling_config[0].maximum_concurrency'), Math.max(2, functionSizing(config, route.consumer).reservedConcurrency), `${who}: poller concurrency (= reserved concurrency, AWS minimum 2)`);
  }
  const failed = named(stack, 'aws_cloudwatch_event_rule', names.postingFailureRuleName);
  const failedTarget = referencing(stack, 'aws_cloudwatch_event_target', 'rule', failed, 'name')[0]!;
  run.eq(ref(failedTarget, 'arn'), names.topicArn('posting-notifications'), 'posting.failed rule: the posting notifications topic (NFR7)');
  run.eq(ref(failedTarget, 'event_bus_name'), names.busName, 'posting.failed rule target: its bus');
}

function pipe(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const pipeBlock = named(stack, 'aws_pipes_pipe', names.pipeName);
  const p = (path: string) => ref(pipeBlock, path);
  const streamArn = mock.streamArn(names.tableArn('authorisations'));
  run.eq(p('role_arn'), names.roleArn('pipe-authorisations'), 'Pipe: its role');
  run.eq(p('source'), streamArn, 'Pipe: source (the authorisations table stream, FR1)');
  run.eq(p('enrichment'), names.functionArn('ingest'), 'Pipe: enrichment (ingest)');
  // FUSE-1: fused, straight onto the hot path's queue (no rule delivery per payment); staged, the bus.
  const entry = authorisationEntry(config.runtime.topology);
  const target = entry.kind === 'queue' ? names.queueArn(names.routeQueueName(entry.route)) : names.busArn;
  run.eq(p('target'), target, `Pipe: target (${entry.kind === 'queue' ? `the ${entry.route.name} queue` : 'the bus'})`);
  if (entry.kind === 'bus') {
    run.eq(p('target_parameters[0].eventbridge_event_bus_parameters[0].detail_type'), '$.type', 'Pipe: detail-type = the envelope type');
    run.eq(p('target_parameters[0].eventbridge_event_bus_parameters[0].source'), '$.source', 'Pipe: source = the envelope source');
  }
  run.eq(p('kms_key_identifier'), expected.key('messaging'), 'Pipe: its key (messaging)');
  const s = (path: string) => p(`source_parameters[0].dynamodb_stream_parameters[0].${path}`);
  run.eq(s('batch_size'), streamSource(config.name).batchSize, 'Pipe: batch size (the near-real-time source, MODE-1)');
  run.eq(s('maximum_batching_window_in_seconds'), streamSource(config.name).batchingWindowSeconds, 'Pipe: batching window');
  run.eq(s('parallelization_factor'), config.pipe.parallelizationFactor, 'Pipe: parallelization factor');
  run.eq(s('maximum_retry_attempts'), config.pipe.maximumRetryAttempts, 'Pipe: retry attempts');
  run.eq(s('maximum_record_age_in_seconds'), config.pipe.maximumRecordAgeSeconds, 'Pipe: maximum record age');
  run.eq(s('dead_letter_config[0].arn'), names.queueArn(names.pipeDlqName), 'Pipe: dead-letter queue');
  run.eq(p('log_configuration[0].cloudwatch_logs_log_destination[0].log_group_arn'), names.logGroupArn(`/aws/vendedlogs/pipes/${names.pipeName}`), 'Pipe: log group');
  const { policy } = rolePolicy(stack, run, names.roleName('pipe-authorisations'));
  const role = names.roleName('pipe-authorisations');
  run.grants(
    policy,
    [
      ...['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((action) => ({ action, resource: streamArn, why: 'read the stream' })),
      { action: 'kms:Decrypt', resource: expected.key('data'), why: 'the stream is encrypted under the data key' },
      { action: 'lambda:InvokeFunction', resource: names.functionArn('ingest'), why: 'enrichment' },
      entry.kind === 'queue' ? { action: 'sqs:SendMessage', resource: target, why: 'target (the hot path queue)' } : { action: 'events:PutEvents', resource: target, why: 'target (the bus)' },
      { action: 'sqs:SendMessage', resource: names.queueArn(names.pipeDlqName), why: 'dead letters' },
      { action: 'kms:GenerateDataKey', resource: expected.key('messaging'), why: 'target and DLQ under the messaging key' },
    ],
    role,
  );
  // Least privilege: fused, the Pipe never puts on the bus; staged, it sends to no route queue.
  run.refuses(
    policy,
    entry.kind === 'queue'
      ? [{ action: 'events:PutEvents', resource: names.busArn }]
      : routesFor(config.runtime.topology).map((route) => ({ action: 'sqs:SendMessage', resource: names.queueArn(names.routeQueueName(route)) })),
    `${role} (least privilege)`,
  );
}

function schedule(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const minutes: number = FLOW_AUDIT_SETTINGS.scheduleMinutes;
  const schedules: [CatalogueFunctionName, string, string][] = [
    ['sweeper', config.sweeperSchedule, 'SWEEP-2'],
    ['flow-auditor', `rate(${minutes} minute${minutes === 1 ? '' : 's'})`, 'FLOW-1..3'],
  ];
  for (const [fn, expression, why] of schedules) {
    const scheduleBlock = named(stack, 'aws_scheduler_schedule', names.name(fn));
    const s = (path: string) => ref(scheduleBlock, path);
    const role = names.roleName(`scheduler-${fn}`);
    run.eq(s('schedule_expression'), expression, `${fn} schedule: expression`);
    run.eq(s('kms_key_arn'), expected.key('messaging'), `${fn} schedule: its key`);
    run.eq(s('target[0].arn'), names.functionArn(fn), `${fn} schedule: target (${why})`);
    run.eq(s('target[0].role_arn'), names.roleArn(`scheduler-${fn}`), `${fn} schedule: role`);
    run.eq(s('target[0].dead_letter_config[0].arn'), names.queueArn(names.schedulerDlqName), `${fn} schedule: dead-letter queue`);
    const { policy } = rolePolicy(stack, run, role);
    run.grants(
      policy,
      [
        { action: 'lambda:InvokeFunction', resource: names.functionArn(fn) },
        { action: 'sqs:SendMessage', resource: names.queueArn(names.schedulerDlqName) },
      ],
      role,
    );
    // Least privilege: a schedule's role invokes its own function only.
    run.refuses(policy, [{ action: 'lambda:InvokeFunction', resource: names.functionArn(fn === 'sweeper' ? 'flow-auditor' : 'sweeper') }], `${role} (least privilege)`);
  }
}

function workflows(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  for (const suffix of [names.redriveStateMachine, names.reconciliationStateMachine]) {
    const machine = named(stack, 'aws_sfn_state_machine', names.stateMachineName(suffix));
    const m = (path: string) => ref(machine, path);
    const who = `state machine ${names.stateMachineName(suffix)}`;
    run.eq(m('role_arn'), names.stateMachineRoleArn(suffix), `${who}: its role`);
    run.eq(m('encryption_configuration[0].kms_key_id'), expected.key('data'), `${who}: its key (data)`);
    run.eq(m('logging_configuration[0].log_destination'), `${names.logGroupArn(names.stateMachineLogGroup(suffix))}:*`, `${who}: log destination`);
    checkLogGroup(stack, run, names.stateMachineLogGroup(suffix), expected.key('logs'), config.retention.logDays);
    const { policy } = rolePolicy(stack, run, names.roleName(`sfn-${suffix}`));
    run.grant(policy, 'kms:GenerateDataKey', expected.key('data'), `${names.roleName(`sfn-${suffix}`)} (its own encryption)`);
    if (suffix === names.redriveStateMachine) {
      run.check(`strcontains(${m('definition')}, ${lit(`"${names.busName}"`)})`, `${who}: re-drives to the bus ${names.busName}`);
      run.grant(policy, 'events:PutEvents', names.busArn, names.roleName(`sfn-${suffix}`));
      continue;
    }
    const adminSecret = mock.redshiftAdminSecretArn(names.account, names.region, names.redshiftNamespace);
    const workgroup = mock.redshiftWorkgroupArn(names.account, names.region, names.redshiftWorkgroup);
    const steps: DeployedFunctionName[] = ['reconcile-normalise', 'reconcile-match', 'reconcile-summarise', 'reconcile-cases'];
    for (const step of steps) {
      run.check(`strcontains(${m('definition')}, ${lit(`"${names.functionArn(step)}"`)})`, `${who}: invokes ${names.functionArn(step)}`);
      run.grant(policy, 'lambda:InvokeFunction', names.functionArn(step), names.roleName(`sfn-${suffix}`));
    }
    run.check(`strcontains(${m('definition')}, ${lit(`"${adminSecret}"`)})`, `${who}: Redshift Data API credentials = the namespace's managed admin secret (analytics stack)`);
    run.check(`strcontains(${m('definition')}, ${lit(`"${names.glueJobName}"`)})`, `${who}: runs the Glue job ${names.glueJobName}`);
    run.grant(policy, 'secretsmanager:GetSecretValue', adminSecret, `${names.roleName(`sfn-${suffix}`)} (Redshift credentials)`);
    run.grant(policy, 'kms:Decrypt', expected.key('analytics'), `${names.roleName(`sfn-${suffix}`)} (the admin secret is encrypted under the analytics key)`);
    run.grant(policy, 'redshift-data:BatchExecuteStatement', workgroup, `${names.roleName(`sfn-${suffix}`)} (Redshift load)`);
    run.grant(policy, 'glue:StartJobRun', names.glueJobArn, names.roleName(`sfn-${suffix}`));
    run.grant(policy, 'states:StartExecution', names.stateMachineArn(suffix), `${names.roleName(`sfn-${suffix}`)} (Distributed Map children)`);
    run.grant(policy, 'ssm:GetParameter', names.ssmParameterArn('reconciliation/config'), `${names.roleName(`sfn-${suffix}`)} (REC-2 configuration)`);
    run.grant(policy, 'sns:Publish', names.topicArn('reconciliation'), names.roleName(`sfn-${suffix}`));
    run.grant(policy, 's3:DeleteObject', `${names.ingestBucketArn}/${INGEST_PREFIXES.registry}0123abcd.json`, `${names.roleName(`sfn-${suffix}`)} (ReleaseClaim)`);
  }
  const parameter = named(stack, 'aws_ssm_parameter', names.ssmParameterName('reconciliation/config'));
  // The parameter's value is marked sensitive by the provider; this one holds configuration, not secrets.
  const value = `jsondecode(nonsensitive(${ref(parameter, 'value')}))`;
  run.eq(`${value}.ledger.bucket`, names.ingestBucket, 'reconciliation configuration: ledger export bucket');
  run.eq(`${value}.redshift.workgroup`, names.redshiftWorkgroup, 'reconciliation configuration: Redshift workgroup');
  run.eq(`${value}.matchConcurrency`, config.analytics.matchConcurrency, 'reconciliation configuration: match concurrency');

  const uploaded = named(stack, 'aws_cloudwatch_event_rule', names.name('statement-uploaded'));
  run.eqJson(
    `jsondecode(${ref(uploaded, 'event_pattern')}).detail`,
    { bucket: { name: [names.ingestBucket] }, object: { key: [{ prefix: INGEST_PREFIXES.incomingStatements }] } },
    'statement-uploaded rule: uploads to the ingest bucket under incoming/statements/ (REC-2)',
  );
  const uploadedTarget = referencing(stack, 'aws_cloudwatch_event_target', 'rule', uploaded, 'name')[0]!;
  run.eq(ref(uploadedTarget, 'arn'), names.functionArn('reconcile-trigger'), 'statement-uploaded rule: target');
  const permission = stack.only('aws_lambda_permission', (c) => c.principal === 'events.amazonaws.com' && c.statement_id === 'AllowStatementUploadedRule', 'the statement-uploaded invoke permission');
  run.eq(ref(permission, 'function_name'), names.functionName('reconcile-trigger'), 'statement-uploaded permission: function');
  run.eq(ref(permission, 'source_arn'), names.ruleArnOnDefaultBus(names.name('statement-uploaded')), 'statement-uploaded permission: only that rule');

  // MODE-2: a batch file dropped under incoming/authorisations/ → ingest-batch.
  const batch = named(stack, 'aws_cloudwatch_event_rule', names.batchUploadedRuleName);
  run.eqJson(
    `jsondecode(${ref(batch, 'event_pattern')})`,
    {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [names.ingestBucket] }, object: { key: [{ prefix: INGEST_PREFIXES.incomingAuthorisations }] } },
    },
    'batch-uploaded rule: files created in the ingest bucket under incoming/authorisations/ (MODE-2)',
  );
  const batchTarget = referencing(stack, 'aws_cloudwatch_event_target', 'rule', batch, 'name')[0]!;
  run.eq(ref(batchTarget, 'arn'), names.functionArn('ingest-batch'), 'batch-uploaded rule: target');
  run.eq(ref(batchTarget, 'dead_letter_config[0].arn'), names.queueArn(names.busDeliveryDlqName), 'batch-uploaded rule: undeliverable events');
  const batchPermission = stack.only('aws_lambda_permission', (c) => c.principal === 'events.amazonaws.com' && c.statement_id === 'AllowBatchUploadedRule', 'the batch-uploaded invoke permission');
  run.eq(ref(batchPermission, 'function_name'), names.functionName('ingest-batch'), 'batch-uploaded permission: function');
  run.eq(ref(batchPermission, 'source_arn'), names.ruleArnOnDefaultBus(names.batchUploadedRuleName), 'batch-uploaded permission: only that rule');
}

function workbench(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const lbArn = mock.loadBalancerArn(names.account, names.region, names.workbenchLoadBalancerName);
  const tgArn = mock.targetGroupArn(names.account, names.region, names.workbenchTargetGroupName);
  const albSg = expected.securityGroupId('workbench-alb');
  const lb = named(stack, 'aws_lb', names.workbenchLoadBalancerName);
  run.eq(ref(lb, 'internal'), true, 'workbench ALB: internal (WB-1)');
  run.eqSet(ref(lb, 'subnets'), expected.subnetIds('private', config.network.azCount), 'workbench ALB: private subnets');
  run.eqSet(ref(lb, 'security_groups'), [albSg], 'workbench ALB: security group');
  const listener = referencing(stack, 'aws_lb_listener', 'load_balancer_arn', lb, 'arn')[0]!;
  const l = (path: string) => ref(listener, path);
  run.eq(l('load_balancer_arn'), lbArn, 'workbench listener: its ALB');
  run.eq(l('port'), 443, 'workbench listener: port');
  run.eq(l('certificate_arn'), config.workbench.certificateArn, 'workbench listener: certificate');
  run.eq(l('ssl_policy'), 'ELBSecurityPolicy-TLS13-1-2-2021-06', 'workbench listener: TLS 1.2+ (1.3 preferred)');
  // WB-AUTH-1: no authenticate-oidc at the ALB: the function signs people in itself.
  run.eq(`length(${l('default_action')})`, 1, 'workbench listener: one action');
  run.eq(l('default_action[0].type'), 'forward', 'workbench listener: forward only (WB-AUTH-1: the function runs the OIDC sign-in)');
  run.eq(l('default_action[0].target_group_arn'), tgArn, 'workbench listener: to the workbench target group');
  const targetGroup = named(stack, 'aws_lb_target_group', names.workbenchTargetGroupName);
  run.eq(ref(targetGroup, 'lambda_multi_value_headers_enabled'), true, 'workbench target group: multi-value headers (a sign-in answer sets two cookies)');
  const attachment = stack.only('aws_lb_target_group_attachment', () => true, 'the workbench target');
  run.eq(ref(attachment, 'target_group_arn'), tgArn, 'workbench target: its target group');
  run.eq(ref(attachment, 'target_id'), names.functionArn(WORKBENCH_FUNCTION), 'workbench target: the workbench function');
  const permission = stack.only('aws_lambda_permission', (c) => c.principal === 'elasticloadbalancing.amazonaws.com', 'the ALB invoke permission');
  run.eq(ref(permission, 'function_name'), names.functionName(WORKBENCH_FUNCTION), 'ALB invoke permission: function');
  run.eq(ref(permission, 'source_arn'), tgArn, 'ALB invoke permission: only the workbench target group');
  const sg = named(stack, 'aws_security_group', names.name('workbench-alb'));
  run.eq(ref(sg, 'vpc_id'), expected.vpcId, 'workbench ALB security group: the environment VPC');
  const ingress = referencing(stack, 'aws_vpc_security_group_ingress_rule', 'security_group_id', sg, 'id');
  run.eqSet(`[${ingress.map((rule) => ref(rule, 'cidr_ipv4')).join(', ')}]`, [...config.workbench.allowedCidrs], 'workbench ALB: HTTPS only from the on-premises networks');
  for (const rule of ingress) {
    run.eq(ref(rule, 'security_group_id'), albSg, `${rule.name}: on the ALB group`);
    run.eq(ref(rule, 'from_port'), 443, `${rule.name}: HTTPS`);
  }
  // WB-AUTH-1: the ALB calls nobody (its target is a function): no egress rule on its group.
  const albEgress = referencing(stack, 'aws_vpc_security_group_egress_rule', 'security_group_id', sg, 'id');
  if (albEgress.length !== 0) throw new Error(`stack ${stack.name}: the workbench ALB's group has ${albEgress.length} egress rules, expected none`);
  const fnSg = named(stack, 'aws_security_group', names.name('workbench-fn'));
  run.eq(ref(fnSg, 'vpc_id'), expected.vpcId, 'workbench function security group: the environment VPC');
  const fnEgress = referencing(stack, 'aws_vpc_security_group_egress_rule', 'security_group_id', fnSg, 'id');
  if (fnEgress.length !== 1) throw new Error(`stack ${stack.name}: the workbench function's group has ${fnEgress.length} egress rules, expected 1 (HTTPS to Okta)`);
  run.eq(ref(fnEgress[0]!, 'from_port'), 443, 'workbench function: HTTPS out (to Okta, WB-AUTH-1)');
  run.eq(ref(fnEgress[0]!, 'to_port'), 443, 'workbench function: HTTPS out only');
  run.eq(ref(fnEgress[0]!, 'cidr_ipv4'), '0.0.0.0/0', 'workbench function: through the NAT (Okta has no fixed addresses)');
  // REC-1: the browser PUTs an uploaded statement straight to the ingest bucket: CORS for the workbench's origin, PUT only.
  const cors = named(stack, 'aws_s3_bucket_cors_configuration', names.ingestBucket, 'bucket');
  const rule = `one(${ref(cors, 'cors_rule')})`;
  run.eqSet(`${rule}.allowed_methods`, ['PUT'], 'ingest bucket CORS: PUT only (the statement upload)');
  run.eqSet(
    `${rule}.allowed_origins`,
    [`https://${config.workbench.hostName ?? mock.loadBalancerDnsName(names.account, names.region, names.workbenchLoadBalancerName)}`],
    "ingest bucket CORS: the workbench's origin only",
  );
  run.eqSet(`${rule}.allowed_headers`, ['content-type'], 'ingest bucket CORS: the signed content type only');
}

/** MODE-4: exactly the configured real-time callers may invoke authorise, each by its role's ARN. */
function realTimeCallers(stack: SynthStack, run: Run, names: Names, config: EnvironmentConfig): void {
  const principals = config.realTimeCallers.map((caller) => `arn:aws:iam::${caller.accountId}:role/${caller.roleName}`);
  const callers = stack.resources('aws_lambda_permission', (c) => typeof c.principal === 'string' && c.principal.startsWith('arn:aws:iam::'));
  if (callers.length !== principals.length) throw new Error(`stack ${stack.name}: ${callers.length} permissions for IAM principals, ${principals.length} real-time callers configured`);
  run.eqSet(`[${callers.map((permission) => ref(permission, 'principal')).join(', ')}]`, principals, 'authorise: its real-time callers (MODE-4), exactly the configured roles');
  for (const permission of callers) {
    run.eq(ref(permission, 'function_name'), names.functionName('authorise'), `${permission.name}: on authorise only`);
    run.eq(ref(permission, 'action'), 'lambda:InvokeFunction', `${permission.name}: invoke only`);
  }
}

export function appAssertions(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  functions(stack, run, names, expected, config);
  routes(stack, run, names, config);
  pipe(stack, run, names, expected, config);
  schedule(stack, run, names, expected, config);
  workflows(stack, run, names, expected, config);
  workbench(stack, run, names, expected, config);
  realTimeCallers(stack, run, names, config);
}
