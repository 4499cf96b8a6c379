/**
 * The IAM contract's interface, shared by the evaluator (rehearsal/iam/) and the rehearsal
 * gateway (rehearsal/). An `AwsCall` is one authorisation request AWS would make for one API
 * call: a principal, one action, one resource ARN and the request context.
 *
 * Test-only tooling: the evaluator uses @cloud-copilot/iam-simulate (AGPL-3.0, a devDependency),
 * so nothing under rehearsal/ may be imported by src/, functions/ or stacks/ (lint enforces it).
 */

/** Who makes the call: a role the stacks synthesize (by role name), or an AWS service principal. */
export type CallPrincipal =
  | { kind: 'role'; roleName: string }
  /** e.g. `events.amazonaws.com` delivering to a queue, `delivery.logs.amazonaws.com` using a key. */
  | { kind: 'service'; service: string };

export interface AwsCall {
  principal: CallPrincipal;
  /** `service:Action`, e.g. `dynamodb:UpdateItem`. */
  action: string;
  /** The resource ARN the action is authorised on. */
  resource: string;
  /** Request context keys (e.g. `kms:ViaService`, `aws:RequestTag/Project`, `aws:SourceArn`). */
  context?: Readonly<Record<string, string | readonly string[]>>;
  /** Who made it, for messages (e.g. `function posting`, `pipe`, `deploy role creating aws_sqs_queue.x`). */
  caller?: string;
}

export interface Decision {
  allowed: boolean;
  /** When denied: which policy denies or fails to allow ("no Allow in role policy", "boundary", "explicit Deny in key policy <address>", ...). */
  reason?: string;
  /** Addresses of the synthesized policies that took part (role policy, boundary, resource policy). */
  policies: readonly string[];
}

export interface IamContract {
  /** Evaluates one call against identity policy, permissions boundary and the target's resource policy. */
  authorize(call: AwsCall): Decision;
  /** Every call authorised so far, with its decision (for the least-privilege report). */
  readonly log: ReadonlyArray<{ call: AwsCall; decision: Decision }>;
}

/**
 * One decoded AWS API request: from HTTP in the rehearsal gateway (rehearsal/iam/http.ts), or from
 * an SDK command in-process (rehearsal/iam/sdk-recorder.ts). `input` is the operation's input in
 * the SDK command shape (for JSON-protocol services that is the request body as sent).
 */
export interface ApiRequest {
  /** The signing name: dynamodb, s3, events, states, secretsmanager, ssm, sqs, sns, redshift-data, glue, lambda, kms. */
  service: string;
  /** The operation, e.g. `PutItem`, `TransactWriteItems`, `PutObject`, `PutEvents`, `StartExecution`. */
  operation: string;
  input: Readonly<Record<string, unknown>>;
}

/** What the rehearsal gateway and the in-process recorder need from the evaluator (rehearsal/iam/index.ts). */
export interface RequestAuthorizer extends IamContract {
  /**
   * The authorisation requests AWS makes for one API request: e.g. TransactWriteItems → one
   * PutItem/UpdateItem/ConditionCheckItem/DeleteItem call per item; a write to a CMK-encrypted
   * table/bucket/queue → also the implied kms:GenerateDataKey/Decrypt with kms:ViaService.
   */
  callsFor(principal: CallPrincipal, request: ApiRequest): AwsCall[];
  /** The synthesized role name of a deployed function (its Lambda execution role). */
  functionRole(functionName: string): string;
  /** Synthesized role names by Terraform address, e.g. the pipe's, the state machines', the scheduler's. */
  readonly roles: ReadonlyMap<string, string>;
  /** A secret created at run time (an operator's CreateSecret, e.g. a webhook signing key): its ARN now names it. */
  secretCreated?(arn: string, name: string): void;
  /**
   * Whether a policy that decides `principal`'s calls on `resource` (identity, boundary, resource
   * policy) names the condition key `key` anywhere (case-insensitive). When none does, the key's
   * value cannot change a decision.
   */
  namesConditionKey?(principal: CallPrincipal, resource: string, key: string): boolean;
}
