/**
 * Builds every Ledgerline stack into a CDKTF App: per environment (dev, staging, prod — same code,
 * different config) `bootstrap`, `network`, `data`, `analytics`, `app`, `observability`; plus the
 * tooling account's `bootstrap` and `pipeline`. Used by main.ts (cdktf CLI), scripts/synth.ts
 * and the infra tests.
 *
 * By default a build also holds the TOPOLOGY VARIANTS: configurations never deployed that prove
 * the topology no environment runs (FUSE-1: dev staged), through the same synth tests, policy
 * suite, IAM contract and Terraform tests. The deployable synths (main.ts, scripts/synth.ts) name
 * their environments and leave the variants out.
 */
import { App, type TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, ToolingConfig } from '../environments/types';
import { TOPOLOGIES, type Topology } from '../src/routes';
import { dev } from '../environments/dev';
import { tooling as toolingConfig } from '../environments/tooling';
import { ENVIRONMENTS } from '../environments';
import { NetworkStack } from './network-stack';
import { DataStack } from './data-stack';
import { AnalyticsStack } from './analytics-stack';
import { AppStack } from './app-stack';
import { ObservabilityStack } from './observability-stack';
import { BootstrapStack, boundaryActionsOf } from './bootstrap-stack';
import { PipelineStack, toolingBuildRoleArn, toolingScope } from './pipeline-stack';
import { LeastPrivilegeRole, allow, type PolicyStatement } from './lib/iam';
import { prepareFunctionAssets, type AssetMode, type FunctionAssets } from './lib/assets';
import type { Names } from './naming';

export { ENVIRONMENTS };
export const TOOLING: ToolingConfig = toolingConfig;

/**
 * `config` run in another topology, under its own prefix (its own stacks, state key, names and
 * secrets; same account, sizes and thresholds). A variant is synthesized and tested, never
 * deployed: scripts/deploy.ts plans `ledgerline-<env>-*` only.
 */
export function topologyVariant(config: EnvironmentConfig, topology: Topology, prefix: string): EnvironmentConfig {
  const rename = (value: string) => (value.startsWith(config.prefix) ? `${prefix}${value.slice(config.prefix.length)}` : value);
  return {
    ...config,
    prefix,
    runtime: { ...config.runtime, topology },
    state: { ...config.state, bucket: rename(config.state.bucket), lockTable: rename(config.state.lockTable) },
    workbench: { ...config.workbench, oidc: { ...config.workbench.oidc, clientSecretName: rename(config.workbench.oidc.clientSecretName) } },
  };
}

/** FUSE-1: the staged topology, proven on dev's configuration (`ledgerline-staged-*`). */
export const STAGED_DEV: EnvironmentConfig = topologyVariant(dev, 'staged', 'ledgerline-staged');

/** Every topology no environment deploys, as a variant (so each topology is synthesized and tested). */
export const TOPOLOGY_VARIANTS: readonly EnvironmentConfig[] = [STAGED_DEV].filter((variant) => !ENVIRONMENTS.some((config) => config.runtime.topology === variant.runtime.topology));

/** What a default build holds: the environments, then the variants. */
export const SYNTHESIZED_CONFIGS: readonly EnvironmentConfig[] = [...ENVIRONMENTS, ...TOPOLOGY_VARIANTS];

if (!TOPOLOGIES.every((topology) => SYNTHESIZED_CONFIGS.some((config) => config.runtime.topology === topology))) {
  throw new Error(`stacks/ledgerline.ts: every topology (${TOPOLOGIES.join(', ')}) must be synthesized by an environment or a variant`);
}

export interface EnvironmentStacks {
  config: EnvironmentConfig;
  bootstrap: BootstrapStack;
  network: NetworkStack;
  data: DataStack;
  analytics: AnalyticsStack;
  app: AppStack;
  observability: ObservabilityStack;
}

export interface LedgerlineApp {
  app: App;
  assets: FunctionAssets;
  environments: EnvironmentStacks[];
  tooling?: { bootstrap: BootstrapStack; pipeline: PipelineStack };
  stacks: TerraformStack[];
}

function roleStatements(scopes: readonly Construct[]): PolicyStatement[] {
  return scopes.flatMap((scope) => scope.node.findAll().filter((node): node is LeastPrivilegeRole => node instanceof LeastPrivilegeRole)).flatMap((role) => [...role.statements]);
}

function toolingDeployStatements(names: Names, tooling: ToolingConfig): PolicyStatement[] {
  const { region, account } = names;
  return [
    allow(
      ['codebuild:CreateProject', 'codebuild:UpdateProject', 'codebuild:DeleteProject', 'codebuild:BatchGetProjects'],
      [`arn:aws:codebuild:${region}:${account}:project/${names.prefix}-*`],
      undefined,
      'BuildProjects',
    ),
    allow(
      [
        'codepipeline:CreatePipeline',
        'codepipeline:UpdatePipeline',
        'codepipeline:DeletePipeline',
        'codepipeline:GetPipeline',
        'codepipeline:ListTagsForResource',
        'codepipeline:TagResource',
        'codepipeline:UntagResource',
      ],
      [`arn:aws:codepipeline:${region}:${account}:${names.prefix}-*`],
      undefined,
      'Pipelines',
    ),
    allow(['codeconnections:PassConnection', 'codeconnections:UseConnection', 'codestar-connections:PassConnection'], [tooling.sourceConnectionArn], undefined, 'SourceConnection'),
  ];
}

export interface BuildOptions {
  assetMode: AssetMode;
  /** Bundle mode: the functions already bundled in this directory (<dir>/<name>/index.js), zipped from there instead of bundled now. */
  bundleDir?: string;
  outdir?: string;
  /** Default SYNTHESIZED_CONFIGS: the environments and the topology variants. */
  environments?: readonly EnvironmentConfig[];
  /** Include the tooling account's stacks (default true). */
  tooling?: boolean;
  app?: App;
}

export function buildLedgerline(options: BuildOptions): LedgerlineApp {
  const app = options.app ?? new App({ outdir: options.outdir ?? 'cdktf.out', skipValidation: false });
  const assets = prepareFunctionAssets(options.assetMode, options.bundleDir);
  const environments: EnvironmentStacks[] = [];
  const stacks: TerraformStack[] = [];

  for (const config of options.environments ?? SYNTHESIZED_CONFIGS) {
    const network = new NetworkStack(app, config);
    const data = new DataStack(app, config);
    data.addDependency(network);
    const analytics = new AnalyticsStack(app, config, { network: network.network });
    analytics.addDependency(data);
    const appStack = new AppStack(app, config, { network: network.network, data, analytics, assets });
    appStack.addDependency(analytics);
    const observability = new ObservabilityStack(app, config, { data });
    observability.addDependency(appStack);
    const bootstrap = new BootstrapStack(app, {
      scope: config,
      // The CI project assumes no role of any environment: only this environment's plan project
      // may plan it (read-only) and only its apply project may change it (plus break-glass).
      deployers: [toolingBuildRoleArn(TOOLING, `apply-${config.name}`), config.humanRoleArns.breakGlass],
      planners: [toolingBuildRoleArn(TOOLING, `plan-${config.name}`), config.humanRoleArns.breakGlass],
      breakGlassRoleArn: config.humanRoleArns.breakGlass,
      kmsDeletionWindowDays: config.kmsDeletionWindowDays,
      boundary: boundaryActionsOf(roleStatements([network, data, analytics, appStack, observability])),
      protect: config.protectStatefulResources,
    });
    environments.push({ config, bootstrap, network, data, analytics, app: appStack, observability });
    stacks.push(bootstrap, network, data, analytics, appStack, observability);
  }

  let tooling: LedgerlineApp['tooling'];
  if (options.tooling !== false) {
    const pipeline = new PipelineStack(app, TOOLING, ENVIRONMENTS);
    const bootstrap = new BootstrapStack(app, {
      scope: toolingScope(TOOLING),
      deployers: [TOOLING.breakGlassRoleArn],
      planners: [],
      breakGlassRoleArn: TOOLING.breakGlassRoleArn,
      kmsDeletionWindowDays: TOOLING.kmsDeletionWindowDays,
      boundary: boundaryActionsOf(roleStatements([pipeline])),
      extraDeployStatements: (names) => toolingDeployStatements(names, TOOLING),
      protect: true,
    });
    tooling = { bootstrap, pipeline };
    stacks.push(bootstrap, pipeline);
  }
  return { app, assets, environments, tooling, stacks };
}

/** Builds and writes cdktf.out (stacks/<name>/cdk.tf.json + assets + manifest.json). */
export function synthesizeLedgerline(options: BuildOptions): LedgerlineApp {
  const built = buildLedgerline(options);
  built.app.synth();
  return built;
}
