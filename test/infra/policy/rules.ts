/**
 * The infrastructure policy suite: named rules over the synthesized Terraform JSON. Each rule
 * returns its violations (empty = pass). The suite runs over every environment (dev, staging,
 * prod) and the tooling account, and every rule is proven to fail on the deliberately bad
 * fixture stack (bad-fixture.ts).
 */
import { ACTIONS_REQUIRING_WILDCARD_RESOURCE, WILDCARD_SID_PREFIX } from '../../../stacks/lib/iam';
import { block, list, statementsOf, type Json, type Resource, type Statement, type SynthModel } from '../support/model';

export interface Violation {
  rule: string;
  address: string;
  message: string;
}

export interface PolicyRule {
  id: string;
  description: string;
  /** 'environment' rules only make sense where the platform runs (not the tooling account). */
  scope: 'all' | 'environment';
  check(model: SynthModel): Violation[];
}

type Check = (model: SynthModel, violation: (resource: Resource | string, message: string) => void) => void;

function rule(id: string, description: string, scope: PolicyRule['scope'], check: Check): PolicyRule {
  return {
    id,
    description,
    scope,
    check(model) {
      const violations: Violation[] = [];
      check(model, (resource, message) => violations.push({ rule: id, address: typeof resource === 'string' ? resource : resource.address, message }));
      return violations;
    },
  };
}

// --- helpers -------------------------------------------------------------------------------------

const DLQ_RETENTION_SECONDS = 1_209_600;

const IDENTITY_POLICIES: ReadonlyArray<[type: string, field: string]> = [
  ['aws_iam_role_policy', 'policy'],
  ['aws_iam_policy', 'policy'],
  ['aws_iam_user_policy', 'policy'],
  ['aws_iam_group_policy', 'policy'],
];
const RESOURCE_POLICIES: ReadonlyArray<[type: string, field: string]> = [
  ['aws_s3_bucket_policy', 'policy'],
  ['aws_sqs_queue_policy', 'policy'],
  ['aws_sqs_queue', 'policy'],
  ['aws_sns_topic_policy', 'policy'],
  ['aws_sns_topic', 'policy'],
  ['aws_kms_key', 'policy'],
  ['aws_secretsmanager_secret', 'policy'],
  ['aws_iam_role', 'assume_role_policy'],
  ['aws_vpc_endpoint', 'policy'],
];

function policies(model: SynthModel, kinds: ReadonlyArray<[string, string]>): Array<{ resource: Resource; statements: Statement[] }> {
  return kinds.flatMap(([type, field]) => model.of(type).map((resource) => ({ resource, statements: statementsOf(resource.config[field]) })));
}

function isWildcardAction(action: string): boolean {
  return action === '*' || /^[a-z0-9-]+:\*$/.test(action);
}

function principalIsPublic(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') return list((principal as Json).AWS as string | string[] | undefined).includes('*');
  return false;
}

/** Resources of `type` attached to `target` through `field` (e.g. a bucket's encryption configuration). */
function companions(model: SynthModel, target: Resource, type: string, field = 'bucket'): Resource[] {
  return model.attachedTo(target, type, field);
}

function queueByRef(model: SynthModel, owner: Resource, value: unknown): Resource | undefined {
  const refs = model.refs(owner, value).filter((ref) => ref.includes('/aws_sqs_queue.'));
  if (refs.length > 0) return model.get(refs[0]!);
  if (typeof value === 'string' && value.startsWith('arn:aws:sqs:')) {
    const name = value.split(':').pop();
    return model.of('aws_sqs_queue').find((queue) => queue.config.name === name);
  }
  return undefined;
}

function functionByRef(model: SynthModel, owner: Resource, value: unknown): Resource | undefined {
  const ref = model.refs(owner, value).find((candidate) => candidate.includes('/aws_lambda_function.'));
  if (ref) return model.get(ref);
  if (typeof value === 'string') {
    const name = value.startsWith('arn:aws:lambda:') ? value.split(':').pop() : value;
    return model.of('aws_lambda_function').find((fn) => fn.config.function_name === name);
  }
  return undefined;
}

function isDeadLetterQueue(queue: Resource): boolean {
  return typeof queue.config.name === 'string' && queue.config.name.endsWith('-dlq');
}

/** Subnets a route table association ties to a route table with an internet gateway route. */
function publicSubnets(model: SynthModel): Set<string> {
  const internetRouteTables = new Set<string>();
  for (const route of model.of('aws_route')) {
    if (model.refersTo(route, route.config.gateway_id, 'aws_internet_gateway')) {
      for (const ref of model.refs(route, route.config.route_table_id)) internetRouteTables.add(ref);
    }
  }
  for (const table of model.of('aws_route_table')) {
    if (list(table.config.route as Json[] | undefined).some((route) => model.refersTo(table, route.gateway_id, 'aws_internet_gateway'))) internetRouteTables.add(table.address);
  }
  const result = new Set<string>();
  for (const association of model.of('aws_route_table_association')) {
    if (model.refs(association, association.config.route_table_id).some((ref) => internetRouteTables.has(ref))) {
      model.refs(association, association.config.subnet_id).forEach((ref) => result.add(ref));
    }
  }
  for (const subnet of model.of('aws_subnet')) if (subnet.config.map_public_ip_on_launch === true) result.add(subnet.address);
  return result;
}

interface AlarmKey {
  namespace: string;
  metric: string;
  dimension: string;
  value: string;
}

function alarmsMatching(model: SynthModel, key: AlarmKey): Resource[] {
  return model.of('aws_cloudwatch_metric_alarm').filter((alarm) => {
    const dimensions = (alarm.config.dimensions ?? {}) as Record<string, string>;
    return alarm.config.namespace === key.namespace && alarm.config.metric_name === key.metric && dimensions[key.dimension] === key.value;
  });
}

function hasAlarm(model: SynthModel, key: AlarmKey): boolean {
  return alarmsMatching(model, key).length > 0;
}

function stateMachineArnOf(model: SynthModel, machine: Resource): string | undefined {
  const provider = Object.values(model.stacks.get(machine.stack)?.provider ?? {})[0]?.[0] as Json | undefined;
  const account = list(provider?.allowed_account_ids as string[] | undefined)[0];
  if (!account || typeof machine.config.name !== 'string') return undefined;
  return `arn:aws:states:${String(provider?.region)}:${account}:stateMachine:${machine.config.name}`;
}

// --- the rules -------------------------------------------------------------------------------------

export const RULES: readonly PolicyRule[] = [
  // Encryption with customer-managed keys -----------------------------------------------------------
  rule('kms-key-rotation', 'Every KMS key is a symmetric CMK with automatic rotation', 'all', (model, violation) => {
    for (const key of model.of('aws_kms_key')) if (key.config.enable_key_rotation !== true) violation(key, 'key rotation is off');
  }),
  rule('kms-key-policy-explicit', 'Every KMS key has an explicit key policy without kms:* or public principals', 'all', (model, violation) => {
    for (const key of model.of('aws_kms_key')) {
      const statements = statementsOf(key.config.policy);
      if (statements.length === 0) violation(key, 'no explicit key policy (the default grants kms:* to the account)');
      for (const statement of statements) {
        if (statement.Effect !== 'Allow') continue;
        if (list(statement.Action).some(isWildcardAction)) violation(key, `statement ${statement.Sid ?? '?'} allows a wildcard action`);
        if (principalIsPublic(statement.Principal)) violation(key, `statement ${statement.Sid ?? '?'} allows any principal`);
      }
    }
  }),
  rule('dynamodb-cmk', 'Every DynamoDB table is encrypted with a customer-managed key', 'all', (model, violation) => {
    for (const table of model.of('aws_dynamodb_table')) {
      const sse = block(table.config.server_side_encryption);
      if (sse?.enabled !== true || !model.refersTo(table, sse.kms_key_arn, 'aws_kms_key')) violation(table, 'not encrypted with a CMK');
    }
  }),
  rule('s3-sse-kms-cmk', 'Every bucket defaults to SSE-KMS with a customer-managed key', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const ok = companions(model, bucket, 'aws_s3_bucket_server_side_encryption_configuration').some((configuration) =>
        list(configuration.config.rule as Json[]).some((entry) => {
          const defaults = block(entry.apply_server_side_encryption_by_default);
          return defaults?.sse_algorithm === 'aws:kms' && model.refersTo(configuration, defaults.kms_master_key_id, 'aws_kms_key');
        }),
      );
      if (!ok) violation(bucket, 'no SSE-KMS default encryption with a CMK');
    }
  }),
  rule('sqs-cmk', 'Every queue is encrypted with a customer-managed key (not SQS-managed SSE)', 'all', (model, violation) => {
    for (const queue of model.of('aws_sqs_queue')) {
      if (queue.config.sqs_managed_sse_enabled === true || !model.refersTo(queue, queue.config.kms_master_key_id, 'aws_kms_key')) violation(queue, 'not encrypted with a CMK');
    }
  }),
  rule('sns-cmk', 'Every SNS topic is encrypted with a customer-managed key', 'all', (model, violation) => {
    for (const topic of model.of('aws_sns_topic')) if (!model.refersTo(topic, topic.config.kms_master_key_id, 'aws_kms_key')) violation(topic, 'not encrypted with a CMK');
  }),
  rule('logs-cmk', 'Every log group is encrypted with a customer-managed key', 'all', (model, violation) => {
    for (const group of model.of('aws_cloudwatch_log_group')) if (!model.refersTo(group, group.config.kms_key_id, 'aws_kms_key')) violation(group, 'log group not encrypted with a CMK');
  }),
  rule('eventing-cmk', 'Event buses, archives, pipes and schedules are encrypted with a customer-managed key', 'all', (model, violation) => {
    const checks: Array<[string, string]> = [
      ['aws_cloudwatch_event_bus', 'kms_key_identifier'],
      // aws_cloudwatch_event_archive: provider 5.100 has no kms_key_identifier (docs/infrastructure.md, "Provider 5.100").
      ['aws_pipes_pipe', 'kms_key_identifier'],
      ['aws_scheduler_schedule', 'kms_key_arn'],
    ];
    for (const [type, field] of checks) for (const resource of model.of(type)) if (!model.refersTo(resource, resource.config[field], 'aws_kms_key')) violation(resource, `${field} is not a CMK`);
  }),
  rule('workflow-and-function-cmk', 'State machine data and Lambda environments are encrypted with a customer-managed key', 'all', (model, violation) => {
    for (const machine of model.of('aws_sfn_state_machine')) {
      const encryption = block(machine.config.encryption_configuration);
      if (encryption?.type !== 'CUSTOMER_MANAGED_KMS_KEY' || !model.refersTo(machine, encryption.kms_key_id, 'aws_kms_key')) violation(machine, 'state machine not encrypted with a CMK');
    }
    for (const fn of model.of('aws_lambda_function')) if (!model.refersTo(fn, fn.config.kms_key_arn, 'aws_kms_key')) violation(fn, 'environment not encrypted with a CMK');
  }),
  rule('analytics-cmk', 'Redshift, its admin secret, secrets, and the Glue catalog/jobs use a customer-managed key', 'all', (model, violation) => {
    for (const namespace of model.of('aws_redshiftserverless_namespace')) {
      if (!model.refersTo(namespace, namespace.config.kms_key_id, 'aws_kms_key')) violation(namespace, 'Redshift namespace not encrypted with a CMK');
      if (namespace.config.manage_admin_password !== true || !model.refersTo(namespace, namespace.config.admin_password_secret_kms_key_id, 'aws_kms_key')) {
        violation(namespace, 'admin password not managed in Secrets Manager under a CMK');
      }
    }
    for (const secret of model.of('aws_secretsmanager_secret')) if (!model.refersTo(secret, secret.config.kms_key_id, 'aws_kms_key')) violation(secret, 'secret not encrypted with a CMK');
    for (const configuration of model.of('aws_glue_security_configuration')) {
      const encryption = block(configuration.config.encryption_configuration) ?? {};
      const s3 = block(encryption.s3_encryption);
      const cloudwatch = block(encryption.cloudwatch_encryption);
      const bookmarks = block(encryption.job_bookmarks_encryption);
      if (s3?.s3_encryption_mode !== 'SSE-KMS' || cloudwatch?.cloudwatch_encryption_mode !== 'SSE-KMS' || bookmarks?.job_bookmarks_encryption_mode !== 'CSE-KMS') {
        violation(configuration, 'Glue security configuration does not encrypt S3, logs and bookmarks with KMS');
      }
    }
    for (const job of model.of('aws_glue_job')) if (!job.config.security_configuration) violation(job, 'Glue job without a security configuration');
    // EMR Serverless: provider 5.100 has no monitoring_configuration; job runs set their log encryption.
  }),

  // S3 ----------------------------------------------------------------------------------------------
  rule('s3-public-access-blocked', 'Every bucket blocks all public access', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const ok = companions(model, bucket, 'aws_s3_bucket_public_access_block').some(
        (block) => block.config.block_public_acls === true && block.config.block_public_policy === true && block.config.ignore_public_acls === true && block.config.restrict_public_buckets === true,
      );
      if (!ok) violation(bucket, 'public access is not fully blocked');
    }
  }),
  rule('s3-tls-only', 'Every bucket policy denies requests without TLS', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const ok = companions(model, bucket, 'aws_s3_bucket_policy').some((policy) =>
        statementsOf(policy.config.policy).some(
          (statement) =>
            statement.Effect === 'Deny' &&
            principalIsPublic(statement.Principal) &&
            list(statement.Action).includes('s3:*') &&
            String((statement.Condition?.Bool as Json | undefined)?.['aws:SecureTransport']) === 'false' &&
            list(statement.Resource).length >= 2,
        ),
      );
      if (!ok) violation(bucket, 'no bucket policy denying aws:SecureTransport=false on the bucket and its objects');
    }
  }),
  rule('s3-named-roles-only', 'Every bucket policy denies object access to anyone outside the named roles', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const ok = companions(model, bucket, 'aws_s3_bucket_policy').some((policy) =>
        statementsOf(policy.config.policy).some(
          (statement) =>
            statement.Effect === 'Deny' &&
            list(statement.Action).some((action) => action.startsWith('s3:GetObject')) &&
            list((statement.Condition?.ArnNotEquals as Json | undefined)?.['aws:PrincipalArn'] as string[] | undefined).length > 0,
        ),
      );
      if (!ok) violation(bucket, 'object access is not limited to named roles');
    }
  }),
  rule('s3-versioning', 'Every bucket is versioned', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const ok = companions(model, bucket, 'aws_s3_bucket_versioning').some((versioning) => block(versioning.config.versioning_configuration)?.status === 'Enabled');
      if (!ok) violation(bucket, 'versioning is not enabled');
    }
  }),
  rule('s3-lifecycle', 'Every bucket has lifecycle rules (old versions expire, incomplete uploads abort)', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const rules = companions(model, bucket, 'aws_s3_bucket_lifecycle_configuration').flatMap((lifecycle) => list(lifecycle.config.rule as Json[]));
      const enabled = rules.filter((entry) => entry.status === 'Enabled');
      if (enabled.length === 0 || !enabled.some((entry) => entry.abort_incomplete_multipart_upload) || !enabled.some((entry) => entry.noncurrent_version_expiration)) {
        violation(bucket, 'missing lifecycle rules');
      }
    }
  }),
  rule('s3-acls-disabled', 'Every bucket enforces bucket-owner object ownership (ACLs disabled)', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const ok = companions(model, bucket, 'aws_s3_bucket_ownership_controls').some((controls) => block(controls.config.rule)?.object_ownership === 'BucketOwnerEnforced');
      if (!ok) violation(bucket, 'ACLs are not disabled');
    }
  }),

  // IAM ---------------------------------------------------------------------------------------------
  rule('iam-no-wildcard-actions', 'No policy allows "*" or "<service>:*" actions', 'all', (model, violation) => {
    for (const { resource, statements } of policies(model, [...IDENTITY_POLICIES, ...RESOURCE_POLICIES])) {
      // An endpoint policy is a perimeter (which accounts), not a grant: vpc-endpoint-policy checks it.
      if (resource.type === 'aws_vpc_endpoint') continue;
      for (const statement of statements) {
        if (statement.Effect === 'Allow' && (list(statement.Action).some(isWildcardAction) || statement.NotAction !== undefined)) {
          violation(resource, `statement ${statement.Sid ?? '?'} allows ${list(statement.Action).join(',') || 'NotAction'}`);
        }
      }
    }
  }),
  rule('iam-no-wildcard-resources', 'Resource "*" only for actions AWS cannot scope, in a documented AwsRequiresWildcard statement', 'all', (model, violation) => {
    for (const { resource, statements } of policies(model, IDENTITY_POLICIES)) {
      for (const statement of statements) {
        if (statement.Effect !== 'Allow' || !list(statement.Resource).some((value) => value === '*')) continue;
        const undocumented = list(statement.Action).filter((action) => !(action in ACTIONS_REQUIRING_WILDCARD_RESOURCE));
        if (!statement.Sid?.startsWith(WILDCARD_SID_PREFIX) || undocumented.length > 0) {
          violation(resource, `statement ${statement.Sid ?? '?'} grants ${undocumented.join(',') || 'actions'} on "*"`);
        }
      }
    }
  }),
  rule('iam-no-public-resource-policies', 'No resource or trust policy allows an anonymous / any principal', 'all', (model, violation) => {
    for (const { resource, statements } of policies(model, RESOURCE_POLICIES)) {
      for (const statement of statements) {
        // Endpoint policies always name Principal "*"; they are public unless pinned to our accounts.
        const pinned = resource.type === 'aws_vpc_endpoint' && JSON.stringify(statement.Condition ?? {}).includes('"aws:PrincipalAccount"');
        if (statement.Effect === 'Allow' && principalIsPublic(statement.Principal) && !pinned) violation(resource, `statement ${statement.Sid ?? '?'} allows any principal`);
      }
    }
  }),
  rule('iam-no-aws-managed-policies', 'No AWS-managed policy (AdministratorAccess, *FullAccess, ...) is attached', 'all', (model, violation) => {
    for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_user_policy_attachment']) {
      for (const attachment of model.of(type))
        if (String(attachment.config.policy_arn).startsWith('arn:aws:iam::aws:policy/')) violation(attachment, `attaches ${String(attachment.config.policy_arn)}`);
    }
    for (const role of model.of('aws_iam_role')) if (list(role.config.managed_policy_arns as string[] | undefined).length > 0) violation(role, 'managed_policy_arns on the role');
  }),
  rule('iam-permissions-boundary', 'Every workload role carries the permissions boundary (only the deploy and read-only plan roles do not)', 'all', (model, violation) => {
    for (const role of model.of('aws_iam_role')) {
      // The bootstrap's pipeline roles: the deploy role creates the boundary's roles; the plan role only reads.
      if (role.stack.endsWith('-bootstrap') && /-(deploy|plan)$/.test(String(role.config.name))) continue;
      if (!role.config.permissions_boundary) violation(role, 'no permissions boundary');
    }
  }),
  rule('iam-trust-confused-deputy', 'Service trust policies are pinned to the account (aws:SourceAccount)', 'all', (model, violation) => {
    for (const role of model.of('aws_iam_role')) {
      for (const statement of statementsOf(role.config.assume_role_policy)) {
        const service = statement.Principal && typeof statement.Principal === 'object' ? (statement.Principal as Json).Service : undefined;
        if (statement.Effect === 'Allow' && service && !(statement.Condition?.StringEquals as Json | undefined)?.['aws:SourceAccount'])
          violation(role, `trusts ${String(service)} without aws:SourceAccount`);
      }
    }
  }),
  rule('iam-one-role-per-function', 'Every function has its own role', 'all', (model, violation) => {
    const seen = new Map<string, string>();
    for (const fn of model.of('aws_lambda_function')) {
      const role = model.refs(fn, fn.config.role)[0] ?? String(fn.config.role);
      const other = seen.get(role);
      if (other) violation(fn, `shares role ${role} with ${other}`);
      seen.set(role, fn.address);
    }
  }),

  // Dead letters, retries, batching ------------------------------------------------------------------
  rule('sqs-dlq-on-every-queue', 'Every work queue has a DLQ (maxReceiveCount) and every DLQ keeps messages 14 days', 'all', (model, violation) => {
    for (const queue of model.of('aws_sqs_queue')) {
      if (isDeadLetterQueue(queue)) {
        if (queue.config.message_retention_seconds !== DLQ_RETENTION_SECONDS) violation(queue, 'dead-letter queue does not keep messages 14 days');
        continue;
      }
      const redrive = typeof queue.config.redrive_policy === 'string' ? (JSON.parse(queue.config.redrive_policy) as Json) : undefined;
      const dlq = redrive ? queueByRef(model, queue, redrive.deadLetterTargetArn) : undefined;
      if (!dlq || !(Number(redrive?.maxReceiveCount) >= 1)) violation(queue, 'no dead-letter queue / maxReceiveCount');
    }
  }),
  rule('async-targets-dlq-and-retry', 'Every EventBridge target, schedule, pipe and async-invoked function has a DLQ (and a retry policy)', 'all', (model, violation) => {
    for (const target of model.of('aws_cloudwatch_event_target')) {
      if (!block(target.config.dead_letter_config)?.arn) violation(target, 'EventBridge target without a dead-letter queue');
      if (!block(target.config.retry_policy)) violation(target, 'EventBridge target without a retry policy');
      const fn = functionByRef(model, target, target.config.arn);
      if (fn && !block(fn.config.dead_letter_config)?.target_arn) violation(fn, 'asynchronously invoked (EventBridge) without a dead-letter queue');
    }
    for (const schedule of model.of('aws_scheduler_schedule')) {
      const target = block(schedule.config.target);
      if (!block(target?.dead_letter_config)?.arn || !block(target?.retry_policy)) violation(schedule, 'schedule target without DLQ / retry policy');
      const fn = functionByRef(model, schedule, target?.arn);
      if (fn && !block(fn.config.dead_letter_config)?.target_arn) violation(fn, 'asynchronously invoked (Scheduler) without a dead-letter queue');
    }
    for (const pipe of model.of('aws_pipes_pipe')) {
      const stream = block(block(pipe.config.source_parameters)?.dynamodb_stream_parameters);
      if (stream && !block(stream.dead_letter_config)?.arn) violation(pipe, 'stream pipe without a dead-letter queue');
    }
  }),
  rule('pipe-batch-and-filter', 'Stream pipes batch (≤ 10), filter, bisect on failure and bound retries', 'all', (model, violation) => {
    for (const pipe of model.of('aws_pipes_pipe')) {
      const source = block(pipe.config.source_parameters);
      const stream = block(source?.dynamodb_stream_parameters);
      if (!stream) continue;
      const batch = Number(stream.batch_size);
      if (!(batch >= 2 && batch <= 10)) violation(pipe, `batch size ${batch} (want 2-10)`);
      if (list(block(source?.filter_criteria)?.filter as Json[] | undefined).length === 0) violation(pipe, 'no filter criteria');
      if (stream.on_partial_batch_item_failure !== 'AUTOMATIC_BISECT' || !(Number(stream.maximum_retry_attempts) >= 0)) violation(pipe, 'no bisect / bounded retries');
    }
  }),
  rule('sqs-visibility-6x-timeout', "Every event-source queue's visibility timeout is at least 6 × its consumer's timeout", 'all', (model, violation) => {
    for (const mapping of model.of('aws_lambda_event_source_mapping')) {
      const queue = queueByRef(model, mapping, mapping.config.event_source_arn);
      const fn = functionByRef(model, mapping, mapping.config.function_name);
      if (!queue || !fn) continue;
      const timeout = Number(fn.config.timeout ?? 3);
      if (Number(queue.config.visibility_timeout_seconds ?? 30) < 6 * timeout) violation(queue, `visibility ${String(queue.config.visibility_timeout_seconds)} s < 6 × ${timeout} s`);
    }
  }),
  rule('esm-report-batch-item-failures', 'Every event-source mapping reports batch item failures', 'all', (model, violation) => {
    for (const mapping of model.of('aws_lambda_event_source_mapping')) {
      if (!list(mapping.config.function_response_types as string[] | undefined).includes('ReportBatchItemFailures')) violation(mapping, 'no ReportBatchItemFailures');
    }
  }),
  rule('esm-batching', 'SQS event sources batch (> 10 with a batching window) and cap concurrency', 'all', (model, violation) => {
    for (const mapping of model.of('aws_lambda_event_source_mapping')) {
      if (!queueByRef(model, mapping, mapping.config.event_source_arn)) continue;
      const batch = Number(mapping.config.batch_size ?? 10);
      if (batch <= 10 || !(Number(mapping.config.maximum_batching_window_in_seconds) >= 1)) violation(mapping, `batch ${batch} without a batching window`);
      if (!block(mapping.config.scaling_config)?.maximum_concurrency) violation(mapping, 'no maximum concurrency');
    }
  }),
  rule('hot-path-standard-queues', 'No FIFO queue and no Standard Step Functions execution per event on the hot path', 'all', (model, violation) => {
    for (const queue of model.of('aws_sqs_queue')) if (queue.config.fifo_queue === true) violation(queue, 'FIFO queue (one message group serialises consumers)');
    const standardMachines = new Set(
      model
        .of('aws_sfn_state_machine')
        .filter((machine) => (machine.config.type ?? 'STANDARD') === 'STANDARD')
        .map((machine) => machine.address),
    );
    const targets = [
      ...model.of('aws_cloudwatch_event_target').map((target) => [target, target.config.arn] as const),
      ...model.of('aws_pipes_pipe').map((pipe) => [pipe, pipe.config.target] as const),
    ];
    for (const [resource, arn] of targets) {
      if (model.refs(resource, arn).some((ref) => standardMachines.has(ref))) violation(resource, 'starts a Standard state machine per event');
      if (typeof arn === 'string' && arn.includes(':stateMachine:')) {
        const machine = model.of('aws_sfn_state_machine').find((candidate) => arn.endsWith(`:${String(candidate.config.name)}`));
        if (machine && standardMachines.has(machine.address)) violation(resource, 'starts a Standard state machine per event');
      }
    }
  }),

  // Functions and workflows ----------------------------------------------------------------------------
  rule('lambda-runtime-arm64', 'Functions run nodejs22.x on arm64 with reserved concurrency', 'all', (model, violation) => {
    for (const fn of model.of('aws_lambda_function')) {
      if (fn.config.runtime !== 'nodejs22.x') violation(fn, `runtime ${String(fn.config.runtime)}`);
      if (JSON.stringify(fn.config.architectures) !== '["arm64"]') violation(fn, 'not arm64');
      if (!(Number(fn.config.reserved_concurrent_executions) >= 1)) violation(fn, 'no reserved concurrency');
    }
  }),
  rule('tracing-on', 'X-Ray tracing on every function and state machine', 'all', (model, violation) => {
    for (const fn of model.of('aws_lambda_function')) if (block(fn.config.tracing_config)?.mode !== 'Active') violation(fn, 'tracing not Active');
    for (const machine of model.of('aws_sfn_state_machine')) if (block(machine.config.tracing_configuration)?.enabled !== true) violation(machine, 'tracing off');
  }),
  rule('log-retention', 'Every log group has a retention period', 'all', (model, violation) => {
    for (const group of model.of('aws_cloudwatch_log_group')) if (!(Number(group.config.retention_in_days) > 0)) violation(group, 'no retention (kept forever)');
  }),
  rule('logs-owned', 'Every function and state machine logs to a log group this code defines (retention + CMK)', 'all', (model, violation) => {
    const groups = new Set(model.of('aws_cloudwatch_log_group').map((group) => String(group.config.name)));
    for (const fn of model.of('aws_lambda_function')) {
      const name = block(fn.config.logging_config)?.log_group ?? `/aws/lambda/${String(fn.config.function_name)}`;
      if (!groups.has(String(name))) violation(fn, `logs to ${String(name)}, which no resource defines`);
    }
    for (const machine of model.of('aws_sfn_state_machine')) {
      const logging = block(machine.config.logging_configuration);
      if (!logging || logging.level === 'OFF' || !model.refersTo(machine, logging.log_destination, 'aws_cloudwatch_log_group')) violation(machine, 'no logging to an owned log group');
    }
    for (const pipe of model.of('aws_pipes_pipe')) {
      const destination = block(block(pipe.config.log_configuration)?.cloudwatch_logs_log_destination);
      if (!model.refersTo(pipe, destination?.log_group_arn, 'aws_cloudwatch_log_group')) violation(pipe, 'pipe does not log to an owned log group');
    }
  }),

  // Network ------------------------------------------------------------------------------------------------
  rule('sg-no-world-ingress', 'No security group accepts traffic from 0.0.0.0/0 or ::/0', 'all', (model, violation) => {
    const world = (value: unknown) => list(value as string[] | string | undefined).some((cidr) => cidr === '0.0.0.0/0' || cidr === '::/0');
    for (const group of model.of('aws_security_group')) {
      for (const ingress of list(group.config.ingress as Json[] | undefined)) if (world(ingress.cidr_blocks) || world(ingress.ipv6_cidr_blocks)) violation(group, 'inline ingress from the world');
    }
    for (const rule of model.of('aws_vpc_security_group_ingress_rule')) if (world(rule.config.cidr_ipv4) || world(rule.config.cidr_ipv6)) violation(rule, 'ingress from the world');
    for (const rule of model.of('aws_security_group_rule'))
      if (rule.config.type === 'ingress' && (world(rule.config.cidr_blocks) || world(rule.config.ipv6_cidr_blocks))) violation(rule, 'ingress from the world');
  }),
  rule('compute-and-data-in-private-subnets', 'Functions, Glue, EMR, Redshift and CodeBuild run only in private subnets', 'all', (model, violation) => {
    const publics = publicSubnets(model);
    const placements: Array<[string, (config: Json) => unknown]> = [
      ['aws_lambda_function', (config) => block(config.vpc_config)?.subnet_ids],
      ['aws_glue_connection', (config) => block(config.physical_connection_requirements)?.subnet_id],
      ['aws_emrserverless_application', (config) => block(config.network_configuration)?.subnet_ids],
      ['aws_redshiftserverless_workgroup', (config) => config.subnet_ids],
      ['aws_codebuild_project', (config) => block(config.vpc_config)?.subnets],
    ];
    for (const [type, subnetsOf] of placements) {
      for (const resource of model.of(type)) {
        const subnets = model.refs(resource, subnetsOf(resource.config));
        if (subnets.length === 0) violation(resource, 'not placed in the VPC');
        for (const subnet of subnets) if (publics.has(subnet)) violation(resource, `placed in public subnet ${subnet}`);
      }
    }
    for (const workgroup of model.of('aws_redshiftserverless_workgroup')) if (workgroup.config.publicly_accessible !== false) violation(workgroup, 'publicly accessible');
  }),
  rule('vpc-hygiene', 'Every VPC has flow logs and a closed default security group; no subnet assigns public IPs', 'all', (model, violation) => {
    for (const vpc of model.of('aws_vpc')) {
      if (model.attachedTo(vpc, 'aws_flow_log', 'vpc_id').length === 0) violation(vpc, 'no flow logs');
      const defaults = model.attachedTo(vpc, 'aws_default_security_group', 'vpc_id');
      if (defaults.length === 0 || defaults.some((group) => list(group.config.ingress as Json[]).length + list(group.config.egress as Json[]).length > 0))
        violation(vpc, 'default security group not closed');
    }
    for (const subnet of model.of('aws_subnet')) if (subnet.config.map_public_ip_on_launch !== false) violation(subnet, 'assigns public IPs on launch');
  }),

  // State and data protection ------------------------------------------------------------------------------
  rule('dynamodb-pitr', 'Point-in-time recovery on every table', 'all', (model, violation) => {
    for (const table of model.of('aws_dynamodb_table')) if (block(table.config.point_in_time_recovery)?.enabled !== true) violation(table, 'PITR off');
  }),
  rule('backend-remote-locked', 'Every stack has its own encrypted S3 state key with a DynamoDB lock table', 'all', (model, violation) => {
    const keys = new Map<string, string>();
    for (const [stack, json] of model.stacks) {
      const s3 = json.terraform?.backend?.s3 as Json | undefined;
      if (!s3 || s3.encrypt !== true || !s3.dynamodb_table || !s3.key || !s3.kms_key_id) {
        violation(stack, 'no encrypted, locked S3 backend');
        continue;
      }
      const key = `${String(s3.bucket)}/${String(s3.key)}`;
      if (keys.has(key)) violation(stack, `shares state key ${key} with ${keys.get(key)}`);
      keys.set(key, stack);
    }
  }),

  // Observability ---------------------------------------------------------------------------------------------
  rule('alarms-dead-letters', 'Every dead-letter queue has a depth alarm', 'environment', (model, violation) => {
    for (const queue of model.of('aws_sqs_queue').filter(isDeadLetterQueue)) {
      if (!hasAlarm(model, { namespace: 'AWS/SQS', metric: 'ApproximateNumberOfMessagesVisible', dimension: 'QueueName', value: String(queue.config.name) })) violation(queue, 'no DLQ depth alarm');
    }
  }),
  rule('alarms-functions', 'Every function has Errors and Throttles alarms', 'environment', (model, violation) => {
    for (const fn of model.of('aws_lambda_function')) {
      for (const metric of ['Errors', 'Throttles']) {
        if (!hasAlarm(model, { namespace: 'AWS/Lambda', metric, dimension: 'FunctionName', value: String(fn.config.function_name) })) violation(fn, `no ${metric} alarm`);
      }
    }
  }),
  rule('alarms-backlog', 'Every consumed queue has an oldest-message alarm; every stream pipe has iterator-age and failure alarms', 'environment', (model, violation) => {
    for (const mapping of model.of('aws_lambda_event_source_mapping')) {
      const queue = queueByRef(model, mapping, mapping.config.event_source_arn);
      if (queue && !hasAlarm(model, { namespace: 'AWS/SQS', metric: 'ApproximateAgeOfOldestMessage', dimension: 'QueueName', value: String(queue.config.name) }))
        violation(queue, 'no oldest-message alarm');
    }
    for (const pipe of model.of('aws_pipes_pipe')) {
      const name = String(pipe.config.name);
      if (!hasAlarm(model, { namespace: 'AWS/EventBridge/Pipes', metric: 'ExecutionFailed', dimension: 'PipeName', value: name })) violation(pipe, 'no pipe failure alarm');
      const iteratorAge = model.of('aws_cloudwatch_metric_alarm').some((alarm) => /IteratorAge/.test(String(alarm.config.metric_name)) && (alarm.config.dimensions as Json | undefined)?.Pipe === name);
      if (!iteratorAge) violation(pipe, 'no iterator-age alarm');
    }
  }),
  rule('alarms-event-rules', 'Every EventBridge rule has throttled-rules and failed-invocations alarms (AWS/Events, its bus in the dimensions)', 'environment', (model, violation) => {
    const alarms = model.of('aws_cloudwatch_metric_alarm').filter((alarm) => alarm.config.namespace === 'AWS/Events');
    for (const rule of model.of('aws_cloudwatch_event_rule')) {
      const ruleName = String(rule.config.name);
      const bus = rule.config.event_bus_name === undefined || rule.config.event_bus_name === 'default' ? undefined : String(rule.config.event_bus_name);
      for (const metric of ['ThrottledRules', 'FailedInvocations']) {
        const found = alarms.some((alarm) => {
          const dimensions = (alarm.config.dimensions ?? {}) as Record<string, string>;
          return alarm.config.metric_name === metric && dimensions.RuleName === ruleName && dimensions.EventBusName === bus;
        });
        if (!found) violation(rule, `no ${metric} alarm${bus ? ` (dimensions EventBusName ${bus} + RuleName)` : ' (dimension RuleName)'}`);
      }
    }
  }),
  rule('alarms-state-machines', 'Every state machine has a failed-executions alarm', 'environment', (model, violation) => {
    for (const machine of model.of('aws_sfn_state_machine')) {
      const arn = stateMachineArnOf(model, machine);
      if (!arn || !hasAlarm(model, { namespace: 'AWS/States', metric: 'ExecutionsFailed', dimension: 'StateMachineArn', value: arn })) violation(machine, 'no ExecutionsFailed alarm');
    }
  }),
  rule('alarms-notify', 'Alarms exist and every alarm notifies an SNS topic', 'environment', (model, violation) => {
    const alarms = model.of('aws_cloudwatch_metric_alarm');
    if (alarms.length === 0) violation(model.name, 'no alarms at all');
    for (const alarm of alarms) if (!model.refersTo(alarm, alarm.config.alarm_actions, 'aws_sns_topic')) violation(alarm, 'alarm notifies no SNS topic');
  }),
  rule('alarms-reach-someone', 'Every SNS topic an alarm notifies has a subscriber (email, HTTPS endpoint or AWS Chatbot)', 'environment', (model, violation) => {
    const notified = new Set(model.of('aws_cloudwatch_metric_alarm').flatMap((alarm) => model.refs(alarm, alarm.config.alarm_actions)));
    for (const address of notified) {
      const topic = model.get(address);
      if (!topic || topic.type !== 'aws_sns_topic') continue;
      const subscribers = model.attachedTo(topic, 'aws_sns_topic_subscription', 'topic_arn').filter((subscription) => ['email', 'https', 'email-json'].includes(String(subscription.config.protocol)));
      const chatbot = model.of('aws_chatbot_slack_channel_configuration').filter((chat) => model.refs(chat, chat.config.sns_topic_arns).includes(topic.address));
      if (subscribers.length + chatbot.length === 0) violation(topic, 'alarms notify this topic but nothing subscribes to it: they reach nobody');
    }
  }),
  rule('vpc-endpoint-policy', 'Every VPC endpoint has an endpoint policy limiting it to this account', 'all', (model, violation) => {
    for (const endpoint of model.of('aws_vpc_endpoint')) {
      const statements = statementsOf(endpoint.config.policy);
      const scoped = statements.some((statement) => {
        const condition = JSON.stringify(statement.Condition ?? {});
        return statement.Effect === 'Allow' && /aws:(PrincipalAccount|ResourceAccount)/.test(condition);
      });
      if (!scoped) violation(endpoint, 'no endpoint policy limiting principals/resources to this account (the default allows any AWS account)');
    }
  }),
  rule('s3-upload-encryption-enforced', 'Every bucket policy denies uploads that ask for SSE-S3 (or any non-KMS encryption) or another KMS key', 'all', (model, violation) => {
    for (const bucket of model.of('aws_s3_bucket')) {
      const statements = model.attachedTo(bucket, 'aws_s3_bucket_policy', 'bucket').flatMap((policy) => statementsOf(policy.config.policy));
      const denies = (key: string) =>
        statements.some(
          (statement) =>
            statement.Effect === 'Deny' && list(statement.Action).some((action) => action === 's3:PutObject' || action === 's3:*') && JSON.stringify(statement.Condition ?? {}).includes(`"${key}"`),
        );
      if (!denies('s3:x-amz-server-side-encryption')) violation(bucket, 'uploads asking for SSE-S3 (AES256) are not denied');
      if (!denies('s3:x-amz-server-side-encryption-aws-kms-key-id')) violation(bucket, 'uploads under another KMS key are not denied');
    }
  }),
  rule('plan-time-secret-reads-seeded', 'Every secret value read at plan time has a version created by an earlier stack (a placeholder on first deploy)', 'all', (model, violation) => {
    const seeded = new Set<string>();
    for (const version of model.of('aws_secretsmanager_secret_version')) {
      for (const ref of model.refs(version, version.config.secret_id)) {
        const secret = model.get(ref);
        if (secret?.config.name !== undefined) seeded.add(String(secret.config.name));
      }
    }
    for (const [stack, json] of model.stacks) {
      for (const [name, config] of Object.entries(json.data?.aws_secretsmanager_secret_version ?? {})) {
        const secretId = String(config.secret_id);
        if (!seeded.has(secretId))
          violation(`${stack}/data.aws_secretsmanager_secret_version.${name}`, `reads secret "${secretId}" at plan time, but no stack creates a version of it: the first plan fails`);
      }
    }
  }),
  rule('dashboard-present', 'Each environment has an operations dashboard', 'environment', (model, violation) => {
    if (model.of('aws_cloudwatch_dashboard').length === 0) violation(model.name, 'no dashboard');
  }),
];
