/**
 * Builds one `.tftest.hcl` for a stack: `mock_provider "aws"`, the identity overrides of its
 * resources (mocks.ts), the remote-state overrides (its producers' outputs, same identities),
 * and `run` blocks (`command = plan`) of assertions.
 */
import { block, covered, lit, notCovered, policySummary, show, showJson, str, type HclValue, type Permission } from './hcl';
import { dataIdentityOf, identityOf, outputValue } from './mocks';
import type { SynthStack } from './stack-json';

export interface Assertion {
  condition: string;
  /** HCL template content (already escaped; may interpolate). */
  message: string;
}

/** Escapes literal text for an HCL template (the inside of a quoted string). */
export function text(value: string): string {
  return str(value).slice(1, -1);
}

export class Run {
  readonly assertions: Assertion[] = [];

  constructor(readonly name: string) {}

  /** A raw condition; `message` is literal text, `shown` expressions are appended as `is <value>`. */
  check(condition: string, message: string, shown?: string): this {
    this.assertions.push({ condition, message: text(message) + (shown ? text(' (planned: ') + show(shown) + text(')') : '') });
    return this;
  }

  /** Scalar equality (strings, numbers, booleans). */
  eq(expression: string, expected: string | number | boolean, what: string): this {
    return this.check(`${expression} == ${lit(expected)}`, `${what} should be ${JSON.stringify(expected)}`, expression);
  }

  /** Ordered list equality. */
  eqList(expression: string, expected: readonly string[], what: string): this {
    this.assertions.push({
      condition: `tolist(${expression}) == tolist(${lit([...expected])})`,
      message: text(`${what} should be ${JSON.stringify(expected)} (planned: `) + showJson(expression) + text(')'),
    });
    return this;
  }

  /** Set equality (order-free). */
  eqSet(expression: string, expected: readonly string[], what: string): this {
    this.assertions.push({
      condition: `toset(${expression}) == toset(${lit([...expected])})`,
      message: text(`${what} should be exactly ${JSON.stringify([...expected].sort())} (planned: `) + showJson(expression) + text(')'),
    });
    return this;
  }

  /** Structural equality of JSON-like values (objects compared through jsonencode: key order free). */
  eqJson(expression: string, expected: HclValue, what: string): this {
    this.assertions.push({
      condition: `jsonencode(${expression}) == jsonencode(${lit(expected)})`,
      message: text(`${what} should be ${JSON.stringify(expected)} (planned: `) + showJson(expression) + text(')'),
    });
    return this;
  }

  contains(listExpression: string, value: string, what: string): this {
    this.assertions.push({
      condition: `contains(${listExpression}, ${lit(value)})`,
      message: text(`${what} should include ${JSON.stringify(value)} (planned: `) + showJson(listExpression) + text(')'),
    });
    return this;
  }

  /** The policy document `policy` (an expression) allows every permission of `wanted`; the failure names the missing ones. */
  grants(policy: string, wanted: readonly Permission[], who: string): this {
    const unique = [...new Map(wanted.map((permission) => [`${permission.action} ${permission.resource}`, permission])).values()];
    const missing = notCovered(policy, unique);
    this.assertions.push({
      condition: `length(${missing}) == 0`,
      message: text(`${who} is missing permissions: `) + show(`join("; ", ${missing})`) + text(`. (${unique.length} checked.) Its policy: `) + show(policySummary(policy)),
    });
    return this;
  }

  grant(policy: string, action: string, resource: string, who: string): this {
    return this.grants(policy, [{ action, resource }], who);
  }

  /** The policy document `policy` explicitly denies every permission of `wanted`. */
  denies(policy: string, wanted: readonly Permission[], who: string): this {
    const missing = notCovered(policy, wanted, 'Deny');
    this.assertions.push({
      condition: `length(${missing}) == 0`,
      message: text(`${who} must be DENIED: `) + show(`join("; ", ${missing})`) + text('. Its policy: ') + show(policySummary(policy)),
    });
    return this;
  }

  /** The policy document `policy` allows NONE of `unwanted`. */
  refuses(policy: string, unwanted: readonly Permission[], who: string): this {
    const present = covered(policy, unwanted);
    this.assertions.push({
      condition: `length(${present}) == 0`,
      message: text(`${who} must NOT be allowed: `) + show(`join("; ", ${present})`) + text('. Its policy: ') + show(policySummary(policy)),
    });
    return this;
  }
}

export class TestFile {
  private readonly overrides: string[] = [];
  readonly runs: Run[] = [];

  constructor(
    readonly stack: SynthStack,
    private readonly producers: ReadonlyMap<string, SynthStack>,
  ) {
    this.pinIdentities();
    this.pinRemoteState();
  }

  run(name: string): Run {
    const run = new Run(name);
    this.runs.push(run);
    return run;
  }

  get assertionCount(): number {
    return this.runs.reduce((n, run) => n + run.assertions.length, 0);
  }

  overrideData(address: string, values: Readonly<Record<string, HclValue>>): void {
    this.overrides.push(`override_data {\n  target          = ${address}\n  override_during = plan\n  values = ${block(values)}\n}`);
  }

  overrideResource(address: string, values: Readonly<Record<string, HclValue>>): void {
    this.overrides.push(`override_resource {\n  target          = ${address}\n  override_during = plan\n  values = ${block(values)}\n}`);
  }

  private pinIdentities(): void {
    for (const resource of this.stack.blocks) {
      if (resource.mode === 'resource') {
        const identity = identityOf(this.stack, resource);
        if (identity) this.overrideResource(resource.address, identity);
      } else if (resource.type !== 'terraform_remote_state') {
        const identity = dataIdentityOf(this.stack, resource);
        if (!identity) throw new Error(`stack ${this.stack.name}: no stand-in for data source ${resource.address}; add one to terraform/mocks.ts (the mock provider would leave it unknown)`);
        this.overrideData(resource.address, identity);
      }
    }
  }

  /** Every remote-state input gets ALL of its producer's outputs (no test may read real state). */
  private pinRemoteState(): void {
    for (const input of this.stack.remoteInputs()) {
      const producer = this.producers.get(input.producer);
      if (!producer) throw new Error(`stack ${this.stack.name}: reads the state of ${input.producer}, which was not synthesized`);
      const outputs: Record<string, HclValue> = {};
      for (const output of producer.outputs()) outputs[output.name] = outputValue(producer, output);
      this.overrides.push(`override_data {\n  target          = ${input.address}\n  override_during = plan\n  values = {\n    outputs = ${block(outputs, '      ')}\n  }\n}`);
    }
  }

  render(header: string): string {
    const runs = this.runs.map((run) => {
      if (run.assertions.length === 0) throw new Error(`stack ${this.stack.name}: run "${run.name}" has no assertions`);
      const asserts = run.assertions.map((assertion) => `  assert {\n    condition     = ${assertion.condition}\n    error_message = "${assertion.message}"\n  }`);
      return `run ${str(run.name)} {\n  command = plan\n\n${asserts.join('\n\n')}\n}`;
    });
    if (runs.length === 0) throw new Error(`stack ${this.stack.name}: no run blocks`);
    const comment = header
      .split('\n')
      .map((line) => `# ${line}`.trimEnd())
      .join('\n');
    // Every aliased AWS provider of the stack is mocked too (API-5: the us-east-1 provider of the CloudFront WAF).
    const aliased = this.stack.providerAliases().map((alias) => `\n\nmock_provider "aws" {\n  alias = ${str(alias)}\n}`);
    return `${comment}\n\nmock_provider "aws" {}${aliased.join('')}\n\n${this.overrides.join('\n\n')}\n\n${runs.join('\n\n')}\n`;
  }
}
