/**
 * The rehearsed deployment (REH-1): every stand-in created from one environment's synthesized
 * definitions and wired as AWS wires them (rehearsal/deployment.ts → dynalite, s3rver, queues,
 * buses and rules, the Pipe, event-source mappings, the schedule, state machines, parameters,
 * secrets, and each function's bundle in its own processes behind the one gateway).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Deployment, ScheduleDefinition } from './deployment';
import { loadAuthorizer, type LoadedAuthorizer } from './authorizer';
import { DynamoStandIn } from './dynamo';
import { EventSourcePoller } from './esm';
import { EventBridgeService, eventTime, type BusEvent } from './eventbridge';
import { Gateway } from './gateway';
import type { ApiRequest, CallPrincipal, RequestAuthorizer } from './iam/contract';
import { LambdaService, type InvokeOutcome } from './lambda-host';
import { PipeRunner } from './pipe';
import { internalS3Headers, S3StandIn, type S3ObjectEvent } from './s3';
import { QueueService, VirtualClock, type Queue, type SqsMessage } from './sqs';
import { StepFunctionsService, type StepFunctionsDeps } from './stepfunctions';

export interface CloudOptions {
  deployment: Deployment;
  synthDir: string;
  workDir: string;
  /** Execution environments per function at most (default 2: the machine has 2 cores). */
  maxProcesses?: number;
  /** Replace the IAM contract (tests). */
  authorizer?: RequestAuthorizer;
  redshift?: StepFunctionsDeps['redshift'];
  /** Duplicate-delivery injection for messages delivered to queues by rules and by a Pipe with an SQS target. */
  onQueueDelivery?(queue: Queue, message: SqsMessage): void;
  expireVisibility?: ConstructorParameters<typeof EventSourcePoller>[3]['expireVisibility'];
  /** Where IAM denials are announced as they happen (default: stderr). */
  announce?: (line: string) => void;
}

export interface AsyncInvocation {
  function: string;
  origin: string;
  attempts: number;
  outcome?: InvokeOutcome;
  deadLettered: boolean;
}

export interface GapNote {
  name: string;
  detail: string;
  count: number;
}

export class RehearsalCloud {
  readonly deployment: Deployment;
  readonly clock = new VirtualClock();
  readonly queues: QueueService;
  readonly dynamo: DynamoStandIn;
  readonly s3: S3StandIn;
  readonly events: EventBridgeService;
  readonly states: StepFunctionsService;
  readonly gateway: Gateway;
  readonly lambdas: LambdaService;
  readonly pipes: PipeRunner[] = [];
  readonly pollers: EventSourcePoller[] = [];
  readonly authorizer: LoadedAuthorizer;
  readonly secretValues = new Map<string, string | undefined>();
  readonly sns: { topicArn: string; message: string; origin: string }[] = [];
  readonly asyncInvocations: AsyncInvocation[] = [];
  readonly gaps = new Map<string, GapNote>();
  readonly scheduleRuns: { schedule: string; outcome: InvokeOutcome }[] = [];
  private pendingAsync = 0;
  /** Progress lines (REHEARSAL_TRACE=1). */
  trace?: (line: string) => void;
  private started = false;

  constructor(private readonly options: CloudOptions) {
    const deployment = options.deployment;
    this.deployment = deployment;
    this.authorizer = options.authorizer ? { authorizer: options.authorizer, kind: 'injected', detail: 'an authorizer injected by the caller (tests)' } : loadAuthorizer(deployment, options.synthDir);
    this.queues = new QueueService(deployment.queues, this.clock);
    this.dynamo = new DynamoStandIn(deployment.tables, deployment.region);
    this.s3 = new S3StandIn(deployment, (event) => this.s3Notification(event));
    for (const secret of deployment.secrets) this.secretValues.set(secret.arn, secret.initialValue);
    const authorize = (principal: CallPrincipal, request: ApiRequest, caller: string, context?: Record<string, string>) => this.gateway.authorize(principal, request, caller, context);
    this.events = new EventBridgeService({
      deployment,
      queues: this.queues,
      authorize,
      invokeAsync: (arn, event, origin) => this.invokeAsync(arn, event, origin),
      publishSns: (topicArn, message, origin) => this.sns.push({ topicArn, message, origin }),
      onQueueDelivery: options.onQueueDelivery,
    });
    this.states = new StepFunctionsService({
      deployment,
      authorize,
      invokeFunction: async (arn, payload) => {
        const outcome = await this.invoke(arn, payload);
        return outcome.ok ? { ok: true, result: outcome.result } : { ok: false, errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
      },
      putEvents: (entries, caller) => this.events.putEvents(entries as never, caller),
      deleteObject: async (bucket, key, principal) => {
        const response = await this.s3.handle({
          operation: 'DeleteObject',
          bucket,
          key,
          method: 'DELETE',
          path: `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
          query: new URLSearchParams(),
          headers: internalS3Headers('states'),
          body: Buffer.alloc(0),
          requester: this.gateway.labelOf(principal),
        });
        if (response.status >= 300) throw new Error(`S3 DeleteObject s3://${bucket}/${key}: HTTP ${response.status}`);
      },
      publishSns: (topicArn, message, caller) => this.sns.push({ topicArn, message, origin: caller }),
      redshift: options.redshift,
      gap: (name, detail) => this.gap(name, detail),
    });
    this.gateway = new Gateway({
      deployment,
      authorizer: this.authorizer.authorizer,
      dynamo: this.dynamo,
      s3: this.s3,
      events: this.events,
      queues: this.queues,
      states: this.states,
      secretValues: this.secretValues,
      announce: options.announce,
    });
    // The Lambda service needs the gateway's port: created in start().
    this.lambdas = undefined as unknown as LambdaService;
  }

  /** Routes the state machines' Glue tasks to a Glue stand-in. */
  useGlue(glue: NonNullable<StepFunctionsDeps['glue']>): void {
    this.states.useGlue(glue);
  }

  /** Routes the state machines' redshiftdata tasks to a Data API stand-in. */
  useRedshift(redshift: NonNullable<StepFunctionsDeps['redshift']>): void {
    this.states.useRedshift(redshift);
  }

  gap(name: string, detail: string): void {
    const note = this.gaps.get(name);
    if (note) note.count += 1;
    else this.gaps.set(name, { name, detail, count: 1 });
  }

  async start(): Promise<void> {
    await Promise.all([this.dynamo.start(), this.s3.start(), this.gateway.start()]);
    (this as { lambdas: LambdaService }).lambdas = new LambdaService(this.deployment.functions, {
      endpoint: this.gateway.endpoint,
      region: this.deployment.region,
      workDir: this.options.workDir,
      maxProcesses: this.options.maxProcesses ?? 2,
    });
    const authorize = (principal: CallPrincipal, request: ApiRequest, caller: string) => this.gateway.authorize(principal, request, caller);
    for (const definition of this.deployment.pipes) {
      if (definition.desiredState !== 'RUNNING') continue;
      const pipe = new PipeRunner(definition, {
        authorize,
        invoke: async (arn, event) => {
          const outcome = await this.invoke(arn, event);
          return outcome.ok ? { ok: true, result: outcome.result } : { ok: false, errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
        },
        putEvents: (entries, caller) => this.events.putEvents(entries, caller),
        queues: this.queues,
        onQueueDelivery: this.options.onQueueDelivery,
      });
      const table = this.deployment.tables.find((candidate) => candidate.streamArn === definition.sourceArn);
      if (!table) throw new Error(`pipe ${definition.name}: source ${definition.sourceArn} is no table stream of the deployment`);
      this.dynamo.onStream(table.name, (record) => pipe.accept(record));
      this.pipes.push(pipe);
    }
    for (const mapping of this.deployment.eventSourceMappings) {
      // A table stream feeding a function (AUDIT-1's audit-stream): its store is outside the stand-ins.
      const streamTable = this.deployment.tables.find((table) => table.streamArn === mapping.sourceArn);
      if (streamTable) {
        this.gap(
          `DynamoDB stream mapping ${streamTable.name} → ${mapping.functionArn.split(':').pop()}`,
          // AUDIT-1 would need: a stream poller (batches, ReportBatchItemFailures, bisect/retry), the synthesized
          // Aurora endpoint (a DNS name, port 5432) resolved to a local server, TLS verified against a CA the
          // runtime trusts (AUDIT_DB_SSL unset: on), the cluster's RDS-managed master secret served, and the
          // audit migrations applied as a first deploy does. None is stood in yet.
          'NOT rehearsed: the stream records are emitted, but no poller invokes the function; its Aurora endpoint (synthesized DNS name, TLS verified), the RDS-managed master secret and the migrated audit database have no stand-in',
        );
        continue;
      }
      const queue = this.queues.byArn(mapping.sourceArn);
      const host = this.lambdas.get(mapping.functionArn);
      if (!queue || !host) throw new Error(`${mapping.address}: source ${mapping.sourceArn} or function ${mapping.functionArn} is not deployed`);
      const poller = new EventSourcePoller(mapping, queue, host, { authorize, region: this.deployment.region, expireVisibility: this.options.expireVisibility });
      this.pollers.push(poller);
      poller.start();
    }
    // The objects Terraform uploads (aws_s3_object: e.g. the Glue script and its logic module).
    for (const object of this.deployment.objects) {
      const body = object.sourcePath ? readFileSync(object.sourcePath) : Buffer.from(object.content ?? '');
      const response = await this.s3.handle({
        operation: 'PutObject',
        bucket: object.bucket,
        key: object.key,
        method: 'PUT',
        path: `/${object.bucket}/${object.key.split('/').map(encodeURIComponent).join('/')}`,
        query: new URLSearchParams(),
        headers: { ...internalS3Headers('terraform'), ...(object.contentType ? { 'content-type': object.contentType } : {}) },
        body,
        requester: 'terraform',
      });
      if (response.status !== 200) throw new Error(`${object.address}: uploading s3://${object.bucket}/${object.key} failed: HTTP ${response.status} ${response.body.toString('utf8').slice(0, 200)}`);
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((poller) => poller.stop()));
    if (this.started) await this.lambdas.shutdown();
    await Promise.all([this.gateway.stop(), this.dynamo.stop(), this.s3.stop()]);
  }

  /** A synchronous invocation of a deployed function (the caller authorised it). */
  invoke(functionArn: string, event: unknown): Promise<InvokeOutcome> {
    const host = this.lambdas.get(functionArn);
    if (!host) return Promise.resolve({ ok: false, error: { errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${functionArn}` }, durationMs: 0 });
    return host.invoke(event);
  }

  /**
   * An asynchronous invocation (EventBridge, Scheduler): Lambda retries a failed one twice, then
   * sends the event to the function's synthesized dead-letter queue, as the function's role.
   */
  invokeAsync(functionArn: string, event: unknown, origin: string): AsyncInvocation {
    const host = this.lambdas.get(functionArn);
    const record: AsyncInvocation = { function: functionArn, origin, attempts: 0, deadLettered: false };
    this.asyncInvocations.push(record);
    this.pendingAsync += 1;
    void (async () => {
      try {
        for (let attempt = 0; attempt < 3; attempt += 1) {
          record.attempts += 1;
          record.outcome = await this.invoke(functionArn, event);
          if (record.outcome.ok) return;
        }
        const dlqArn = host?.definition.asyncDeadLetterArn;
        const dlq = dlqArn ? this.queues.byArn(dlqArn) : undefined;
        if (!dlq || !host) return;
        const denial = this.gateway.authorize(
          { kind: 'role', roleName: host.definition.roleName },
          { service: 'sqs', operation: 'SendMessage', input: { QueueUrl: dlq.definition.url } },
          `function ${host.definition.logicalName} async dead-letter queue`,
        );
        if (denial) return;
        const failure = record.outcome && !record.outcome.ok ? record.outcome.error : undefined;
        const message = dlq.send(JSON.stringify(event), `function ${host.definition.logicalName} async invocation`, {
          RequestID: { DataType: 'String', StringValue: randomUUID() },
          ErrorCode: { DataType: 'Number', StringValue: '200' },
          ErrorMessage: { DataType: 'String', StringValue: `${failure?.errorType}: ${failure?.errorMessage}`.slice(0, 256) },
        });
        dlq.deadLetters.push(message);
        record.deadLettered = true;
      } finally {
        this.pendingAsync -= 1;
      }
    })();
    return record;
  }

  /** One firing of a synthesized schedule: the Scheduler invokes its target as its role. */
  async fireSchedule(schedule: ScheduleDefinition): Promise<InvokeOutcome> {
    const principal: CallPrincipal = { kind: 'role', roleName: schedule.roleName };
    const denial = this.gateway.authorize(principal, { service: 'lambda', operation: 'Invoke', input: { FunctionName: schedule.targetArn } }, `schedule ${schedule.name}`);
    if (denial) {
      const outcome: InvokeOutcome = { ok: false, error: { errorType: 'AccessDeniedException', errorMessage: denial }, durationMs: 0 };
      this.scheduleRuns.push({ schedule: schedule.name, outcome });
      return outcome;
    }
    const outcome = await this.invoke(schedule.targetArn, JSON.parse(schedule.input));
    this.scheduleRuns.push({ schedule: schedule.name, outcome });
    return outcome;
  }

  private s3Notification(event: S3ObjectEvent): void {
    const busEvent: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': event.detailType,
      source: 'aws.s3',
      account: this.deployment.account,
      time: eventTime(new Date()),
      region: this.deployment.region,
      resources: [`arn:aws:s3:::${event.bucket}`],
      detail: {
        version: '0',
        bucket: { name: event.bucket },
        object: {
          key: event.key,
          ...(event.size !== undefined ? { size: event.size } : {}),
          ...(event.etag ? { etag: event.etag } : {}),
          ...(event.versionId ? { 'version-id': event.versionId } : {}),
          sequencer: Date.now().toString(16).toUpperCase(),
        },
        'request-id': randomUUID(),
        requester: this.deployment.account,
        'source-ip-address': '127.0.0.1',
        reason: event.reason,
        ...(event.detailType === 'Object Deleted' ? { 'deletion-type': 'Permanently Deleted' } : {}),
      },
    };
    this.events.route('default', busEvent, `S3 ${event.bucket}`);
  }

  /** Nothing is being processed or waiting to be (invisible messages may remain). */
  private busy(): boolean {
    if (this.lambdas.inFlight > 0 || this.pendingAsync > 0 || this.gateway.inFlight > 0 || this.states.running > 0) return true;
    if (this.pipes.some((pipe) => pipe.pending > 0)) return true;
    return this.pollers.some((poller) => poller.busy > 0 || poller.queue.visibleCount() > 0);
  }

  /**
   * Waits until the deployment is idle. While only invisible messages remain on consumed
   * queues, the clock jumps to the next visibility expiry (their visibility timeouts elapse).
   */
  async settle(options: { maxVirtualMs?: number } = {}): Promise<void> {
    for (const pipe of this.pipes) pipe.flush();
    for (const poller of this.pollers) poller.flush(true);
    const consumed = this.pollers.map((poller) => poller.queue);
    const limit = this.clock.now() + (options.maxVirtualMs ?? 24 * 3600 * 1000);
    let quiet = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.busy()) {
        quiet = 0;
        continue;
      }
      quiet += 1;
      if (quiet < 3) continue;
      const next = this.queues.nextVisibleAt(consumed);
      if (next === undefined || next > limit) break;
      this.trace?.(`idle: the clock jumps ${((next - this.clock.now()) / 1000).toFixed(0)} s to the next visibility expiry`);
      this.clock.advanceTo(next);
      quiet = 0;
    }
    for (const poller of this.pollers) poller.flush(false);
  }
}
