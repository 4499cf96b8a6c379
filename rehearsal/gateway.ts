/**
 * THE one endpoint of the rehearsal (REH-1, IAM-1): every function process has `AWS_ENDPOINT_URL` set to it
 * (`http://127.0.0.1:<port>`, so S3 goes path-style). For each request it:
 * 1. identifies the caller from the SigV4 access key id (each function runs with its synthesized
 *    role's name as access key id, as Lambda hands each function its role's credentials);
 * 2. decodes the API request (service, operation, input);
 * 3. authorises every call AWS would authorise for it through the IAM contract
 *    (`callsFor` + `authorize`); a denial is answered exactly like AWS (HTTP 400
 *    AccessDeniedException for JSON services, 403 AccessDenied XML for S3) and logged naming the
 *    function, action, resource and policy;
 * 4. forwards to dynalite / s3rver, or answers itself for EventBridge PutEvents, SQS, Step
 *    Functions StartExecution/DescribeExecution, Secrets Manager GetSecretValue and SSM
 *    GetParameter.
 * Callers outside the deployment (the upstream writer of authorisations, finance uploading a
 * statement, the report reading the ledger) use access keys `rehearsal-external:<who>`; they are
 * not IAM-authorised (their roles are not in the synth) and are counted apart.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deployment } from './deployment';
import type { Meter } from './metering';
import type { DynamoStandIn } from './dynamo';
import type { EventBridgeService, PutEventsEntry } from './eventbridge';
import type { ApiRequest, AwsCall, CallPrincipal, RequestAuthorizer } from './iam/contract';
import { credentialOf, decodeHttpRequest, UndecodableRequestError } from './iam/http';
import type { S3StandIn } from './s3';
import { s3XmlError } from './s3';
import { Queue, type QueueService } from './sqs';
import { TaskError, type StepFunctionsService } from './stepfunctions';

export const EXTERNAL_PREFIX = 'rehearsal-external:';

export interface Denial {
  caller: string;
  principal: string;
  action: string;
  resource: string;
  reason: string;
  policies: readonly string[];
  count: number;
}

export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** One decoded request: the API request and the SigV4 access key id that signed it. */
export interface DecodedRequest extends ApiRequest {
  accessKeyId: string;
}

/** A fault the rehearsal injects (returns a response instead of serving the request). */
export type FaultInjector = (caller: { principal: CallPrincipal; label: string }, request: DecodedRequest) => GatewayResponse | undefined;

export interface GatewayServices {
  deployment: Deployment;
  authorizer: RequestAuthorizer;
  dynamo: DynamoStandIn;
  s3: S3StandIn;
  events: EventBridgeService;
  queues: QueueService;
  states: StepFunctionsService;
  /** Secret values by ARN (undefined: created without a value). */
  secretValues: Map<string, string | undefined>;
  /** Where denials and unmodelled calls are announced as they happen (default: stderr). */
  announce?: (line: string) => void;
}

const JSON_CONTENT: Record<string, string> = {
  dynamodb: 'application/x-amz-json-1.0',
  states: 'application/x-amz-json-1.0',
  sqs: 'application/x-amz-json-1.0',
  events: 'application/x-amz-json-1.1',
  secretsmanager: 'application/x-amz-json-1.1',
  ssm: 'application/x-amz-json-1.1',
};

export function jsonError(service: string, status: number, type: string, message: string, extra: Record<string, unknown> = {}): GatewayResponse {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT[service] ?? 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: type, message, Message: message, ...extra }),
  };
}

function jsonOk(service: string, payload: unknown): GatewayResponse {
  return { status: 200, headers: { 'content-type': JSON_CONTENT[service] ?? 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(payload) };
}

export class Gateway {
  private server?: Server;
  port = 0;
  readonly denials = new Map<string, Denial>();
  readonly counters = { requests: 0, external: 0, denied: 0, faults: 0, errors: 0, servedMs: 0, byService: {} as Record<string, number>, byCaller: {} as Record<string, number> };
  readonly unexpected: string[] = [];
  /** Requests the IAM contract could not map to calls (served, reported). */
  readonly unmodelled = new Set<string>();
  fault?: FaultInjector;
  /** COST-1: counts requests, DynamoDB capacity, S3 and SQS requests while recording. */
  meter?: Meter;
  private readonly decisionCache = new Map<string, { allowed: boolean; reason?: string; policies: readonly string[] }>();
  private readonly roleLabels = new Map<string, string>();
  private readonly roleNames: Set<string>;
  private pending = 0;
  private readonly announce: (line: string) => void;

  constructor(private readonly services: GatewayServices) {
    this.announce = services.announce ?? ((line) => process.stderr.write(`${line}\n`));
    const { deployment } = services;
    for (const [address, role] of deployment.roles) this.roleLabels.set(role, address);
    for (const fn of deployment.functions) this.roleLabels.set(fn.roleName, `function ${fn.logicalName}`);
    for (const pipe of deployment.pipes) this.roleLabels.set(pipe.roleName, `pipe ${pipe.name}`);
    for (const machine of deployment.stateMachines) this.roleLabels.set(machine.roleName, `state machine ${machine.name}`);
    for (const schedule of deployment.schedules) this.roleLabels.set(schedule.roleName, `schedule ${schedule.name}`);
    if (deployment.deployRoleName) this.roleLabels.set(deployment.deployRoleName, 'deploy role');
    this.roleNames = new Set(deployment.roles.values());
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests being served right now. */
  get inFlight(): number {
    return this.pending;
  }

  labelOf(principal: CallPrincipal): string {
    return principal.kind === 'role' ? (this.roleLabels.get(principal.roleName) ?? `role ${principal.roleName}`) : principal.service;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.serve(req, res));
    // Function processes keep connections open for their lifetime (as to AWS endpoints).
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Authorises `request` for `principal` through the IAM contract: every call AWS would make.
   * Returns undefined when all are allowed, else the AWS-style denial message (and records it).
   */
  authorize(principal: CallPrincipal, request: ApiRequest, caller: string, context: Record<string, string> = {}): string | undefined {
    let mapped: AwsCall[];
    try {
      mapped = this.services.authorizer.callsFor(principal, request);
    } catch (error) {
      // The contract cannot say which calls AWS makes: reported (a finding), the request served.
      const message = `IAM contract cannot model ${caller}: ${request.service} ${request.operation}: ${(error as Error).message}`;
      if (!this.unmodelled.has(message)) {
        this.unmodelled.add(message);
        this.announce(`IAM UNMODELLED: ${message}`);
      }
      return undefined;
    }
    const calls: AwsCall[] = mapped.map((call) => ({ ...call, caller, context: { ...(call.context ?? {}), ...context } }));
    for (const call of calls) {
      const key = JSON.stringify([call.principal, call.action, call.resource, this.decisiveContext(call)]);
      let decision = this.decisionCache.get(key);
      if (!decision) {
        decision = this.services.authorizer.authorize(call);
        this.decisionCache.set(key, decision);
      }
      if (decision.allowed) continue;
      const principalText = principal.kind === 'role' ? `arn:aws:sts::${this.services.deployment.account}:assumed-role/${principal.roleName}/rehearsal` : principal.service;
      const id = `${caller}\u0000${call.action}\u0000${call.resource}`;
      const denial = this.denials.get(id);
      if (denial) denial.count += 1;
      else {
        this.denials.set(id, { caller, principal: principalText, action: call.action, resource: call.resource, reason: decision.reason ?? 'denied', policies: decision.policies, count: 1 });
        this.announce(`IAM DENIED: ${caller} → ${call.action} on ${call.resource}: ${decision.reason ?? 'denied'}${decision.policies.length ? ` (policies: ${decision.policies.join(', ')})` : ''}`);
      }
      this.counters.denied += 1;
      return `User: ${principalText} is not authorized to perform: ${call.action} on resource: ${call.resource} because ${decision.reason ?? 'no identity-based policy allows the action'}`;
    }
    return undefined;
  }

  /**
   * The call's context as its decision can depend on it, for the decision cache: without
   * dynamodb:LeadingKeys (a single-item request's partition key, new for nearly every item) when no
   * policy deciding the call names that key. Every call is still authorised; the cache only
   * answers one whose decision was already made.
   */
  private decisiveContext(call: AwsCall): AwsCall['context'] {
    const context = call.context;
    if (!context || !('dynamodb:LeadingKeys' in context)) return context;
    if (this.services.authorizer.namesConditionKey?.(call.principal, call.resource, 'dynamodb:LeadingKeys') !== false) return context;
    const { 'dynamodb:LeadingKeys': _leading, ...rest } = context;
    return rest;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.pending += 1;
    const started = performance.now();
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', 'http://gateway');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const response = await this.handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body: Buffer.concat(chunks) });
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    } catch (error) {
      this.counters.errors += 1;
      const message = `rehearsal gateway failed on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`;
      this.unexpected.push(message);
      res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message }));
    } finally {
      this.pending -= 1;
      this.counters.servedMs += performance.now() - started;
    }
  }

  /** Serves one decoded HTTP request (exported for tests). */
  async handle(data: { method: string; path: string; query: URLSearchParams; headers: Record<string, string>; body: Buffer }): Promise<GatewayResponse> {
    this.counters.requests += 1;
    let request: DecodedRequest;
    const query = data.query.toString();
    const url = `${data.path}${query ? `?${query}` : ''}`;
    try {
      const credential = credentialOf(data.headers, url);
      if (!credential) throw new UndecodableRequestError(`${data.method} ${data.path}: the request is not SigV4-signed`);
      request = { ...decodeHttpRequest({ method: data.method, url, headers: data.headers, body: data.body }), accessKeyId: credential.accessKeyId };
    } catch (error) {
      if (error instanceof UndecodableRequestError) {
        this.unexpected.push(`undecodable request: ${error.message}`);
        return jsonError('unknown', 400, 'InvalidRequest', error.message);
      }
      throw error;
    }
    this.counters.byService[`${request.service}:${request.operation}`] = (this.counters.byService[`${request.service}:${request.operation}`] ?? 0) + 1;
    const external = request.accessKeyId.startsWith(EXTERNAL_PREFIX);
    let principal: CallPrincipal;
    let label: string;
    if (external) {
      this.counters.external += 1;
      principal = { kind: 'service', service: request.accessKeyId };
      label = request.accessKeyId.slice(EXTERNAL_PREFIX.length);
    } else {
      if (!this.roleNames.has(request.accessKeyId)) {
        const message = `The security token included in the request is invalid: access key "${request.accessKeyId}" is no role of the deployment`;
        return request.service === 's3' ? s3XmlError(403, 'InvalidAccessKeyId', message) : jsonError(request.service, 400, 'UnrecognizedClientException', message);
      }
      principal = { kind: 'role', roleName: request.accessKeyId };
      label = this.labelOf(principal);
      const denial = this.authorize(principal, request, label);
      if (denial) return request.service === 's3' ? s3XmlError(403, 'AccessDenied', denial) : jsonError(request.service, 400, 'AccessDeniedException', denial);
    }
    this.counters.byCaller[label] = (this.counters.byCaller[label] ?? 0) + 1;
    this.meter?.request(label, request.service, request.operation);
    const injected = this.fault?.({ principal, label }, request);
    if (injected) {
      this.counters.faults += 1;
      return injected;
    }
    return this.dispatch(request, data, label);
  }

  /** Secrets created at run time (an operator's CreateSecret: e.g. webhook signing keys, HOOK-1), beside the synthesized ones. */
  private readonly createdSecrets: { arn: string; name: string }[] = [];

  private secretNamed(id: string): { arn: string; name: string } | undefined {
    const matches = (candidate: { arn: string; name: string }) => candidate.arn === id || candidate.name === id;
    return this.services.deployment.secrets.find(matches) ?? this.createdSecrets.find(matches);
  }

  /**
   * A secret another service manages (e.g. an RDS cluster's master secret, named by Terraform
   * only through its ARN): served under that ARN from now on, and known to the IAM contract.
   */
  registerSecret(arn: string, value: string): void {
    const name = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn)?.[1] ?? arn.split(':secret:').pop()!;
    if (!this.secretNamed(arn)) this.createdSecrets.push({ arn, name });
    this.services.secretValues.set(arn, value);
    this.services.authorizer.secretCreated?.(arn, name);
  }

  /** CreateSecret (SecretString only, the account's default key): the ARN gets Secrets Manager's random 6-character suffix. */
  private createSecret(input: Record<string, unknown>): GatewayResponse {
    const name = String(input.Name ?? '');
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) return jsonError('secretsmanager', 400, 'InvalidParameterException', `secret name ${JSON.stringify(name)} is not a valid name`);
    if (typeof input.SecretString !== 'string') return jsonError('secretsmanager', 400, 'InvalidParameterException', 'the rehearsal serves CreateSecret with a SecretString only');
    if (this.secretNamed(name)) return jsonError('secretsmanager', 400, 'ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const suffix = randomUUID()
      .replace(/[^a-zA-Z0-9]/g, '')
      .slice(0, 6);
    const arn = `arn:aws:secretsmanager:${this.services.deployment.region}:${this.services.deployment.account}:secret:${name}-${suffix}`;
    this.createdSecrets.push({ arn, name });
    this.services.secretValues.set(arn, input.SecretString);
    this.services.authorizer.secretCreated?.(arn, name);
    return jsonOk('secretsmanager', { ARN: arn, Name: name, VersionId: randomUUID() });
  }

  private async dispatch(
    request: DecodedRequest,
    data: { method: string; path: string; query: URLSearchParams; headers: Record<string, string>; body: Buffer },
    label: string,
  ): Promise<GatewayResponse> {
    const { service, operation } = request;
    const input = request.input as Record<string, unknown>;
    switch (service) {
      case 'dynamodb': {
        const serve = () => this.services.dynamo.handle(operation, data.body.toString('utf8'), input);
        const response = this.meter ? await this.meter.dynamo(label, operation, input, this.services.dynamo, serve) : await serve();
        return { status: response.status, headers: { 'content-type': JSON_CONTENT.dynamodb!, 'x-amzn-requestid': randomUUID() }, body: response.body };
      }
      case 's3': {
        const bucket = typeof input.Bucket === 'string' ? input.Bucket : undefined;
        const key = typeof input.Key === 'string' && input.Key !== '' ? input.Key : undefined;
        if (bucket) this.meter?.s3Request(bucket, operation, label, data.body.length);
        const response = await this.services.s3.handle({ operation, bucket, key, method: data.method, path: data.path, query: data.query, headers: data.headers, body: data.body, requester: label });
        return { status: response.status, headers: response.headers, body: response.body };
      }
      case 'events':
        if (operation !== 'PutEvents') return jsonError(service, 400, 'UnsupportedOperation', `the rehearsal does not serve events ${operation}`);
        return jsonOk(service, this.services.events.putEvents((input.Entries ?? []) as PutEventsEntry[], label));
      case 'states':
        try {
          if (operation === 'StartExecution') {
            const started = this.services.states.startExecution(input as { stateMachineArn?: string; name?: string; input?: string }, label);
            return jsonOk(service, { executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000 });
          }
          if (operation === 'DescribeExecution') return jsonOk(service, this.services.states.describeExecution(String(input.executionArn)));
          return jsonError(service, 400, 'UnsupportedOperation', `the rehearsal does not serve states ${operation}`);
        } catch (error) {
          if (error instanceof TaskError) return jsonError(service, 400, error.name, error.message);
          throw error;
        }
      case 'secretsmanager': {
        if (operation === 'CreateSecret') return this.createSecret(input);
        if (operation !== 'GetSecretValue' && operation !== 'PutSecretValue') return jsonError(service, 400, 'UnsupportedOperation', `the rehearsal does not serve secretsmanager ${operation}`);
        const id = String(input.SecretId ?? '');
        const secret = this.secretNamed(id);
        if (!secret) return jsonError(service, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        if (operation === 'PutSecretValue') {
          if (typeof input.SecretString !== 'string') return jsonError(service, 400, 'InvalidParameterException', 'the rehearsal serves PutSecretValue with a SecretString only');
          this.services.secretValues.set(secret.arn, input.SecretString);
          return jsonOk(service, { ARN: secret.arn, Name: secret.name, VersionId: randomUUID(), VersionStages: ['AWSCURRENT'] });
        }
        const value = this.services.secretValues.get(secret.arn);
        if (value === undefined) return jsonError(service, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
        return jsonOk(service, { ARN: secret.arn, Name: secret.name, SecretString: value, VersionId: 'rehearsal-v1', VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 });
      }
      case 'ssm': {
        const names = operation === 'GetParameter' ? [String(input.Name ?? '')] : operation === 'GetParameters' ? ((input.Names ?? []) as string[]) : undefined;
        if (!names) return jsonError(service, 400, 'UnsupportedOperation', `the rehearsal does not serve ssm ${operation}`);
        const found = names.map((name) => this.services.deployment.parameters.find((candidate) => candidate.name === name || candidate.arn === name));
        const render = (parameter: (typeof found)[number]) => parameter && { Name: parameter.name, Type: parameter.type, Value: parameter.value, Version: 1, ARN: parameter.arn, DataType: 'text' };
        if (operation === 'GetParameter') return found[0] ? jsonOk(service, { Parameter: render(found[0]) }) : jsonError(service, 400, 'ParameterNotFound', `Parameter ${names[0]} not found.`);
        return jsonOk(service, { Parameters: found.filter(Boolean).map(render), InvalidParameters: names.filter((_, index) => !found[index]) });
      }
      case 'sqs':
        return this.sqs(operation, input, label);
      default:
        return jsonError(service, 400, 'UnsupportedOperation', `the rehearsal has no stand-in for ${service} ${operation}`);
    }
  }

  private sqs(operation: string, input: Record<string, unknown>, label: string): GatewayResponse {
    const queue = this.services.queues.byUrlOrName(String(input.QueueUrl ?? input.QueueName ?? ''));
    if (!queue) return jsonError('sqs', 400, 'com.amazonaws.sqs#QueueDoesNotExist', 'The specified queue does not exist.');
    const messageAttributes = (input.MessageAttributes ?? {}) as Record<string, { DataType: string; StringValue?: string }>;
    const meter = this.meter;
    switch (operation) {
      case 'GetQueueUrl':
        meter?.sqsRequest(queue.name, 'other', label);
        return jsonOk('sqs', { QueueUrl: queue.definition.url });
      case 'SendMessage': {
        meter?.sqsRequest(queue.name, 'send', label, [Buffer.byteLength(String(input.MessageBody ?? ''))]);
        const message = queue.send(String(input.MessageBody ?? ''), 'SendMessage', messageAttributes);
        return jsonOk('sqs', { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody });
      }
      case 'SendMessageBatch': {
        const entries = (input.Entries ?? []) as { Id: string; MessageBody: string; MessageAttributes?: Record<string, { DataType: string; StringValue?: string }> }[];
        meter?.sqsRequest(
          queue.name,
          'send',
          label,
          entries.map((entry) => Buffer.byteLength(entry.MessageBody)),
        );
        return jsonOk('sqs', {
          Successful: entries.map((entry) => {
            const message = queue.send(entry.MessageBody, 'SendMessageBatch', entry.MessageAttributes ?? {});
            return { Id: entry.Id, MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
          }),
          Failed: [],
        });
      }
      case 'ReceiveMessage': {
        const messages = queue.receive(Number(input.MaxNumberOfMessages ?? 1), input.VisibilityTimeout === undefined ? undefined : Number(input.VisibilityTimeout));
        meter?.sqsRequest(
          queue.name,
          'receive',
          label,
          messages.map((message) => Buffer.byteLength(message.body)),
        );
        return jsonOk('sqs', {
          Messages: messages.map((message) => ({
            MessageId: message.messageId,
            ReceiptHandle: message.receiptHandle,
            MD5OfBody: message.md5OfBody,
            Body: message.body,
            Attributes: Queue.recordAttributes(message),
          })),
        });
      }
      case 'DeleteMessage':
        meter?.sqsRequest(queue.name, 'delete', label, [0]);
        queue.delete(String(input.ReceiptHandle));
        return jsonOk('sqs', {});
      case 'DeleteMessageBatch': {
        const entries = (input.Entries ?? []) as { Id: string; ReceiptHandle: string }[];
        meter?.sqsRequest(
          queue.name,
          'delete',
          label,
          entries.map(() => 0),
        );
        for (const entry of entries) queue.delete(entry.ReceiptHandle);
        return jsonOk('sqs', { Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [] });
      }
      case 'ChangeMessageVisibility':
        meter?.sqsRequest(queue.name, 'other', label);
        queue.changeVisibility(String(input.ReceiptHandle), Number(input.VisibilityTimeout ?? 0));
        return jsonOk('sqs', {});
      case 'GetQueueAttributes':
        meter?.sqsRequest(queue.name, 'other', label);
        return jsonOk('sqs', {
          Attributes: {
            QueueArn: queue.definition.arn,
            ApproximateNumberOfMessages: String(queue.visibleCount()),
            ApproximateNumberOfMessagesNotVisible: String(queue.depth - queue.visibleCount()),
            VisibilityTimeout: String(queue.definition.visibilityTimeoutSeconds),
            ...(queue.definition.redrive ? { RedrivePolicy: JSON.stringify(queue.definition.redrive) } : {}),
          },
        });
      default:
        return jsonError('sqs', 400, 'UnsupportedOperation', `the rehearsal does not serve sqs ${operation}`);
    }
  }
}
