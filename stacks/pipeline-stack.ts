/**
 * `pipeline` (tooling account): CodeBuild + CodePipeline promote dev → staging → prod, applying
 * exactly the plan that was approved (DEP-1).
 * - CI project (buildspecs/ci.yml): install → test → synth → terraform validate/test (offline,
 *   mock provider) → rehearsal. Its role can assume NO environment role.
 * - Per environment, a plan project (buildspecs/plan.yml) that assumes ONLY that environment's
 *   read-only plan role and saves the plans (`scripts/deploy.ts plan`): binary plans, their text,
 *   a manifest with their digests, and the synthesized stacks they were made from. The text is
 *   also published under `plans/<env>/<pipeline execution id>/` in the artifacts bucket, and the
 *   plan digest is exported as a pipeline variable.
 * - Per environment, an apply project (buildspecs/apply.yml) whose ONLY input is that plan
 *   artifact: it assumes ONLY that environment's deploy role, checks the digest the approval
 *   showed, and applies the saved plans (`scripts/deploy.ts apply`) — it never plans.
 * - CodePipeline V2: Source → CI → Plan-dev → Apply-dev → Plan-staging → Apply-staging →
 *   Plan-prod → Approve-prod (shows the plan's digest and where its text is) → Apply-prod.
 * CodeBuild runs in the tooling VPC's private subnets; artifacts and logs are encrypted with the
 * tooling CMK.
 */
import type { Construct } from 'constructs';
import { CodebuildProject } from '@cdktf/provider-aws/lib/codebuild-project';
import { Codepipeline, type CodepipelineStage } from '@cdktf/provider-aws/lib/codepipeline';
import type { EnvironmentConfig, EnvironmentName, ToolingConfig } from '../environments/types';
import { LedgerlineStack } from './lib/base';
import { CustomerManagedKey, logsServiceGrant } from './lib/kms';
import { SecureBucket, housekeepingRule } from './lib/bucket';
import { VpcNetwork } from './lib/network';
import { encryptedLogGroup } from './lib/logs';
import { LeastPrivilegeRole, allow, awsRequiresWildcard, kmsVia, serviceTrustPolicy, type PolicyStatement } from './lib/iam';
import { Names } from './naming';

export const BUILD_IMAGE = 'aws/codebuild/amazonlinux-aarch64-standard:3.0';

export function toolingScope(tooling: ToolingConfig) {
  return { prefix: tooling.prefix, account: tooling.account, region: tooling.region, state: tooling.state, tags: tooling.tags };
}

export type BuildProject = 'ci' | `plan-${EnvironmentName}` | `apply-${EnvironmentName}`;

/** Roles of the tooling CodeBuild projects (named here: each environment's plan and deploy roles trust them). */
export function toolingBuildRoleArn(tooling: ToolingConfig, project: BuildProject): string {
  return new Names(toolingScope(tooling)).roleArn(`codebuild-${project}`);
}

export class PipelineStack extends LedgerlineStack {
  readonly pipeline: Codepipeline;

  constructor(app: Construct, tooling: ToolingConfig, environments: readonly EnvironmentConfig[]) {
    super(app, { scope: toolingScope(tooling), component: 'pipeline', assumeDeployRole: true });
    const names = this.names;
    const { account, region } = tooling;

    const key = new CustomerManagedKey(this, 'tooling-key', {
      account,
      alias: names.name('pipeline'),
      description: `${tooling.prefix}: pipeline artifacts and build logs`,
      deletionWindowDays: tooling.kmsDeletionWindowDays,
      services: [logsServiceGrant(region, account)],
    });
    const network = new VpcNetwork(this, 'vpc', {
      prefix: tooling.prefix,
      account,
      region,
      cidr: tooling.network.vpcCidr,
      azCount: tooling.network.azCount,
      natGateways: 'single',
      interfaceEndpoints: ['sts', 'logs', 'kms', 'codebuild'],
      flowLogRetentionDays: tooling.network.flowLogRetentionDays,
      logsKmsKeyArn: key.arn,
      permissionsBoundaryArn: names.permissionsBoundaryArn,
      internetHttpsEgress: true,
      endpointAccounts: environments.map((env) => env.account),
    });

    const artifactsBucketName = names.bucketName('pipeline-artifacts');
    const artifactsArn = `arn:aws:s3:::${artifactsBucketName}`;
    const buildProjects: BuildProject[] = ['ci', ...tooling.promotion.flatMap((env) => [`plan-${env}` as const, `apply-${env}` as const])];
    const buildRoleArns = buildProjects.map((project) => names.roleArn(`codebuild-${project}`));
    const pipelineRoleArn = names.roleArn('codepipeline');
    const artifacts = new SecureBucket(this, 'artifacts', {
      bucketName: artifactsBucketName,
      kmsKeyArn: key.arn,
      objectAccessRoleArns: [...buildRoleArns, pipelineRoleArn],
      adminRoleArns: [names.deployRoleArn, tooling.breakGlassRoleArn],
      lifecycleRules: [housekeepingRule(30), { id: 'artifacts', status: 'Enabled', filter: [{ prefix: '' }], expiration: [{ days: 90 }] }],
    });

    const subnetIds = network.privateSubnets.map((subnet) => subnet.id);
    const buildNetworkStatements = (): PolicyStatement[] => [
      allow(
        ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface'],
        [
          `arn:aws:ec2:${region}:${account}:network-interface/*`,
          ...subnetIds.map((id) => `arn:aws:ec2:${region}:${account}:subnet/${id}`),
          `arn:aws:ec2:${region}:${account}:security-group/${network.workloadSecurityGroup.id}`,
        ],
      ),
      allow(['ec2:CreateNetworkInterfacePermission'], [`arn:aws:ec2:${region}:${account}:network-interface/*`], {
        StringEquals: { 'ec2:AuthorizedService': 'codebuild.amazonaws.com' },
      }),
      // CodeBuild describes the VPC it runs in; EC2 Describe* cannot be scoped (AWS).
      awsRequiresWildcard('CodeBuildVpc', ['ec2:Describe*']),
    ];

    const byName = new Map(environments.map((env) => [env.name, env]));
    const project = (id: BuildProject, buildspec: string, assumable: readonly string[], variables: Record<string, string>) => {
      const projectName = names.name(id);
      const logGroupName = `/aws/codebuild/${projectName}`;
      encryptedLogGroup(this, `${id}-logs`, logGroupName, tooling.logDays, key.arn);
      const role = new LeastPrivilegeRole(this, `${id}-role`, {
        name: names.roleName(`codebuild-${id}`),
        description: `CodeBuild ${projectName}`,
        assumeRolePolicy: serviceTrustPolicy('codebuild.amazonaws.com', account),
        permissionsBoundary: names.permissionsBoundaryArn,
        statements: [
          allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${names.logGroupArn(logGroupName)}:*`]),
          allow(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], [`${artifactsArn}/*`]),
          kmsVia([key.arn], ['s3', 'logs'], region, ['kms:Decrypt', 'kms:GenerateDataKey']),
          ...(assumable.length > 0 ? [allow(['sts:AssumeRole', 'sts:TagSession'], [...assumable], undefined, 'AssumeEnvironmentRole')] : []),
          ...buildNetworkStatements(),
        ],
      });
      return new CodebuildProject(this, id, {
        name: projectName,
        description: `Ledgerline ${id} (${buildspec})`,
        serviceRole: role.arn,
        encryptionKey: key.arn,
        buildTimeout: 60,
        queuedTimeout: 120,
        concurrentBuildLimit: 1,
        source: { type: 'CODEPIPELINE', buildspec },
        artifacts: { type: 'CODEPIPELINE' },
        environment: {
          type: 'ARM_CONTAINER',
          image: BUILD_IMAGE,
          computeType: 'BUILD_GENERAL1_LARGE',
          privilegedMode: false,
          imagePullCredentialsType: 'CODEBUILD',
          environmentVariable: Object.entries(variables).map(([name, value]) => ({ name, value, type: 'PLAINTEXT' })),
        },
        logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: logGroupName } },
        vpcConfig: { vpcId: network.vpc.id, subnets: subnetIds, securityGroupIds: [network.workloadSecurityGroup.id] },
        dependsOn: [role.policy],
      });
    };

    const namesOf = (env: EnvironmentName) => new Names(byName.get(env)!);
    // CI needs no AWS account at all: it tests offline (terraform with a mock provider, the rehearsal).
    const ci = project('ci', 'buildspecs/ci.yml', [], { LEDGERLINE_ENVIRONMENTS: tooling.promotion.join(' ') });
    const planProjects = new Map(
      tooling.promotion.map((env) => [
        env,
        project(`plan-${env}`, 'buildspecs/plan.yml', [namesOf(env).planRoleArn], { LEDGERLINE_ENV: env, PLAN_ROLE_ARN: namesOf(env).planRoleArn, ARTIFACTS_BUCKET: artifactsBucketName }),
      ]),
    );
    const applyProjects = new Map(
      tooling.promotion.map((env) => [env, project(`apply-${env}`, 'buildspecs/apply.yml', [namesOf(env).deployRoleArn], { LEDGERLINE_ENV: env, DEPLOY_ROLE_ARN: namesOf(env).deployRoleArn })]),
    );
    const deployProjects = [...planProjects.values(), ...applyProjects.values()];

    const pipelineRole = new LeastPrivilegeRole(this, 'pipeline-role', {
      name: names.roleName('codepipeline'),
      description: 'CodePipeline: source → CI → promote dev → staging → prod',
      assumeRolePolicy: serviceTrustPolicy('codepipeline.amazonaws.com', account),
      permissionsBoundary: names.permissionsBoundaryArn,
      statements: [
        allow(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:GetBucketVersioning'], [artifactsArn, `${artifactsArn}/*`]),
        kmsVia([key.arn], ['s3'], region, ['kms:Decrypt', 'kms:GenerateDataKey']),
        allow(['codebuild:StartBuild', 'codebuild:BatchGetBuilds'], [ci.arn, ...deployProjects.map((p) => p.arn)]),
        allow(['codeconnections:UseConnection', 'codestar-connections:UseConnection'], [tooling.sourceConnectionArn]),
      ],
    });

    const stages: CodepipelineStage[] = [
      {
        name: 'Source',
        action: [
          {
            name: 'Source',
            category: 'Source',
            owner: 'AWS',
            provider: 'CodeStarSourceConnection',
            version: '1',
            outputArtifacts: ['source'],
            configuration: { ConnectionArn: tooling.sourceConnectionArn, FullRepositoryId: tooling.repository, BranchName: tooling.branch, DetectChanges: 'true' },
          },
        ],
      },
      {
        name: 'Test',
        action: [{ name: 'CI', category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1', inputArtifacts: ['source'], configuration: { ProjectName: ci.name } }],
      },
    ];
    for (const env of tooling.promotion) {
      const planArtifact = `plan_${env}`;
      const namespace = `Plan${env[0]!.toUpperCase()}${env.slice(1)}`;
      stages.push({
        name: `Plan-${env}`,
        action: [
          {
            name: 'Plan',
            category: 'Build',
            owner: 'AWS',
            provider: 'CodeBuild',
            version: '1',
            namespace,
            inputArtifacts: ['source'],
            outputArtifacts: [planArtifact],
            configuration: {
              ProjectName: planProjects.get(env)!.name,
              EnvironmentVariables: JSON.stringify([{ name: 'PIPELINE_EXECUTION_ID', value: '#{codepipeline.PipelineExecutionId}', type: 'PLAINTEXT' }]),
            },
          },
        ],
      });
      if (tooling.manualApprovalBefore.includes(env)) {
        stages.push({
          name: `Approve-${env}`,
          action: [
            {
              name: 'ManualApproval',
              category: 'Approval',
              owner: 'AWS',
              provider: 'Manual',
              version: '1',
              configuration: {
                CustomData: `Apply to ${env} exactly plan #{${namespace}.PLAN_DIGEST} (#{${namespace}.PLAN_SUMMARY}). Its text is at s3://${artifactsBucketName}/plans/${env}/#{codepipeline.PipelineExecutionId}/. Approving applies this plan and nothing else.`,
                ExternalEntityLink: `https://${region}.console.aws.amazon.com/s3/buckets/${artifactsBucketName}?prefix=plans/${env}/#{codepipeline.PipelineExecutionId}/`,
              },
            },
          ],
        });
      }
      stages.push({
        name: `Apply-${env}`,
        action: [
          {
            name: 'Apply',
            category: 'Build',
            owner: 'AWS',
            provider: 'CodeBuild',
            version: '1',
            // The saved plan is the ONLY input: the apply step never sees the source, so it cannot re-plan.
            inputArtifacts: [planArtifact],
            configuration: {
              ProjectName: applyProjects.get(env)!.name,
              EnvironmentVariables: JSON.stringify([{ name: 'EXPECTED_PLAN_DIGEST', value: `#{${namespace}.PLAN_DIGEST}`, type: 'PLAINTEXT' }]),
            },
          },
        ],
      });
    }
    this.pipeline = new Codepipeline(this, 'pipeline', {
      name: names.name('promotion'),
      pipelineType: 'V2',
      executionMode: 'QUEUED',
      roleArn: pipelineRole.arn,
      artifactStore: [{ type: 'S3', location: artifacts.name, encryptionKey: { id: key.arn, type: 'KMS' } }],
      stage: stages,
      dependsOn: [pipelineRole.policy],
    });
  }
}
