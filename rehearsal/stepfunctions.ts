/**
 * Step Functions as synthesized (SWEEP-2 redrive, REC-2 reconciliation): each `aws_sfn_state_machine.definition` (the resolved ASL) runs
 * in aws-local-stepfunctions. Every Task state calls back into the rehearsal, authorised as the
 * state machine's synthesized role:
 *   lambda:invoke                 → the function's real bundle (rehearsal/lambda-host.ts)
 *   events:putEvents              → the bus (rehearsal/eventbridge.ts)
 *   aws-sdk:ssm:getParameter      → the synthesized SSM parameter's value
 *   aws-sdk:s3:deleteObject       → s3rver
 *   sns:publish                   → recorded
 *   glue:startJobRun.sync         → a named gap (no local Glue/Spark)
 *   aws-sdk:redshiftdata:*        → the PostgreSQL stand-in when rehearsal/redshift exists, else a named gap
 * Execution names are unique per state machine (ExecutionAlreadyExists otherwise). Wait states
 * and retry intervals run on compressed time (noted in the report).
 */
import { randomUUID } from 'node:crypto';
import type { Deployment, StateMachineDefinition } from './deployment';
import type { ApiRequest, CallPrincipal } from './iam/contract';
import type { Meter } from './metering';
import type { Json, JsonObject } from './terraform';
import './polyfills';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');

export class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  startedBy: string;
  done: Promise<void>;
}

export interface TaskCall {
  stateMachine: string;
  execution: string;
  state: string;
  resource: string;
  input: Json;
}

export interface StepFunctionsDeps {
  deployment: Pick<Deployment, 'stateMachines' | 'parameters' | 'region' | 'account'>;
  authorize(principal: CallPrincipal, request: ApiRequest, caller: string): string | undefined;
  invokeFunction(functionArn: string, payload: unknown, caller: string): Promise<{ ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string }>;
  putEvents(entries: unknown[], caller: string): { FailedEntryCount: number; Entries: unknown[] };
  deleteObject(bucket: string, key: string, principal: CallPrincipal): Promise<void>;
  publishSns(topicArn: string, message: string, caller: string): void;
  /** The Glue stand-in (rehearsal/glue.ts), when wired. */
  glue?: { startJobRunSync(input: JsonObject): Promise<JsonObject> };
  /** The Redshift Data API stand-in, when one exists. */
  redshift?: {
    batchExecuteStatement(input: JsonObject): Promise<JsonObject>;
    describeStatement(input: JsonObject): Promise<JsonObject>;
  };
  /** A named gap was used (the report lists them). */
  gap(name: string, detail: string): void;
}

type Handler = (input: Json) => Promise<Json>;

/** Every Task state of a definition (nested Map/Parallel states included), by state name. */
export function taskStates(definition: JsonObject): Map<string, JsonObject> {
  const found = new Map<string, JsonObject>();
  const visit = (states: Json | undefined) => {
    if (!states || typeof states !== 'object' || Array.isArray(states)) return;
    for (const [name, state] of Object.entries(states)) {
      if (!state || typeof state !== 'object' || Array.isArray(state)) continue;
      if (state.Type === 'Task') found.set(name, state);
      const processor = (state.ItemProcessor ?? state.Iterator) as JsonObject | undefined;
      if (processor) visit(processor.States);
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit((branch as JsonObject).States);
    }
  };
  visit(definition.States);
  return found;
}

function waitStates(definition: JsonObject): string[] {
  const names: string[] = [];
  const visit = (states: Json | undefined) => {
    if (!states || typeof states !== 'object' || Array.isArray(states)) return;
    for (const [name, state] of Object.entries(states)) {
      if (!state || typeof state !== 'object' || Array.isArray(state)) continue;
      if (state.Type === 'Wait') names.push(name);
      const processor = (state.ItemProcessor ?? state.Iterator) as JsonObject | undefined;
      if (processor) visit(processor.States);
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit((branch as JsonObject).States);
    }
  };
  visit(definition.States);
  return names;
}

export class StepFunctionsService {
  readonly executions = new Map<string, Execution>();
  readonly tasks: TaskCall[] = [];
  readonly published: { topicArn: string; message: JsonObject | string; caller: string }[] = [];
  private readonly machines = new Map<string, StateMachineDefinition>();
  /**
   * Definitions asl-validator has accepted: a definition never changes, and the validator builds
   * its JSON Schema validators anew at every call (about 0.3 s of CPU), so each is validated at its
   * first execution only.
   */
  private readonly validated = new WeakSet<object>();
  /** COST-1: counts executions and state transitions (states entered, retries) while recording. */
  meter?: Meter;

  useRedshift(redshift: NonNullable<StepFunctionsDeps['redshift']>): void {
    this.deps.redshift = redshift;
  }

  useGlue(glue: NonNullable<StepFunctionsDeps['glue']>): void {
    this.deps.glue = glue;
  }

  constructor(private readonly deps: StepFunctionsDeps) {
    for (const machine of deps.deployment.stateMachines) this.machines.set(machine.arn, machine);
  }

  get running(): number {
    let count = 0;
    for (const execution of this.executions.values()) if (execution.status === 'RUNNING') count += 1;
    return count;
  }

  executionArn(machine: StateMachineDefinition, name: string): string {
    return machine.arn.replace(':stateMachine:', ':execution:') + `:${name}`;
  }

  /** StartExecution (already authorised for the caller). */
  startExecution(input: { stateMachineArn?: string; name?: string; input?: string }, startedBy: string): { executionArn: string; startDate: Date } {
    const machine = input.stateMachineArn ? this.machines.get(input.stateMachineArn) : undefined;
    if (!machine) throw new TaskError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${input.stateMachineArn}'`);
    const name = input.name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new TaskError('InvalidName', `Invalid Name: '${name}'`);
    const arn = this.executionArn(machine, name);
    const existing = this.executions.get(arn);
    const payload = input.input ?? '{}';
    if (existing) {
      // STANDARD: the same name and input while the first still runs answers the same execution.
      if (machine.type === 'STANDARD' && existing.status === 'RUNNING' && existing.input === payload) return { executionArn: arn, startDate: existing.startDate };
      throw new TaskError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(payload) as Json;
    } catch {
      throw new TaskError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const execution: Execution = { executionArn: arn, stateMachineArn: machine.arn, name, input: payload, status: 'RUNNING', startDate: new Date(), startedBy, done: Promise.resolve() };
    this.executions.set(arn, execution);
    this.meter?.sfnExecution(machine.name);
    execution.done = this.run(machine, execution, parsed);
    return { executionArn: arn, startDate: execution.startDate };
  }

  describeExecution(executionArn: string): JsonObject {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new TaskError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime() / 1000,
      ...(execution.stopDate ? { stopDate: execution.stopDate.getTime() / 1000 } : {}),
      input: execution.input,
      ...(execution.output !== undefined ? { output: execution.output } : {}),
      ...(execution.error !== undefined ? { error: execution.error, cause: execution.cause ?? '' } : {}),
    };
  }

  private async run(machine: StateMachineDefinition, execution: Execution, input: Json): Promise<void> {
    const validationOptions = this.validated.has(machine.definition) ? { noValidate: true } : { checkArn: true, checkPaths: true };
    const local = new StateMachine(machine.definition as never, { validationOptions });
    this.validated.add(machine.definition);
    const handlers: Record<string, Handler> = {};
    for (const [stateName, state] of taskStates(machine.definition)) handlers[stateName] = this.handlerFor(machine, execution, stateName, String(state.Resource));
    const waits = Object.fromEntries(waitStates(machine.definition).map((name) => [name, 0]));
    const retries = Object.fromEntries([...taskStates(machine.definition).keys()].map((name) => [name, 0]));
    try {
      const run = local.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waits, retryIntervalOverrides: retries },
        context: { Execution: { Id: execution.executionArn, Name: execution.name, StartTime: execution.startDate.toISOString(), Input: input as never } } as never,
      });
      const meter = this.meter;
      if (meter)
        void (async () => {
          for await (const event of run.eventLogs) if (event.type === 'StateEntered' || event.type === 'StateRetried') meter.sfnTransition(machine.name);
        })().catch(() => undefined);
      const output = await run.result;
      execution.status = 'SUCCEEDED';
      execution.output = JSON.stringify(output);
    } catch (error) {
      const cause = (error as { cause?: { name?: string; message?: string } }).cause;
      execution.status = 'FAILED';
      execution.error = cause?.name ?? (error as Error).name;
      execution.cause = cause?.message ?? (error as Error).message;
    } finally {
      execution.stopDate = new Date();
    }
  }

  private handlerFor(machine: StateMachineDefinition, execution: Execution, stateName: string, resource: string): Handler {
    const principal: CallPrincipal = { kind: 'role', roleName: machine.roleName };
    const caller = `state machine ${machine.name} state ${stateName}`;
    const authorize = (request: ApiRequest) => {
      const denial = this.deps.authorize(principal, request, caller);
      if (denial) throw new TaskError(`${request.service === 'lambda' ? 'Lambda' : request.service}.AccessDeniedException`, denial);
    };
    return async (input: Json) => {
      this.tasks.push({ stateMachine: machine.name, execution: execution.name, state: stateName, resource, input });
      const params = (input ?? {}) as JsonObject;
      switch (resource) {
        case 'arn:aws:states:::lambda:invoke': {
          const functionName = String(params.FunctionName);
          authorize({ service: 'lambda', operation: 'Invoke', input: { FunctionName: functionName } });
          const outcome = await this.deps.invokeFunction(functionName, params.Payload ?? {}, caller);
          if (!outcome.ok) throw new TaskError(outcome.errorType, outcome.errorMessage);
          return { ExecutedVersion: '$LATEST', Payload: (outcome.result ?? null) as Json, StatusCode: 200 };
        }
        case 'arn:aws:states:::events:putEvents': {
          authorize({ service: 'events', operation: 'PutEvents', input: params });
          const entries = ((params.Entries ?? []) as JsonObject[]).map((entry) => ({ ...entry, Detail: typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail) }));
          return this.deps.putEvents(entries, caller) as unknown as Json;
        }
        case 'arn:aws:states:::aws-sdk:ssm:getParameter': {
          authorize({ service: 'ssm', operation: 'GetParameter', input: params });
          const parameter = this.deps.deployment.parameters.find((candidate) => candidate.name === params.Name || candidate.arn === params.Name);
          if (!parameter) throw new TaskError('Ssm.ParameterNotFoundException', `Parameter ${String(params.Name)} not found.`);
          return { Parameter: { Name: parameter.name, Type: parameter.type, Value: parameter.value, Version: 1, ARN: parameter.arn, DataType: 'text' } };
        }
        case 'arn:aws:states:::aws-sdk:s3:deleteObject': {
          authorize({ service: 's3', operation: 'DeleteObject', input: params });
          await this.deps.deleteObject(String(params.Bucket), String(params.Key), principal);
          return {};
        }
        case 'arn:aws:states:::sns:publish': {
          authorize({ service: 'sns', operation: 'Publish', input: params });
          const message = typeof params.Message === 'string' ? params.Message : JSON.stringify(params.Message);
          this.published.push({ topicArn: String(params.TopicArn), message: (params.Message ?? '') as JsonObject | string, caller });
          this.deps.publishSns(String(params.TopicArn), message, caller);
          return { MessageId: randomUUID() };
        }
        case 'arn:aws:states:::glue:startJobRun.sync': {
          authorize({ service: 'glue', operation: 'StartJobRun', input: params });
          // .sync: Step Functions also polls the run and may stop it.
          authorize({ service: 'glue', operation: 'GetJobRun', input: params });
          if (this.deps.glue) {
            this.deps.gap('Glue job output', "the job's logic ran on its input (as its role); writing Parquet and the catalog partitions was NOT rehearsed");
            return this.deps.glue.startJobRunSync(params);
          }
          this.deps.gap('Glue job run', `${String(params.JobName)} ${JSON.stringify(params.Arguments ?? {})} was NOT run (no local Glue/Spark; glue/ has no pure-logic module); answered SUCCEEDED`);
          return { Id: `jr_rehearsal_${randomUUID().replace(/-/g, '')}`, JobRunState: 'SUCCEEDED', JobName: String(params.JobName) };
        }
        case 'arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement': {
          authorize({ service: 'redshift-data', operation: 'BatchExecuteStatement', input: params });
          if (this.deps.redshift) return this.deps.redshift.batchExecuteStatement(params);
          const sqls = Array.isArray(params.Sqls) ? params.Sqls.length : 0;
          this.deps.gap(
            'Redshift load',
            `${sqls} SQL statement(s) for ${String(params.WorkgroupName)}/${String(params.Database)} were NOT executed (no rehearsal/redshift stand-in); answered FINISHED`,
          );
          return { Id: `rehearsal-${randomUUID()}`, WorkgroupName: String(params.WorkgroupName ?? ''), Database: String(params.Database ?? '') };
        }
        case 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement': {
          authorize({ service: 'redshift-data', operation: 'DescribeStatement', input: params });
          if (this.deps.redshift) return this.deps.redshift.describeStatement(params);
          return { Id: String(params.Id), Status: 'FINISHED' };
        }
        default:
          throw new TaskError('States.TaskFailed', `the rehearsal has no stand-in for Task resource ${resource} (state ${stateName} of ${machine.name})`);
      }
    };
  }

  /** Resolves once no execution is running. */
  async settle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((execution) => execution.done));
    }
  }
}
