/**
 * ApiRequest → the authorisation requests AWS makes for it: one per action and resource the
 * service authorises (a TransactWriteItems is one PutItem / UpdateItem / ConditionCheckItem /
 * DeleteItem per item; a BatchWriteItem one per table; a CopyObject a read of the source and a
 * write of the target), plus the IMPLIED KMS requests the service makes with the caller's
 * credentials when the target is encrypted with a customer-managed key (kms:ViaService names the
 * service; kms:CallerAccount and the service's encryption context are set as AWS sets them).
 * Names (TableName, Bucket, QueueUrl, EventBusName, stateMachineArn, SecretId ...) are resolved
 * through the model: a name this environment does not synthesize is an error naming it.
 */
import type { ApiRequest, AwsCall, CallPrincipal } from './contract';
import type { IamModel, TfResource } from './model';

type Context = Record<string, string | readonly string[]>;
type Input = Readonly<Record<string, unknown>>;

export class UnmappedRequestError extends Error {
  override name = 'UnmappedRequestError';
}

function text(input: Input, field: string, request: ApiRequest): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw new UnmappedRequestError(`${request.service} ${request.operation}: input has no ${field}`);
  return value;
}

function optionalText(input: Input, field: string): string | undefined {
  const value = input[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The lower-case service names the SDK and the HTTP decoder use, mapped to IAM service prefixes. */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  dynamodb: 'dynamodb',
  s3: 's3',
  events: 'events',
  eventbridge: 'events',
  states: 'states',
  sfn: 'states',
  secretsmanager: 'secretsmanager',
  'secrets manager': 'secretsmanager',
  ssm: 'ssm',
  sqs: 'sqs',
  sns: 'sns',
  'redshift-data': 'redshift-data',
  redshiftdata: 'redshift-data',
  glue: 'glue',
  lambda: 'lambda',
  kms: 'kms',
  'emr-serverless': 'emr-serverless',
};

export function servicePrefix(service: string): string {
  const prefix = SERVICE_PREFIX[service.toLowerCase()];
  if (!prefix) throw new UnmappedRequestError(`service ${service} is not modelled by the IAM contract`);
  return prefix;
}

export class CallMapper {
  /** Secrets created at run time, not by Terraform (an operator's webhook signing keys): ARN → name. */
  readonly createdSecrets = new Map<string, string>();

  constructor(readonly model: IamModel) {}

  private get arnBase(): string {
    return `${this.model.region}:${this.model.account}`;
  }

  private must(type: string, name: string, what: string): TfResource {
    const found = this.model.named(type, name);
    if (!found) throw new UnmappedRequestError(`${what} ${name} is not synthesized in environment ${this.model.tf.env}`);
    return found;
  }

  tableArn(name: string): string {
    if (name.startsWith('arn:')) {
      const table = /:table\/([^/]+)/.exec(name)?.[1];
      if (!table) throw new UnmappedRequestError(`${name} is not a table ARN`);
      return this.tableArn(table);
    }
    return this.model.tf.arnOf(this.must('aws_dynamodb_table', name, 'DynamoDB table'));
  }

  /** `dynamodb:LeadingKeys` of a single-item request: the value of the table's synthesized partition key in its Key (Item for a Put). */
  private leadingKey(table: string, key: Input | undefined): string | undefined {
    const name = table.startsWith('arn:') ? (/:table\/([^/]+)/.exec(table)?.[1] ?? table) : table;
    const hashKey = this.model.named('aws_dynamodb_table', name)?.raw.hash_key;
    const value = typeof hashKey === 'string' ? (key?.[hashKey] as Record<string, unknown> | undefined) : undefined;
    const scalar = value?.S ?? value?.N ?? value?.B;
    return typeof scalar === 'string' ? scalar : undefined;
  }

  bucketArn(name: string): string {
    this.must('aws_s3_bucket', name, 'S3 bucket');
    return `arn:aws:s3:::${name}`;
  }

  queueArn(urlOrName: string): string {
    const name = urlOrName.startsWith('arn:') ? urlOrName.split(':').pop()! : urlOrName.split('/').pop()!;
    const queue = this.must('aws_sqs_queue', name, 'SQS queue');
    if (urlOrName.startsWith('https://') && this.model.tf.attribute(queue, 'url') !== urlOrName)
      throw new UnmappedRequestError(`SQS queue URL ${urlOrName} is not the URL of ${name} (${String(this.model.tf.attribute(queue, 'url'))})`);
    return this.model.tf.arnOf(queue);
  }

  topicArn(arn: string): string {
    if (!this.model.byArn.has(arn)) throw new UnmappedRequestError(`SNS topic ${arn} is not synthesized in environment ${this.model.tf.env}`);
    return arn;
  }

  busArn(nameOrArn: string | undefined): string {
    const name = nameOrArn === undefined || nameOrArn === '' ? 'default' : nameOrArn.startsWith('arn:') ? nameOrArn.split('/').pop()! : nameOrArn;
    if (name !== 'default') this.must('aws_cloudwatch_event_bus', name, 'event bus');
    return `arn:aws:events:${this.arnBase}:event-bus/${name}`;
  }

  stateMachineArn(arn: string): string {
    const resource = this.model.byArn.get(arn);
    if (!resource || resource.type !== 'aws_sfn_state_machine') throw new UnmappedRequestError(`state machine ${arn} is not synthesized in environment ${this.model.tf.env}`);
    return arn;
  }

  /** Every secret of the environment by ARN: the secrets, and the Redshift-managed admin secrets. */
  secrets(): Map<string, string> {
    const byArn = new Map<string, string>();
    for (const secret of this.model.tf.of('aws_secretsmanager_secret')) byArn.set(this.model.tf.arnOf(secret), this.model.tf.str(secret, 'name'));
    for (const namespace of this.model.tf.of('aws_redshiftserverless_namespace')) {
      if (this.model.tf.field(namespace, 'manage_admin_password') === true)
        byArn.set(String(this.model.tf.attribute(namespace, 'admin_password_secret_arn')), this.model.tf.adminSecretName(namespace));
    }
    for (const [arn, name] of this.createdSecrets) byArn.set(arn, name);
    return byArn;
  }

  /** SecretId as a full ARN, a partial ARN (no random suffix) or a name → the secret's ARN. */
  secretArn(secretId: string): string {
    for (const [arn, name] of this.secrets()) {
      if (secretId === arn || secretId === name || secretId === `arn:aws:secretsmanager:${this.arnBase}:secret:${name}`) return arn;
    }
    throw new UnmappedRequestError(`secret ${secretId} is not synthesized in environment ${this.model.tf.env}`);
  }

  parameterArn(name: string): string {
    if (name.startsWith('arn:')) return name;
    this.must('aws_ssm_parameter', name, 'SSM parameter');
    return `arn:aws:ssm:${this.arnBase}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  functionArn(name: string): string {
    const bare = name.startsWith('arn:') ? name.split(':')[6]! : name.split(':')[0]!;
    const fn = this.model.functions.get(bare);
    if (!fn) throw new UnmappedRequestError(`Lambda function ${name} is not synthesized in environment ${this.model.tf.env}`);
    return fn.arn;
  }

  glueJobArn(name: string): string {
    return this.model.tf.arnOf(this.must('aws_glue_job', name, 'Glue job'));
  }

  /** An EMR Serverless application by its id (what StartJobRun names) → its ARN. */
  emrApplicationArn(applicationId: string): string {
    const application = this.model.tf.of('aws_emrserverless_application').find((candidate) => this.model.tf.attribute(candidate, 'id') === applicationId);
    if (!application) throw new UnmappedRequestError(`EMR Serverless application ${applicationId} is not synthesized in environment ${this.model.tf.env}`);
    return this.model.tf.arnOf(application);
  }

  workgroupArn(name: string): string {
    return this.model.tf.arnOf(this.must('aws_redshiftserverless_workgroup', name, 'Redshift Serverless workgroup'));
  }

  /** The KMS requests a service makes with the caller's credentials for a CMK-encrypted target. */
  implied(principal: CallPrincipal, target: string, service: string, actions: readonly string[], encryptionContext: Context, caller?: string, keyArn?: string): AwsCall[] {
    const key = keyArn ?? this.model.encryption.get(target)?.keyArn;
    if (!key) return [];
    if (!this.model.keys.has(key)) throw new UnmappedRequestError(`${target}: KMS key ${key} is not synthesized in environment ${this.model.tf.env}`);
    const context: Context = { 'kms:ViaService': `${service}.${this.model.region}.amazonaws.com`, 'kms:CallerAccount': this.model.account };
    for (const [name, value] of Object.entries(encryptionContext)) context[`kms:EncryptionContext:${name}`] = value;
    return actions.map((action) => ({ principal, action, resource: key, context, ...(caller ? { caller } : {}) }));
  }

  callsFor(principal: CallPrincipal, request: ApiRequest, caller?: string): AwsCall[] {
    const prefix = servicePrefix(request.service);
    const calls = this.mainCalls(prefix, principal, request, caller);
    const seen = new Set<string>();
    return calls.filter((call) => {
      const key = `${call.action} ${call.resource} ${JSON.stringify(call.context ?? {})}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private mainCalls(prefix: string, principal: CallPrincipal, request: ApiRequest, caller: string | undefined): AwsCall[] {
    const input = request.input;
    const call = (action: string, resource: string, context?: Context): AwsCall => ({ principal, action, resource, ...(context ? { context } : {}), ...(caller ? { caller } : {}) });
    const op = request.operation;
    switch (prefix) {
      case 'dynamodb':
        return this.dynamodb(principal, request, call, caller);
      case 's3':
        return this.s3(principal, request, call, caller);
      case 'events': {
        if (op !== 'PutEvents') break;
        const entries = (input.Entries as Input[] | undefined) ?? [];
        if (entries.length === 0) throw new UnmappedRequestError('EventBridge PutEvents: no Entries');
        const buses = new Map<string, Input[]>();
        for (const entry of entries) {
          const bus = this.busArn(optionalText(entry, 'EventBusName'));
          buses.set(bus, [...(buses.get(bus) ?? []), entry]);
        }
        return [...buses].map(([bus, busEntries]) =>
          call('events:PutEvents', bus, {
            'events:source': [...new Set(busEntries.map((entry) => String(entry.Source ?? '')))],
            'events:detail-type': [...new Set(busEntries.map((entry) => String(entry.DetailType ?? '')))],
          }),
        );
      }
      case 'states': {
        if (op === 'StartExecution' || op === 'StartSyncExecution') {
          const machine = this.stateMachineArn(text(input, 'stateMachineArn', request));
          return [call(`states:${op}`, machine), ...this.implied(principal, machine, 'states', ['kms:GenerateDataKey'], { 'aws:states:stateMachineArn': machine }, caller)];
        }
        if (op === 'DescribeExecution' || op === 'StopExecution') {
          const execution = text(input, 'executionArn', request);
          const machine = this.stateMachineArn(execution.replace(/:execution:([^:]+):.*$/, ':stateMachine:$1'));
          return [
            call(`states:${op}`, execution),
            ...(op === 'DescribeExecution' ? this.implied(principal, machine, 'states', ['kms:Decrypt'], { 'aws:states:stateMachineArn': machine }, caller) : []),
          ];
        }
        break;
      }
      case 'secretsmanager': {
        if (op !== 'GetSecretValue' && op !== 'DescribeSecret' && op !== 'PutSecretValue') break;
        const secret = this.secretArn(text(input, 'SecretId', request));
        const kms = op === 'GetSecretValue' ? ['kms:Decrypt'] : op === 'PutSecretValue' ? ['kms:GenerateDataKey'] : [];
        return [call(`secretsmanager:${op}`, secret), ...this.implied(principal, secret, 'secretsmanager', kms, { SecretARN: secret }, caller)];
      }
      case 'ssm': {
        if (op === 'GetParameter') return [call('ssm:GetParameter', this.parameterArn(text(input, 'Name', request)))];
        if (op === 'GetParameters') return ((input.Names as string[] | undefined) ?? []).map((name) => call('ssm:GetParameters', this.parameterArn(name)));
        break;
      }
      case 'sqs': {
        const queueUrl = optionalText(input, 'QueueUrl');
        if (op === 'GetQueueUrl') return [call('sqs:GetQueueUrl', this.queueArn(text(input, 'QueueName', request)))];
        const base = op.replace(/Batch$/, '');
        if (!['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes'].includes(base)) break;
        if (!queueUrl) throw new UnmappedRequestError(`SQS ${op}: input has no QueueUrl`);
        const queue = this.queueArn(queueUrl);
        const kms = base === 'SendMessage' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : base === 'ReceiveMessage' ? ['kms:Decrypt'] : [];
        return [call(`sqs:${base}`, queue), ...this.implied(principal, queue, 'sqs', kms, { 'aws:sqs:arn': queue }, caller)];
      }
      case 'sns': {
        if (op !== 'Publish' && op !== 'PublishBatch') break;
        const topic = this.topicArn(optionalText(input, 'TopicArn') ?? text(input, 'TargetArn', request));
        return [call('sns:Publish', topic), ...this.implied(principal, topic, 'sns', ['kms:GenerateDataKey', 'kms:Decrypt'], { 'aws:sns:topicArn': topic }, caller)];
      }
      case 'lambda': {
        if (op !== 'Invoke' && op !== 'InvokeAsync') break;
        return [call('lambda:InvokeFunction', this.functionArn(text(input, 'FunctionName', request)))];
      }
      case 'glue': {
        if (!['StartJobRun', 'GetJobRun', 'GetJobRuns', 'BatchStopJobRun'].includes(op)) break;
        return [call(`glue:${op}`, this.glueJobArn(text(input, 'JobName', request)))];
      }
      case 'emr-serverless': {
        const application = this.emrApplicationArn(text(input, 'ApplicationId', request));
        if (op === 'StartJobRun') {
          const role = text(input, 'ExecutionRoleArn', request);
          return [call('emr-serverless:StartJobRun', application), call('iam:PassRole', role, { 'iam:PassedToService': 'emr-serverless.amazonaws.com' })];
        }
        if (op === 'GetJobRun' || op === 'CancelJobRun') return [call(`emr-serverless:${op}`, `${application}/jobruns/${optionalText(input, 'JobRunId') ?? '00jobrun'}`)];
        break;
      }
      case 'redshift-data': {
        if (op === 'DescribeStatement' || op === 'GetStatementResult' || op === 'ListStatements' || op === 'CancelStatement') return [call(`redshift-data:${op}`, '*')];
        if (op !== 'BatchExecuteStatement' && op !== 'ExecuteStatement') break;
        const workgroup = optionalText(input, 'WorkgroupName');
        if (!workgroup) throw new UnmappedRequestError(`Redshift Data ${op}: only WorkgroupName (Redshift Serverless) targets are modelled`);
        const calls = [call(`redshift-data:${op}`, this.workgroupArn(workgroup))];
        const secretId = optionalText(input, 'SecretArn');
        if (secretId) {
          const secret = this.secretArn(secretId);
          // The Data API reads the secret with the caller's credentials.
          calls.push(call('secretsmanager:GetSecretValue', secret), ...this.implied(principal, secret, 'secretsmanager', ['kms:Decrypt'], { SecretARN: secret }, caller));
        }
        return calls;
      }
      case 'kms': {
        const keyId = text(input, 'KeyId', request);
        const key = this.model.keys.has(keyId) ? keyId : [...this.model.keys.keys()].find((arn) => arn.endsWith(`/${keyId}`));
        if (!key) throw new UnmappedRequestError(`KMS key ${keyId} is not synthesized in environment ${this.model.tf.env}`);
        return [call(`kms:${op}`, key)];
      }
    }
    throw new UnmappedRequestError(`${request.service} ${op} is not modelled by the IAM contract`);
  }

  private dynamodb(principal: CallPrincipal, request: ApiRequest, call: (action: string, resource: string, context?: Context) => AwsCall, caller: string | undefined): AwsCall[] {
    const input = request.input;
    const op = request.operation;
    const kmsOf = (table: string, write: boolean) =>
      this.implied(
        principal,
        this.tableArn(table),
        'dynamodb',
        write ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
        { 'aws:dynamodb:tableName': table.startsWith('arn:') ? table.split('/')[1]! : table, 'aws:dynamodb:subscriberId': this.model.account },
        caller,
      );
    switch (op) {
      case 'GetItem':
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const table = text(input, 'TableName', request);
        const leading = this.leadingKey(table, (op === 'PutItem' ? input.Item : input.Key) as Input | undefined);
        return [call(`dynamodb:${op}`, this.tableArn(table), leading === undefined ? undefined : { 'dynamodb:LeadingKeys': [leading] }), ...kmsOf(table, op !== 'GetItem')];
      }
      case 'Query':
      case 'Scan': {
        const table = text(input, 'TableName', request);
        const index = optionalText(input, 'IndexName');
        return [call(`dynamodb:${op}`, index ? `${this.tableArn(table)}/index/${index}` : this.tableArn(table)), ...kmsOf(table, false)];
      }
      case 'BatchWriteItem':
      case 'BatchGetItem': {
        const tables = Object.keys((input.RequestItems as Input | undefined) ?? {});
        if (tables.length === 0) throw new UnmappedRequestError(`DynamoDB ${op}: no RequestItems`);
        return tables.flatMap((table) => [call(`dynamodb:${op}`, this.tableArn(table)), ...kmsOf(table, op === 'BatchWriteItem')]);
      }
      case 'TransactWriteItems':
      case 'TransactGetItems': {
        const items = (input.TransactItems as Input[] | undefined) ?? [];
        if (items.length === 0) throw new UnmappedRequestError(`DynamoDB ${op}: no TransactItems`);
        const kinds: Readonly<Record<string, [action: string, write: boolean]>> = {
          Put: ['PutItem', true],
          Update: ['UpdateItem', true],
          Delete: ['DeleteItem', true],
          ConditionCheck: ['ConditionCheckItem', false],
          Get: ['GetItem', false],
        };
        return items.flatMap((item) => {
          const [kind, body] = Object.entries(item).find(([name]) => name in kinds) ?? [];
          if (!kind) throw new UnmappedRequestError(`DynamoDB ${op}: an item is none of ${Object.keys(kinds).join(', ')}`);
          const table = text(body as Input, 'TableName', request);
          const [action, write] = kinds[kind]!;
          return [call(`dynamodb:${action}`, this.tableArn(table), { 'dynamodb:EnclosingOperation': op }), ...kmsOf(table, write)];
        });
      }
      case 'DescribeTable':
        return [call('dynamodb:DescribeTable', this.tableArn(text(input, 'TableName', request)))];
    }
    throw new UnmappedRequestError(`DynamoDB ${op} is not modelled by the IAM contract`);
  }

  private s3(principal: CallPrincipal, request: ApiRequest, call: (action: string, resource: string, context?: Context) => AwsCall, caller: string | undefined): AwsCall[] {
    const input = request.input;
    const op = request.operation;
    const bucket = text(input, 'Bucket', request);
    const bucketArn = this.bucketArn(bucket);
    const tls: Context = { 's3:TlsVersion': '1.3', 's3:authType': 'REST-HEADER', 's3:signatureversion': 'AWS4-HMAC-SHA256' };
    const objectKms = (objectBucket: string, actions: readonly string[], keyArn?: string) =>
      this.implied(principal, `arn:aws:s3:::${objectBucket}`, 's3', actions, { 'aws:s3:arn': `arn:aws:s3:::${objectBucket}` }, caller, keyArn);
    const requestKey = (): string | undefined => {
      const key = optionalText(input, 'SSEKMSKeyId');
      return key ? (this.model.keys.has(key) ? key : ([...this.model.keys.keys()].find((arn) => arn.endsWith(`/${key}`)) ?? key)) : undefined;
    };
    const writeContext = (): Context => {
      const context: Context = { ...tls };
      const sse = optionalText(input, 'ServerSideEncryption');
      if (sse) context['s3:x-amz-server-side-encryption'] = sse;
      const key = optionalText(input, 'SSEKMSKeyId');
      if (key) context['s3:x-amz-server-side-encryption-aws-kms-key-id'] = key;
      return context;
    };
    switch (op) {
      case 'GetObject':
      case 'HeadObject': {
        const key = text(input, 'Key', request);
        const versioned = optionalText(input, 'VersionId') !== undefined;
        return [call(versioned ? 's3:GetObjectVersion' : 's3:GetObject', `${bucketArn}/${key}`, tls), ...objectKms(bucket, ['kms:Decrypt'])];
      }
      case 'PutObject': {
        const key = text(input, 'Key', request);
        return [call('s3:PutObject', `${bucketArn}/${key}`, writeContext()), ...objectKms(bucket, ['kms:GenerateDataKey'], requestKey())];
      }
      case 'DeleteObject': {
        const key = text(input, 'Key', request);
        return [call(optionalText(input, 'VersionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject', `${bucketArn}/${key}`, tls)];
      }
      case 'DeleteObjects': {
        const objects = ((input.Delete as Input | undefined)?.Objects as Input[] | undefined) ?? [];
        return objects.map((object) => call('s3:DeleteObject', `${bucketArn}/${text(object, 'Key', request)}`, tls));
      }
      case 'ListObjectsV2':
      case 'ListObjects': {
        const context: Context = { ...tls, 's3:prefix': optionalText(input, 'Prefix') ?? '' };
        const delimiter = optionalText(input, 'Delimiter');
        if (delimiter) context['s3:delimiter'] = delimiter;
        if (input.MaxKeys !== undefined) context['s3:max-keys'] = String(input.MaxKeys);
        return [call('s3:ListBucket', bucketArn, context)];
      }
      case 'CopyObject': {
        const key = text(input, 'Key', request);
        const source = decodeURIComponent(text(input, 'CopySource', request).replace(/^\//, ''));
        const [sourcePath, version] = source.split('?versionId=');
        const slash = sourcePath!.indexOf('/');
        const sourceBucket = sourcePath!.slice(0, slash);
        const sourceArn = `${this.bucketArn(sourceBucket)}/${sourcePath!.slice(slash + 1)}`;
        return [
          call(version ? 's3:GetObjectVersion' : 's3:GetObject', sourceArn, tls),
          ...objectKms(sourceBucket, ['kms:Decrypt']),
          call('s3:PutObject', `${bucketArn}/${key}`, { ...writeContext(), 's3:x-amz-copy-source': source }),
          ...objectKms(bucket, ['kms:GenerateDataKey'], requestKey()),
        ];
      }
    }
    throw new UnmappedRequestError(`S3 ${op} is not modelled by the IAM contract`);
  }
}
