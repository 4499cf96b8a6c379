/**
 * Writes `<synth dir>/stacks/<stack>/tests/wiring.tftest.hcl` for every synthesized stack: one
 * `run` (command = plan, mock AWS provider, every identity and remote-state output pinned) whose
 * assertions check the planned values against the sources of truth. See terraform/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentConfig, ToolingConfig } from '../../environments/types';
import { tooling } from '../../environments/tooling';
import { ENVIRONMENTS as DEPLOYED, SYNTHESIZED_CONFIGS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { loadSynth, type SynthStack } from '../stack-json';
import { TestFile } from '../tftest';
import { Expected } from './context';
import { appAssertions } from './app';
import { dataAssertions } from './data';
import { vpcAssertions } from './network';
import { analyticsAssertions } from './analytics';
import { observabilityAssertions } from './observability';
import { bootstrapAssertions } from './bootstrap';
import { pipelineAssertions } from './pipeline';
import { checkKey } from './context';

export const TEST_FILE = 'tests/wiring.tftest.hcl';

export interface GeneratedTest {
  stack: string;
  file: string;
  runs: number;
  assertions: number;
}

/** Every synthesized configuration: the environments and the topology variants (FUSE-1: staged dev). */
const ENVIRONMENTS: readonly EnvironmentConfig[] = SYNTHESIZED_CONFIGS;

function toolingNames(config: ToolingConfig): Names {
  return new Names({ prefix: config.prefix, account: config.account, region: config.region });
}

/** Fills the test of one stack; throws naming the stack when its name fits no known scope/component. */
function assertionsFor(stack: SynthStack, file: TestFile): void {
  const environment = ENVIRONMENTS.find((config) => stack.name.startsWith(`${config.prefix}-`));
  if (environment) {
    const names = Names.of(environment);
    const expected = new Expected(names);
    const component = stack.name.slice(environment.prefix.length + 1);
    const run = file.run(`${component}_wiring`);
    switch (component) {
      case 'app':
        return appAssertions(stack, run, names, expected, environment);
      case 'data':
        return dataAssertions(stack, run, names, expected, environment);
      case 'network': {
        checkKey(stack, run, names.name('network-logs'), names.account);
        const network = environment.network;
        return vpcAssertions(stack, run, expected, {
          cidr: network.vpcCidr,
          azCount: network.azCount,
          natGateways: network.natGateways,
          directConnect: network.directConnect,
          flowLogRetentionDays: network.flowLogRetentionDays,
          flowLogKeyAlias: 'network-logs',
          endpointAccounts: [environment.account],
        });
      }
      case 'analytics':
        return analyticsAssertions(stack, run, names, expected, environment);
      case 'observability':
        return observabilityAssertions(stack, run, names, expected, environment);
      case 'bootstrap': {
        const toolingRoles = toolingNames(tooling);
        return bootstrapAssertions(stack, run, names, expected, {
          state: environment.state,
          // DEP-1: only this environment's apply project changes it, only its plan project plans it (read-only); plus break-glass.
          deployers: [toolingRoles.roleArn(`codebuild-apply-${environment.name}`), environment.humanRoleArns.breakGlass],
          planners: [toolingRoles.roleArn(`codebuild-plan-${environment.name}`), environment.humanRoleArns.breakGlass],
          breakGlassRoleArn: environment.humanRoleArns.breakGlass,
          protect: environment.protectStatefulResources,
        });
      }
      default:
        throw new Error(`stack ${stack.name}: no test generator for component "${component}" (terraform/generate/index.ts)`);
    }
  }
  if (stack.name.startsWith(`${tooling.prefix}-`)) {
    const names = toolingNames(tooling);
    const expected = new Expected(names);
    const component = stack.name.slice(tooling.prefix.length + 1);
    const run = file.run(`${component}_wiring`);
    if (component === 'bootstrap')
      return bootstrapAssertions(stack, run, names, expected, {
        state: tooling.state,
        deployers: [tooling.breakGlassRoleArn],
        planners: [],
        breakGlassRoleArn: tooling.breakGlassRoleArn,
        protect: true,
      });
    if (component === 'pipeline') return pipelineAssertions(stack, run, names, expected, tooling, DEPLOYED);
    throw new Error(`stack ${stack.name}: no test generator for component "${component}" (terraform/generate/index.ts)`);
  }
  throw new Error(`stack ${stack.name}: belongs to no environment in environments/ (prefixes ${[...ENVIRONMENTS.map((e) => e.prefix), tooling.prefix].join(', ')})`);
}

/** Generates the tests of every stack in `synthDir`; `only` restricts to some stack names. */
export function generateTests(synthDir: string, only?: (stack: string) => boolean): GeneratedTest[] {
  const stacks = loadSynth(synthDir);
  const generated: GeneratedTest[] = [];
  for (const stack of stacks.values()) {
    if (only && !only(stack.name)) continue;
    const file = new TestFile(stack, stacks);
    assertionsFor(stack, file);
    const path = join(stack.dir, TEST_FILE);
    mkdirSync(join(stack.dir, 'tests'), { recursive: true });
    writeFileSync(
      path,
      file.render(
        [
          `${stack.name}: generated by terraform/generate (npm run terraform:test). Do not edit.`,
          'Planned values (mock AWS provider, stand-in identities pinned with override_*) against the sources of truth:',
          'environments/, stacks/naming.ts, src/routes.ts, src/adapters/aws/tables.ts and the Lambda environment contracts.',
        ].join('\n'),
      ),
    );
    generated.push({ stack: stack.name, file: path, runs: file.runs.length, assertions: file.assertionCount });
  }
  return generated;
}
