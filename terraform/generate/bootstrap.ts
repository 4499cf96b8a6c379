/**
 * `bootstrap` stacks (each environment, and tooling): the state bucket and lock table under the
 * state key; the deploy role trusted by exactly the deployers (this environment's apply project +
 * break-glass) and the read-only plan role by exactly the planners (its plan project +
 * break-glass), every policy of each attached to it; the state grants on the configured bucket,
 * prefix and lock table; the deploy role's own bootstrap state denied; the plan role able to
 * read state and take the lock but to change nothing (DEP-1).
 */
import { INGEST_PREFIXES, type Names } from '../../stacks/naming';
import { mock } from '../mocks';
import { checkBucket, checkKey, named, ref, type Expected, type Run, type SynthStack } from './context';

export interface BootstrapExpectation {
  state: { bucket: string; lockTable: string; region: string };
  /** Principals allowed to assume the deploy role. */
  deployers: readonly string[];
  /** Principals allowed to assume the read-only plan role (none: there is no plan role). */
  planners: readonly string[];
  breakGlassRoleArn: string;
  protect: boolean;
}

export function bootstrapAssertions(stack: SynthStack, run: Run, names: Names, expected: Expected, bootstrap: BootstrapExpectation): void {
  const stateKeyAlias = `${names.prefix}-tfstate`;
  const stateKey = expected.keyByAlias(stateKeyAlias);
  checkKey(stack, run, stateKeyAlias, names.account);
  checkBucket(stack, run, bootstrap.state.bucket, stateKey, [names.deployRoleArn, ...(bootstrap.planners.length > 0 ? [names.planRoleArn] : [])], [bootstrap.breakGlassRoleArn]);

  const lockTable = named(stack, 'aws_dynamodb_table', bootstrap.state.lockTable);
  run.eq(ref(lockTable, 'hash_key'), 'LockID', 'lock table: key LockID (S3 backend)');
  run.eq(ref(lockTable, 'server_side_encryption[0].kms_key_arn'), stateKey, 'lock table: under the state key');
  run.eq(ref(lockTable, 'point_in_time_recovery[0].enabled'), true, 'lock table: point-in-time recovery');
  run.eq(ref(lockTable, 'deletion_protection_enabled'), bootstrap.protect, 'lock table: deletion protection');

  named(stack, 'aws_iam_policy', names.permissionsBoundaryName);
  const attachments = stack.resources('aws_iam_role_policy_attachment');
  /** A role trusted by exactly `principals`, with every `<prefix>-<kind>-*` managed policy attached. */
  const checkRole = (roleName: string, kind: string, principals: readonly string[]) => {
    const role = named(stack, 'aws_iam_role', roleName);
    const trust = `jsondecode(${ref(role, 'assume_role_policy')}).Statement[0]`;
    run.eqSet(`flatten([${trust}.Condition.ArnEquals["aws:PrincipalArn"]])`, [...principals], `${roleName}: trusted by exactly ${principals.join(', ')}`);
    run.eqSet(`flatten([${trust}.Principal.AWS])`, [...new Set(principals.map((arn) => `arn:aws:iam::${arn.split(':')[4]}:root`))], `${roleName}: trusted accounts`);
    const policies = stack.resources('aws_iam_policy', (config) => typeof config.name === 'string' && config.name.startsWith(`${names.prefix}-${kind}-`));
    if (!policies.some((policy) => policy.config.name === `${names.prefix}-${kind}-state`)) throw new Error(`stack ${stack.name}: no ${names.prefix}-${kind}-state policy`);
    for (const policy of policies) {
      const name = policy.config.name as string;
      run.check(
        `anytrue([${attachments.map((attachment) => `(${ref(attachment, 'role')} == "${roleName}" && ${ref(attachment, 'policy_arn')} == "${mock.iamPolicyArn(names.account, name)}")`).join(', ')}])`,
        `${kind} policy ${name} must be attached to ${roleName}`,
      );
    }
    return policies;
  };
  checkRole(names.deployRoleName, 'deploy', bootstrap.deployers);

  const state = ref(named(stack, 'aws_iam_policy', `${names.prefix}-deploy-state`), 'policy');
  const who = `${names.deployRoleName} (state)`;
  const stateObject = `arn:aws:s3:::${bootstrap.state.bucket}/${names.prefix}/app.tfstate`;
  const lockArn = `arn:aws:dynamodb:${bootstrap.state.region}:${names.account}:table/${bootstrap.state.lockTable}`;
  run.grants(
    state,
    [
      ...['s3:GetObject', 's3:PutObject'].map((action) => ({ action, resource: stateObject })),
      { action: 's3:ListBucket', resource: `arn:aws:s3:::${bootstrap.state.bucket}` },
      ...['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'].map((action) => ({ action, resource: lockArn })),
      ...['kms:Decrypt', 'kms:GenerateDataKey'].map((action) => ({ action, resource: stateKey, why: 'the state key' })),
    ],
    who,
  );
  run.denies(state, [{ action: 's3:PutObject', resource: `arn:aws:s3:::${bootstrap.state.bucket}/${names.prefix}/bootstrap.tfstate` }], `${who}: its own bootstrap state`);

  // The plan role (environments): reads the state and takes the lock, and can change NOTHING (DEP-1).
  if (bootstrap.planners.length === 0) {
    if (stack.resources('aws_iam_role', (config) => config.name === names.planRoleName).length > 0) run.check('false', `${names.planRoleName} exists, but this account has no planners`);
    return;
  }
  const planPolicies = checkRole(names.planRoleName, 'plan', bootstrap.planners);
  const planState = ref(named(stack, 'aws_iam_policy', `${names.prefix}-plan-state`), 'policy');
  run.grants(
    planState,
    [
      { action: 's3:GetObject', resource: stateObject },
      ...['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'].map((action) => ({ action, resource: lockArn, why: 'the state lock' })),
      { action: 'kms:Decrypt', resource: stateKey, why: 'the state key' },
      { action: 'secretsmanager:GetSecretValue', resource: mock.secretArn(names.account, names.region, names.workbenchCsrfSecretName), why: 'refresh of the secrets it manages' },
    ],
    `${names.planRoleName} (state)`,
  );
  const writes = [
    { action: 's3:PutObject', resource: stateObject },
    { action: 's3:DeleteObject', resource: stateObject },
    { action: 'lambda:UpdateFunctionCode', resource: names.functionArn('posting') },
    { action: 'iam:PutRolePolicy', resource: names.functionRoleArn('posting') },
    { action: 'iam:PassRole', resource: names.functionRoleArn('posting') },
    { action: 'dynamodb:DeleteTable', resource: names.tableArn('transactions') },
    { action: 'dynamodb:PutItem', resource: names.tableArn('transactions') },
    { action: 's3:PutBucketPolicy', resource: names.ingestBucketArn },
    { action: 's3:GetObject', resource: `${names.ingestBucketArn}/${INGEST_PREFIXES.outbox}2025/01/31/posting.json` },
  ];
  for (const policy of planPolicies) run.refuses(ref(policy, 'policy'), writes, `${names.planRoleName} (${policy.config.name as string}: read-only, never apply, no data reads)`);
}
