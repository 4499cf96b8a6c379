/**
 * What one environment's synthesized Terraform deploys (REH-1), as typed definitions the stand-ins are
 * built from: functions, tables, queues, buses, rules and targets, event-source mappings, the
 * Pipe, schedules, state machines, parameters, secrets, buckets, topics and roles. Every value
 * comes from the resolved `cdk.tf.json` (rehearsal/terraform.ts).
 */
import { join } from 'node:path';
import type { Json, JsonObject, ResourceRef } from './terraform';
import { SynthesizedEnvironment } from './terraform';

export interface FunctionDefinition {
  address: string;
  /** The catalogue name (construct id `fn-<name>`), e.g. `posting`. */
  logicalName: string;
  functionName: string;
  arn: string;
  roleName: string;
  roleArn: string;
  handler: string;
  runtime: string;
  /** Absolute path of the deployment zip (`filename`). */
  zipPath: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** `reserved_concurrent_executions` (undefined = unreserved). */
  reservedConcurrency?: number;
  asyncDeadLetterArn?: string;
}

export interface KeyAttribute {
  name: string;
  type: 'S' | 'N' | 'B';
}

export interface IndexDefinition {
  name: string;
  hashKey: string;
  rangeKey?: string;
  projectionType: string;
  nonKeyAttributes?: string[];
}

export interface TableDefinition {
  address: string;
  name: string;
  arn: string;
  hashKey: string;
  rangeKey?: string;
  attributes: KeyAttribute[];
  globalSecondaryIndexes: IndexDefinition[];
  localSecondaryIndexes: IndexDefinition[];
  ttlAttribute?: string;
  streamEnabled: boolean;
  streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
  streamArn?: string;
  kmsKeyArn?: string;
}

export interface QueueDefinition {
  address: string;
  name: string;
  arn: string;
  url: string;
  visibilityTimeoutSeconds: number;
  receiveWaitTimeSeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  kmsKeyArn?: string;
}

export interface RuleTarget {
  address: string;
  targetId: string;
  arn: string;
  deadLetterArn?: string;
  retryAttempts?: number;
  maximumEventAgeSeconds?: number;
  input?: string;
  inputPath?: string;
}

export interface RuleDefinition {
  address: string;
  name: string;
  arn: string;
  busName: string;
  pattern: JsonObject;
  enabled: boolean;
  targets: RuleTarget[];
}

export interface EventSourceMappingDefinition {
  address: string;
  sourceArn: string;
  functionArn: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  maximumConcurrency?: number;
  enabled: boolean;
}

export interface PipeDefinition {
  address: string;
  name: string;
  arn: string;
  roleName: string;
  sourceArn: string;
  enrichmentArn?: string;
  targetArn: string;
  filterPatterns: JsonObject[];
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumRetryAttempts: number;
  maximumRecordAgeSeconds: number;
  parallelizationFactor: number;
  bisectOnFailure: boolean;
  deadLetterArn?: string;
  startingPosition: string;
  detailTypePath?: string;
  sourcePath?: string;
  desiredState: string;
}

export interface ScheduleDefinition {
  address: string;
  name: string;
  expression: string;
  targetArn: string;
  roleName: string;
  input: string;
  deadLetterArn?: string;
  maximumRetryAttempts?: number;
}

export interface StateMachineDefinition {
  address: string;
  name: string;
  arn: string;
  roleName: string;
  type: string;
  definition: JsonObject;
}

export interface SecretDefinition {
  address: string;
  name: string;
  arn: string;
  kmsKeyArn?: string;
  /** The value a first deploy stores: the synthesized secret_version, or nothing (the owner sets it later). */
  initialValue?: string;
}

export interface ObjectDefinition {
  address: string;
  bucket: string;
  key: string;
  /** Absolute path of the synthesized asset (`source`). */
  sourcePath?: string;
  content?: string;
  contentType?: string;
}

export interface GlueJobDefinition {
  address: string;
  name: string;
  roleName: string;
  defaultArguments: Record<string, string>;
  timeoutMinutes: number;
}

export interface Deployment {
  env: string;
  region: string;
  account: string;
  synth: SynthesizedEnvironment;
  functions: FunctionDefinition[];
  tables: TableDefinition[];
  queues: QueueDefinition[];
  buses: { address: string; name: string; arn: string; deadLetterArn?: string }[];
  rules: RuleDefinition[];
  eventSourceMappings: EventSourceMappingDefinition[];
  pipes: PipeDefinition[];
  schedules: ScheduleDefinition[];
  stateMachines: StateMachineDefinition[];
  parameters: { address: string; name: string; arn: string; type: string; value: string }[];
  secrets: SecretDefinition[];
  buckets: { address: string; name: string; arn: string; eventBridge: boolean; versioned: boolean }[];
  topics: { address: string; name: string; arn: string }[];
  /** S3 objects Terraform creates (aws_s3_object). */
  objects: ObjectDefinition[];
  glueJobs: GlueJobDefinition[];
  /** Every IAM role: Terraform address → role name. */
  roles: Map<string, string>;
  /** The role Terraform deploys with (the bootstrap stack's deploy role). */
  deployRoleName?: string;
}

function str(value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function num(value: Json | undefined, fallback: number): number {
  return typeof value === 'number' ? value : typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : fallback;
}

function first(value: Json | undefined): JsonObject | undefined {
  if (Array.isArray(value)) return (value[0] as JsonObject | undefined) ?? undefined;
  return value !== null && typeof value === 'object' ? (value as JsonObject) : undefined;
}

function list(value: Json | undefined): JsonObject[] {
  if (Array.isArray(value)) return value.filter((item): item is JsonObject => item !== null && typeof item === 'object' && !Array.isArray(item));
  const single = first(value);
  return single ? [single] : [];
}

/** `arn:aws:iam::<account>:role/<name>` → name. */
export function roleNameOf(arn: string): string {
  const match = /:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!match) throw new Error(`"${arn}" is not an IAM role ARN`);
  return match[1]!;
}

/**
 * The deployed functions whose synthesized environment names `variable` (the functions reading
 * that resource), whatever the topology: FUSE-1's fused `hot-path` reads what the six stage
 * functions read when staged. Throws naming the variable when none does.
 */
export function functionsReading(deployment: Pick<Deployment, 'functions'>, variable: string): FunctionDefinition[] {
  const readers = deployment.functions.filter((fn) => fn.environment[variable] !== undefined && fn.environment[variable] !== '');
  if (readers.length === 0) throw new Error(`no synthesized function has ${variable} in its environment: the rehearsal cannot locate its resource`);
  return readers;
}

/** The value every function reading `variable` is given (one resource, one name); throws when they disagree. */
export function settingOf(deployment: Pick<Deployment, 'functions'>, variable: string): string {
  const values = new Set(functionsReading(deployment, variable).map((fn) => fn.environment[variable]!));
  if (values.size !== 1) throw new Error(`the synthesized functions disagree on ${variable}: ${[...values].join(', ')}`);
  return [...values][0]!;
}

export function loadDeployment(synthDir: string, env: string): Deployment {
  const synth = new SynthesizedEnvironment(synthDir, env);
  const resolved = (ref: ResourceRef) => synth.resolved(ref);
  const attr = (ref: ResourceRef, attribute: string) => synth.attribute(ref.stack, ref.type, ref.name, attribute) as string;

  const roles = new Map<string, string>();
  for (const ref of synth.resources('aws_iam_role')) roles.set(ref.address, str(resolved(ref).name, `${ref.address}.name`));

  const functions: FunctionDefinition[] = synth.resources('aws_lambda_function').map((ref) => {
    const values = resolved(ref);
    const path = SynthesizedEnvironment.constructPath(ref);
    const logical = /\/fn-([^/]+)\/function$/.exec(path)?.[1] ?? str(values.function_name, ref.address);
    const roleArn = str(values.role, `${ref.address}.role`);
    const variables = first(values.environment)?.variables;
    const environment: Record<string, string> = {};
    if (variables && typeof variables === 'object' && !Array.isArray(variables)) for (const [key, value] of Object.entries(variables)) environment[key] = String(value);
    const dlq = first(values.dead_letter_config)?.target_arn;
    return {
      address: ref.address,
      logicalName: logical,
      functionName: str(values.function_name, `${ref.address}.function_name`),
      arn: attr(ref, 'arn'),
      roleName: roleNameOf(roleArn),
      roleArn,
      handler: str(values.handler ?? 'index.handler', `${ref.address}.handler`),
      runtime: String(values.runtime ?? ''),
      zipPath: join(synth.stacks.get(ref.stack)!.dir, str(values.filename, `${ref.address}.filename`)),
      environment,
      timeoutSeconds: num(values.timeout, 3),
      memoryMb: num(values.memory_size, 128),
      reservedConcurrency: values.reserved_concurrent_executions === undefined ? undefined : num(values.reserved_concurrent_executions, -1),
      asyncDeadLetterArn: typeof dlq === 'string' ? dlq : undefined,
    };
  });

  const tables: TableDefinition[] = synth.resources('aws_dynamodb_table').map((ref) => {
    const values = resolved(ref);
    const index = (item: JsonObject, hashKey: string): IndexDefinition => ({
      name: str(item.name, `${ref.address} index name`),
      hashKey: typeof item.hash_key === 'string' ? item.hash_key : hashKey,
      rangeKey: typeof item.range_key === 'string' ? item.range_key : undefined,
      projectionType: String(item.projection_type ?? 'ALL'),
      nonKeyAttributes: Array.isArray(item.non_key_attributes) ? item.non_key_attributes.map(String) : undefined,
    });
    const hashKey = str(values.hash_key, `${ref.address}.hash_key`);
    const ttl = first(values.ttl);
    const streamEnabled = values.stream_enabled === true;
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      arn: attr(ref, 'arn'),
      hashKey,
      rangeKey: typeof values.range_key === 'string' ? values.range_key : undefined,
      attributes: list(values.attribute).map((item) => ({ name: str(item.name, `${ref.address} attribute`), type: str(item.type, `${ref.address} attribute type`) as KeyAttribute['type'] })),
      globalSecondaryIndexes: list(values.global_secondary_index).map((item) => index(item, hashKey)),
      localSecondaryIndexes: list(values.local_secondary_index).map((item) => index(item, hashKey)),
      ttlAttribute: ttl && ttl.enabled !== false && typeof ttl.attribute_name === 'string' ? ttl.attribute_name : undefined,
      streamEnabled,
      streamViewType: streamEnabled ? (String(values.stream_view_type) as TableDefinition['streamViewType']) : undefined,
      streamArn: streamEnabled ? attr(ref, 'stream_arn') : undefined,
      kmsKeyArn: typeof first(values.server_side_encryption)?.kms_key_arn === 'string' ? (first(values.server_side_encryption)!.kms_key_arn as string) : undefined,
    };
  });

  const queues: QueueDefinition[] = synth.resources('aws_sqs_queue').map((ref) => {
    const values = resolved(ref);
    let redrive: QueueDefinition['redrive'];
    if (typeof values.redrive_policy === 'string') {
      const policy = JSON.parse(values.redrive_policy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
      redrive = { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount: Number(policy.maxReceiveCount) };
    }
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      arn: attr(ref, 'arn'),
      url: attr(ref, 'url'),
      visibilityTimeoutSeconds: num(values.visibility_timeout_seconds, 30),
      receiveWaitTimeSeconds: num(values.receive_wait_time_seconds, 0),
      redrive,
      kmsKeyArn: typeof values.kms_master_key_id === 'string' ? values.kms_master_key_id : undefined,
    };
  });

  const buses = synth.resources('aws_cloudwatch_event_bus').map((ref) => {
    const values = resolved(ref);
    const dlq = first(values.dead_letter_config)?.arn;
    return { address: ref.address, name: str(values.name, `${ref.address}.name`), arn: attr(ref, 'arn'), deadLetterArn: typeof dlq === 'string' ? dlq : undefined };
  });

  const targets = synth.resources('aws_cloudwatch_event_target').map((ref) => ({ ref, values: resolved(ref) }));
  const rules: RuleDefinition[] = synth.resources('aws_cloudwatch_event_rule').map((ref) => {
    const values = resolved(ref);
    const name = str(values.name, `${ref.address}.name`);
    const busName = typeof values.event_bus_name === 'string' ? values.event_bus_name : 'default';
    return {
      address: ref.address,
      name,
      arn: attr(ref, 'arn'),
      busName,
      pattern: JSON.parse(str(values.event_pattern, `${ref.address}.event_pattern`)) as JsonObject,
      enabled: values.state === undefined ? values.is_enabled !== false : values.state === 'ENABLED',
      targets: targets
        .filter(({ values: target }) => target.rule === name && (typeof target.event_bus_name === 'string' ? target.event_bus_name : 'default') === busName)
        .map(({ ref: targetRef, values: target }) => ({
          address: targetRef.address,
          targetId: String(target.target_id ?? targetRef.name),
          arn: str(target.arn, `${targetRef.address}.arn`),
          deadLetterArn: typeof first(target.dead_letter_config)?.arn === 'string' ? (first(target.dead_letter_config)!.arn as string) : undefined,
          retryAttempts: first(target.retry_policy) ? num(first(target.retry_policy)!.maximum_retry_attempts, 185) : undefined,
          maximumEventAgeSeconds: first(target.retry_policy) ? num(first(target.retry_policy)!.maximum_event_age_in_seconds, 86400) : undefined,
          input: typeof target.input === 'string' ? target.input : undefined,
          inputPath: typeof target.input_path === 'string' ? target.input_path : undefined,
        })),
    };
  });

  const eventSourceMappings: EventSourceMappingDefinition[] = synth.resources('aws_lambda_event_source_mapping').map((ref) => {
    const values = resolved(ref);
    const types = Array.isArray(values.function_response_types) ? values.function_response_types.map(String) : [];
    const scaling = first(values.scaling_config);
    return {
      address: ref.address,
      sourceArn: str(values.event_source_arn, `${ref.address}.event_source_arn`),
      functionArn: str(values.function_name, `${ref.address}.function_name`),
      batchSize: num(values.batch_size, 10),
      maximumBatchingWindowSeconds: num(values.maximum_batching_window_in_seconds, 0),
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      maximumConcurrency: scaling ? num(scaling.maximum_concurrency, 1000) : undefined,
      enabled: values.enabled !== false,
    };
  });

  const pipes: PipeDefinition[] = synth.resources('aws_pipes_pipe').map((ref) => {
    const values = resolved(ref);
    const source = first(values.source_parameters);
    const stream = first(source?.dynamodb_stream_parameters) ?? first(source?.sqs_queue_parameters) ?? {};
    const filters = list(first(source?.filter_criteria)?.filter).map((filter) => JSON.parse(str(filter.pattern, `${ref.address} filter pattern`)) as JsonObject);
    const bus = first(first(values.target_parameters)?.eventbridge_event_bus_parameters);
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      arn: attr(ref, 'arn'),
      roleName: roleNameOf(str(values.role_arn, `${ref.address}.role_arn`)),
      sourceArn: str(values.source, `${ref.address}.source`),
      enrichmentArn: typeof values.enrichment === 'string' ? values.enrichment : undefined,
      targetArn: str(values.target, `${ref.address}.target`),
      filterPatterns: filters,
      batchSize: num(stream.batch_size, 100),
      maximumBatchingWindowSeconds: num(stream.maximum_batching_window_in_seconds, 0),
      maximumRetryAttempts: num(stream.maximum_retry_attempts, -1),
      maximumRecordAgeSeconds: num(stream.maximum_record_age_in_seconds, -1),
      parallelizationFactor: num(stream.parallelization_factor, 1),
      bisectOnFailure: stream.on_partial_batch_item_failure === 'AUTOMATIC_BISECT',
      deadLetterArn: typeof first(stream.dead_letter_config)?.arn === 'string' ? (first(stream.dead_letter_config)!.arn as string) : undefined,
      startingPosition: String(stream.starting_position ?? 'LATEST'),
      detailTypePath: typeof bus?.detail_type === 'string' ? bus.detail_type : undefined,
      sourcePath: typeof bus?.source === 'string' ? bus.source : undefined,
      desiredState: String(values.desired_state ?? 'RUNNING'),
    };
  });

  const schedules: ScheduleDefinition[] = synth.resources('aws_scheduler_schedule').map((ref) => {
    const values = resolved(ref);
    const target = first(values.target) ?? {};
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      expression: str(values.schedule_expression, `${ref.address}.schedule_expression`),
      targetArn: str(target.arn, `${ref.address}.target.arn`),
      roleName: roleNameOf(str(target.role_arn, `${ref.address}.target.role_arn`)),
      input: typeof target.input === 'string' ? target.input : '{}',
      deadLetterArn: typeof first(target.dead_letter_config)?.arn === 'string' ? (first(target.dead_letter_config)!.arn as string) : undefined,
      maximumRetryAttempts: first(target.retry_policy) ? num(first(target.retry_policy)!.maximum_retry_attempts, 185) : undefined,
    };
  });

  const stateMachines: StateMachineDefinition[] = synth.resources('aws_sfn_state_machine').map((ref) => {
    const values = resolved(ref);
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      arn: attr(ref, 'arn'),
      roleName: roleNameOf(str(values.role_arn, `${ref.address}.role_arn`)),
      type: String(values.type ?? 'STANDARD'),
      definition: JSON.parse(str(values.definition, `${ref.address}.definition`)) as JsonObject,
    };
  });

  const parameters = synth.resources('aws_ssm_parameter').map((ref) => {
    const values = resolved(ref);
    return { address: ref.address, name: str(values.name, `${ref.address}.name`), arn: attr(ref, 'arn'), type: String(values.type ?? 'String'), value: str(values.value, `${ref.address}.value`) };
  });

  const versions = synth.resources('aws_secretsmanager_secret_version').map((ref) => resolved(ref));
  const secrets: SecretDefinition[] = synth.resources('aws_secretsmanager_secret').map((ref) => {
    const values = resolved(ref);
    const arn = attr(ref, 'arn');
    const version = versions.find((candidate) => candidate.secret_id === arn);
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      arn,
      kmsKeyArn: typeof values.kms_key_id === 'string' ? values.kms_key_id : undefined,
      initialValue: typeof version?.secret_string === 'string' ? version.secret_string : undefined,
    };
  });
  // Secrets AWS services create on a first deploy (e.g. the Redshift-managed admin secret).
  for (const ref of synth.resources('aws_redshiftserverless_namespace')) {
    const values = resolved(ref);
    if (values.manage_admin_password !== true) continue;
    const arn = attr(ref, 'admin_password_secret_arn');
    secrets.push({
      address: `${ref.address}.admin_password_secret_arn`,
      name: /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn)?.[1] ?? arn,
      arn,
      initialValue: JSON.stringify({ username: String(values.admin_username ?? 'admin'), password: 'rehearsal-managed-admin-password' }),
    });
  }

  const notifications = synth.resources('aws_s3_bucket_notification').map((ref) => resolved(ref));
  const versioning = synth.resources('aws_s3_bucket_versioning').map((ref) => resolved(ref));
  const buckets = synth.resources('aws_s3_bucket').map((ref) => {
    const values = resolved(ref);
    const name = str(values.bucket, `${ref.address}.bucket`);
    return {
      address: ref.address,
      name,
      arn: attr(ref, 'arn'),
      eventBridge: notifications.some((notification) => notification.bucket === name && notification.eventbridge === true),
      versioned: versioning.some((entry) => entry.bucket === name && first(entry.versioning_configuration)?.status === 'Enabled'),
    };
  });

  const objects: ObjectDefinition[] = synth.resources('aws_s3_object').map((ref) => {
    const values = resolved(ref);
    return {
      address: ref.address,
      bucket: str(values.bucket, `${ref.address}.bucket`),
      key: str(values.key, `${ref.address}.key`),
      sourcePath: typeof values.source === 'string' ? join(synth.stacks.get(ref.stack)!.dir, values.source) : undefined,
      content: typeof values.content === 'string' ? values.content : undefined,
      contentType: typeof values.content_type === 'string' ? values.content_type : undefined,
    };
  });
  const glueJobs: GlueJobDefinition[] = synth.resources('aws_glue_job').map((ref) => {
    const values = resolved(ref);
    const defaults = values.default_arguments;
    return {
      address: ref.address,
      name: str(values.name, `${ref.address}.name`),
      roleName: roleNameOf(str(values.role_arn, `${ref.address}.role_arn`)),
      defaultArguments: defaults && typeof defaults === 'object' && !Array.isArray(defaults) ? Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, String(value)])) : {},
      timeoutMinutes: num(values.timeout, 2880),
    };
  });
  const topics = synth.resources('aws_sns_topic').map((ref) => ({ address: ref.address, name: str(resolved(ref).name, `${ref.address}.name`), arn: attr(ref, 'arn') }));
  const deployRole = synth.resources('aws_iam_role').find((ref) => ref.stack.endsWith('-bootstrap') && ref.name === 'deploy-role');

  return {
    env,
    region: synth.region,
    account: synth.account,
    synth,
    functions,
    tables,
    queues,
    buses,
    rules,
    eventSourceMappings,
    pipes,
    schedules,
    stateMachines,
    parameters,
    secrets,
    buckets,
    topics,
    objects,
    glueJobs,
    roles,
    deployRoleName: deployRole ? roles.get(deployRole.address) : undefined,
  };
}
