/**
 * Runs a deployed function's REAL handler (functions/<name>/index.ts) in-process, the way Lambda
 * would: a fresh module registry, `process.env` set to EXACTLY the synthesized
 * `environment.variables` of its aws_lambda_function (plus the region, fake credentials and the
 * DynamoDB endpoint of a local dynalite whose tables carry the synthesized names and keys), every
 * SDK command recorded. DynamoDB goes to dynalite behind the rehearsal's stand-in (TransactWriteItems
 * applied all or nothing with its conditions); EventBridge, S3, Step Functions and Secrets Manager are answered by
 * `FakeAws` (canned, stateful enough for the flows). The recorded requests are then authorised
 * with the IAM contract.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient, PutItemCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoStandIn } from '../../../../rehearsal/dynamo';
import { serveDynamo } from '../../../support/dynamo-front';
import type { TableDefinition } from '../../../../rehearsal/deployment';
import type { ApiRequest, AwsCall, Decision } from '../../../../rehearsal/iam/contract';
import type { IamContractImpl } from '../../../../rehearsal/iam';
import { list, type Json } from '../../../../rehearsal/iam/model';

export const FAKE_CREDENTIALS = { accessKeyId: 'AKIDREHEARSAL', secretAccessKey: 'rehearsal-secret' };

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * Every synthesized table of the environment (names, keys, indexes from the Terraform) on dynalite,
 * behind the rehearsal's DynamoDB stand-in (rehearsal/dynamo.ts), so TransactWriteItems is applied
 * all or nothing with its conditions, as DynamoDB does: a function's later reads see what its
 * transactions wrote. Streams and TTL are not needed here (the stream-reading functions get their
 * records in the event).
 */
export async function startSynthesizedTables(contract: IamContractImpl): Promise<LocalDynamo> {
  const tf = contract.model.tf;
  const tables: TableDefinition[] = tf
    .of('aws_dynamodb_table')
    .filter((table) => !table.stack.endsWith('-bootstrap'))
    .map((table) => {
      const config = tf.config(table);
      const input = createTableInputOf(config);
      const hashKey = String(config.hash_key);
      const index = (item: { IndexName?: string; KeySchema?: { AttributeName?: string; KeyType?: string }[]; Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] } }) => ({
        name: String(item.IndexName),
        hashKey: item.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName ?? hashKey,
        rangeKey: item.KeySchema?.find((key) => key.KeyType === 'RANGE')?.AttributeName,
        projectionType: item.Projection?.ProjectionType ?? 'ALL',
        nonKeyAttributes: item.Projection?.NonKeyAttributes,
      });
      return {
        address: `aws_dynamodb_table.${String(config.name)}`,
        name: String(config.name),
        arn: `arn:aws:dynamodb:${contract.model.region}:${contract.model.account}:table/${String(config.name)}`,
        hashKey,
        ...(config.range_key ? { rangeKey: String(config.range_key) } : {}),
        attributes: (input.AttributeDefinitions ?? []).map((attribute) => ({ name: String(attribute.AttributeName), type: attribute.AttributeType as 'S' | 'N' | 'B' })),
        globalSecondaryIndexes: (input.GlobalSecondaryIndexes ?? []).map(index),
        localSecondaryIndexes: (input.LocalSecondaryIndexes ?? []).map(index),
        streamEnabled: false,
      };
    });
  const standIn = new DynamoStandIn(tables, contract.model.region);
  await standIn.start();
  const front = await serveDynamo((operation, body) => standIn.handle(operation, body, JSON.parse(body) as Record<string, unknown>));
  const endpoint = front.endpoint;
  const client = new DynamoDBClient({ region: contract.model.region, credentials: FAKE_CREDENTIALS, endpoint });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await front.close();
      await standIn.stop();
    },
  };
}

function projection(index: Json): NonNullable<NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']>[number]['Projection']> {
  const type = String(index.projection_type ?? 'ALL') as 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  return { ProjectionType: type, ...(type === 'INCLUDE' ? { NonKeyAttributes: list(index.non_key_attributes as string[]) } : {}) };
}

/** aws_dynamodb_table configuration → CreateTable input (no stream: dynalite has none; the Pipe's stream reads are a static check). */
export function createTableInputOf(config: Json): CreateTableCommandInput {
  const keys = (hash: unknown, range: unknown) => [{ AttributeName: String(hash), KeyType: 'HASH' as const }, ...(range ? [{ AttributeName: String(range), KeyType: 'RANGE' as const }] : [])];
  const gsis = list(config.global_secondary_index as Json[]);
  const lsis = list(config.local_secondary_index as Json[]);
  return {
    TableName: String(config.name),
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: list(config.attribute as Json[]).map((attribute) => ({ AttributeName: String(attribute.name), AttributeType: String(attribute.type) as 'S' | 'N' | 'B' })),
    KeySchema: keys(config.hash_key, config.range_key),
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis.map((index) => ({ IndexName: String(index.name), KeySchema: keys(index.hash_key, index.range_key), Projection: projection(index) })) } : {}),
    ...(lsis.length > 0 ? { LocalSecondaryIndexes: lsis.map((index) => ({ IndexName: String(index.name), KeySchema: keys(config.hash_key, index.range_key), Projection: projection(index) })) } : {}),
  };
}

export async function putItems(client: DynamoDBClient, tableName: string, items: readonly Record<string, unknown>[]): Promise<void> {
  for (const item of items) await client.send(new PutItemCommand({ TableName: tableName, Item: item as never }));
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

/** Canned answers for the services without a local stand-in, stateful where the flows need it. */
export class FakeAws {
  readonly objects = new Map<string, Buffer>();
  readonly published: Json[] = [];
  readonly executions: Json[] = [];
  readonly secrets = new Map<string, string>();

  put(bucket: string, key: string, body: string | Buffer): void {
    this.objects.set(`${bucket}/${key}`, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  /** The ledger events published so far (the envelopes of PutEvents' Detail), oldest first. */
  events<T = Json>(): T[] {
    return this.published.map((entry) => JSON.parse(String(entry.Detail)) as T);
  }

  respond = (request: ApiRequest): unknown => {
    const input = request.input as Json;
    switch (`${request.service}:${request.operation}`) {
      case 'events:PutEvents': {
        const entries = list(input.Entries as Json[]);
        this.published.push(...entries);
        return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${this.published.length}-${i}` })), $metadata: {} };
      }
      case 's3:PutObject': {
        const id = `${String(input.Bucket)}/${String(input.Key)}`;
        if (input.IfNoneMatch === '*' && this.objects.has(id)) throw awsError('PreconditionFailed', 412);
        const body = input.Body;
        this.objects.set(id, Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : body instanceof Uint8Array ? body : String(body)));
        return { ETag: '"etag"', $metadata: {} };
      }
      case 's3:GetObject': {
        const body = this.objects.get(`${String(input.Bucket)}/${String(input.Key)}`);
        if (!body) throw awsError('NoSuchKey', 404);
        return { Body: Readable.from([body]), ContentLength: body.length, $metadata: {} };
      }
      case 's3:HeadObject': {
        const body = this.objects.get(`${String(input.Bucket)}/${String(input.Key)}`);
        if (!body) throw awsError('NotFound', 404);
        return { ContentLength: body.length, $metadata: {} };
      }
      case 's3:ListObjectsV2': {
        const prefix = `${String(input.Bucket)}/${String(input.Prefix ?? '')}`;
        const keys = [...this.objects.keys()].filter((id) => id.startsWith(prefix)).sort();
        return { Contents: keys.map((id) => ({ Key: id.slice(String(input.Bucket).length + 1), Size: this.objects.get(id)!.length })), IsTruncated: false, KeyCount: keys.length, $metadata: {} };
      }
      case 's3:DeleteObject':
        this.objects.delete(`${String(input.Bucket)}/${String(input.Key)}`);
        return { $metadata: {} };
      case 'states:StartExecution': {
        this.executions.push(input);
        return { executionArn: `${String(input.stateMachineArn).replace(':stateMachine:', ':execution:')}:${String(input.name)}`, startDate: new Date(), $metadata: {} };
      }
      case 'secretsmanager:GetSecretValue': {
        const value = this.secrets.get(String(input.SecretId));
        if (value === undefined) throw awsError('ResourceNotFoundException', 400);
        return { ARN: input.SecretId, SecretString: value, $metadata: {} };
      }
      default:
        return request.service === 'dynamodb'
          ? undefined
          : (() => {
              throw new Error(`FakeAws: no canned answer for ${request.service} ${request.operation}`);
            })();
    }
  };
}

export interface Invocation<R> {
  result: R;
  requests: ApiRequest[];
  calls: { call: AwsCall; decision: Decision }[];
}

const SYSTEM_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'NODE_OPTIONS', 'JEST_WORKER_ID', 'NODE_ENV'];

/**
 * Loads functions/<name>/index.ts in a fresh registry with the synthesized environment, records
 * every SDK command of one invocation, and authorises each as the function's role.
 */
export async function invokeDeployed<R = unknown>(contract: IamContractImpl, name: string, event: unknown, options: { dynamoEndpoint: string; fake: FakeAws }): Promise<Invocation<R>> {
  const fn = contract.model.functions.get(`ledgerline-${contract.model.tf.env}-${name}`);
  if (!fn) throw new Error(`function ${name} is not synthesized in ${contract.model.tf.env}`);
  const saved = process.env;
  const env: Record<string, string> = {};
  for (const variable of SYSTEM_VARIABLES) if (saved[variable] !== undefined) env[variable] = saved[variable]!;
  Object.assign(env, fn.environment, {
    AWS_REGION: contract.model.region,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  process.env = env;
  let recorder: { requests: readonly ApiRequest[]; dispose(): void } | undefined;
  let handler: ((event: unknown, context: unknown) => Promise<R>) | undefined;
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { recordSdkCalls } = require('../../../../rehearsal/iam/sdk-recorder') as typeof import('../../../../rehearsal/iam/sdk-recorder');
      recorder = recordSdkCalls({ sink: () => undefined, respond: options.fake.respond });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require(`../../../../functions/${name}/index`) as { handler: typeof handler }).handler;
    });
    const result = await handler!(event, { awsRequestId: `rehearsal-${name}`, functionName: fn.name, getRemainingTimeInMillis: () => 30_000 });
    const requests = [...recorder!.requests];
    const principal = { kind: 'role' as const, roleName: fn.roleName };
    const calls = requests.flatMap((request) => contract.authorizeRequest(principal, request, `function ${name}`));
    return { result, requests, calls };
  } finally {
    recorder?.dispose();
    process.env = saved;
  }
}

/** The denied calls of an invocation, one message each (function, action, resource, policy). */
export function denials(invocation: Pick<Invocation<unknown>, 'calls'>): string[] {
  return invocation.calls.filter((entry) => !entry.decision.allowed).map((entry) => entry.decision.reason!);
}

/** `operation` of `service` was sent (for "the real code really makes this call" assertions). */
export function sent(invocation: Pick<Invocation<unknown>, 'requests'>, service: string, operation: string): ApiRequest[] {
  return invocation.requests.filter((request) => request.service === service && request.operation === operation);
}
