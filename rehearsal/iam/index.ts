/**
 * The IAM contract of one synthesized environment: `loadIamContract(stacksDir, env)` reads
 * `<stacksDir>/stacks/ledgerline-<env>-<component>/cdk.tf.json` and answers, for any call a
 * deployed function, role or AWS service makes, whether what is synthesized allows it — and which
 * policy says no when it does not (NFR3, NFR5). Test and rehearsal tooling only.
 */
import type { ApiRequest, AwsCall, CallPrincipal, Decision, RequestAuthorizer } from './contract';
import { CallMapper } from './calls';
import { ModelEvaluator } from './evaluate';
import { IamModel } from './model';
import { deployCalls, serviceCalls, violationsOf, workflowCalls, type Violation } from './static';
import { unusedGrants, type Grant } from './report';

export * from './contract';
export { IamModel, TerraformModel, ResolutionError } from './model';
export { ModelEvaluator, evaluate, validateCall, type PolicySet } from './evaluate';
export { CallMapper, UnmappedRequestError } from './calls';
export { decodeHttpRequest, principalFromAuthorization, credentialOf, UndecodableRequestError } from './http';
export { recordSdkCalls, type SdkRecorder } from './sdk-recorder';
export { serviceCalls, deployCalls, workflowCalls, violationsOf, formatViolation, type Violation, type CheckedCall } from './static';
export { grantsOf, unusedGrants, formatGrants, type Grant } from './report';

export class IamContractImpl implements RequestAuthorizer {
  readonly mapper: CallMapper;
  readonly evaluator: ModelEvaluator;
  readonly roles: ReadonlyMap<string, string>;

  constructor(readonly model: IamModel) {
    this.mapper = new CallMapper(model);
    this.evaluator = new ModelEvaluator(model);
    this.roles = model.roleNames;
  }

  get log(): ReadonlyArray<{ call: AwsCall; decision: Decision }> {
    return this.evaluator.log;
  }

  authorize(call: AwsCall): Decision {
    return this.evaluator.authorize(call);
  }

  namesConditionKey(principal: CallPrincipal, resource: string, key: string): boolean {
    return this.evaluator.namesConditionKey(principal, resource, key);
  }

  secretCreated(arn: string, name: string): void {
    this.mapper.createdSecrets.set(arn, name);
  }

  callsFor(principal: CallPrincipal, request: ApiRequest, caller?: string): AwsCall[] {
    return this.mapper.callsFor(principal, request, caller);
  }

  /** Every call of one request, authorised; the denied ones. */
  authorizeRequest(principal: CallPrincipal, request: ApiRequest, caller?: string): { call: AwsCall; decision: Decision }[] {
    return this.callsFor(principal, request, caller).map((call) => ({ call, decision: this.authorize(call) }));
  }

  /** A deployed function's execution role, by its deployed name (`ledgerline-dev-posting`) or catalogue name (`posting`). */
  functionRole(functionName: string): string {
    const fn = this.model.functions.get(functionName) ?? this.model.functions.get(`ledgerline-${this.model.tf.env}-${functionName}`);
    if (!fn) throw new Error(`no function ${functionName} in environment ${this.model.tf.env} (deployed: ${[...this.model.functions.keys()].join(', ')})`);
    return fn.roleName;
  }

  serviceViolations(): Violation[] {
    return violationsOf(this, serviceCalls(this.model, this.mapper));
  }

  deployViolations(): Violation[] {
    return violationsOf(this, deployCalls(this.model, this.mapper));
  }

  workflowViolations(machineName: string, bindings: Readonly<Record<string, unknown>> = {}): Violation[] {
    return violationsOf(this, workflowCalls(this.model, this.mapper, machineName, bindings));
  }

  unusedGrants(roles?: readonly string[]): Grant[] {
    return unusedGrants(this.model, this.log, roles);
  }
}

export function loadIamContract(stacksDir: string, env: string): IamContractImpl {
  return new IamContractImpl(IamModel.load(stacksDir, env));
}
