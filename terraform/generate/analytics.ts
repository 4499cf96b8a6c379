/**
 * `analytics` stack (REC-2): the analytics bucket under its key; Glue job → role, security
 * configuration, connection in the first private subnet of the network stack; EMR Serverless and
 * the Redshift workgroup in the private subnets; the namespace under the key with its role.
 */
import type { EnvironmentConfig } from '../../environments/types';
import { ANALYTICS_PREFIXES, type Names } from '../../stacks/naming';
import { checkBucket, checkKey, named, ref, referencing, rolePolicy, type Expected, type Run, type SynthStack } from './context';

export function analyticsAssertions(stack: SynthStack, run: Run, names: Names, expected: Expected, config: EnvironmentConfig): void {
  const key = expected.key('analytics');
  const privateSubnets = expected.subnetIds('private', config.network.azCount);
  const workloads = expected.securityGroupId('workloads');
  checkKey(stack, run, names.name('analytics'), names.account);
  checkBucket(
    stack,
    run,
    names.analyticsBucket,
    key,
    [
      names.functionRoleArn('reconcile-normalise'),
      names.functionRoleArn('reconcile-match'),
      names.functionRoleArn('reconcile-summarise'),
      names.functionRoleArn('reconcile-cases'),
      names.glueJobRoleArn,
      names.emrJobRoleArn,
      names.redshiftRoleArn,
    ],
    [names.deployRoleArn, config.humanRoleArns.breakGlass],
  );

  // Glue.
  const securityConfiguration = named(stack, 'aws_glue_security_configuration', names.name('glue'));
  const encryption = (path: string) => ref(securityConfiguration, `encryption_configuration[0].${path}`);
  run.eq(encryption('s3_encryption[0].kms_key_arn'), key, 'Glue security configuration: S3 under the analytics key');
  run.eq(encryption('cloudwatch_encryption[0].kms_key_arn'), key, 'Glue security configuration: logs under the analytics key');
  run.eq(encryption('job_bookmarks_encryption[0].kms_key_arn'), key, 'Glue security configuration: bookmarks under the analytics key');
  const connection = named(stack, 'aws_glue_connection', names.name('private-subnets'));
  run.eq(ref(connection, 'physical_connection_requirements[0].subnet_id'), privateSubnets[0]!, 'Glue connection: the first private subnet (network stack)');
  run.eq(ref(connection, 'physical_connection_requirements[0].availability_zone'), expected.availabilityZones(1)[0]!, "Glue connection: that subnet's AZ (network stack)");
  run.eqSet(ref(connection, 'physical_connection_requirements[0].security_group_id_list'), [workloads], 'Glue connection: the workloads group (network stack)');
  const job = named(stack, 'aws_glue_job', names.glueJobName);
  run.eq(ref(job, 'role_arn'), names.glueJobRoleArn, 'Glue job: its role');
  run.eq(ref(job, 'security_configuration'), names.name('glue'), 'Glue job: its security configuration');
  run.eqList(ref(job, 'connections'), [names.name('private-subnets')], 'Glue job: runs through the private-subnet connection');
  run.eq(ref(job, 'command[0].script_location'), `s3://${names.analyticsBucket}/${ANALYTICS_PREFIXES.scripts}normalise_statements.py`, 'Glue job: its script');
  run.eq(ref(job, 'worker_type'), config.analytics.glueWorkerType, 'Glue job: worker type (config)');
  run.eq(ref(job, 'number_of_workers'), config.analytics.glueNumberOfWorkers, 'Glue job: workers (config)');
  named(stack, 'aws_s3_object', `${ANALYTICS_PREFIXES.scripts}normalise_statements.py`, 'key');
  for (const object of stack.resources('aws_s3_object')) {
    run.eq(ref(object, 'bucket'), names.analyticsBucket, `Glue code ${object.config.key as string}: uploaded to the analytics bucket`);
    run.eq(ref(object, 'kms_key_id'), key, `Glue code ${object.config.key as string}: under the analytics key`);
  }
  const glue = rolePolicy(stack, run, names.roleName('glue-job'));
  const objects = (prefix: string, rest: string) => `${names.analyticsBucketArn}/${prefix}${rest}`;
  run.grant(glue.policy, 's3:GetObject', objects(ANALYTICS_PREFIXES.scripts, 'normalise_statements.py'), `${names.roleName('glue-job')} (its script)`);
  run.grant(glue.policy, 's3:GetObject', objects(ANALYTICS_PREFIXES.normalised, 'run-1/statement-lines/part-00000.ndjson'), `${names.roleName('glue-job')} (normalised input)`);
  run.grant(glue.policy, 's3:PutObject', objects(ANALYTICS_PREFIXES.curated, 'statement_lines/part-0.parquet'), `${names.roleName('glue-job')} (curated output)`);
  run.grant(glue.policy, 'kms:GenerateDataKey', key, `${names.roleName('glue-job')} (analytics key)`);
  run.grant(glue.policy, 'ec2:CreateNetworkInterface', expected.subnetArn(privateSubnets[0]!), `${names.roleName('glue-job')} (ENIs in the connection's subnet)`);
  run.grant(glue.policy, 'ec2:CreateNetworkInterface', expected.securityGroupArn(workloads), `${names.roleName('glue-job')} (ENIs in the workloads group)`);
  run.grant(glue.policy, 'glue:GetTable', `arn:aws:glue:${names.region}:${names.account}:table/${names.glueDatabase}/statement_lines`, `${names.roleName('glue-job')} (catalog)`);

  // EMR Serverless.
  const emr = named(stack, 'aws_emrserverless_application', names.name('recon'));
  run.eqSet(ref(emr, 'network_configuration[0].subnet_ids'), privateSubnets, 'EMR Serverless: the private subnets');
  run.eqSet(ref(emr, 'network_configuration[0].security_group_ids'), [workloads], 'EMR Serverless: the workloads group');
  const emrRole = rolePolicy(stack, run, names.roleName('emr-job'));
  run.grant(emrRole.policy, 's3:PutObject', objects(ANALYTICS_PREFIXES.matches, 'runs/run-1/partitions/p-0001.json'), `${names.roleName('emr-job')} (matches)`);

  // Redshift Serverless.
  const namespace = named(stack, 'aws_redshiftserverless_namespace', names.redshiftNamespace, 'namespace_name');
  run.eq(ref(namespace, 'kms_key_id'), key, 'Redshift namespace: under the analytics key');
  run.eq(ref(namespace, 'admin_password_secret_kms_key_id'), key, 'Redshift namespace: admin secret under the analytics key');
  run.eq(ref(namespace, 'default_iam_role_arn'), names.redshiftRoleArn, 'Redshift namespace: default role');
  run.eqSet(ref(namespace, 'iam_roles'), [names.redshiftRoleArn], 'Redshift namespace: roles');
  const workgroup = named(stack, 'aws_redshiftserverless_workgroup', names.redshiftWorkgroup, 'workgroup_name');
  run.eq(ref(workgroup, 'namespace_name'), names.redshiftNamespace, 'Redshift workgroup: its namespace');
  run.eqSet(ref(workgroup, 'subnet_ids'), privateSubnets, 'Redshift workgroup: the private subnets');
  run.eqSet(ref(workgroup, 'security_group_ids'), [expected.securityGroupId('redshift')], 'Redshift workgroup: its group');
  run.eq(ref(workgroup, 'publicly_accessible'), false, 'Redshift workgroup: not public');
  const redshiftSg = named(stack, 'aws_security_group', names.name('redshift'));
  run.eq(ref(redshiftSg, 'vpc_id'), expected.vpcId, 'Redshift group: the environment VPC (network stack)');
  const egress = referencing(stack, 'aws_vpc_security_group_egress_rule', 'security_group_id', redshiftSg, 'id');
  run.eqSet(`[${egress.map((rule) => ref(rule, 'prefix_list_id')).join(', ')}]`, [expected.prefixListId('s3')], 'Redshift group: egress only to the S3 prefix list (network stack)');
  const ingress = referencing(stack, 'aws_vpc_security_group_ingress_rule', 'security_group_id', redshiftSg, 'id');
  run.eqSet(
    `[${ingress.map((rule) => ref(rule, 'cidr_ipv4')).join(', ')}]`,
    [config.network.vpcCidr, ...config.network.directConnect.onPremisesCidrs],
    'Redshift group: 5439 from the VPC and on-premises only',
  );
  const redshiftRole = rolePolicy(stack, run, names.roleName('redshift'));
  run.grant(redshiftRole.policy, 's3:GetObject', objects(ANALYTICS_PREFIXES.matches, 'runs/run-1/load/matches.csv'), `${names.roleName('redshift')} (COPY of the load files)`);
  run.grant(redshiftRole.policy, 'kms:Decrypt', key, `${names.roleName('redshift')} (analytics key)`);

  const integration = named(stack, 'aws_secretsmanager_secret', `${names.prefix}/reconciliation/integration-credentials`);
  run.eq(ref(integration, 'kms_key_id'), key, 'integration credentials secret: under the analytics key (REC-2)');
}
