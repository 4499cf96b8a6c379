/**
 * `pipeline` stack (tooling account): the tooling VPC (endpoints serve the tooling and
 * environment accounts only); the artifacts bucket; CodeBuild projects with their role, key and
 * private subnets. DEP-1: the CI project may assume no environment role; each plan project ONLY
 * its environment's read-only plan role; each apply project ONLY its environment's deploy role,
 * and its only input is the artifact of the plan stage before it. Stage order follows the
 * promotion, with a manual approval before the environments that need one.
 */
import type { EnvironmentConfig, EnvironmentName, ToolingConfig } from '../../environments/types';
import { Names } from '../../stacks/naming';
import { checkBucket, checkKey, checkLogGroup, named, ref, rolePolicy, type Expected, type Run, type SynthStack } from './context';
import { vpcAssertions } from './network';

export function pipelineAssertions(stack: SynthStack, run: Run, names: Names, expected: Expected, tooling: ToolingConfig, environments: readonly EnvironmentConfig[]): void {
  const key = expected.key('pipeline');
  checkKey(stack, run, names.name('pipeline'), names.account);
  const namesOf = (env: EnvironmentName) => {
    const config = environments.find((candidate) => candidate.name === env);
    if (!config) throw new Error(`tooling promotes ${env}, which has no environment config`);
    return Names.of(config);
  };
  vpcAssertions(stack, run, expected, {
    cidr: tooling.network.vpcCidr,
    azCount: tooling.network.azCount,
    natGateways: 'single',
    flowLogRetentionDays: tooling.network.flowLogRetentionDays,
    flowLogKeyAlias: 'pipeline',
    endpointAccounts: [tooling.account, ...environments.map((env) => env.account)],
  });

  const projects = ['ci', ...tooling.promotion.flatMap((env) => [`plan-${env}`, `apply-${env}`])];
  const artifacts = names.bucketName('pipeline-artifacts');
  checkBucket(stack, run, artifacts, key, [...projects.map((id) => names.roleArn(`codebuild-${id}`)), names.roleArn('codepipeline')], [names.deployRoleArn, tooling.breakGlassRoleArn]);

  const allEnvironmentRoles = tooling.promotion.flatMap((env) => [namesOf(env).planRoleArn, namesOf(env).deployRoleArn]);
  const privateSubnets = expected.subnetIds('private', tooling.network.azCount);
  for (const id of projects) {
    const project = named(stack, 'aws_codebuild_project', names.name(id));
    const p = (path: string) => ref(project, path);
    const who = `CodeBuild ${names.name(id)}`;
    run.eq(p('service_role'), names.roleArn(`codebuild-${id}`), `${who}: its role`);
    run.eq(p('encryption_key'), key, `${who}: artifacts under the pipeline key`);
    run.eq(p('vpc_config[0].vpc_id'), expected.vpcId, `${who}: in the tooling VPC`);
    run.eqSet(p('vpc_config[0].subnets'), privateSubnets, `${who}: the private subnets`);
    run.eqSet(p('vpc_config[0].security_group_ids'), [expected.securityGroupId('workloads')], `${who}: the workloads group`);
    run.eq(p('logs_config[0].cloudwatch_logs[0].group_name'), `/aws/codebuild/${names.name(id)}`, `${who}: its log group`);
    checkLogGroup(stack, run, `/aws/codebuild/${names.name(id)}`, key, tooling.logDays);
    const variables = `{ for v in ${p('environment[0].environment_variable')} : v.name => v.value }`;
    const role = names.roleName(`codebuild-${id}`);
    const { policy } = rolePolicy(stack, run, role);
    run.grants(
      policy,
      [
        { action: 's3:GetObject', resource: `arn:aws:s3:::${artifacts}/source/artifact.zip`, why: 'pipeline artifacts' },
        { action: 's3:PutObject', resource: `arn:aws:s3:::${artifacts}/plans/artifact.zip`, why: 'pipeline artifacts' },
        { action: 'kms:Decrypt', resource: key, why: 'the pipeline key' },
        { action: 'kms:GenerateDataKey', resource: key, why: 'the pipeline key' },
        { action: 'logs:PutLogEvents', resource: `${names.logGroupArn(`/aws/codebuild/${names.name(id)}`)}:log-stream:build-1`, why: 'its log group' },
      ],
      role,
    );
    const [kind, env] = id === 'ci' ? (['ci', undefined] as const) : (id.split('-') as ['plan' | 'apply', EnvironmentName]);
    if (kind === 'ci') {
      run.refuses(
        policy,
        allEnvironmentRoles.map((resource) => ({ action: 'sts:AssumeRole', resource })),
        `${role} (DEP-1: CI assumes no environment role)`,
      );
      continue;
    }
    const own = kind === 'plan' ? namesOf(env!).planRoleArn : namesOf(env!).deployRoleArn;
    run.eq(`lookup(${variables}, "LEDGERLINE_ENV", "<unset>")`, env!, `${who}: LEDGERLINE_ENV`);
    run.eq(`lookup(${variables}, "${kind === 'plan' ? 'PLAN_ROLE_ARN' : 'DEPLOY_ROLE_ARN'}", "<unset>")`, own, `${who}: the role it assumes`);
    run.grant(policy, 'sts:AssumeRole', own, `${role} (${kind === 'plan' ? 'plans' : 'applies'} ${env})`);
    run.refuses(
      policy,
      allEnvironmentRoles.filter((arn) => arn !== own).map((resource) => ({ action: 'sts:AssumeRole', resource })),
      `${role} (DEP-1: ${kind === 'plan' ? `only ${env}'s read-only plan role` : `only ${env}'s deploy role`})`,
    );
  }

  const pipeline = named(stack, 'aws_codepipeline', names.name('promotion'));
  const c = (path: string) => ref(pipeline, path);
  run.eq(c('role_arn'), names.roleArn('codepipeline'), 'pipeline: its role');
  run.eq(`one(${c('artifact_store')}).location`, artifacts, 'pipeline: artifact bucket');
  run.eq(`one(${c('artifact_store')}).encryption_key[0].id`, key, 'pipeline: artifacts under the pipeline key');
  const stages = ['Source', 'Test', ...tooling.promotion.flatMap((env) => [`Plan-${env}`, ...(tooling.manualApprovalBefore.includes(env) ? [`Approve-${env}`] : []), `Apply-${env}`])];
  run.eqList(`[for stage in ${c('stage')} : stage.name]`, stages, 'pipeline: stage order (promotion, approvals)');
  const action = (stage: string, path: string) => `one([for stage in ${c('stage')} : stage.action[0].${path} if stage.name == "${stage}"])`;
  run.eq(action('Source', 'configuration.ConnectionArn'), tooling.sourceConnectionArn, 'pipeline: source connection');
  run.eq(action('Source', 'configuration.BranchName'), tooling.branch, 'pipeline: source branch');
  run.eq(action('Test', 'configuration.ProjectName'), names.name('ci'), 'pipeline: the Test stage runs the CI project');
  for (const env of tooling.promotion) {
    run.eq(action(`Plan-${env}`, 'configuration.ProjectName'), names.name(`plan-${env}`), `pipeline: Plan-${env} runs plan-${env}`);
    run.eq(action(`Apply-${env}`, 'configuration.ProjectName'), names.name(`apply-${env}`), `pipeline: Apply-${env} runs apply-${env}`);
    run.check(
      `tolist(${action(`Apply-${env}`, 'input_artifacts')}) == tolist(${action(`Plan-${env}`, 'output_artifacts')})`,
      `pipeline: Apply-${env}'s only input is the plan artifact of Plan-${env} (DEP-1)`,
      `jsonencode([${action(`Plan-${env}`, 'output_artifacts')}, ${action(`Apply-${env}`, 'input_artifacts')}])`,
    );
  }
  const { policy } = rolePolicy(stack, run, names.roleName('codepipeline'));
  run.grants(
    policy,
    [
      ...projects.map((id) => ({ action: 'codebuild:StartBuild', resource: `arn:aws:codebuild:${names.region}:${names.account}:project/${names.name(id)}`, why: `starts ${names.name(id)}` })),
      { action: 'codeconnections:UseConnection', resource: tooling.sourceConnectionArn, why: 'source' },
    ],
    names.roleName('codepipeline'),
  );
}
