/**
 * What the bill depends on in one environment's synthesized Terraform (COST-1), read from the
 * stacks' `cdk.tf.json` documents (the caller reads the files): the region, each function's
 * memory and architecture, each event-source mapping's queue, batch size and window, queue and
 * table modes and keys, bucket keys, bus keys and log retention. Pure: no file system, no AWS.
 */

type Json = Record<string, unknown>;

export class DeploymentConfigError extends Error {
  override name = 'DeploymentConfigError';
}

export interface FunctionConfig {
  functionName: string;
  memoryMb: number;
  architecture: 'arm64' | 'x86_64';
  timeoutSeconds: number;
  reservedConcurrency?: number;
}

export interface QueueConfig {
  name: string;
  fifo: boolean;
  /** A customer managed KMS key (SSE-KMS); false for SQS-managed SSE or none. */
  kmsKey: boolean;
  kmsDataKeyReusePeriodSeconds: number;
}

export interface EventSourceMappingConfig {
  queue: string;
  functionName: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency?: number;
}

export interface TableConfig {
  name: string;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  kmsKey: boolean;
}

export interface BucketConfig {
  name: string;
  kmsKey: boolean;
  bucketKey: boolean;
}

export interface LogGroupConfig {
  name: string;
  /** Days kept; undefined = never expire. */
  retentionDays?: number;
  kmsKey: boolean;
}

export interface DeploymentConfig {
  env: string;
  region: string;
  stacks: string[];
  functions: Record<string, FunctionConfig>;
  queues: Record<string, QueueConfig>;
  eventSourceMappings: EventSourceMappingConfig[];
  tables: Record<string, TableConfig>;
  buckets: Record<string, BucketConfig>;
  buses: Record<string, { name: string; kmsKey: boolean }>;
  logGroups: Record<string, LogGroupConfig>;
  stateMachines: Record<string, { name: string; type: string }>;
}

function resources(doc: Json, type: string): [string, Json][] {
  const byType = (doc.resource as Record<string, Record<string, Json>> | undefined)?.[type];
  return byType ? Object.entries(byType) : [];
}

function first(value: unknown): Json | undefined {
  if (Array.isArray(value)) return value[0] as Json | undefined;
  return value && typeof value === 'object' ? (value as Json) : undefined;
}

function wholeNumber(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new DeploymentConfigError(`${what}: expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

function literal(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.includes('${')) throw new DeploymentConfigError(`${what}: expected a literal string, got ${JSON.stringify(value)}`);
  return value;
}

/** `arn:aws:sqs:<region>:<account>:<name>` → name. */
function queueNameOf(arn: string, what: string): string {
  const match = /^arn:aws[a-z-]*:sqs:[^:]+:[^:]+:(.+)$/.exec(arn);
  if (!match) throw new DeploymentConfigError(`${what}: "${arn}" is not an SQS queue ARN`);
  return match[1]!;
}

/**
 * The cost-relevant configuration of environment `env` from its stacks (stack name → parsed
 * cdk.tf.json). Throws naming the stack and resource when the configuration is not as expected.
 */
export function readDeploymentConfig(env: string, stacks: Readonly<Record<string, unknown>>): DeploymentConfig {
  const names = Object.keys(stacks)
    .filter((name) => name.startsWith(`ledgerline-${env}-`))
    .sort();
  if (names.length === 0) throw new DeploymentConfigError(`no stack of environment "${env}" (expected ledgerline-${env}-*)`);
  const regions = new Set<string>();
  const config: DeploymentConfig = { env, region: '', stacks: names, functions: {}, queues: {}, eventSourceMappings: [], tables: {}, buckets: {}, buses: {}, logGroups: {}, stateMachines: {} };
  for (const stack of names) {
    const doc = stacks[stack] as Json;
    const region = first((doc.provider as Json | undefined)?.aws)?.region;
    if (typeof region === 'string') regions.add(region);
    const at = (type: string, name: string) => `${stack} ${type}.${name}`;
    const functionsByAddress = new Map<string, string>();
    for (const [name, fn] of resources(doc, 'aws_lambda_function')) {
      const functionName = literal(fn.function_name, `${at('aws_lambda_function', name)}.function_name`);
      const architectures = Array.isArray(fn.architectures) ? fn.architectures : ['x86_64'];
      const architecture = architectures[0];
      if (architecture !== 'arm64' && architecture !== 'x86_64') throw new DeploymentConfigError(`${at('aws_lambda_function', name)}.architectures: ${JSON.stringify(architectures)}`);
      const reserved =
        fn.reserved_concurrent_executions === undefined ? undefined : wholeNumber(fn.reserved_concurrent_executions, -1, `${at('aws_lambda_function', name)}.reserved_concurrent_executions`);
      config.functions[functionName] = {
        functionName,
        memoryMb: wholeNumber(fn.memory_size, 128, `${at('aws_lambda_function', name)}.memory_size`),
        architecture,
        timeoutSeconds: wholeNumber(fn.timeout, 3, `${at('aws_lambda_function', name)}.timeout`),
        ...(reserved !== undefined && reserved >= 0 ? { reservedConcurrency: reserved } : {}),
      };
      functionsByAddress.set(name, functionName);
    }
    for (const [name, mapping] of resources(doc, 'aws_lambda_event_source_mapping')) {
      // A stream mapping (DynamoDB Streams → the audit trail, AUDIT-1: it has a starting position and its
      // stream ARN comes from another stack) is not a queue's batch: the cost model reads queue mappings only.
      if (mapping.starting_position !== undefined) continue;
      // A queue of the same stack may be named by reference (the notifier's outward-events queue).
      const queueAddress = /^\$\{aws_sqs_queue\.([^.]+)\.arn\}$/.exec(String(mapping.event_source_arn ?? ''))?.[1];
      const queueResource = queueAddress ? resources(doc, 'aws_sqs_queue').find(([address]) => address === queueAddress)?.[1] : undefined;
      if (queueAddress && !queueResource) throw new DeploymentConfigError(`${at('aws_lambda_event_source_mapping', name)}.event_source_arn: no aws_sqs_queue.${queueAddress} in ${stack}`);
      const source = queueResource ? undefined : literal(mapping.event_source_arn, `${at('aws_lambda_event_source_mapping', name)}.event_source_arn`);
      if (source !== undefined && !source.includes(':sqs:')) continue;
      const queue = queueResource ? literal(queueResource.name, `${at('aws_sqs_queue', queueAddress!)}.name`) : queueNameOf(source!, `${at('aws_lambda_event_source_mapping', name)}.event_source_arn`);
      const reference = String(mapping.function_name ?? '');
      const byReference = /^\$\{aws_lambda_function\.([^.]+)\.(arn|function_name)\}$/.exec(reference)?.[1];
      const functionName = byReference ? functionsByAddress.get(byReference) : reference.includes('${') ? undefined : reference.split(':').pop();
      if (!functionName) throw new DeploymentConfigError(`${at('aws_lambda_event_source_mapping', name)}.function_name: cannot resolve ${JSON.stringify(reference)}`);
      const scaling = first(mapping.scaling_config);
      config.eventSourceMappings.push({
        queue,
        functionName,
        batchSize: wholeNumber(mapping.batch_size, 10, `${at('aws_lambda_event_source_mapping', name)}.batch_size`),
        maximumBatchingWindowSeconds: wholeNumber(mapping.maximum_batching_window_in_seconds, 0, `${at('aws_lambda_event_source_mapping', name)}.maximum_batching_window_in_seconds`),
        ...(scaling?.maximum_concurrency !== undefined
          ? { maximumConcurrency: wholeNumber(scaling.maximum_concurrency, 1000, `${at('aws_lambda_event_source_mapping', name)}.scaling_config.maximum_concurrency`) }
          : {}),
      });
    }
    for (const [name, queue] of resources(doc, 'aws_sqs_queue')) {
      const queueName = literal(queue.name, `${at('aws_sqs_queue', name)}.name`);
      config.queues[queueName] = {
        name: queueName,
        fifo: queue.fifo_queue === true,
        kmsKey: typeof queue.kms_master_key_id === 'string' && !/alias\/aws\/sqs$/.test(queue.kms_master_key_id),
        kmsDataKeyReusePeriodSeconds: wholeNumber(queue.kms_data_key_reuse_period_seconds, 300, `${at('aws_sqs_queue', name)}.kms_data_key_reuse_period_seconds`),
      };
    }
    for (const [name, table] of resources(doc, 'aws_dynamodb_table')) {
      const tableName = literal(table.name, `${at('aws_dynamodb_table', name)}.name`);
      const mode = table.billing_mode ?? 'PROVISIONED';
      if (mode !== 'PAY_PER_REQUEST' && mode !== 'PROVISIONED') throw new DeploymentConfigError(`${at('aws_dynamodb_table', name)}.billing_mode: ${JSON.stringify(mode)}`);
      const sse = first(table.server_side_encryption);
      config.tables[tableName] = { name: tableName, billingMode: mode, kmsKey: sse?.enabled === true && typeof sse.kms_key_arn === 'string' };
    }
    const bucketsByAddress = new Map<string, string>();
    for (const [name, bucket] of resources(doc, 'aws_s3_bucket')) {
      const bucketName = literal(bucket.bucket, `${at('aws_s3_bucket', name)}.bucket`);
      config.buckets[bucketName] = { name: bucketName, kmsKey: false, bucketKey: false };
      bucketsByAddress.set(name, bucketName);
    }
    for (const [name, encryption] of resources(doc, 'aws_s3_bucket_server_side_encryption_configuration')) {
      const reference = String(encryption.bucket ?? '');
      const address = /^\$\{aws_s3_bucket\.([^.]+)\.(id|bucket)\}$/.exec(reference)?.[1];
      const bucketName = address ? bucketsByAddress.get(address) : reference.includes('${') ? undefined : reference;
      if (!bucketName || !config.buckets[bucketName])
        throw new DeploymentConfigError(`${at('aws_s3_bucket_server_side_encryption_configuration', name)}.bucket: cannot resolve ${JSON.stringify(reference)}`);
      const rule = first(encryption.rule);
      const byDefault = first(rule?.apply_server_side_encryption_by_default);
      config.buckets[bucketName] = { name: bucketName, kmsKey: byDefault?.sse_algorithm === 'aws:kms' || byDefault?.sse_algorithm === 'aws:kms:dsse', bucketKey: rule?.bucket_key_enabled === true };
    }
    for (const [name, bus] of resources(doc, 'aws_cloudwatch_event_bus')) {
      const busName = literal(bus.name, `${at('aws_cloudwatch_event_bus', name)}.name`);
      config.buses[busName] = { name: busName, kmsKey: typeof bus.kms_key_identifier === 'string' };
    }
    for (const [name, group] of resources(doc, 'aws_cloudwatch_log_group')) {
      const groupName = literal(group.name, `${at('aws_cloudwatch_log_group', name)}.name`);
      const retention = wholeNumber(group.retention_in_days, 0, `${at('aws_cloudwatch_log_group', name)}.retention_in_days`);
      config.logGroups[groupName] = { name: groupName, ...(retention > 0 ? { retentionDays: retention } : {}), kmsKey: typeof group.kms_key_id === 'string' };
    }
    for (const [name, machine] of resources(doc, 'aws_sfn_state_machine')) {
      const machineName = literal(machine.name, `${at('aws_sfn_state_machine', name)}.name`);
      config.stateMachines[machineName] = { name: machineName, type: String(machine.type ?? 'STANDARD') };
    }
  }
  if (regions.size !== 1) throw new DeploymentConfigError(`environment "${env}": its stacks name ${regions.size === 0 ? 'no region' : `several regions (${[...regions].join(', ')})`}`);
  config.region = [...regions][0]!;
  return config;
}
