/**
 * What an environment's (or the tooling account's) resources must be called, in the stand-in
 * identities of terraform/mocks.ts, computed from the sources of truth: `Names` (stacks/naming.ts)
 * and the environment config. Shared by the per-stack generators.
 */
import { Names } from '../../stacks/naming';
import { mock } from '../mocks';
import { attr, type Block, type SynthStack } from '../stack-json';
import type { Run, TestFile } from '../tftest';

const AZ_LETTERS = 'abcdef';

export class Expected {
  constructor(readonly names: Names) {}

  get account(): string {
    return this.names.account;
  }

  get region(): string {
    return this.names.region;
  }

  /** The customer-managed key aliased `alias/<prefix>-<suffix>`. */
  key(suffix: string): string {
    return mock.kmsKeyArn(this.account, this.region, `alias/${this.names.name(suffix)}`);
  }

  keyByAlias(alias: string): string {
    return mock.kmsKeyArn(this.account, this.region, `alias/${alias}`);
  }

  availabilityZones(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `${this.region}${AZ_LETTERS[i]}`);
  }

  /** Subnet ids of one tier (`private` / `public`), per AZ, in AZ order. */
  subnetIds(tier: 'private' | 'public', azCount: number): string[] {
    return this.availabilityZones(azCount).map((az) => mock.ec2Id('subnet', this.account, this.region, this.names.name(`${tier}-${az}`)));
  }

  subnetArn(id: string): string {
    return `arn:aws:ec2:${this.region}:${this.account}:subnet/${id}`;
  }

  securityGroupId(suffix: string): string {
    return mock.ec2Id('sg', this.account, this.region, this.names.name(suffix));
  }

  securityGroupArn(id: string): string {
    return `arn:aws:ec2:${this.region}:${this.account}:security-group/${id}`;
  }

  ec2Id(prefix: string, nameSuffix: string): string {
    return mock.ec2Id(prefix, this.account, this.region, this.names.name(nameSuffix));
  }

  /** The prefix list of the gateway endpoint named `<prefix>-<suffix>` (s3, dynamodb). */
  prefixListId(suffix: string): string {
    return mock.prefixListId(this.account, this.region, this.names.name(suffix));
  }

  get vpcId(): string {
    return this.ec2Id('vpc', 'vpc');
  }

  roleArn(suffix: string): string {
    return this.names.roleArn(suffix);
  }

  logGroupArn(name: string): string {
    return this.names.logGroupArn(name);
  }

  topicArn(suffix: string): string {
    return this.names.topicArn(suffix);
  }

  queueArn(name: string): string {
    return this.names.queueArn(name);
  }
}

/** `<address>.<attribute path>` */
export function ref(block: Block, path: string): string {
  return `${block.address}.${path}`;
}

/** The inline policy attached to the role with physical name `roleName` (and a check that it is attached to THAT role). */
export function rolePolicy(stack: SynthStack, run: Run, roleName: string): { policy: string; role: Block } {
  const role = stack.only('aws_iam_role', (config) => config.name === roleName, `role ${roleName}`);
  const policy = stack.only('aws_iam_role_policy', (config) => config.role === `\${${role.address}.name}`, `the inline policy of role ${roleName}`);
  run.eq(ref(policy, 'role'), roleName, `inline policy ${policy.name}: its role`);
  return { policy: ref(policy, 'policy'), role };
}

/** The one resource of a type with `attribute` = `value` (physical names). */
export function named(stack: SynthStack, type: string, value: string, attribute = 'name'): Block {
  return stack.only(type, (config) => config[attribute] === value, `${attribute} "${value}"`);
}

/** Resources whose `attribute` references `target` (`${<target address>.<targetAttribute>}`). */
export function referencing(stack: SynthStack, type: string, attribute: string, target: Block, targetAttribute: string): Block[] {
  return stack.resources(type, (config) => config[attribute] === `\${${target.address}.${targetAttribute}}`);
}

/** The encrypted log group named `name`: retention and key. */
export function checkLogGroup(stack: SynthStack, run: Run, name: string, keyArn: string, retentionDays: number): Block {
  const group = named(stack, 'aws_cloudwatch_log_group', name);
  run.eq(ref(group, 'kms_key_id'), keyArn, `log group ${name}: its KMS key`);
  run.eq(ref(group, 'retention_in_days'), retentionDays, `log group ${name}: retention (days)`);
  return group;
}

/**
 * A SecureBucket (stacks/lib/bucket.ts): every satellite resource names THIS bucket, SSE-KMS
 * under `keyArn`, and the bucket policy denies object access to anyone outside `objectRoles`.
 */
export function checkBucket(stack: SynthStack, run: Run, bucketName: string, keyArn: string, objectRoles: readonly string[], adminRoles: readonly string[]): Block {
  const bucket = named(stack, 'aws_s3_bucket', bucketName, 'bucket');
  const bucketArn = `arn:aws:s3:::${bucketName}`;
  for (const type of [
    'aws_s3_bucket_versioning',
    'aws_s3_bucket_server_side_encryption_configuration',
    'aws_s3_bucket_public_access_block',
    'aws_s3_bucket_ownership_controls',
    'aws_s3_bucket_policy',
  ]) {
    const satellites = referencing(stack, type, 'bucket', bucket, 'id');
    if (satellites.length !== 1) throw new Error(`stack ${stack.name}: expected one ${type} on bucket ${bucketName}, found ${satellites.length}`);
    run.eq(ref(satellites[0]!, 'bucket'), bucketName, `${type} of ${bucketName}: its bucket`);
  }
  const sse = referencing(stack, 'aws_s3_bucket_server_side_encryption_configuration', 'bucket', bucket, 'id')[0]!;
  run.eq(`one(${ref(sse, 'rule')}).apply_server_side_encryption_by_default[0].sse_algorithm`, 'aws:kms', `bucket ${bucketName}: default encryption`);
  run.eq(`one(${ref(sse, 'rule')}).apply_server_side_encryption_by_default[0].kms_master_key_id`, keyArn, `bucket ${bucketName}: default encryption key`);
  const versioning = referencing(stack, 'aws_s3_bucket_versioning', 'bucket', bucket, 'id')[0]!;
  run.eq(ref(versioning, 'versioning_configuration[0].status'), 'Enabled', `bucket ${bucketName}: versioning`);

  const policy = ref(referencing(stack, 'aws_s3_bucket_policy', 'bucket', bucket, 'id')[0]!, 'policy');
  const statement = (sid: string) => `one([for s in jsondecode(${policy}).Statement : s if try(s.Sid, "") == "${sid}"])`;
  run.eqSet(`flatten([${statement('DenyInsecureTransport')}.Resource])`, [bucketArn, `${bucketArn}/*`], `bucket policy of ${bucketName}: TLS-only statement's resources`);
  run.eqSet(`flatten([${statement('DenyObjectAccessOutsideNamedRoles')}.Resource])`, [`${bucketArn}/*`], `bucket policy of ${bucketName}: object-access statement's resources`);
  run.eqSet(
    `flatten([${statement('DenyObjectAccessOutsideNamedRoles')}.Condition.ArnNotEquals["aws:PrincipalArn"]])`,
    [...new Set([...objectRoles, ...adminRoles])],
    `bucket policy of ${bucketName}: the only principals with object access`,
  );
  run.eq(
    // Whatever the operator: the key-id value the uploads statement compares against.
    `one(flatten([for operator, keys in ${statement('DenyUploadsUnderOtherKeys')}.Condition : [for name, value in keys : value if name == "s3:x-amz-server-side-encryption-aws-kms-key-id" && operator != "Null"]]))`,
    keyArn,
    `bucket policy of ${bucketName}: uploads must use the bucket key`,
  );
  run.eqSet(
    `flatten([${statement('DenyPolicyChangesOutsideAdministrators')}.Condition.ArnNotEquals["aws:PrincipalArn"]])`,
    [...adminRoles],
    `bucket policy of ${bucketName}: the only principals that may change its policy`,
  );
  return bucket;
}

/** The customer-managed key behind `alias`: it rotates, and its key policy leaves administration to this account only. */
export function checkKey(stack: SynthStack, run: Run, alias: string, account: string): void {
  const aliasBlock = named(stack, 'aws_kms_alias', `alias/${alias}`);
  const keyAddress = /^\$\{(aws_kms_key\.[A-Za-z0-9_-]+)\.key_id\}$/.exec(attr(aliasBlock, 'target_key_id'))?.[1];
  if (!keyAddress) throw new Error(`stack ${stack.name}: alias ${alias} targets no key of this stack`);
  run.eq(`${keyAddress}.enable_key_rotation`, true, `key behind alias/${alias}: rotation`);
  run.eq(
    `one([for s in jsondecode(${keyAddress}.policy).Statement : s if try(s.Sid, "") == "AccountAdministersKey"]).Principal.AWS`,
    `arn:aws:iam::${account}:root`,
    `key behind alias/${alias}: administered by its own account`,
  );
}

export type { Block, Run, SynthStack, TestFile };
