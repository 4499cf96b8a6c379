/**
 * Synth tests per environment (and per topology variant: FUSE-1's staged topology on dev's
 * configuration): the stacks exist with their own state, and what config says (account, AZs,
 * NATs, Direct Connect, sizes, retention, thresholds, topology) is what was synthesized; tables /
 * env vars / routes come from their single definitions; environments differ only in config.
 */
import { streamSource } from '../../src/modes/source-config';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS, SYNTHESIZED_CONFIGS, TOOLING, buildLedgerline } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { INTERFACE_ENDPOINTS } from '../../stacks/network-stack';
import { OUTWARD_EVENT_TYPES, replayEventTypes } from '../../stacks/data-stack';
import { deployableFunctions, FLOW_AUDIT_SETTINGS, functionCatalogue, functionSizing, isModeFunction } from '../../stacks/catalogue';
import { API_CONTRACT_VARIABLES, modeVariables } from '../../stacks/app-stack';
import { readNotifyConfig } from '../../functions/notify/config';
import { readFlowAuditorConfig } from '../../functions/flow-auditor/config';
import { readIngestBatchConfig } from '../../functions/ingest-batch/config';
import { MANAGED_POLICY_MAX_CHARS } from '../../stacks/bootstrap-stack';
import { visibilityTimeoutFor } from '../../stacks/lib/queue';
import { zipSync } from '../../stacks/lib/zip';
import { functionNames } from '../../scripts/bundle-functions';
import { EDGES, FUSED_CONSUMER, HOT_PATH_STAGES, TOPOLOGIES, authorisationEntry, crossesBus, routesFor } from '../../src/routes';
import { ALL_EVENT_TYPES } from '../../src/domain/events';
import { TABLES, TABLE_NAMES } from '../../src/adapters/aws/tables';
import { FUNCTION_ENVIRONMENT, readFunctionConfig, variablesFor, type FunctionName } from '../../src/adapters/aws/runtime-config';
import { RECON_FUNCTION_ENVIRONMENT, readReconFunctionConfig, type ReconFunctionName } from '../../src/recon/run/aws/config';
import { WORKBENCH_FUNCTION, WORKBENCH_UPLOAD_VARIABLE_NAMES, WORKBENCH_VARIABLE_NAMES } from '../../src/adapters/aws/workbench-config';
import { dev } from '../../environments/dev';
import type { EnvironmentConfig } from '../../environments/types';
import { SYNTHESIZED_SCOPES, cleanupSynth, model, synthesizeAll } from './support/synth';
import { block, list, statementsOf, type Json, type Resource, type SynthModel } from './support/model';
import { inflateRawSync } from 'node:zlib';
import { withPlainStacks } from '../support/plain-stacks';

afterAll(cleanupSynth);

const COMPONENTS = ['bootstrap', 'network', 'data', 'analytics', 'app', 'observability'];

function byName(m: SynthModel, type: string, name: string): Resource {
  const found = m.of(type).filter((resource) => resource.config.name === name || resource.config.function_name === name || resource.config.alarm_name === name);
  if (found.length !== 1) throw new Error(`${type} ${name}: found ${found.length}`);
  return found[0]!;
}

test('synthesizes every stack of every environment, of every topology variant and of the tooling account', () => {
  // The run's one synthesis (./support/synth.ts, what every other synth test reads): a cdk.tf.json for every stack.
  const { outdir } = synthesizeAll();
  const synthesized = readdirSync(join(outdir, 'stacks')).filter((name) => existsSync(join(outdir, 'stacks', name, 'cdk.tf.json')));
  expect(synthesized.sort()).toEqual(
    [...SYNTHESIZED_CONFIGS.flatMap((config) => COMPONENTS.map((component) => `${config.prefix}-${component}`)), `${TOOLING.prefix}-bootstrap`, `${TOOLING.prefix}-pipeline`].sort(),
  );
  // FUSE-1: every topology is synthesized (and so tested) by an environment or a variant.
  expect(new Set(SYNTHESIZED_CONFIGS.map((config) => config.runtime.topology))).toEqual(new Set(TOPOLOGIES));
  // Placeholder code in tests: no esbuild, every function of every stack deploys the placeholder zip. Synth time is measured by `npm run synth` (BENCHMARKS.md).
  const functions = synthesized.flatMap((stack) => {
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as { resource?: { aws_lambda_function?: Record<string, { filename?: string }> } };
    return Object.values(json.resource?.aws_lambda_function ?? {});
  });
  expect(functions.length).toBeGreaterThan(20);
  for (const fn of functions) expect(fn.filename).toMatch(/\/placeholder\.zip$/);
});

test('every functions/<name>/index.ts is deployed by some topology, once per catalogue; every route consumer is catalogued', () => {
  expect(functionNames().sort()).toEqual(deployableFunctions().sort());
  for (const topology of TOPOLOGIES) {
    const catalogued = functionCatalogue(topology).map((entry) => entry.name);
    expect(new Set(catalogued).size).toBe(catalogued.length);
    for (const route of routesFor(topology)) expect(catalogued).toContain(route.consumer);
  }
  // FUSE-1: fused deploys hot-path and no stage function; staged the six stage functions and no hot-path.
  expect(functionCatalogue('fused').map((entry) => entry.name)).toContain(FUSED_CONSUMER);
  for (const stage of HOT_PATH_STAGES) expect(functionCatalogue('fused').map((entry) => entry.name)).not.toContain(stage);
  expect(functionCatalogue('staged').map((entry) => entry.name)).toEqual(expect.arrayContaining([...HOT_PATH_STAGES]));
  expect(functionCatalogue('staged').map((entry) => entry.name)).not.toContain(FUSED_CONSUMER);
});

test('the archive keeps the outward events (FUSE-2), plus the authorisations where they cross the bus (staged)', () => {
  // Exactly the types crossesBus lets out: every other type is handed over in process (fused).
  const outward = ALL_EVENT_TYPES.filter((type) => crossesBus({ type, data: { decision: { outcome: 'decline' } } }));
  expect([...OUTWARD_EVENT_TYPES].sort()).toEqual([...outward].sort());
  expect(replayEventTypes('fused')).toEqual(OUTWARD_EVENT_TYPES);
  const intermediate = EDGES.flatMap((edge) => edge.eventPattern['detail-type']).filter((type) => !OUTWARD_EVENT_TYPES.includes(type));
  for (const type of intermediate) expect(replayEventTypes('fused')).not.toContain(type);
  expect(replayEventTypes('staged')).toEqual(['payment.authorised', ...OUTWARD_EVENT_TYPES]);
});

test('the deterministic zip writer produces archives that inflate back to their contents', () => {
  const files = [
    { name: 'index.js', data: Buffer.from('exports.handler = async () => 42;\n') },
    { name: 'index.js.map', data: Buffer.from('{"version":3}') },
  ];
  const zip = zipSync(files);
  expect(zipSync(files).equals(zip)).toBe(true);
  let offset = 0;
  for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    expect(zip.readUInt32LE(offset)).toBe(0x04034b50);
    const compressedSize = zip.readUInt32LE(offset + 18);
    const nameLength = zip.readUInt16LE(offset + 26);
    expect(zip.toString('utf8', offset + 30, offset + 30 + nameLength)).toBe(file.name);
    const start = offset + 30 + nameLength;
    expect(inflateRawSync(zip.subarray(start, start + compressedSize)).equals(file.data)).toBe(true);
    offset = start + compressedSize;
  }
  expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
});

describe.each(SYNTHESIZED_SCOPES)('%s', (scope, config: EnvironmentConfig) => {
  const names = Names.of(config);
  const topology = config.runtime.topology;
  const routes = routesFor(topology);
  const catalogue = functionCatalogue(topology);
  let m: SynthModel;
  beforeAll(() => {
    m = model(scope);
  });

  test('each stack: own S3 state key + DynamoDB lock table, provider pinned to the account and region', () => {
    for (const component of COMPONENTS) {
      const json = m.stacks.get(`${config.prefix}-${component}`)!;
      expect(json.terraform?.backend?.s3).toMatchObject({
        bucket: config.state.bucket,
        key: `${config.prefix}/${component}.tfstate`,
        dynamodb_table: config.state.lockTable,
        encrypt: true,
        region: config.state.region,
      });
      const provider = json.provider!.aws![0]!;
      expect(provider.allowed_account_ids).toEqual([config.account]);
      expect(provider.region).toBe(config.region);
      expect((block(provider.default_tags)?.tags as Json).Environment).toBe(config.name);
      // DEP-1: credentials are ambient (the plan role to plan, the deploy role to apply); a saved plan must not carry a role.
      expect(provider.assume_role).toBeUndefined();
    }
  });

  test('network: private subnets per AZ, NAT per config, endpoints, Direct Connect with the on-premises routes', () => {
    const subnets = m.of('aws_subnet');
    const privateSubnets = subnets.filter((subnet) => (subnet.config.tags as Json).Tier === 'private');
    expect(privateSubnets).toHaveLength(config.network.azCount);
    expect(new Set(privateSubnets.map((subnet) => subnet.config.availability_zone)).size).toBe(config.network.azCount);
    expect(m.of('aws_nat_gateway')).toHaveLength(config.network.natGateways === 'per-az' ? config.network.azCount : 1);
    const endpoints = m.of('aws_vpc_endpoint').map((endpoint) => String(endpoint.config.service_name).split('.').pop());
    expect(endpoints.sort()).toEqual([...INTERFACE_ENDPOINTS, 's3', 'dynamodb'].sort());
    const proposal = m.of('aws_dx_gateway_association_proposal');
    expect(proposal).toHaveLength(1);
    expect(proposal[0]!.config).toMatchObject({ dx_gateway_id: config.network.directConnect.gatewayId, allowed_prefixes: [config.network.vpcCidr] });
    const onPremRoutes = m.of('aws_route').filter((route) => config.network.directConnect.onPremisesCidrs.includes(String(route.config.destination_cidr_block)));
    expect(onPremRoutes).toHaveLength(config.network.azCount * config.network.directConnect.onPremisesCidrs.length);
    for (const route of onPremRoutes) expect(m.refersTo(route, route.config.gateway_id, 'aws_vpn_gateway')).toBe(true);
  });

  test('tables: keys, indexes, TTL and streams exactly as src/adapters/aws/tables.ts defines them', () => {
    for (const tableName of TABLE_NAMES) {
      const definition = TABLES[tableName];
      const table = byName(m, 'aws_dynamodb_table', names.tableName(tableName)).config;
      expect(table.hash_key).toBe(definition.partitionKey.name);
      expect(table.range_key).toBe('sortKey' in definition ? definition.sortKey.name : undefined);
      expect(list(table.global_secondary_index as Json[]).map((index) => index.name)).toEqual(definition.globalSecondaryIndexes.map((index) => index.indexName));
      expect(list(table.local_secondary_index as Json[]).map((index) => index.name)).toEqual(definition.localSecondaryIndexes.map((index) => index.indexName));
      expect(block(table.ttl)?.attribute_name).toBe('ttlAttribute' in definition ? definition.ttlAttribute : undefined);
      expect(table.stream_view_type).toBe('stream' in definition ? definition.stream : undefined);
      expect(table.deletion_protection_enabled).toBe(config.protectStatefulResources);
    }
  });

  test('queues: visibility = 6 × consumer timeout + batching window; the archive keeps only replay events', () => {
    const routeQueues = m.of('aws_sqs_queue').filter((queue) => /-queue$/.test(String(queue.config.name)));
    expect(routeQueues.map((queue) => queue.config.name).sort()).toEqual(routes.map((route) => names.routeQueueName(route)).sort());
    for (const route of routes) {
      const queue = byName(m, 'aws_sqs_queue', names.routeQueueName(route));
      expect(queue.config.visibility_timeout_seconds).toBe(visibilityTimeoutFor(config.functions[route.consumer].timeoutSeconds, route.queue.maxBatchingWindowSeconds));
    }
    const archive = m.of('aws_cloudwatch_event_archive')[0]!.config;
    expect(archive.retention_days).toBe(config.retention.archiveDays);
    expect(JSON.parse(String(archive.event_pattern))).toEqual({ 'detail-type': replayEventTypes(topology) });
  });

  test("functions: the topology's catalogue, sized from config, environment = the function contract (runtime-config / recon config)", () => {
    expect(
      m
        .of('aws_lambda_function')
        .map((fn) => fn.config.function_name)
        .sort(),
    ).toEqual(catalogue.map((entry) => names.functionName(entry.name)).sort());
    for (const entry of catalogue) {
      const fn = byName(m, 'aws_lambda_function', names.functionName(entry.name)).config;
      const sizing = functionSizing(config, entry.name);
      expect([fn.memory_size, fn.timeout, fn.reserved_concurrent_executions]).toEqual([sizing.memoryMb, sizing.timeoutSeconds, sizing.reservedConcurrency]);
      const variables = (block(fn.environment)?.variables ?? {}) as Record<string, string>;
      if (entry.name in FUNCTION_ENVIRONMENT) {
        const contract = entry.name as FunctionName;
        for (const key of Object.keys(variables)) expect(variablesFor(contract)).toContain(key);
        expect(() => readFunctionConfig(contract, variables)).not.toThrow();
      } else if (entry.name in RECON_FUNCTION_ENVIRONMENT) {
        const contract = RECON_FUNCTION_ENVIRONMENT[entry.name as ReconFunctionName];
        expect(Object.keys(variables).sort()).toEqual([...contract.required, ...contract.optional].sort());
        expect(() => readReconFunctionConfig(entry.name as ReconFunctionName, variables)).not.toThrow();
      } else if (entry.name === WORKBENCH_FUNCTION) {
        // The ALB ARN and CSRF secret are Terraform references (checked in workbench.test.ts).
        // REC-1: and the statement upload's (all set: the Upload page exists on AWS).
        expect(Object.keys(variables).sort()).toEqual([...WORKBENCH_VARIABLE_NAMES, ...WORKBENCH_UPLOAD_VARIABLE_NAMES].sort());
        expect(variables.WORKBENCH_TABLE).toBe(names.tableName('workbench'));
        expect(variables.WORKBENCH_OIDC_ISSUER).toBe(config.workbench.oidc.issuer);
        expect(JSON.parse(variables.WORKBENCH_GROUP_ROLES!)).toEqual(config.workbench.groupRoles);
      } else if (isModeFunction(entry.name)) {
        // MODE-2, MODE-4, FLOW-1..3: exactly the function's own contract (authorise: the fused hot path's).
        for (const key of Object.keys(variables)) expect([entry.name, key, modeVariables(entry.name).includes(key)]).toEqual([entry.name, key, true]);
        if (entry.name === 'authorise') expect(() => readFunctionConfig(FUSED_CONSUMER, variables)).not.toThrow();
        if (entry.name === 'ingest-batch') expect(() => readIngestBatchConfig(variables)).not.toThrow();
        if (entry.name === 'flow-auditor') expect(() => readFlowAuditorConfig(variables)).not.toThrow();
      } else if (entry.name === 'api') {
        // API-1..5: the hot path's contract (it posts through authorise in process) and the edge's.
        for (const key of Object.keys(variables)) expect(['api', key, API_CONTRACT_VARIABLES.includes(key)]).toEqual(['api', key, true]);
        expect(() => readFunctionConfig(FUSED_CONSUMER, variables)).not.toThrow();
        expect(variables.API_IDEMPOTENCY_TABLE).toBe(names.tableName('apiIdempotency'));
        expect(variables.COGNITO_ISSUER).toMatch(new RegExp(`^https://cognito-idp\\.${config.region}\\.amazonaws\\.com/\\$\\{aws_cognito_user_pool\\.`));
        expect(variables.API_AUDIENCES).toContain('aws_cognito_user_pool_client.');
      } else if (entry.name === 'notify' || entry.name === 'webhook-sweeper') {
        // NOTIFY-2, HOOK-2: one contract (functions/notify/config.ts).
        expect(readNotifyConfig(variables)).toMatchObject({
          notificationsTable: names.tableName('notifications'),
          authorisationsTable: names.tableName('authorisations'),
          emailFrom: config.notify.emailFrom,
        });
      } else if (entry.name === 'audit-stream') {
        // AUDIT-1: the audited tables and the cluster (its endpoint and managed secret are references).
        expect(Object.keys(variables).sort()).toEqual(['AUDIT_DB_HOST', 'AUDIT_DB_NAME', 'AUDIT_DB_PORT', 'AUDIT_DB_SECRET_ARN', 'LEDGER_TABLE', 'TRANSACTIONS_TABLE', 'WORKBENCH_TABLE']);
        expect(variables.AUDIT_DB_HOST).toContain('aws_rds_cluster.');
        expect(variables.AUDIT_DB_SECRET_ARN).toContain('master_user_secret');
      } else {
        expect(variables).toEqual({});
      }
    }
    // Reserved concurrency must leave ≥ 100 unreserved of the default 1,000 account limit.
    const reserved = m.of('aws_lambda_function').reduce((sum, fn) => sum + Number(fn.config.reserved_concurrent_executions), 0);
    expect(reserved).toBeLessThanOrEqual(900);
    const sweeper = byName(m, 'aws_lambda_function', names.functionName('sweeper')).config;
    expect((block(sweeper.environment)?.variables as Json).REDRIVE_STATE_MACHINE_ARN).toBe(names.stateMachineArn(names.redriveStateMachine));
  });

  test("the Pipe: stream → ingest → the hot path's queue (fused) or the bus (staged), batch and parallelism from config, INSERT filter, DLQ", () => {
    const pipe = m.of('aws_pipes_pipe')[0]!;
    const stream = block(block(pipe.config.source_parameters)?.dynamodb_stream_parameters)!;
    expect(stream.batch_size).toBe(streamSource(config.name).batchSize);
    expect(streamSource(config.name).batchSize).toBe(10);
    expect(stream.parallelization_factor).toBe(config.pipe.parallelizationFactor);
    expect(block(stream.dead_letter_config)?.arn).toBe(names.queueArn(names.pipeDlqName));
    const filters = list(block(block(pipe.config.source_parameters)?.filter_criteria)?.filter as Json[]);
    expect(filters.map((filter) => JSON.parse(String(filter.pattern)))).toEqual([{ eventName: ['INSERT'] }]);
    expect(m.refs(pipe, pipe.config.source)[0]).toContain('aws_dynamodb_table.table-authorisations');
    expect(m.get(m.refs(pipe, pipe.config.enrichment)[0]!)!.config.function_name).toBe(names.functionName('ingest'));
    const entry = authorisationEntry(topology);
    if (entry.kind === 'queue') {
      // FUSE-1: no bus hop (no rule delivery per payment); each envelope is one message on the hot path's queue.
      expect(pipe.config.target).toBe(names.queueArn(names.routeQueueName(entry.route)));
      expect(pipe.config.target_parameters).toBeUndefined();
    } else {
      expect(pipe.config.target).toBe(names.busArn);
      expect(block(block(pipe.config.target_parameters)?.eventbridge_event_bus_parameters)).toEqual({ detail_type: '$.type', source: '$.source' });
    }
  });

  test('the sweeper runs on the configured schedule; workflows are Standard with full logging', () => {
    expect(byName(m, 'aws_scheduler_schedule', names.name('sweeper')).config.schedule_expression).toBe(config.sweeperSchedule);
    expect(byName(m, 'aws_scheduler_schedule', names.name('flow-auditor')).config.schedule_expression).toBe(`rate(${FLOW_AUDIT_SETTINGS.scheduleMinutes} minutes)`);
    for (const machine of m.of('aws_sfn_state_machine')) {
      expect(machine.config.type).toBe('STANDARD');
      expect(block(machine.config.logging_configuration)).toMatchObject({ level: 'ALL', include_execution_data: true });
    }
  });

  test('alarm thresholds come from config', () => {
    expect(byName(m, 'aws_cloudwatch_metric_alarm', names.name(`${routes[0]!.name}-oldest-message`)).config.threshold).toBe(config.alarms.oldestMessageAgeSeconds);
    expect(byName(m, 'aws_cloudwatch_metric_alarm', names.name(`fn-${routes[0]!.consumer}-errors`)).config.threshold).toBe(config.alarms.functionErrors);
    expect(byName(m, 'aws_cloudwatch_metric_alarm', names.name('authorisations-iterator-age')).config.threshold).toBe(config.alarms.iteratorAgeMs);
    expect(byName(m, 'aws_cloudwatch_metric_alarm', names.name(`rule-${routes[0]!.name}-throttled`)).config.threshold).toBe(config.alarms.ruleThrottles);
    expect(byName(m, 'aws_cloudwatch_metric_alarm', names.name(`rule-${routes[0]!.name}-failed-invocations`)).config.threshold).toBe(config.alarms.ruleFailedInvocations);
  });

  test('every EventBridge rule has a throttled-rules and a failed-invocations alarm with its bus in the dimensions', () => {
    const alarms = m.of('aws_cloudwatch_metric_alarm').filter((alarm) => alarm.config.namespace === 'AWS/Events');
    for (const rule of m.of('aws_cloudwatch_event_rule')) {
      const ruleName = String(rule.config.name);
      // A rule on the custom bus is named by EventBusName + RuleName; one on the default bus by RuleName alone (AWS/Events).
      const dimensions = rule.config.event_bus_name ? { EventBusName: String(rule.config.event_bus_name), RuleName: ruleName } : { RuleName: ruleName };
      for (const metric of ['ThrottledRules', 'FailedInvocations']) {
        const found = alarms.filter((alarm) => alarm.config.metric_name === metric && JSON.stringify(alarm.config.dimensions) === JSON.stringify(dimensions));
        expect([ruleName, metric, found.length]).toEqual([ruleName, metric, 1]);
      }
    }
  });

  test('analytics: Glue job, EMR Serverless and Redshift Serverless sized from config, in the VPC', () => {
    const job = m.of('aws_glue_job')[0]!.config;
    expect([job.worker_type, job.number_of_workers]).toEqual([config.analytics.glueWorkerType, config.analytics.glueNumberOfWorkers]);
    expect(String(block(job.command)?.script_location)).toMatch(/^s3:\/\/.+\/scripts\/normalise_statements\.py$/);
    const workgroup = m.of('aws_redshiftserverless_workgroup')[0]!.config;
    expect([workgroup.base_capacity, workgroup.max_capacity]).toEqual([config.analytics.redshiftBaseCapacityRpus, config.analytics.redshiftMaxCapacityRpus]);
    expect(block(m.of('aws_emrserverless_application')[0]!.config.maximum_capacity)?.cpu).toBe(config.analytics.emrMaximumCapacity.cpu);
  });

  test('bootstrap: deploy policies fit managed-policy limits; the boundary covers every workload action', () => {
    const deployPolicies = m.of('aws_iam_policy').filter((policy) => String(policy.config.name).startsWith(`${config.prefix}-deploy-`));
    expect(deployPolicies.length).toBeGreaterThanOrEqual(5);
    for (const policy of deployPolicies) expect(String(policy.config.policy).length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    const deployRole = byName(m, 'aws_iam_role', names.deployRoleName);
    const [trust] = statementsOf(deployRole.config.assume_role_policy);
    // DEP-1: only this environment's apply project (and break-glass) may deploy; CI may not.
    expect((trust!.Condition?.ArnEquals as Json)['aws:PrincipalArn']).toEqual([
      `arn:aws:iam::${TOOLING.account}:role/${TOOLING.prefix}-codebuild-apply-${config.name}`,
      config.humanRoleArns.breakGlass,
    ]);
    const [planTrust] = statementsOf(byName(m, 'aws_iam_role', names.planRoleName).config.assume_role_policy);
    expect((planTrust!.Condition?.ArnEquals as Json)['aws:PrincipalArn']).toEqual([
      `arn:aws:iam::${TOOLING.account}:role/${TOOLING.prefix}-codebuild-plan-${config.name}`,
      config.humanRoleArns.breakGlass,
    ]);
    const boundary = byName(m, 'aws_iam_policy', names.permissionsBoundaryName);
    expect(String(boundary.config.policy).length).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    const allowed = new Set(statementsOf(boundary.config.policy).flatMap((statement) => list(statement.Action)));
    for (const policy of m.of('aws_iam_role_policy')) {
      for (const statement of statementsOf(policy.config.policy)) {
        if (statement.Effect === 'Allow') for (const action of list(statement.Action)) expect(allowed).toContain(action);
      }
    }
  });
});

test('environments differ only in config: the same resources, only counts (AZs, CIDRs, alarm recipients) vary', () => {
  // `vpc_private-rt-2_68DF986D` → `vpc_private-rt-N`: an indexed construct differs only in how many there are;
  // alarm recipients are email addresses and/or HTTPS endpoints, and API partners, as each environment's config says.
  const shape = (scope: SynthModel) =>
    [
      ...new Set(
        scope.resources.map(
          (resource) =>
            `${resource.stack.replace(/^ledgerline-[a-z]+-/, '')}/${resource.type}.${resource.name
              .replace(/_[0-9A-F]{8}$/, '')
              .replace(/-\d+(-\d+)?$/, '-N')
              .replace(/^alarm-(email|https)-N$/, 'alarm-recipient-N')
              // API-5: one app client per configured partner (named by the partner).
              .replace(/^payments-api_client-[a-z0-9-]+$/, 'payments-api_client-N')}`,
        ),
      ),
    ].sort();
  const [first, ...rest] = ENVIRONMENTS.map((config) => shape(model(config.name)));
  expect(first!.length).toBeGreaterThan(150);
  for (const other of rest) expect(other).toEqual(first);
});

describe('FUSE-1: the fused function may do exactly what the six stage functions may do together', () => {
  const staged = SYNTHESIZED_SCOPES.find(([, config]) => config.runtime.topology === 'staged')!;
  const fused = SYNTHESIZED_SCOPES.find(([, config]) => config.runtime.topology === 'fused' && config.account === staged[1].account)!;

  /** Every (action, resource, condition) a function's role allows, in the fused scope's names; its own log group and queue left out. */
  function grantsOf(scope: (typeof SYNTHESIZED_SCOPES)[number], fn: string): Set<string> {
    const [name, config] = scope;
    const m = model(name);
    const roleName = Names.of(config).roleName(Names.of(config).functionRoleSuffix(fn as never));
    const role = m.of('aws_iam_role').find((candidate) => candidate.config.name === roleName)!;
    const policy = m.of('aws_iam_role_policy').find((candidate) => m.refs(candidate, candidate.config.role).includes(role.address))!;
    const grants = new Set<string>();
    for (const statement of statementsOf(policy.config.policy)) {
      if (statement.Effect !== 'Allow' || statement.Sid === 'OwnLogGroup' || statement.Sid === 'ConsumeRouteQueue') continue;
      for (const action of list(statement.Action))
        for (const resource of list(statement.Resource)) grants.add(`${action} ${resource} ${JSON.stringify(statement.Condition ?? {})}`.split(config.prefix).join(fused[1].prefix));
    }
    return grants;
  }

  test('hot-path (fused) = the union of dedup, standardise, enrich, rules, posting and assembler (staged)', () => {
    const union = new Set(HOT_PATH_STAGES.flatMap((stage) => [...grantsOf(staged, stage)]));
    expect([...grantsOf(fused, FUSED_CONSUMER)].sort()).toEqual([...union].sort());
    expect(union.size).toBeGreaterThan(10);
  });
});

test('a Direct Connect gateway in the same account is associated directly (no proposal)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'ledgerline-dx-'));
  try {
    const sameAccount: EnvironmentConfig = {
      ...dev,
      network: { ...dev.network, directConnect: { ...dev.network.directConnect, gatewayOwnerAccountId: dev.account } },
    };
    withPlainStacks(() => buildLedgerline({ assetMode: 'placeholder', outdir, environments: [sameAccount], tooling: false }).app.synth());
    const network = JSON.parse(readFileSync(join(outdir, 'stacks', `${dev.prefix}-network`, 'cdk.tf.json'), 'utf8')) as { resource: Record<string, unknown> };
    expect(Object.keys(network.resource)).toContain('aws_dx_gateway_association');
    expect(Object.keys(network.resource)).not.toContain('aws_dx_gateway_association_proposal');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test('tooling: CodeBuild CI + a plan and an apply project per environment, promotion with a manual approval before prod', () => {
  const m = model('tooling');
  const projects = m.of('aws_codebuild_project').map((project) => project.config.name);
  expect(projects.sort()).toEqual([`${TOOLING.prefix}-ci`, ...TOOLING.promotion.flatMap((env) => [`${TOOLING.prefix}-plan-${env}`, `${TOOLING.prefix}-apply-${env}`])].sort());
  const stages = list(m.of('aws_codepipeline')[0]!.config.stage as Json[]).map((stage) => stage.name);
  expect(stages).toEqual(['Source', 'Test', 'Plan-dev', 'Apply-dev', 'Plan-staging', 'Apply-staging', 'Plan-prod', 'Approve-prod', 'Apply-prod']);
  const assumable = (project: string) => {
    const role = m.of('aws_iam_role_policy').find((policy) => String(m.get(m.refs(policy, policy.config.role)[0]!)?.config.name).endsWith(`codebuild-${project}`))!;
    return statementsOf(role.config.policy).flatMap((statement) => (list(statement.Action).some((action) => action.startsWith('sts:')) ? list(statement.Resource) : []));
  };
  expect(assumable('ci')).toEqual([]);
  for (const env of ENVIRONMENTS) {
    expect(assumable(`plan-${env.name}`)).toEqual([Names.of(env).planRoleArn]);
    expect(assumable(`apply-${env.name}`)).toEqual([Names.of(env).deployRoleArn]);
  }
});

test('OPS-1: an environment whose config names no alarm recipient does not synthesize', () => {
  const silent = { ...ENVIRONMENTS[0]!, alarmRecipients: { email: [], https: [] } };
  expect(() => buildLedgerline({ assetMode: 'placeholder', outdir: mkdtempSync(join(tmpdir(), 'ledgerline-silent-')), environments: [silent], tooling: false })).toThrow(
    /alarmRecipients names no email address or HTTPS endpoint/,
  );
  const plainHttp = { ...ENVIRONMENTS[0]!, alarmRecipients: { email: [], https: ['http://pager.example/hook'] } };
  expect(() => buildLedgerline({ assetMode: 'placeholder', outdir: mkdtempSync(join(tmpdir(), 'ledgerline-http-')), environments: [plainHttp], tooling: false })).toThrow(/not an https:\/\/ URL/);
});

test.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('OPS-1: %s subscribes every configured recipient to the alarm topic', (_name, config) => {
  const m = model(config.name);
  const subscriptions = m.of('aws_sns_topic_subscription').map((subscription) => `${String(subscription.config.protocol)}:${String(subscription.config.endpoint)}`);
  expect(subscriptions.sort()).toEqual([...config.alarmRecipients.email.map((e) => `email:${e}`), ...config.alarmRecipients.https.map((e) => `https:${e}`)].sort());
});
