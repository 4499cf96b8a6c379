/**
 * Checks that need no recorded call, derived from the synthesized resources (never a hand list):
 * - `serviceCalls`: what AWS services do with our keys, queues, topics, streams, functions and
 *   roles once deployed — CloudWatch Logs and vended log delivery using log-group / state-machine /
 *   pipe keys, EventBridge delivering to its rule targets and dead-letter queues and encrypting
 *   the bus, CloudWatch alarms publishing to topics, S3 notifications, Pipes reading a table
 *   stream, Scheduler invoking its target, Step Functions using its state machine's key, Glue
 *   running its job, Lambda decrypting its environment, polling its event sources and parking
 *   failed async invocations, the ALB invoking its target, VPC flow logs delivering (NFR3, NFR5,
 *   NFR7);
 * - `deployCalls`: the deploy role creating every resource of the app, data, analytics, network
 *   and observability stacks — each Terraform type mapped to its create (and tag) actions on the
 *   ARN the resource will have, with the provider's default tags as `aws:RequestTag/*` /
 *   `aws:TagKeys` and NO `aws:ResourceTag/*` (a resource being created has no tags yet);
 * - `workflowCalls`: the Task states of a state machine, as the calls its role makes.
 * Each check returns violations naming caller, action, resource and the policy at fault.
 */
import type { ApiRequest, AwsCall, CallPrincipal, Decision } from './contract';
import type { CallMapper } from './calls';
import { block, list, type IamModel, type Json, type TfResource } from './model';

export interface Violation {
  check: string;
  caller: string;
  action: string;
  resource: string;
  /** Why: the denying or silent policy, by Terraform address. */
  reason: string;
  policies: readonly string[];
}

export interface CheckedCall extends AwsCall {
  check: string;
}

interface Authorizer {
  authorize(call: AwsCall): Decision;
}

/** Authorises every call; the denied ones become violations. */
export function violationsOf(authorizer: Authorizer, calls: readonly CheckedCall[]): Violation[] {
  const violations: Violation[] = [];
  for (const call of calls) {
    const decision = authorizer.authorize(call);
    if (!decision.allowed)
      violations.push({ check: call.check, caller: call.caller ?? '?', action: call.action, resource: call.resource, reason: decision.reason ?? 'denied', policies: decision.policies });
  }
  return violations;
}

export function formatViolation(violation: Violation): string {
  return `[${violation.check}] ${violation.reason}`;
}

const service = (name: string): CallPrincipal => ({ kind: 'service', service: name });
const role = (roleName: string): CallPrincipal => ({ kind: 'role', roleName });

function roleNameOfArn(model: IamModel, arn: string, where: string): string {
  const found = [...model.roles.values()].find((candidate) => candidate.arn === arn);
  if (!found) throw new Error(`${where}: role ${arn} is not synthesized in environment ${model.tf.env}`);
  return found.name;
}

// --- Service principals and service-linked use ---------------------------------------------------

export function serviceCalls(model: IamModel, mapper: CallMapper): CheckedCall[] {
  const tf = model.tf;
  const { region, account } = model;
  const calls: CheckedCall[] = [];
  const push = (check: string, caller: string, entries: readonly AwsCall[]) => calls.push(...entries.map((entry) => ({ ...entry, caller, check })));
  const keyOf = (arn: string) => model.encryption.get(arn)?.keyArn;
  const kms = (principal: CallPrincipal, keyArn: string | undefined, actions: readonly string[], context: Record<string, string>): AwsCall[] =>
    keyArn ? actions.map((action) => ({ principal, action, resource: keyArn, context })) : [];

  // CloudWatch Logs encrypts every CMK log group with the key, the log group ARN as encryption context.
  for (const group of tf.of('aws_cloudwatch_log_group')) {
    const arn = tf.arnOf(group);
    push(
      'logs-key',
      `CloudWatch Logs for ${tf.str(group, 'name')}`,
      kms(service(`logs.${region}.amazonaws.com`), keyOf(arn), ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], { 'kms:EncryptionContext:aws:logs:arn': arn }),
    );
  }

  // Step Functions: the role uses the state machine's key (encryption context = its ARN, made by the
  // role session itself, so no kms:ViaService); vended log delivery decrypts what it delivers.
  for (const machine of tf.of('aws_sfn_state_machine')) {
    const arn = tf.arnOf(machine);
    const key = keyOf(arn);
    const roleName = roleNameOfArn(model, tf.str(machine, 'role_arn'), machine.address);
    const label = `state machine ${tf.str(machine, 'name')}`;
    push('state-machine-key', `${label} (its role)`, kms(role(roleName), key, ['kms:GenerateDataKey', 'kms:Decrypt'], { 'kms:EncryptionContext:aws:states:stateMachineArn': arn }));
    const logging = block(tf.field(machine, 'logging_configuration'));
    if (logging?.log_destination && logging.level !== 'OFF') {
      push('log-delivery', `log delivery of ${label}`, kms(service('delivery.logs.amazonaws.com'), key, ['kms:Decrypt'], { 'aws:SourceArn': arn }));
    }
  }

  // EventBridge: the bus's own key, every rule target and its dead-letter queue, the bus's DLQ.
  for (const bus of tf.of('aws_cloudwatch_event_bus')) {
    const arn = tf.arnOf(bus);
    const events = service('events.amazonaws.com');
    push(
      'eventbridge-bus-key',
      `EventBridge bus ${tf.str(bus, 'name')}`,
      kms(events, keyOf(arn), ['kms:GenerateDataKey', 'kms:Decrypt'], { 'aws:SourceArn': arn, 'kms:EncryptionContext:aws:events:event-bus:arn': arn }),
    );
    const dlq = block(tf.field(bus, 'dead_letter_config'))?.arn;
    if (typeof dlq === 'string') push('eventbridge-dlq', `EventBridge bus ${tf.str(bus, 'name')} dead letters`, deliverTo(mapper, events, dlq, arn));
  }
  const rules = new Map(tf.of('aws_cloudwatch_event_rule').map((rule) => [`${rule.raw.event_bus_name === undefined ? 'default' : tf.str(rule, 'event_bus_name')}/${tf.str(rule, 'name')}`, rule]));
  for (const target of tf.of('aws_cloudwatch_event_target')) {
    const bus = target.raw.event_bus_name === undefined ? 'default' : tf.str(target, 'event_bus_name');
    const rule = rules.get(`${bus}/${tf.str(target, 'rule')}`);
    if (!rule) throw new Error(`${target.address}: rule ${bus}/${tf.str(target, 'rule')} is not synthesized`);
    const ruleArn = tf.arnOf(rule);
    const label = `EventBridge rule ${tf.str(rule, 'name')}`;
    const principal = target.raw.role_arn === undefined ? service('events.amazonaws.com') : role(roleNameOfArn(model, tf.str(target, 'role_arn'), target.address));
    push('eventbridge-target', label, deliverTo(mapper, principal, tf.str(target, 'arn'), ruleArn));
    const dlq = block(tf.field(target, 'dead_letter_config'))?.arn;
    if (typeof dlq === 'string') push('eventbridge-dlq', `${label} dead letters`, deliverTo(mapper, service('events.amazonaws.com'), dlq, ruleArn));
  }

  // CloudWatch alarms notify their topics.
  for (const alarm of tf.of('aws_cloudwatch_metric_alarm')) {
    const topics = new Set([
      ...list(tf.field(alarm, 'alarm_actions') as string[]),
      ...list(tf.field(alarm, 'ok_actions') as string[]),
      ...list(tf.field(alarm, 'insufficient_data_actions') as string[]),
    ]);
    for (const topic of topics)
      if (topic.startsWith('arn:aws:sns:')) push('alarm-topic', `CloudWatch alarm ${tf.str(alarm, 'alarm_name')}`, deliverTo(mapper, service('cloudwatch.amazonaws.com'), topic, tf.arnOf(alarm)));
  }

  // S3 event notifications to queues, topics and functions (EventBridge notifications go to the default bus, which has no key).
  for (const notification of tf.of('aws_s3_bucket_notification')) {
    const bucketArn = `arn:aws:s3:::${tf.str(notification, 'bucket')}`;
    const targets = [
      ...list(tf.field(notification, 'queue') as Json[]).map((entry) => String(entry.queue_arn)),
      ...list(tf.field(notification, 'topic') as Json[]).map((entry) => String(entry.topic_arn)),
      ...list(tf.field(notification, 'lambda_function') as Json[]).map((entry) => String(entry.lambda_function_arn)),
    ];
    for (const target of targets) push('s3-notification', `S3 notifications of ${bucketArn}`, deliverTo(mapper, service('s3.amazonaws.com'), target, bucketArn));
  }

  // EventBridge Pipes: the pipe role reads the source stream, invokes the enrichment, puts to the target, parks dead letters, uses the pipe's key; log delivery.
  for (const pipe of tf.of('aws_pipes_pipe')) {
    const arn = tf.arnOf(pipe);
    const roleName = roleNameOfArn(model, tf.str(pipe, 'role_arn'), pipe.address);
    const label = `pipe ${tf.str(pipe, 'name')}`;
    const principal = role(roleName);
    const source = tf.str(pipe, 'source');
    if (source.includes(':dynamodb:') && source.includes('/stream/')) {
      const table = source.split('/stream/')[0]!;
      push('pipe-source', label, [
        ...['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((action) => ({ principal, action, resource: source })),
        ...mapper.implied(principal, table, 'dynamodb', ['kms:Decrypt'], { 'aws:dynamodb:tableName': table.split('/')[1]!, 'aws:dynamodb:subscriberId': account }),
      ]);
    } else if (source.includes(':sqs:')) {
      push(
        'pipe-source',
        label,
        ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) => ({ principal, action, resource: source })),
      );
    }
    if (pipe.raw.enrichment !== undefined) push('pipe-enrichment', label, mapper.callsFor(principal, { service: 'lambda', operation: 'Invoke', input: { FunctionName: tf.str(pipe, 'enrichment') } }));
    push('pipe-target', label, callsToTarget(mapper, principal, tf.str(pipe, 'target')));
    const dlq =
      block(block(block(tf.field(pipe, 'source_parameters'))?.dynamodb_stream_parameters)?.dead_letter_config)?.arn ??
      block(block(block(tf.field(pipe, 'source_parameters'))?.sqs_queue_parameters)?.dead_letter_config)?.arn;
    if (typeof dlq === 'string') push('pipe-dlq', `${label} dead letters`, mapper.callsFor(principal, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: dlq } }));
    const key = keyOf(arn);
    push('pipe-key', `${label} (its role)`, kms(principal, key, ['kms:GenerateDataKey', 'kms:Decrypt'], { 'kms:EncryptionContext:aws:pipe:arn': arn }));
    const logging = block(tf.field(pipe, 'log_configuration'));
    const logGroup = block(logging?.cloudwatch_logs_log_destination)?.log_group_arn;
    if (typeof logGroup === 'string') {
      push(
        'pipe-logs',
        label,
        ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ principal, action, resource: `${logGroup}:log-stream:${tf.str(pipe, 'name')}` })),
      );
      push('log-delivery', `log delivery of ${label}`, kms(service('delivery.logs.amazonaws.com'), key, ['kms:Decrypt'], { 'aws:SourceArn': arn }));
    }
  }

  // EventBridge Scheduler: the schedule's role invokes the target, parks dead letters, decrypts the schedule.
  for (const schedule of tf.of('aws_scheduler_schedule')) {
    const target = block(tf.field(schedule, 'target'));
    if (!target) continue;
    const principal = role(roleNameOfArn(model, String(target.role_arn), schedule.address));
    const label = `schedule ${tf.str(schedule, 'name')}`;
    push('scheduler-target', label, callsToTarget(mapper, principal, String(target.arn)));
    const dlq = block(target.dead_letter_config)?.arn;
    if (typeof dlq === 'string') push('scheduler-dlq', `${label} dead letters`, mapper.callsFor(principal, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: dlq } }));
    const arn = tf.arnOf(schedule);
    push('scheduler-key', label, kms(principal, keyOf(arn), ['kms:Decrypt'], { 'kms:ViaService': `scheduler.${region}.amazonaws.com`, 'kms:EncryptionContext:aws:scheduler:schedule:arn': arn }));
  }

  // Lambda: environment key, event-source mappings (polled with the function's role), async dead letters.
  for (const fn of model.functions.values()) {
    const principal = role(fn.roleName);
    push(
      'lambda-environment-key',
      `function ${fn.name} (Lambda)`,
      kms(principal, fn.environmentKeyArn, ['kms:Decrypt'], { 'kms:ViaService': `lambda.${region}.amazonaws.com`, 'kms:EncryptionContext:LambdaFunctionName': fn.name }),
    );
    const resource = tf.get(fn.address)!;
    // The Lambda service with the execution role: the function's log stream, X-Ray, its VPC ENIs.
    if (fn.logGroup)
      push(
        'lambda-runtime',
        `function ${fn.name} (Lambda)`,
        ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
          principal,
          action,
          resource: `arn:aws:logs:${region}:${account}:log-group:${fn.logGroup}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`,
        })),
      );
    if (block(tf.field(resource, 'tracing_config'))?.mode === 'Active')
      push(
        'lambda-runtime',
        `function ${fn.name} (Lambda)`,
        ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].map((action) => ({ principal, action, resource: '*' })),
      );
    const vpc = block(tf.field(resource, 'vpc_config'));
    if (vpc) {
      const eni = `arn:aws:ec2:${region}:${account}:network-interface/eni-0123456789abcdef0`;
      const attached = [
        eni,
        ...list(vpc.subnet_ids as string[]).map((id) => `arn:aws:ec2:${region}:${account}:subnet/${id}`),
        ...list(vpc.security_group_ids as string[]).map((id) => `arn:aws:ec2:${region}:${account}:security-group/${id}`),
      ];
      push('lambda-runtime', `function ${fn.name} (Lambda VPC)`, [
        ...attached.map((arn) => ({ principal, action: 'ec2:CreateNetworkInterface', resource: arn })),
        ...['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'].map((action) => ({ principal, action, resource: eni })),
        { principal, action: 'ec2:DescribeNetworkInterfaces', resource: '*' },
      ]);
    }
    const dlq = block(tf.field(resource, 'dead_letter_config'))?.target_arn;
    if (typeof dlq === 'string') push('lambda-async-dlq', `function ${fn.name} (async dead letters)`, deliverTo(mapper, principal, dlq, fn.arn));
  }
  for (const mapping of tf.of('aws_lambda_event_source_mapping')) {
    const fnRef = tf.str(mapping, 'function_name');
    const fn = model.functions.get(fnRef.startsWith('arn:') ? fnRef.split(':')[6]! : fnRef);
    if (!fn) throw new Error(`${mapping.address}: function ${fnRef} is not synthesized`);
    const principal = role(fn.roleName);
    const sourceArn = tf.str(mapping, 'event_source_arn');
    const label = `function ${fn.name} (event source ${sourceArn.split(':').pop()})`;
    if (sourceArn.includes(':sqs:')) {
      const url = `https://sqs.${region}.amazonaws.com/${account}/${sourceArn.split(':').pop()}`;
      push('event-source', label, [
        ...mapper.callsFor(principal, { service: 'sqs', operation: 'ReceiveMessage', input: { QueueUrl: url } }),
        ...mapper.callsFor(principal, { service: 'sqs', operation: 'DeleteMessage', input: { QueueUrl: url } }),
        ...mapper.callsFor(principal, { service: 'sqs', operation: 'ChangeMessageVisibility', input: { QueueUrl: url } }),
        ...mapper.callsFor(principal, { service: 'sqs', operation: 'GetQueueAttributes', input: { QueueUrl: url } }),
      ]);
    } else if (sourceArn.includes('/stream/')) {
      push(
        'event-source',
        label,
        ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].map((action) => ({ principal, action, resource: sourceArn })),
      );
    }
  }

  // The ALB invokes its Lambda targets (resource policy on the function).
  for (const attachment of tf.of('aws_lb_target_group_attachment')) {
    const targetId = tf.str(attachment, 'target_id');
    if (!targetId.includes(':lambda:')) continue;
    push('alb-target', `ALB target group ${tf.str(attachment, 'target_group_arn').split('/')[1]}`, [
      { principal: service('elasticloadbalancing.amazonaws.com'), action: 'lambda:InvokeFunction', resource: targetId, context: { 'aws:SourceArn': tf.str(attachment, 'target_group_arn') } },
    ]);
  }

  // VPC flow logs deliver with their role.
  for (const flow of tf.of('aws_flow_log')) {
    if (flow.raw.iam_role_arn === undefined || tf.field(flow, 'log_destination_type') !== 'cloud-watch-logs') continue;
    const principal = role(roleNameOfArn(model, tf.str(flow, 'iam_role_arn'), flow.address));
    const group = tf.str(flow, 'log_destination');
    push(
      'flow-logs',
      `VPC flow log ${flow.name}`,
      ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ principal, action, resource: `${group}:log-stream:eni-0123456789abcdef0-all` })),
    );
  }

  // Glue jobs: the script, the security configuration's keys, the job's log groups.
  for (const job of tf.of('aws_glue_job')) {
    const principal = role(roleNameOfArn(model, tf.str(job, 'role_arn'), job.address));
    const label = `Glue job ${tf.str(job, 'name')}`;
    const script = String(block(tf.field(job, 'command'))?.script_location ?? '');
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(script);
    if (match) push('glue-job', label, mapper.callsFor(principal, { service: 's3', operation: 'GetObject', input: { Bucket: match[1], Key: match[2] } }));
    if (job.raw.security_configuration === undefined) continue;
    const name = tf.str(job, 'security_configuration');
    const configuration = model.named('aws_glue_security_configuration', name);
    if (!configuration) throw new Error(`${job.address}: security configuration ${name} is not synthesized`);
    const encryption = block(tf.field(configuration, 'encryption_configuration'));
    const s3Key = block(encryption?.s3_encryption)?.kms_key_arn;
    const bookmarksKey = block(encryption?.job_bookmarks_encryption)?.kms_key_arn;
    const logsKey = block(encryption?.cloudwatch_encryption)?.kms_key_arn;
    if (typeof s3Key === 'string')
      push('glue-security-configuration', `${label} (S3 encryption)`, kms(principal, s3Key, ['kms:GenerateDataKey', 'kms:Decrypt'], { 'kms:ViaService': `s3.${region}.amazonaws.com` }));
    if (typeof bookmarksKey === 'string')
      push('glue-security-configuration', `${label} (job bookmarks)`, kms(principal, bookmarksKey, ['kms:GenerateDataKey', 'kms:Decrypt'], { 'kms:ViaService': `glue.${region}.amazonaws.com` }));
    if (typeof logsKey === 'string') {
      const roleName = principal.kind === 'role' ? principal.roleName : '';
      for (const group of tf.of('aws_cloudwatch_log_group').filter((candidate) => tf.str(candidate, 'name').startsWith(`/aws-glue/jobs/${name}-role/${roleName}/`))) {
        push('glue-security-configuration', `${label} (encrypted logs)`, [{ principal, action: 'logs:AssociateKmsKey', resource: logGroupResource(tf.arnOf(group)) }]);
      }
    }
  }
  return calls;
}

/** `principal` (a service on behalf of `sourceArn`, or a role) delivering to a queue, topic or function. */
function deliverTo(mapper: CallMapper, principal: CallPrincipal, target: string, sourceArn: string): AwsCall[] {
  const source = { 'aws:SourceArn': sourceArn };
  return callsToTarget(mapper, principal, target).map((call) => ({ ...call, context: { ...(call.context ?? {}), ...(principal.kind === 'service' ? source : {}) } }));
}

function callsToTarget(mapper: CallMapper, principal: CallPrincipal, target: string): AwsCall[] {
  const model = mapper.model;
  if (target.includes(':sqs:')) {
    const url = `https://sqs.${model.region}.amazonaws.com/${model.account}/${target.split(':').pop()}`;
    return mapper.callsFor(principal, { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: url } });
  }
  if (target.includes(':sns:')) return mapper.callsFor(principal, { service: 'sns', operation: 'Publish', input: { TopicArn: target } });
  if (target.includes(':lambda:')) return mapper.callsFor(principal, { service: 'lambda', operation: 'Invoke', input: { FunctionName: target } });
  if (target.includes(':events:') && target.includes(':event-bus/'))
    return mapper.callsFor(principal, { service: 'events', operation: 'PutEvents', input: { Entries: [{ EventBusName: target, Source: 'target', DetailType: 'target' }] } });
  if (target.includes(':states:')) return mapper.callsFor(principal, { service: 'states', operation: 'StartExecution', input: { stateMachineArn: target } });
  throw new Error(`target ${target}: delivery to this kind of target is not modelled`);
}

// --- The deploy role creating every resource -----------------------------------------------------

interface DeployStep {
  action: string;
  resource: string;
  /** A create (or tag-on-create) call: request tags, no resource tags. Otherwise the resource carries its tags. */
  creates?: boolean;
  context?: Record<string, string | readonly string[]>;
}

const DEPLOYED_COMPONENTS = ['app', 'data', 'analytics', 'network', 'observability'];

/** The deploy role's calls to create every resource of the deployed stacks (bootstrap is applied by break-glass). */
export function deployCalls(model: IamModel, mapper: CallMapper): CheckedCall[] {
  const tf = model.tf;
  const deployRole = model.deployRoleName;
  if (!deployRole) throw new Error(`environment ${tf.env}: no deploy role synthesized`);
  const principal = role(deployRole);
  const { region, account } = model;
  const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${account}:${rest}`;
  const calls: CheckedCall[] = [];
  for (const resource of tf.resources) {
    const component = resource.stack.split('-').pop()!;
    if (!DEPLOYED_COMPONENTS.includes(component)) continue;
    const tags = tf.tagsOf(resource);
    const requestTags: Record<string, string | readonly string[]> = { 'aws:TagKeys': Object.keys(tags) };
    for (const [key, value] of Object.entries(tags)) requestTags[`aws:RequestTag/${key}`] = value;
    const resourceTags: Record<string, string> = {};
    for (const [key, value] of Object.entries(tags)) resourceTags[`aws:ResourceTag/${key}`] = value;
    for (const step of deploySteps(model, mapper, resource, arn)) {
      const context = { ...(step.creates ? requestTags : step.action.startsWith('kms:') || step.action === 'iam:PassRole' ? {} : resourceTags), ...(step.context ?? {}) };
      calls.push({ principal, action: step.action, resource: step.resource, context, caller: `deploy role creating ${resource.address}`, check: 'deploy' });
    }
  }
  for (const [stack, json] of tf.stacks) {
    if (!DEPLOYED_COMPONENTS.includes(stack.split('-').pop()!)) continue;
    for (const [name, data] of Object.entries(json.data?.aws_secretsmanager_secret_version ?? {})) {
      const secretId = String(tf.resolveValue(stack, data.secret_id, `${stack}/data.aws_secretsmanager_secret_version.${name}`));
      for (const call of mapper.callsFor(principal, { service: 'secretsmanager', operation: 'GetSecretValue', input: { SecretId: secretId } })) {
        const step = withKeyTags(model, call);
        calls.push({
          principal,
          action: step.action,
          resource: step.resource,
          context: step.context ?? {},
          caller: `deploy role reading ${stack}/data.aws_secretsmanager_secret_version.${name}`,
          check: 'deploy',
        });
      }
    }
  }
  return calls;
}

function keyUse(model: IamModel, keyArn: unknown, viaService: string, actions: readonly string[], extra: Record<string, string> = {}): DeployStep[] {
  if (typeof keyArn !== 'string' || !model.keys.has(keyArn)) return [];
  return actions.map((action) => ({
    action,
    resource: keyArn,
    context: { ...resourceTagsOf(model, model.keys.get(keyArn)!), 'kms:ViaService': `${viaService}.${model.region}.amazonaws.com`, 'kms:CallerAccount': model.account, ...extra },
  }));
}

function passRole(model: IamModel, roleArn: unknown, toService: string): DeployStep[] {
  if (typeof roleArn !== 'string') return [];
  return [{ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': toService } }];
}

function deploySteps(model: IamModel, mapper: CallMapper, resource: TfResource, arn: (service: string, rest: string) => string): DeployStep[] {
  const tf = model.tf;
  const s = (field: string) => tf.str(resource, field);
  const f = (field: string) => tf.field(resource, field);
  const self = () => tf.arnOf(resource);
  const ec2 = (type: string, id: string) => arn('ec2', `${type}/${id}`);
  const vpcOf = (field = 'vpc_id') => ec2('vpc', s(field));
  const create = (action: string, resourceArn: string, context?: Record<string, string | readonly string[]>): DeployStep => ({
    action,
    resource: resourceArn,
    creates: true,
    ...(context ? { context } : {}),
  });
  const then = (action: string, resourceArn: string, context?: Record<string, string | readonly string[]>): DeployStep => ({ action, resource: resourceArn, ...(context ? { context } : {}) });
  const ec2Create = (action: string, resources: string[]) => resources.map((resourceArn) => create(action, resourceArn, { 'ec2:CreateAction': action.split(':')[1]! }));
  switch (resource.type) {
    case 'aws_cloudwatch_log_group': {
      const group = logGroupResource(arn('logs', `log-group:${s('name')}`));
      return [create('logs:CreateLogGroup', group), then('logs:PutRetentionPolicy', group), ...(resource.raw.kms_key_id !== undefined ? [then('logs:AssociateKmsKey', group)] : [])];
    }
    case 'aws_dynamodb_table': {
      const table = self();
      const sse = block(f('server_side_encryption'));
      return [
        create('dynamodb:CreateTable', table),
        create('dynamodb:TagResource', table),
        ...(block(f('point_in_time_recovery'))?.enabled === true ? [then('dynamodb:UpdateContinuousBackups', table)] : []),
        ...(block(f('ttl'))?.enabled === true ? [then('dynamodb:UpdateTimeToLive', table)] : []),
        ...keyUse(model, sse?.kms_key_arn, 'dynamodb', ['kms:DescribeKey', 'kms:CreateGrant'], { 'kms:GrantIsForAWSResource': 'true' }),
      ];
    }
    case 'aws_s3_bucket':
      return [create('s3:CreateBucket', self()), create('s3:PutBucketTagging', self())];
    case 'aws_s3_bucket_policy':
      return [then('s3:PutBucketPolicy', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_versioning':
      return [then('s3:PutBucketVersioning', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_server_side_encryption_configuration':
      return [then('s3:PutEncryptionConfiguration', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_public_access_block':
      return [then('s3:PutBucketPublicAccessBlock', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_ownership_controls':
      return [then('s3:PutBucketOwnershipControls', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_lifecycle_configuration':
      return [then('s3:PutLifecycleConfiguration', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_notification':
      return [then('s3:PutBucketNotification', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_bucket_cors_configuration':
      return [then('s3:PutBucketCORS', `arn:aws:s3:::${s('bucket')}`)];
    case 'aws_s3_object': {
      const input: Record<string, unknown> = { Bucket: s('bucket'), Key: s('key') };
      if (resource.raw.server_side_encryption !== undefined) input.ServerSideEncryption = s('server_side_encryption');
      if (resource.raw.kms_key_id !== undefined) input.SSEKMSKeyId = s('kms_key_id');
      return mapper.callsFor({ kind: 'role', roleName: model.deployRoleName! }, { service: 's3', operation: 'PutObject', input }).map((call) => withKeyTags(model, call));
    }
    case 'aws_sqs_queue':
      return [create('sqs:CreateQueue', self()), create('sqs:TagQueue', self())];
    case 'aws_sqs_queue_policy':
      return [then('sqs:SetQueueAttributes', mapper.queueArn(s('queue_url')))];
    case 'aws_sns_topic':
      return [create('sns:CreateTopic', self()), create('sns:TagResource', self())];
    case 'aws_sns_topic_policy':
      return [then('sns:SetTopicAttributes', s('arn'))];
    case 'aws_sns_topic_subscription':
      return [then('sns:Subscribe', s('topic_arn'))];
    case 'aws_kms_key':
      return [create('kms:CreateKey', '*'), then('kms:EnableKeyRotation', self(), resourceTagsOf(model, resource)), then('kms:DescribeKey', self(), resourceTagsOf(model, resource))];
    case 'aws_kms_alias': {
      const key = tf.keyArnFor(resource, f('target_key_id'));
      return [then('kms:CreateAlias', arn('kms', s('name'))), then('kms:CreateAlias', key, resourceTagsOf(model, model.keys.get(key)!))];
    }
    case 'aws_iam_role':
      return [create('iam:CreateRole', self(), resource.raw.permissions_boundary !== undefined ? { 'iam:PermissionsBoundary': s('permissions_boundary') } : undefined)];
    case 'aws_iam_role_policy': {
      const target = model.roles.get(s('role'));
      return [then('iam:PutRolePolicy', target?.arn ?? `arn:aws:iam::${model.account}:role/${s('role')}`, target?.boundaryArn ? { 'iam:PermissionsBoundary': target.boundaryArn } : undefined)];
    }
    case 'aws_lambda_function':
      return [
        create('lambda:CreateFunction', self()),
        create('lambda:TagResource', self()),
        ...(resource.raw.reserved_concurrent_executions !== undefined ? [then('lambda:PutFunctionConcurrency', self())] : []),
        ...passRole(model, f('role'), 'lambda.amazonaws.com'),
      ];
    case 'aws_lambda_permission':
      return [then('lambda:AddPermission', mapper.functionArn(s('function_name')))];
    case 'aws_lambda_event_source_mapping':
      return [create('lambda:CreateEventSourceMapping', '*', { 'lambda:FunctionArn': mapper.functionArn(s('function_name')) })];
    case 'aws_cloudwatch_event_bus':
      return [create('events:CreateEventBus', self()), create('events:TagResource', self()), ...keyUse(model, f('kms_key_identifier'), 'events', ['kms:DescribeKey'])];
    case 'aws_cloudwatch_event_archive':
      return [create('events:CreateArchive', self()), create('events:CreateArchive', s('event_source_arn'))];
    case 'aws_cloudwatch_event_rule':
      return [create('events:PutRule', self()), create('events:TagResource', self())];
    case 'aws_cloudwatch_event_target': {
      const bus = resource.raw.event_bus_name === undefined ? 'default' : s('event_bus_name');
      const ruleArn = arn('events', bus === 'default' ? `rule/${s('rule')}` : `rule/${bus}/${s('rule')}`);
      return [then('events:PutTargets', ruleArn), ...passRole(model, resource.raw.role_arn === undefined ? undefined : f('role_arn'), 'events.amazonaws.com')];
    }
    case 'aws_sfn_state_machine': {
      const encryption = block(f('encryption_configuration'));
      return [
        create('states:CreateStateMachine', self()),
        create('states:TagResource', self()),
        ...passRole(model, f('role_arn'), 'states.amazonaws.com'),
        ...keyUse(model, encryption?.kms_key_id, 'states', ['kms:DescribeKey', 'kms:GenerateDataKey']),
      ];
    }
    case 'aws_pipes_pipe':
      return [create('pipes:CreatePipe', self()), create('pipes:TagResource', self()), ...passRole(model, f('role_arn'), 'pipes.amazonaws.com')];
    case 'aws_scheduler_schedule':
      return [create('scheduler:CreateSchedule', self()), ...passRole(model, block(f('target'))?.role_arn, 'scheduler.amazonaws.com')];
    case 'aws_secretsmanager_secret':
      return [create('secretsmanager:CreateSecret', self()), create('secretsmanager:TagResource', self())];
    case 'aws_secretsmanager_secret_version':
      return mapper
        .callsFor({ kind: 'role', roleName: model.deployRoleName! }, { service: 'secretsmanager', operation: 'PutSecretValue', input: { SecretId: s('secret_id') } })
        .map((call) => withKeyTags(model, call));
    case 'aws_ssm_parameter':
      return [create('ssm:PutParameter', self()), create('ssm:AddTagsToResource', self())];
    case 'aws_lb':
      return [create('elasticloadbalancing:CreateLoadBalancer', self()), create('elasticloadbalancing:AddTags', self()), then('elasticloadbalancing:ModifyLoadBalancerAttributes', self())];
    case 'aws_lb_target_group':
      return [create('elasticloadbalancing:CreateTargetGroup', self()), then('elasticloadbalancing:ModifyTargetGroupAttributes', self())];
    case 'aws_lb_listener':
      return [create('elasticloadbalancing:CreateListener', s('load_balancer_arn')), ...(resource.raw.certificate_arn !== undefined ? [then('acm:DescribeCertificate', s('certificate_arn'))] : [])];
    case 'aws_lb_target_group_attachment':
      return [then('elasticloadbalancing:RegisterTargets', s('target_group_arn'))];
    case 'aws_glue_catalog_database':
      return [create('glue:CreateDatabase', arn('glue', 'catalog')), create('glue:CreateDatabase', self())];
    case 'aws_glue_catalog_table':
      return [create('glue:CreateTable', arn('glue', 'catalog')), create('glue:CreateTable', arn('glue', `database/${s('database_name')}`)), create('glue:CreateTable', self())];
    case 'aws_glue_job':
      return [create('glue:CreateJob', self()), ...passRole(model, f('role_arn'), 'glue.amazonaws.com')];
    case 'aws_glue_connection':
      return [create('glue:CreateConnection', arn('glue', 'catalog')), then('ec2:DescribeSubnets', '*'), then('ec2:DescribeSecurityGroups', '*')];
    case 'aws_glue_security_configuration':
      return [create('glue:CreateSecurityConfiguration', '*')];
    case 'aws_glue_data_catalog_encryption_settings':
      return [then('glue:PutDataCatalogEncryptionSettings', arn('glue', 'catalog'))];
    case 'aws_emrserverless_application':
      return [
        create('emr-serverless:CreateApplication', '*'),
        create('emr-serverless:TagResource', self()),
        then('iam:CreateServiceLinkedRole', `arn:aws:iam::${model.account}:role/aws-service-role/ops.emr-serverless.amazonaws.com/AWSServiceRoleForAmazonEMRServerless`, {
          'iam:AWSServiceName': 'emr-serverless.amazonaws.com',
        }),
      ];
    case 'aws_redshiftserverless_namespace': {
      const steps: DeployStep[] = [create('redshift-serverless:CreateNamespace', self()), create('redshift-serverless:TagResource', self())];
      for (const roleArn of list(f('iam_roles') as string[])) steps.push(...passRole(model, roleArn, 'redshift.amazonaws.com'));
      steps.push(...keyUse(model, f('kms_key_id'), 'redshift-serverless', ['kms:DescribeKey', 'kms:CreateGrant'], { 'kms:GrantIsForAWSResource': 'true' }));
      if (f('manage_admin_password') === true) {
        const secret = String(tf.attribute(resource, 'admin_password_secret_arn'));
        steps.push(create('secretsmanager:CreateSecret', secret), create('secretsmanager:TagResource', secret));
        steps.push(...keyUse(model, f('admin_password_secret_kms_key_id'), 'secretsmanager', ['kms:GenerateDataKey', 'kms:Decrypt']));
      }
      return steps;
    }
    case 'aws_redshiftserverless_workgroup':
      return [create('redshift-serverless:CreateWorkgroup', self()), create('redshift-serverless:TagResource', self()), then('ec2:DescribeSubnets', '*')];
    case 'aws_cloudwatch_metric_alarm':
      return [create('cloudwatch:PutMetricAlarm', self()), create('cloudwatch:TagResource', self())];
    case 'aws_cloudwatch_dashboard':
      return [then('cloudwatch:PutDashboard', String(tf.attribute(resource, 'dashboard_arn')))];
    case 'aws_vpc':
      return ec2Create('ec2:CreateVpc', [self()]);
    case 'aws_subnet':
      return ec2Create('ec2:CreateSubnet', [self(), vpcOf()]);
    case 'aws_security_group':
      return ec2Create('ec2:CreateSecurityGroup', [self(), vpcOf()]);
    case 'aws_default_security_group':
      return [then('ec2:RevokeSecurityGroupIngress', self()), then('ec2:RevokeSecurityGroupEgress', self())];
    case 'aws_route_table':
      return ec2Create('ec2:CreateRouteTable', [self(), vpcOf()]);
    case 'aws_internet_gateway':
      return [...ec2Create('ec2:CreateInternetGateway', [self()]), then('ec2:AttachInternetGateway', self()), then('ec2:AttachInternetGateway', vpcOf())];
    case 'aws_nat_gateway':
      return ec2Create('ec2:CreateNatGateway', [self(), ec2('subnet', s('subnet_id'))]);
    case 'aws_eip':
      return ec2Create('ec2:AllocateAddress', [self()]);
    case 'aws_vpn_gateway':
      return [...ec2Create('ec2:CreateVpnGateway', [self()]), ...(resource.raw.vpc_id !== undefined ? [then('ec2:AttachVpnGateway', self()), then('ec2:AttachVpnGateway', vpcOf())] : [])];
    case 'aws_vpc_endpoint':
      return ec2Create('ec2:CreateVpcEndpoint', [self(), vpcOf()]);
    case 'aws_flow_log':
      return [
        ...ec2Create('ec2:CreateFlowLogs', [self(), ...(resource.raw.vpc_id !== undefined ? [vpcOf()] : [])]),
        ...passRole(model, resource.raw.iam_role_arn === undefined ? undefined : f('iam_role_arn'), 'vpc-flow-logs.amazonaws.com'),
      ];
    case 'aws_vpc_security_group_ingress_rule':
      return ec2Create('ec2:AuthorizeSecurityGroupIngress', [ec2('security-group', s('security_group_id')), self()]);
    case 'aws_vpc_security_group_egress_rule':
      return ec2Create('ec2:AuthorizeSecurityGroupEgress', [ec2('security-group', s('security_group_id')), self()]);
    case 'aws_route':
      return [then('ec2:CreateRoute', ec2('route-table', s('route_table_id')))];
    case 'aws_route_table_association':
      return [
        then('ec2:AssociateRouteTable', ec2('route-table', s('route_table_id'))),
        ...(resource.raw.subnet_id !== undefined ? [then('ec2:AssociateRouteTable', ec2('subnet', s('subnet_id')))] : []),
      ];
    // The customer edge (API-5, NOTIFY-2, AUDIT-1).
    case 'aws_cognito_user_pool':
      // CreateUserPool supports no resource-level permissions (the service reference): asked on `*`.
      return [create('cognito-idp:CreateUserPool', '*'), create('cognito-idp:TagResource', self())];
    case 'aws_cognito_user_pool_client':
    case 'aws_cognito_resource_server':
    case 'aws_cognito_user_pool_domain': {
      const pool = arn('cognito-idp', `userpool/${s('user_pool_id')}`);
      const poolResource = tf.of('aws_cognito_user_pool').find((candidate) => tf.arnOf(candidate) === pool);
      if (!poolResource) throw new Error(`${resource.address}: user pool ${pool} is not synthesized`);
      const action = { aws_cognito_user_pool_client: 'CreateUserPoolClient', aws_cognito_resource_server: 'CreateResourceServer', aws_cognito_user_pool_domain: 'CreateUserPoolDomain' }[
        resource.type
      ]!;
      return [then(`cognito-idp:${action}`, pool, resourceTagsOf(model, poolResource))];
    }
    case 'aws_apigatewayv2_api':
      return [create('apigateway:POST', `arn:aws:apigateway:${model.region}::/apis`)];
    case 'aws_apigatewayv2_stage':
    case 'aws_apigatewayv2_integration':
    case 'aws_apigatewayv2_authorizer':
    case 'aws_apigatewayv2_route': {
      const kind = resource.type.replace('aws_apigatewayv2_', '');
      return [then('apigateway:POST', `arn:aws:apigateway:${model.region}::/apis/${s('api_id')}/${kind}s`)];
    }
    case 'aws_cloudfront_distribution':
      return [create('cloudfront:CreateDistribution', '*'), create('cloudfront:TagResource', self())];
    case 'aws_wafv2_web_acl':
      return [create('wafv2:CreateWebACL', self()), create('wafv2:TagResource', self())];
    case 'aws_sesv2_email_identity':
      return [create('ses:CreateEmailIdentity', self()), create('ses:TagResource', self())];
    case 'aws_sesv2_configuration_set':
      return [create('ses:CreateConfigurationSet', self()), create('ses:TagResource', self())];
    case 'aws_db_subnet_group':
      return [create('rds:CreateDBSubnetGroup', self()), create('rds:AddTagsToResource', self())];
    case 'aws_rds_cluster_parameter_group':
      return [create('rds:CreateDBClusterParameterGroup', self()), create('rds:AddTagsToResource', self())];
    case 'aws_rds_cluster': {
      const steps: DeployStep[] = [create('rds:CreateDBCluster', self()), create('rds:AddTagsToResource', self())];
      // RDS authorises CreateDBCluster on the subnet group and parameter group it names, too.
      if (resource.raw.db_subnet_group_name !== undefined) steps.push(then('rds:CreateDBCluster', arn('rds', `subgrp:${s('db_subnet_group_name')}`)));
      if (resource.raw.db_cluster_parameter_group_name !== undefined) steps.push(then('rds:CreateDBCluster', arn('rds', `cluster-pg:${s('db_cluster_parameter_group_name')}`)));
      if (f('manage_master_user_password') === true) {
        const secret = (tf.attribute(resource, 'master_user_secret') as { secret_arn: string }[])[0]!.secret_arn;
        steps.push(create('secretsmanager:CreateSecret', secret), create('secretsmanager:TagResource', secret));
      }
      return steps;
    }
    case 'aws_rds_cluster_instance':
      return [create('rds:CreateDBInstance', self()), create('rds:AddTagsToResource', self()), then('rds:CreateDBInstance', arn('rds', `cluster:${s('cluster_identifier')}`))];
    case 'aws_dx_gateway_association_proposal':
      return [
        then('directconnect:CreateDirectConnectGatewayAssociationProposal', `arn:aws:directconnect::${s('dx_gateway_owner_account_id')}:dx-gateway/${s('dx_gateway_id')}`, {
          'aws:ResourceAccount': s('dx_gateway_owner_account_id'),
        }),
      ];
  }
  throw new Error(`${resource.address}: the deploy role's calls to create a ${resource.type} are not modelled (add it to rehearsal/iam/static.ts)`);
}

/**
 * The resource CloudWatch Logs authorises log-group actions on: the log group's ARN with the `:*`
 * its API has always returned (a policy naming `log-group:<name>:*` covers it).
 */
export function logGroupResource(groupArn: string): string {
  return `${groupArn}:*`;
}

/** A mapped call as a deploy step; a key it uses carries its tags (it exists already). */
function withKeyTags(model: IamModel, call: AwsCall): DeployStep {
  const key = model.keys.get(call.resource);
  return { action: call.action, resource: call.resource, context: { ...(key ? resourceTagsOf(model, key) : {}), ...(call.context ?? {}) } };
}

function resourceTagsOf(model: IamModel, resource: TfResource): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(model.tf.tagsOf(resource))) context[`aws:ResourceTag/${key}`] = value;
  return context;
}

// --- State machine tasks -----------------------------------------------------------------------------

/**
 * The calls a state machine's role makes for its Task states (aws-sdk integrations, Lambda invoke,
 * SNS publish, Glue job runs, EventBridge PutEvents, Distributed Map children). Dynamic
 * parameters (`Key.$`) take their value from `bindings` (JSONPath → value); a dynamic parameter a
 * task needs and the bindings lack is an error naming the path.
 */
export function workflowCalls(model: IamModel, mapper: CallMapper, machineName: string, bindings: Readonly<Record<string, unknown>> = {}): CheckedCall[] {
  const machine = model.named('aws_sfn_state_machine', machineName);
  if (!machine) throw new Error(`state machine ${machineName} is not synthesized in environment ${model.tf.env}`);
  const tf = model.tf;
  const principal = role(roleNameOfArn(model, tf.str(machine, 'role_arn'), machine.address));
  const definition = JSON.parse(tf.str(machine, 'definition')) as Json;
  const calls: CheckedCall[] = [];
  const bind = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) return value.map((inner) => bind(inner, where));
    if (!value || typeof value !== 'object') return value;
    const out: Json = {};
    for (const [key, inner] of Object.entries(value as Json)) {
      if (key.endsWith('.$')) {
        const path = String(inner);
        out[key.slice(0, -2)] = path in bindings ? bindings[path] : `<${path}>`;
      } else out[key] = bind(inner, where);
    }
    return out;
  };
  const need = (input: Json, field: string, state: string): void => {
    const value = input[field];
    if (typeof value === 'string' && value.startsWith('<$')) throw new Error(`state machine ${machineName}, state ${state}: ${field} comes from ${value.slice(1, -1)}; give its value in the bindings`);
  };
  const task = (state: string, body: Json) => {
    const resource = String(body.Resource ?? '');
    const input = bind(body.Parameters ?? body.Arguments ?? {}, state) as Json;
    const caller = `state machine ${machineName}, state ${state}`;
    const add = (request: ApiRequest) => calls.push(...mapper.callsFor(principal, request, caller).map((call) => ({ ...call, check: 'workflow' })));
    const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)(\.\w+)?$/.exec(resource);
    if (sdk) {
      const services: Record<string, string> = {
        redshiftdata: 'redshift-data',
        s3: 's3',
        ssm: 'ssm',
        secretsmanager: 'secretsmanager',
        dynamodb: 'dynamodb',
        sqs: 'sqs',
        sns: 'sns',
        glue: 'glue',
        lambda: 'lambda',
        eventbridge: 'events',
        sfn: 'states',
      };
      const svc = services[sdk[1]!];
      if (!svc) throw new Error(`${caller}: aws-sdk service ${sdk[1]} is not modelled`);
      for (const field of ['Bucket', 'Key', 'Name', 'SecretId', 'TableName', 'QueueUrl', 'TopicArn', 'WorkgroupName', 'SecretArn', 'JobName']) need(input, field, state);
      add({ service: svc, operation: sdk[2]![0]!.toUpperCase() + sdk[2]!.slice(1), input });
      return;
    }
    if (resource.startsWith('arn:aws:states:::lambda:invoke')) return add({ service: 'lambda', operation: 'Invoke', input });
    if (resource.startsWith('arn:aws:states:::sns:publish')) return add({ service: 'sns', operation: 'Publish', input });
    if (resource.startsWith('arn:aws:states:::events:putEvents')) return add({ service: 'events', operation: 'PutEvents', input });
    if (resource.startsWith('arn:aws:states:::glue:startJobRun')) {
      add({ service: 'glue', operation: 'StartJobRun', input });
      if (resource.endsWith('.sync')) for (const operation of ['GetJobRun', 'GetJobRuns', 'BatchStopJobRun']) add({ service: 'glue', operation, input: { JobName: input.JobName } });
      return;
    }
    if (resource.startsWith('arn:aws:states:::emr-serverless:startJobRun')) {
      need(input, 'ApplicationId', state);
      need(input, 'ExecutionRoleArn', state);
      add({ service: 'emr-serverless', operation: 'StartJobRun', input });
      if (resource.endsWith('.sync')) {
        for (const operation of ['GetJobRun', 'CancelJobRun']) add({ service: 'emr-serverless', operation, input: { ApplicationId: input.ApplicationId } });
        // .sync polls through a managed EventBridge rule in the caller's account.
        const rule = `arn:aws:events:${model.region}:${model.account}:rule/StepFunctionsGetEventsForEMRServerlessJobRule`;
        for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) calls.push({ principal, action, resource: rule, caller, check: 'workflow' });
      }
      return;
    }
    if (resource.startsWith('arn:aws:lambda:')) return add({ service: 'lambda', operation: 'Invoke', input: { FunctionName: resource } });
    throw new Error(`${caller}: Task resource ${resource} is not modelled`);
  };
  const walk = (states: Json) => {
    for (const [name, state] of Object.entries(states)) {
      const body = state as Json;
      if (body.Type === 'Task') task(name, body);
      if (body.Type === 'Parallel') for (const branch of list(body.Branches as Json[])) walk(branch.States as Json);
      if (body.Type === 'Map') {
        const processor = (body.ItemProcessor ?? body.Iterator) as Json | undefined;
        if (processor) walk(processor.States as Json);
        if ((block(processor?.ProcessorConfig)?.Mode ?? '') === 'DISTRIBUTED') {
          const arn = tf.arnOf(machine);
          calls.push(
            ...mapper
              .callsFor(principal, { service: 'states', operation: 'StartExecution', input: { stateMachineArn: arn } }, `state machine ${machineName}, state ${name} (Distributed Map)`)
              .map((call) => ({ ...call, check: 'workflow' })),
          );
        }
      }
    }
  };
  walk(definition.States as Json);
  return calls;
}
