/**
 * `pipeline` (tooling account): CodeBuild + CodePipeline promote dev → staging → prod.
 * - CI project (buildspecs/ci.yml): install → test → synth → `terraform plan` of every stack of
 *   every environment (assuming each environment's deploy role).
 * - One deploy project per environment (buildspecs/deploy.yml): `cdktf deploy` of that
 *   environment's stacks, assuming ONLY that environment's deploy role.
 * - CodePipeline V2: Source → CI → Deploy-dev → Deploy-staging → manual approval → Deploy-prod.
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

/** Roles of the tooling CodeBuild projects (named here: each environment's deploy role trusts them). */
export function toolingBuildRoleArn(tooling: ToolingConfig, project: 'ci' | `deploy-${EnvironmentName}`): string {
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
    const buildProjects = ['ci', ...tooling.promotion.map((env) => `deploy-${env}` as const)] as const;
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
    const project = (id: (typeof buildProjects)[number], buildspec: string, assumable: readonly string[], variables: Record<string, string>) => {
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
          allow(['sts:AssumeRole', 'sts:TagSession'], [...assumable], undefined, 'AssumeEnvironmentDeployRoles'),
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

    const deployRoleOf = (env: EnvironmentName) => new Names(byName.get(env)!).deployRoleArn;
    const ci = project('ci', 'buildspecs/ci.yml', tooling.promotion.map(deployRoleOf), { LEDGERLINE_ENVIRONMENTS: tooling.promotion.join(' ') });
    const deployProjects = new Map(
      tooling.promotion.map((env) => [env, project(`deploy-${env}`, 'buildspecs/deploy.yml', [deployRoleOf(env)], { LEDGERLINE_ENV: env, DEPLOY_ROLE_ARN: deployRoleOf(env) })]),
    );

    const pipelineRole = new LeastPrivilegeRole(this, 'pipeline-role', {
      name: names.roleName('codepipeline'),
      description: 'CodePipeline: source → CI → promote dev → staging → prod',
      assumeRolePolicy: serviceTrustPolicy('codepipeline.amazonaws.com', account),
      permissionsBoundary: names.permissionsBoundaryArn,
      statements: [
        allow(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:GetBucketVersioning'], [artifactsArn, `${artifactsArn}/*`]),
        kmsVia([key.arn], ['s3'], region, ['kms:Decrypt', 'kms:GenerateDataKey']),
        allow(['codebuild:StartBuild', 'codebuild:BatchGetBuilds'], [ci.arn, ...[...deployProjects.values()].map((p) => p.arn)]),
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
        name: 'Test-Synth-Plan',
        action: [{ name: 'CI', category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1', inputArtifacts: ['source'], outputArtifacts: ['plans'], configuration: { ProjectName: ci.name } }],
      },
    ];
    for (const env of tooling.promotion) {
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
              configuration: { CustomData: `Promote to ${env}: review the ${env} plans in the CI artifact first.` },
            },
          ],
        });
      }
      stages.push({
        name: `Deploy-${env}`,
        action: [{ name: 'Deploy', category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1', inputArtifacts: ['source'], configuration: { ProjectName: deployProjects.get(env)!.name } }],
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
