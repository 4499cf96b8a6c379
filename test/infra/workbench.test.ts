/**
 * The exceptions workbench on AWS, per environment: an internal ALB reachable on 443 only from
 * the on-premises CIDRs, whose HTTPS listener forwards to the reconcile-workbench Lambda (which
 * signs people in with Okta itself, WB-AUTH-1: test/infra/workbench-signin.test.ts); the workbench
 * table (PITR + CMK) and secrets; the function's exact permissions and environment (the secrets'
 * ARNs, never their values); and the reconcile-cases function that imports each reconciliation
 * run's cases into the table.
 */
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { TABLES } from '../../src/adapters/aws/tables';
import { Names } from '../../stacks/naming';
import { WORKBENCH_TLS_POLICY } from '../../stacks/app-stack';
import { BULK_ADVANCE_SCHEDULE, isBulkAdvanceEvent } from '../../functions/reconcile-workbench/schedule';
import type { EnvironmentConfig } from '../../environments/types';
import { cleanupSynth, model } from './support/synth';
import { block, list, statementsOf, type Json, type Resource, type SynthModel } from './support/model';

afterAll(cleanupSynth);

function only(m: SynthModel, type: string, predicate: (resource: Resource) => boolean = () => true): Resource {
  const found = m.of(type).filter(predicate);
  if (found.length !== 1) throw new Error(`${type}: found ${found.length}`);
  return found[0]!;
}

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (_name, config: EnvironmentConfig) => {
  const names = Names.of(config);
  let m: SynthModel;
  let alb: Resource;
  beforeAll(() => {
    m = model(config.name);
    alb = only(m, 'aws_lb');
  });

  test('the ALB is internal, in the private subnets, drops invalid headers, deletion-protected per config', () => {
    expect(alb.config).toMatchObject({
      name: names.workbenchLoadBalancerName,
      internal: true,
      load_balancer_type: 'application',
      drop_invalid_header_fields: true,
      enable_deletion_protection: config.protectStatefulResources,
    });
    const subnets = m.refs(alb, alb.config.subnets).map((address) => m.get(address)!);
    expect(subnets).toHaveLength(config.network.azCount);
    for (const subnet of subnets) expect((subnet.config.tags as Json).Tier).toBe('private');
  });

  test('its security group admits HTTPS only from the on-premises CIDRs', () => {
    const [groupAddress] = m.refs(alb, alb.config.security_groups);
    const ingress = m.of('aws_vpc_security_group_ingress_rule').filter((rule) => m.refs(rule, rule.config.security_group_id).includes(groupAddress!));
    expect(ingress.map((rule) => rule.config.cidr_ipv4).sort()).toEqual([...config.network.directConnect.onPremisesCidrs].sort());
    for (const rule of ingress) expect(rule.config).toMatchObject({ ip_protocol: 'tcp', from_port: 443, to_port: 443 });
    expect(m.of('aws_security_group').find((group) => group.address === groupAddress)!.config.ingress).toBeUndefined();
  });

  test('the HTTPS listener (TLS 1.2+) only forwards to the Lambda target group, which the ALB may invoke (WB-AUTH-1: no authenticate-oidc)', () => {
    const listener = only(m, 'aws_lb_listener');
    expect(listener.config).toMatchObject({ port: 443, protocol: 'HTTPS', ssl_policy: WORKBENCH_TLS_POLICY, certificate_arn: config.workbench.certificateArn });
    expect(m.refersTo(listener, listener.config.load_balancer_arn, 'aws_lb')).toBe(true);
    const actions = list(listener.config.default_action as Json[]);
    expect(actions.map((action) => action.type)).toEqual(['forward']);
    expect(JSON.stringify(listener.config)).not.toMatch(/authenticate|client_secret/);
    // No secret value is read at plan time any more (the function reads the Okta client secret at run time).
    expect(m.stacks.get(`${config.prefix}-app`)!.data?.aws_secretsmanager_secret_version).toBeUndefined();

    const targetGroup = only(m, 'aws_lb_target_group');
    expect(m.refs(listener, actions[0]!.target_group_arn)).toEqual([targetGroup.address]);
    // A sign-in answer sets two cookies: the Lambda answers multi-value headers.
    expect(targetGroup.config).toMatchObject({ target_type: 'lambda', name: names.workbenchTargetGroupName, lambda_multi_value_headers_enabled: true });
    const attachment = only(m, 'aws_lb_target_group_attachment');
    expect(m.get(m.refs(attachment, attachment.config.target_id)[0]!)!.config.function_name).toBe(names.functionName('reconcile-workbench'));
    const permission = only(m, 'aws_lambda_permission', (resource) => resource.config.principal === 'elasticloadbalancing.amazonaws.com');
    expect(m.refs(permission, permission.config.source_arn)).toEqual([targetGroup.address]);
  });

  test('the workbench table has PITR and the data CMK; the secrets use the data CMK', () => {
    const table = only(m, 'aws_dynamodb_table', (resource) => resource.config.name === names.tableName('workbench'));
    expect(block(table.config.point_in_time_recovery)?.enabled).toBe(true);
    const sse = block(table.config.server_side_encryption)!;
    expect(sse.enabled).toBe(true);
    expect(m.refersTo(table, sse.kms_key_arn, 'aws_kms_key')).toBe(true);
    // Exactly the indexes of the table's one definition (src/adapters/aws/tables.ts; their list is pinned in tables.test.ts).
    expect(list(table.config.global_secondary_index as Json[]).map((index) => index.name)).toEqual(TABLES.workbench.globalSecondaryIndexes.map((index) => index.indexName));
    // WB-BULK-1: the running jobs, keys only (the scheduled advance reads each job from its partition).
    expect(list(table.config.global_secondary_index as Json[]).find((index) => index.name === 'bulkRunning')).toMatchObject({
      hash_key: 'bulkState',
      range_key: 'bulkSort',
      projection_type: 'KEYS_ONLY',
    });
    for (const secretName of [names.workbenchCsrfSecretName, config.workbench.oidc.clientSecretName]) {
      const secret = only(m, 'aws_secretsmanager_secret', (resource) => resource.config.name === secretName);
      expect(m.refersTo(secret, secret.config.kms_key_id, 'aws_kms_key')).toBe(true);
    }
    // Both values are written once (the CSRF key, the Okta placeholder) and never overwritten by Terraform.
    const versions = m.of('aws_secretsmanager_secret_version');
    expect(versions).toHaveLength(2);
    for (const version of versions) expect(block(version.config.lifecycle)?.ignore_changes).toEqual(['secret_string']);
    const okta = only(m, 'aws_secretsmanager_secret', (resource) => resource.config.name === config.workbench.oidc.clientSecretName);
    expect(versions.filter((version) => m.refs(version, version.config.secret_id).includes(okta.address))).toHaveLength(1);
  });

  test("the function's role: exactly the workbench table and its indexes, the ledger and reference data (ADJ-1), the outbox, the CSRF secret, the data key through DynamoDB, S3 and Secrets Manager, nothing else of the data", () => {
    const role = only(m, 'aws_iam_role', (resource) => resource.config.name === names.roleName(names.functionRoleSuffix('reconcile-workbench')));
    const policy = only(m, 'aws_iam_role_policy', (resource) => m.refs(resource, resource.config.role).includes(role.address));
    const statements = statementsOf(policy.config.policy);
    const table = statements.find((statement) => statement.Sid === 'TableWorkbench')!;
    expect(table.Action).toEqual(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query']);
    expect(table.Resource).toEqual([names.tableArn('workbench')]);
    // The indexes serve Query only (IAM-1): lists by age and urgency (of one account too), accounts, the candidates' open rows, and the running bulk jobs.
    const indexes = statements.find((statement) => statement.Sid === 'TableWorkbenchIndexes')!;
    expect([indexes.Action, indexes.Resource]).toEqual([
      ['dynamodb:Query'],
      ['byStatus', 'byAccount', 'byUrgency', 'byAccountStatus', 'byAccountUrgency', 'openRowsByAmount', 'openRowsByReference', 'bulkRunning'].map((index) => names.tableIndexArn('workbench', index)),
    ]);
    // ADJ-1: an approved write-off is one ledger sequence (journal Put + balance Updates in one transaction, the balances read first,
    // a journal item read to know it was booked) whose account resolves through reference data.
    const ledger = statements.find((statement) => statement.Sid === 'TableLedger')!;
    expect([ledger.Action, ledger.Resource]).toEqual([['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [names.tableArn('ledger')]]);
    const reference = statements.find((statement) => statement.Sid === 'TableReference')!;
    expect([reference.Action, reference.Resource]).toEqual([['dynamodb:GetItem'], [names.tableArn('reference')]]);
    const actions = statements.flatMap((statement) => list(statement.Action));
    expect([...new Set(actions.filter((action) => action.startsWith('dynamodb:')))].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    // Its posting record: PutObject under the core-banking outbox; REC-1: an uploaded statement, a PUT it presigns, under
    // incoming/statements/ only. The upload's page lists its object and a quarantined upload's run, and reads the object,
    // the registry's claims and quarantine reasons: nothing else of the bucket.
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual(['s3:ListBucket', 's3:GetObject', 's3:PutObject']);
    const s3Of = (action: string) => statements.filter((statement) => list(statement.Action).includes(action));
    expect(s3Of('s3:PutObject').flatMap((statement) => list(statement.Resource))).toEqual([`${names.ingestBucketArn}/outbox/postings/*`, `${names.ingestBucketArn}/incoming/statements/*`]);
    expect(s3Of('s3:GetObject').flatMap((statement) => list(statement.Resource))).toEqual([
      `${names.ingestBucketArn}/incoming/statements/*`,
      `${names.ingestBucketArn}/results/registry/*`,
      `${names.ingestBucketArn}/quarantine/recon-*.reason.json`,
    ]);
    expect(s3Of('s3:ListBucket').map((statement) => [statement.Resource, statement.Condition])).toEqual([
      [[names.ingestBucketArn], { StringLike: { 's3:prefix': ['incoming/statements/*', 'quarantine/recon-*'] } }],
    ]);
    expect(actions.some((action) => /^(sns|states):/.test(action))).toBe(false);
    // WB-BULK-1: invoked by its schedule too (asynchronously), so a failed run goes to the async-invoke dead-letter queue, and that is all of SQS.
    expect(statements.filter((statement) => list(statement.Action).some((action) => action.startsWith('sqs:')))).toEqual([
      { Sid: 'AsyncInvokeDeadLetters', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [names.queueArn(names.asyncInvokeDlqName)] },
    ]);
    // NOTIFY-1: an approved write-off is announced on the bus: PutEvents on the bus only.
    expect(statements.filter((statement) => list(statement.Action).some((action) => action.startsWith('events:')))).toEqual([
      { Sid: 'PublishToBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [names.busArn] },
    ]);
    for (const statement of statements.filter((candidate) => candidate.Resource === '*')) expect(statement.Sid).toMatch(/^AwsRequiresWildcard/);
    // The data key: through DynamoDB (the tables) and S3 (the outbox) only; WB-BULK-1: the messaging key through SQS only (the async dead-letter queue).
    const kms = statements.filter((statement) => list(statement.Action).includes('kms:GenerateDataKey'));
    expect(kms.map((statement) => (statement.Condition!.StringEquals as Json)['kms:ViaService'])).toEqual([
      [`dynamodb.${config.region}.amazonaws.com`],
      [`sqs.${config.region}.amazonaws.com`],
      [`s3.${config.region}.amazonaws.com`],
    ]);
    const viaSqs = kms.find((statement) => list((statement.Condition!.StringEquals as Json)['kms:ViaService'] as string[]).includes(`sqs.${config.region}.amazonaws.com`))!;
    expect(m.refs(policy, viaSqs.Resource).map((address) => m.get(address)!.config.description)).toEqual([expect.stringMatching(/SQS queues/)]);

    // Secrets Manager: GetSecretValue on exactly the CSRF secret and the Okta client secret (the data stack's resources),
    // decrypted with the data key through Secrets Manager only.
    const secretStatements = statements.filter((statement) => list(statement.Action).some((action) => action.startsWith('secretsmanager:')));
    expect(secretStatements.map((statement) => [statement.Sid, statement.Effect, statement.Action])).toEqual([
      ['CsrfSecret', 'Allow', ['secretsmanager:GetSecretValue']],
      ['OidcClientSecret', 'Allow', ['secretsmanager:GetSecretValue']],
    ]);
    const csrfSecret = only(m, 'aws_secretsmanager_secret', (resource) => resource.config.name === names.workbenchCsrfSecretName);
    const oktaSecret = only(m, 'aws_secretsmanager_secret', (resource) => resource.config.name === config.workbench.oidc.clientSecretName);
    for (const statement of secretStatements) expect(list(statement.Resource)).toHaveLength(1);
    expect(secretStatements.map((statement) => m.refs(policy, statement.Resource))).toEqual([[csrfSecret.address], [oktaSecret.address]]);
    const viaSecretsManager = statements.filter((statement) => JSON.stringify(statement.Condition ?? {}).includes(`secretsmanager.${config.region}.amazonaws.com`));
    expect(viaSecretsManager).toHaveLength(1);
    expect(viaSecretsManager[0]!.Action).toEqual(['kms:Decrypt']);
    expect((viaSecretsManager[0]!.Condition!.StringEquals as Json)['kms:ViaService']).toEqual([`secretsmanager.${config.region}.amazonaws.com`]);
    expect(m.refs(policy, viaSecretsManager[0]!.Resource)).toEqual(m.refs(csrfSecret, csrfSecret.config.kms_key_id));
  });

  test("the function's environment names its sign-in (Okta issuer and client, the base URL on the ALB's host, sessions table, group roles) and the secrets' ARNs (never their values)", () => {
    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-workbench'));
    const variables = block(fn.config.environment)!.variables as Record<string, string>;
    const csrfSecret = only(m, 'aws_secretsmanager_secret', (resource) => resource.config.name === names.workbenchCsrfSecretName);
    expect(m.refs(fn, variables.WORKBENCH_CSRF_SECRET_ARN)).toEqual([csrfSecret.address]);
    const oktaSecret = only(m, 'aws_secretsmanager_secret', (resource) => resource.config.name === config.workbench.oidc.clientSecretName);
    expect(m.refs(fn, variables.WORKBENCH_OIDC_CLIENT_SECRET_ARN)).toEqual([oktaSecret.address]);
    if (config.workbench.hostName) expect(variables.WORKBENCH_BASE_URL).toBe(`https://${config.workbench.hostName}`);
    else expect([variables.WORKBENCH_BASE_URL, m.refs(fn, variables.WORKBENCH_BASE_URL)]).toEqual([expect.stringMatching(/^https:\/\/\$\{aws_lb\..+\.dns_name\}$/), [alb.address]]);
    expect(variables).toMatchObject({
      WORKBENCH_SESSIONS_TABLE: names.tableName('workbenchSessions'),
      WORKBENCH_OIDC_ISSUER: config.workbench.oidc.issuer,
      WORKBENCH_OIDC_CLIENT_ID: config.workbench.oidc.clientId,
      WORKBENCH_SESSION_SECONDS: String(config.workbench.sessionTimeoutSeconds),
      WORKBENCH_GROUP_ROLES: JSON.stringify(config.workbench.groupRoles),
    });
    // REC-1: the upload's prefixes in the ingest bucket (the same as the workflow's).
    expect(variables).toMatchObject({ INGEST_BUCKET: names.ingestBucket, STATEMENTS_PREFIX: 'incoming/statements/', QUARANTINE_PREFIX: 'quarantine/', REGISTRY_PREFIX: 'results/registry/' });
    expect(Object.keys(variables).sort()).toEqual([
      'EVENT_BUS_NAME',
      'INGEST_BUCKET',
      'LEDGER_TABLE',
      'OUTBOX_PREFIX',
      'QUARANTINE_PREFIX',
      'REFERENCE_TABLE',
      'REGISTRY_PREFIX',
      'STATEMENTS_PREFIX',
      'WORKBENCH_BASE_URL',
      'WORKBENCH_CSRF_SECRET_ARN',
      'WORKBENCH_GROUP_ROLES',
      'WORKBENCH_OIDC_CLIENT_ID',
      'WORKBENCH_OIDC_CLIENT_SECRET_ARN',
      'WORKBENCH_OIDC_ISSUER',
      'WORKBENCH_SESSIONS_TABLE',
      'WORKBENCH_SESSION_SECONDS',
      'WORKBENCH_TABLE',
    ]);
    expect(fn.config).toMatchObject({ runtime: 'nodejs22.x', architectures: ['arm64'], reserved_concurrent_executions: config.functions['reconcile-workbench'].reservedConcurrency });
    expect(m.of('aws_cloudwatch_metric_alarm').map((alarm) => alarm.config.alarm_name)).toEqual(
      expect.arrayContaining([names.name('fn-reconcile-workbench-errors'), names.name('fn-reconcile-workbench-throttles')]),
    );
  });
  test('WB-BULK-1: a schedule invokes the function every minute with the bulk advance event, through a role that may invoke only it; failed invocations are kept', () => {
    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-workbench'));
    const schedule = only(m, 'aws_scheduler_schedule', (resource) => resource.config.name === names.name('reconcile-workbench'));
    expect([schedule.config.schedule_expression, schedule.config.state ?? 'ENABLED']).toEqual([BULK_ADVANCE_SCHEDULE, 'ENABLED']);
    expect(block(schedule.config.flexible_time_window)).toEqual({ mode: 'OFF' });
    const target = block(schedule.config.target)!;
    expect(m.refs(schedule, target.arn)).toEqual([fn.address]);
    // The handler tells this input from an ALB request by its shape (functions/reconcile-workbench/schedule.ts).
    expect(isBulkAdvanceEvent(JSON.parse(String(target.input)))).toBe(true);
    expect(block(target.dead_letter_config)?.arn).toBe(names.queueArn(names.schedulerDlqName));
    expect(block(target.retry_policy)).toBeDefined();
    const [roleAddress] = m.refs(schedule, target.role_arn);
    const role = m.get(roleAddress!)!;
    expect(role.config.name).toBe(names.roleName('scheduler-reconcile-workbench'));
    expect(JSON.parse(String(role.config.assume_role_policy)).Statement.map((statement: Json) => (statement.Principal as Json).Service)).toEqual(['scheduler.amazonaws.com']);
    const policy = only(m, 'aws_iam_role_policy', (resource) => m.refs(resource, resource.config.role).includes(role.address));
    const invoke = statementsOf(policy.config.policy).filter((statement) => list(statement.Action).some((action) => action.startsWith('lambda:')));
    expect(invoke.map((statement) => [statement.Sid, statement.Action, m.refs(policy, statement.Resource)])).toEqual([['InvokeWorkbenchBulkAdvance', ['lambda:InvokeFunction'], [fn.address]]]);
    // Invoked asynchronously: a run that fails after Lambda's retries lands in the async dead-letter queue.
    expect(block(fn.config.dead_letter_config)?.target_arn).toBeDefined();
  });
  test("REC-1: the ingest bucket's one CORS rule lets only the workbench's origin PUT (the upload), sending only the content type", () => {
    const cors = only(m, 'aws_s3_bucket_cors_configuration');
    expect(cors.config.bucket).toBe(names.ingestBucket);
    const rules = list(cors.config.cors_rule as Json[]);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ allowed_methods: ['PUT'], allowed_headers: ['content-type'], max_age_seconds: 600 });
    expect(rules[0]!.expose_headers).toBeUndefined();
    const origins = list(rules[0]!.allowed_origins as string[]);
    expect(origins).toHaveLength(1);
    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-workbench'));
    // The same origin the function serves from (its OIDC base URL): the host name, else the ALB's DNS name.
    expect(origins[0]).toBe((block(fn.config.environment)!.variables as Record<string, string>).WORKBENCH_BASE_URL);
    if (config.workbench.hostName) expect(origins[0]).toBe(`https://${config.workbench.hostName}`);
    else expect(m.refs(cors, origins[0])).toEqual([alb.address]);
  });
  test("reconcile-cases: reads only the runs' cases.json, and on the workbench table only the import's reads and writes (Query on byStatus and byAccount)", () => {
    const fn = only(m, 'aws_lambda_function', (resource) => resource.config.function_name === names.functionName('reconcile-cases'));
    expect(block(fn.config.environment)!.variables).toEqual({ WORKBENCH_TABLE: names.tableName('workbench'), EVENT_BUS_NAME: names.busName });
    expect(fn.config).toMatchObject({ runtime: 'nodejs22.x', architectures: ['arm64'], reserved_concurrent_executions: config.functions['reconcile-cases'].reservedConcurrency });
    expect(block(fn.config.tracing_config)?.mode).toBe('Active');
    const role = only(m, 'aws_iam_role', (resource) => resource.config.name === names.roleName(names.functionRoleSuffix('reconcile-cases')));
    expect(m.refs(fn, fn.config.role)).toEqual([role.address]);
    const policy = only(m, 'aws_iam_role_policy', (resource) => m.refs(resource, resource.config.role).includes(role.address));
    const statements = statementsOf(policy.config.policy);
    const byAction = (prefix: string) => statements.filter((statement) => list(statement.Action).some((action) => action.startsWith(prefix)));

    expect(byAction('dynamodb:')).toEqual([
      {
        Sid: 'TableWorkbench',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
        Resource: [names.tableArn('workbench')],
      },
      { Sid: 'TableWorkbenchIndexes', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [names.tableIndexArn('workbench', 'byStatus'), names.tableIndexArn('workbench', 'byAccount')] },
    ]);
    expect(byAction('s3:')).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${names.analyticsBucketArn}/matches/runs/*/cases.json`, `${names.analyticsBucketArn}/matches/runs/*/outward-events.json`] },
    ]);
    // NOTIFY-1: the committed run is announced on the bus: PutEvents on the bus only.
    expect(byAction('events:')).toEqual([{ Sid: 'PublishToBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [names.busArn] }]);
    // KMS: the data key through DynamoDB (and Lambda, for its encrypted environment), the analytics key through S3 for reading.
    const kms = byAction('kms:').map((statement) => ({
      actions: list(statement.Action),
      via: (statement.Condition!.StringEquals as Json)['kms:ViaService'],
      key: m.refs(policy, statement.Resource).map((address) => m.get(address)!.name),
    }));
    expect(kms).toEqual(
      expect.arrayContaining([
        { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], via: [`dynamodb.${config.region}.amazonaws.com`], key: [expect.stringMatching(/^data-key/)] },
        { actions: ['kms:Decrypt'], via: [`s3.${config.region}.amazonaws.com`], key: [expect.stringMatching(/^analytics-key/)] },
        { actions: ['kms:Decrypt'], via: [`lambda.${config.region}.amazonaws.com`], key: [expect.stringMatching(/^data-key/)] },
      ]),
    );
    expect(kms).toHaveLength(3);
    const actions = statements.flatMap((statement) => list(statement.Action));
    expect(actions.some((action) => /^(sqs|sns|states|secretsmanager|lambda):/.test(action))).toBe(false);
    for (const statement of statements.filter((candidate) => candidate.Resource === '*')) expect(statement.Sid).toMatch(/^AwsRequiresWildcard/);

    // Its log group, X-Ray and alarms, like every reconciliation function.
    expect(m.of('aws_cloudwatch_log_group').map((group) => group.config.name)).toContain(`/aws/lambda/${names.functionName('reconcile-cases')}`);
    expect(m.of('aws_cloudwatch_metric_alarm').map((alarm) => alarm.config.alarm_name)).toEqual(
      expect.arrayContaining([names.name('fn-reconcile-cases-errors'), names.name('fn-reconcile-cases-throttles')]),
    );
    // The analytics bucket admits its role; the state machine may invoke it.
    const stateMachineRole = only(m, 'aws_iam_role', (resource) => resource.config.name === names.roleName(`sfn-${names.reconciliationStateMachine}`));
    const stateMachinePolicy = only(m, 'aws_iam_role_policy', (resource) => m.refs(resource, resource.config.role).includes(stateMachineRole.address));
    const steps = statementsOf(stateMachinePolicy.config.policy).find((statement) => statement.Sid === 'Steps')!;
    expect(list(steps.Resource)).toContain(names.functionArn('reconcile-cases'));
  });
});
