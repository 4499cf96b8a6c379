/**
 * DEP-1 in the pipeline's own definition: the approval shows the saved plan's digest, the apply
 * step's only input is that saved plan and it never plans, the plan step can only read, and CI
 * can reach no environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENTS, TOOLING } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { READ_ONLY_ACTION } from '../../stacks/bootstrap-stack';
import { cleanupSynth, model } from './support/synth';
import { block, list, statementsOf, type Json } from './support/model';
import { auditSecretArnOf, deployTimeSteps, redshiftSecretArnOf, runnableSteps } from '../../scripts/post-deploy';
import { AUDIT_DB_NAME, AUDIT_SECRET_OUTPUT } from '../../stacks/lib/audit-db';
import { EMR_NODE_RUNTIME_KEY } from '../../stacks/analytics-stack';
import type { PlanManifest } from '../../scripts/deploy/manifest';

afterAll(cleanupSynth);

const ROOT = join(__dirname, '../..');
const buildspec = (name: string) => readFileSync(join(ROOT, 'buildspecs', name), 'utf8');
/** The shell a buildspec runs (comments dropped). */
const commands = (name: string) =>
  buildspec(name)
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');

describe('buildspecs', () => {
  test('CI tests offline and touches no environment: no role assumed, no plan, no apply', () => {
    const ci = commands('ci.yml');
    expect(ci).toContain('npm test');
    expect(ci).toContain('npm run terraform:validate');
    expect(ci).toContain('npm run terraform:test');
    expect(ci).toContain('npm run rehearse');
    for (const forbidden of ['assume-role', 'terraform plan', 'terraform apply', 'cdktf deploy', 'deploy.ts']) expect(ci).not.toContain(forbidden);
  });

  test('the plan step assumes the plan role, saves the plans and exports their digest', () => {
    const plan = commands('plan.yml');
    expect(plan).toMatch(/assume-role --role-arn "\$PLAN_ROLE_ARN"/);
    expect(plan).toContain('scripts/deploy.ts plan');
    expect(plan).toMatch(/exported-variables:\s*\n\s*- PLAN_DIGEST/);
    expect(plan).not.toMatch(/DEPLOY_ROLE_ARN|scripts\/deploy\.ts apply|terraform apply|cdktf deploy/);
  });

  test('the apply step applies the saved plan against the approved digest, and can neither plan nor synthesize', () => {
    const apply = commands('apply.yml');
    expect(apply).toMatch(/assume-role --role-arn "\$DEPLOY_ROLE_ARN"/);
    expect(apply).toMatch(/scripts\/deploy\.ts apply --plans .* --expect-digest "\$EXPECTED_PLAN_DIGEST"/);
    for (const forbidden of ['deploy.ts plan', 'terraform plan', 'npm run synth', 'cdktf deploy', 'cdktf synth', 'npx cdktf', '-auto-approve', 'PLAN_ROLE_ARN']) expect(apply).not.toContain(forbidden);
  });
});

describe('the pipeline', () => {
  const m = model('tooling');
  const pipeline = m.of('aws_codepipeline')[0]!;
  const stages = list(pipeline.config.stage as Json[]);
  const action = (stage: string) => block(stages.find((candidate) => candidate.name === stage)!.action)!;

  test.each(TOOLING.promotion.map((env) => [env] as const))('%s: apply consumes exactly the plan artifact and the digest of that plan', (env) => {
    const plan = action(`Plan-${env}`);
    const apply = action(`Apply-${env}`);
    expect(plan.output_artifacts).toEqual([`plan_${env}`]);
    expect(apply.input_artifacts).toEqual([`plan_${env}`]);
    const variables = JSON.parse(String((apply.configuration as Json).EnvironmentVariables)) as Array<{ name: string; value: string }>;
    expect(variables).toEqual([expect.objectContaining({ name: 'EXPECTED_PLAN_DIGEST', value: `#{${String(plan.namespace)}.PLAN_DIGEST}` })]);
    const names = stages.map((stage) => stage.name);
    expect(names.indexOf(`Plan-${env}`)).toBeLessThan(names.indexOf(`Apply-${env}`));
    if (TOOLING.manualApprovalBefore.includes(env)) {
      const approval = action(`Approve-${env}`);
      expect(names.indexOf(`Approve-${env}`)).toBe(names.indexOf(`Apply-${env}`) - 1);
      expect(String((approval.configuration as Json).CustomData)).toContain(`#{${String(plan.namespace)}.PLAN_DIGEST}`);
      expect(String((approval.configuration as Json).ExternalEntityLink)).toContain(`plans/${env}/#{codepipeline.PipelineExecutionId}/`);
    }
  });

  test('the CI stage produces no plans (nothing downstream can consume an unapproved plan from it)', () => {
    expect(action('Test').output_artifacts).toBeUndefined();
  });
});

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s plan role', (_name, config) => {
  const names = Names.of(config);
  test('grants only reads, plus the state lock and the plan-time secrets', () => {
    const m = model(config.name);
    const policies = m.of('aws_iam_policy').filter((policy) => String(policy.config.name).startsWith(`${config.prefix}-plan-`));
    expect(policies.length).toBeGreaterThanOrEqual(3);
    const lockTable = `arn:aws:dynamodb:${config.state.region}:${config.account}:table/${config.state.lockTable}`;
    for (const policy of policies) {
      for (const statement of statementsOf(policy.config.policy)) {
        if (statement.Effect !== 'Allow') continue;
        for (const action of list(statement.Action)) {
          if (READ_ONLY_ACTION.test(action)) continue;
          // The only writes: the lock item of the state lock table, and decrypting state / secrets.
          if (['dynamodb:PutItem', 'dynamodb:DeleteItem'].includes(action)) expect(list(statement.Resource)).toEqual([lockTable]);
          else expect(['kms:Decrypt', 'kms:GenerateDataKey']).toContain(action);
        }
      }
    }
    const attached = m.of('aws_iam_role_policy_attachment').filter((attachment) => String(m.get(m.refs(attachment, attachment.config.role)[0]!)?.config.name) === names.planRoleName);
    expect(attached).toHaveLength(policies.length);
  });
});

describe('DEP-2 deploy-time steps after an apply', () => {
  const manifest = (deferred: Record<string, string>): PlanManifest => ({
    format: 1,
    environment: 'dev',
    revision: 'r',
    terraformVersion: '1.11.4',
    createdAt: 't',
    stacks: ['network', 'data', 'analytics', 'app', 'observability'].map((component) => {
      const stack = `ledgerline-dev-${component}`;
      return deferred[component] ? { stack, reads: {}, deferred: deferred[component] } : { stack, reads: {}, changes: { add: 0, change: 0, destroy: 0, outputs: 0 } };
    }),
  });

  test('every environment loads reference data after its data stack, migrates Redshift after its analytics stack and the audit trail after its app stack', () => {
    for (const config of ENVIRONMENTS) {
      const names = Names.of(config);
      const steps = deployTimeSteps(config.name);
      expect(steps.map((step) => step.name)).toEqual(['reference-data load', 'Redshift migrations', 'EMR Node runtime upload', 'audit migrations']);
      const [load, migrate, runtime, audit] = steps;
      expect(load!.after).toBe(`${config.prefix}-data`);
      expect(load!.command({})).toEqual(expect.arrayContaining(['scripts/load-reference-data.ts', '--table', names.tableName('reference')]));
      expect(migrate!.after).toBe(`${config.prefix}-analytics`);
      expect(migrate!.command({ redshiftSecretArn: 'arn:s' })).toEqual(expect.arrayContaining(['--workgroup', names.redshiftWorkgroup, '--database', names.redshiftDatabase, '--secret-arn', 'arn:s']));
      expect(() => migrate!.command({})).toThrow(/no output holding the Redshift admin secret ARN/);
      // REC-EMR-1: the job's --archives names this object; without it every EMR run fails at start.
      expect(runtime!.after).toBe(`${config.prefix}-analytics`);
      expect(runtime!.command({})).toEqual([
        'scripts/upload-emr-runtime.ts',
        '--bucket',
        names.analyticsBucket,
        '--key',
        EMR_NODE_RUNTIME_KEY,
        '--kms-key',
        `alias/${names.name('analytics')}`,
        '--region',
        config.region,
      ]);
      // AUDIT-1: the audit trail's Aurora cluster lives in the app stack; its migrations go through the Data API.
      expect(audit!.after).toBe(`${config.prefix}-app`);
      expect(audit!.command({ auditSecretArn: 'arn:aws:secretsmanager:x:1:secret:rds!cluster-1' })).toEqual([
        'scripts/audit-migrate.ts',
        '--cluster-arn',
        `arn:aws:rds:${config.region}:${config.account}:cluster:${names.prefix}-audit`,
        '--secret-arn',
        'arn:aws:secretsmanager:x:1:secret:rds!cluster-1',
        '--database',
        AUDIT_DB_NAME,
        '--region',
        config.region,
      ]);
      expect(() => audit!.command({})).toThrow(new RegExp(`${config.prefix}-app has no output ${AUDIT_SECRET_OUTPUT}`));
    }
    expect(() => deployTimeSteps('qa')).toThrow(/unknown environment "qa"/);
  });

  test('a step waits with its stack on a first deploy, and runs once the stack exists', () => {
    const steps = deployTimeSteps('dev');
    const first = runnableSteps(steps, manifest({ data: 'it reads ledgerline-dev-network…', analytics: 'waits', app: 'waits', observability: 'waits' }));
    expect(first.map((entry) => entry.skip !== undefined)).toEqual([true, true, true, true]);
    expect(first[0]!.skip).toMatch(/ledgerline-dev-data waits for a later run/);
    const third = runnableSteps(steps, manifest({ app: 'waits', observability: 'waits' }));
    expect(third.map((entry) => entry.skip)).toEqual([undefined, undefined, undefined, expect.stringMatching(/ledgerline-dev-app waits for a later run/)]);
    const fourth = runnableSteps(steps, manifest({ observability: 'waits' }));
    expect(fourth.map((entry) => entry.skip)).toEqual([undefined, undefined, undefined, undefined]);
  });

  test("the admin secret's ARN is read from the analytics stack's cross-stack output", () => {
    expect(redshiftSecretArnOf({ 'cross-stack-output-aws_redshiftserverless_namespaceredshift-namespaceadmin_password_secret_arn': { value: 'arn:aws:secretsmanager:x' }, other: { value: 1 } })).toBe(
      'arn:aws:secretsmanager:x',
    );
    expect(redshiftSecretArnOf({ other: { value: 1 } })).toBeUndefined();
  });

  test("the audit cluster's secret ARN is read from the app stack's own output, by its exact name", () => {
    expect(auditSecretArnOf({ [AUDIT_SECRET_OUTPUT]: { value: 'arn:aws:secretsmanager:x:1:secret:rds!cluster-1' }, other: { value: 'arn:other' } })).toBe(
      'arn:aws:secretsmanager:x:1:secret:rds!cluster-1',
    );
    expect(auditSecretArnOf({ [`${AUDIT_SECRET_OUTPUT}_copy`]: { value: 'arn:s' } })).toBeUndefined();
    expect(auditSecretArnOf({ [AUDIT_SECRET_OUTPUT]: { value: 7 } })).toBeUndefined();
  });

  test('the apply step runs the deploy-time steps after applying', () => {
    const apply = commands('apply.yml');
    expect(apply.indexOf('scripts/post-deploy.ts')).toBeGreaterThan(apply.indexOf('scripts/deploy.ts apply'));
  });
});
