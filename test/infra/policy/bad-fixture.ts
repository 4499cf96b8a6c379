/**
 * A deliberately insecure stack: every policy rule must flag it. Each violation lives on a
 * resource whose construct id names it, and EXPECTED_VIOLATIONS says which id each rule must
 * flag, so a rule passing by accident (or failing for an unrelated reason) is caught.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { PipesPipe } from '@cdktf/provider-aws/lib/pipes-pipe';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { RedshiftserverlessNamespace } from '@cdktf/provider-aws/lib/redshiftserverless-namespace';
import { RedshiftserverlessWorkgroup } from '@cdktf/provider-aws/lib/redshiftserverless-workgroup';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration';
import { GlueJob } from '@cdktf/provider-aws/lib/glue-job';
import { EmrserverlessApplication } from '@cdktf/provider-aws/lib/emrserverless-application';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version';
import { SynthModel } from '../support/model';

export const BAD_STACK = 'bad-fixture';

/** Rule id → construct id (substring of a flagged address) the rule must report. */
export const EXPECTED_VIOLATIONS: Readonly<Record<string, string>> = {
  'alarms-reach-someone': 'topic-unheard',
  'vpc-endpoint-policy': 'endpoint-open',
  's3-upload-encryption-enforced': 'bucket-bare',
  'plan-time-secret-reads-seeded': 'secret-read-at-plan',
  'kms-key-rotation': 'key-no-rotation',
  'kms-key-policy-explicit': 'key-no-rotation',
  'dynamodb-cmk': 'table-plain',
  's3-sse-kms-cmk': 'bucket-bare',
  'sqs-cmk': 'queue-sqs-managed',
  'sns-cmk': 'topic-plain',
  'logs-cmk': 'logs-forever',
  'eventing-cmk': 'bus-plain',
  'workflow-and-function-cmk': 'machine-plain',
  'analytics-cmk': 'redshift-plain',
  's3-public-access-blocked': 'bucket-bare',
  's3-tls-only': 'bucket-bare',
  's3-named-roles-only': 'bucket-bare',
  's3-versioning': 'bucket-bare',
  's3-lifecycle': 'bucket-bare',
  's3-acls-disabled': 'bucket-bare',
  'iam-no-wildcard-actions': 'role-bad',
  'iam-no-wildcard-resources': 'role-bad',
  'iam-no-public-resource-policies': 'queue-policy-public',
  'iam-no-aws-managed-policies': 'admin-attachment',
  'iam-permissions-boundary': 'role-bad',
  'iam-trust-confused-deputy': 'role-bad',
  'iam-one-role-per-function': 'fn-shared',
  'sqs-dlq-on-every-queue': 'queue-sqs-managed',
  'async-targets-dlq-and-retry': 'target-sfn',
  'pipe-batch-and-filter': 'pipe-bad',
  'sqs-visibility-6x-timeout': 'queue-sqs-managed',
  'esm-report-batch-item-failures': 'esm-bad',
  'esm-batching': 'esm-bad',
  'hot-path-standard-queues': 'queue-sqs-managed',
  'lambda-runtime-arm64': 'fn-public',
  'tracing-on': 'fn-public',
  'log-retention': 'logs-forever',
  'logs-owned': 'fn-public',
  'sg-no-world-ingress': 'sg-open',
  'compute-and-data-in-private-subnets': 'fn-public',
  'vpc-hygiene': 'vpc-bare',
  'dynamodb-pitr': 'table-plain',
  'backend-remote-locked': BAD_STACK,
  'alarms-dead-letters': 'dlq-short',
  'alarms-functions': 'fn-public',
  'alarms-backlog': 'pipe-bad',
  'alarms-event-rules': 'rule-bad',
  'alarms-state-machines': 'machine-plain',
  'alarms-notify': 'alarm-silent',
  'dashboard-present': BAD_STACK,
};

export function synthesizeBadFixture(): SynthModel {
  const outdir = mkdtempSync(join(tmpdir(), 'ledgerline-bad-fixture-'));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, BAD_STACK);
  new AwsProvider(stack, 'aws', { region: 'eu-west-2', allowedAccountIds: ['000000000000'] });

  const key = new KmsKey(stack, 'key-no-rotation', { enableKeyRotation: false });
  new DynamodbTable(stack, 'table-plain', { name: 'plain', hashKey: 'pk', attribute: [{ name: 'pk', type: 'S' }], billingMode: 'PAY_PER_REQUEST' });
  new S3Bucket(stack, 'bucket-bare', { bucket: 'bad-bucket' });

  const queue = new SqsQueue(stack, 'queue-sqs-managed', { name: 'bad-queue.fifo', fifoQueue: true, sqsManagedSseEnabled: true, visibilityTimeoutSeconds: 30 });
  new SqsQueue(stack, 'dlq-short', { name: 'bad-dlq', kmsMasterKeyId: key.arn });
  new SqsQueuePolicy(stack, 'queue-policy-public', {
    queueUrl: queue.url,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: queue.arn }] }),
  });
  new SnsTopic(stack, 'topic-plain', { name: 'bad-topic' });
  new CloudwatchLogGroup(stack, 'logs-forever', { name: '/bad/forever' });
  new CloudwatchEventBus(stack, 'bus-plain', { name: 'bad-bus' });

  const role = new IamRole(stack, 'role-bad', {
    name: 'bad-role',
    assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
  });
  new IamRolePolicy(stack, 'role-bad-policy', {
    role: role.name,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bad-bucket/*' },
        { Sid: 'Unscoped', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' },
      ],
    }),
  });
  new IamRolePolicyAttachment(stack, 'admin-attachment', { role: role.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' });

  const machine = new SfnStateMachine(stack, 'machine-plain', {
    name: 'bad-machine',
    roleArn: role.arn,
    definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
  });
  const rule = new CloudwatchEventRule(stack, 'rule-bad', { name: 'bad-rule', eventPattern: JSON.stringify({ 'detail-type': ['x'] }) });
  new CloudwatchEventTarget(stack, 'target-sfn', { rule: rule.name, arn: machine.arn });

  const vpc = new Vpc(stack, 'vpc-bare', { cidrBlock: '10.99.0.0/16' });
  const subnet = new Subnet(stack, 'subnet-public', { vpcId: vpc.id, cidrBlock: '10.99.0.0/24', mapPublicIpOnLaunch: true });
  const igw = new InternetGateway(stack, 'igw', { vpcId: vpc.id });
  const routeTable = new RouteTable(stack, 'rt-public', { vpcId: vpc.id });
  new Route(stack, 'route-internet', { routeTableId: routeTable.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
  new RouteTableAssociation(stack, 'rta-public', { subnetId: subnet.id, routeTableId: routeTable.id });
  new SecurityGroup(stack, 'sg-open', {
    vpcId: vpc.id,
    ingress: [{ fromPort: 22, toPort: 22, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }],
  });

  const fn = new LambdaFunction(stack, 'fn-public', {
    functionName: 'bad-fn',
    role: role.arn,
    runtime: 'nodejs18.x',
    handler: 'index.handler',
    filename: 'bad.zip',
    timeout: 60,
    vpcConfig: { subnetIds: [subnet.id], securityGroupIds: [] },
  });
  new LambdaFunction(stack, 'fn-shared', { functionName: 'bad-fn-2', role: role.arn, runtime: 'nodejs22.x', handler: 'index.handler', filename: 'bad.zip' });
  new CloudwatchEventTarget(stack, 'target-fn', { rule: rule.name, arn: fn.arn });
  new LambdaEventSourceMapping(stack, 'esm-bad', { eventSourceArn: queue.arn, functionName: fn.arn, batchSize: 10 });
  new PipesPipe(stack, 'pipe-bad', {
    name: 'bad-pipe',
    roleArn: role.arn,
    source: 'arn:aws:dynamodb:eu-west-2:000000000000:table/plain/stream/2024',
    target: machine.arn,
    sourceParameters: { dynamodbStreamParameters: { startingPosition: 'LATEST', batchSize: 100 } },
  });
  new SchedulerSchedule(stack, 'schedule-bad', {
    name: 'bad-schedule',
    scheduleExpression: 'rate(1 minute)',
    flexibleTimeWindow: { mode: 'OFF' },
    target: { arn: fn.arn, roleArn: role.arn },
  });

  new RedshiftserverlessNamespace(stack, 'redshift-plain', { namespaceName: 'bad', adminUsername: 'admin', adminUserPassword: 'not-a-real-password-1A' });
  new RedshiftserverlessWorkgroup(stack, 'workgroup-public', { namespaceName: 'bad', workgroupName: 'bad', publiclyAccessible: true, subnetIds: [subnet.id] });
  new SecretsmanagerSecret(stack, 'secret-plain', { name: 'bad-secret' });
  new GlueSecurityConfiguration(stack, 'glue-weak', {
    name: 'bad',
    encryptionConfiguration: {
      s3Encryption: { s3EncryptionMode: 'DISABLED' },
      cloudwatchEncryption: { cloudwatchEncryptionMode: 'DISABLED' },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'DISABLED' },
    },
  });
  new GlueJob(stack, 'glue-job-plain', { name: 'bad-job', roleArn: role.arn, command: { scriptLocation: 's3://bad-bucket/x.py' } });
  new EmrserverlessApplication(stack, 'emr-plain', { name: 'bad', releaseLabel: 'emr-7.5.0', type: 'spark' });
  const queueDepthAlarm = (id: string, alarmName: string, queueName: string, alarmActions?: string[]) =>
    new CloudwatchMetricAlarm(stack, id, {
      alarmName,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      comparisonOperator: 'GreaterThanThreshold',
      evaluationPeriods: 1,
      period: 60,
      statistic: 'Maximum',
      threshold: 0,
      dimensions: { QueueName: queueName },
      ...(alarmActions ? { alarmActions } : {}),
    });
  queueDepthAlarm('alarm-silent', 'bad-alarm', 'bad-queue.fifo');
  const unheard = new SnsTopic(stack, 'topic-unheard', { name: 'bad-unheard', kmsMasterKeyId: key.arn });
  queueDepthAlarm('alarm-to-nobody', 'bad-alarm-to-nobody', 'bad-unrelated', [unheard.arn]);
  new VpcEndpoint(stack, 'endpoint-open', { vpcId: vpc.id, serviceName: 'com.amazonaws.eu-west-2.s3', vpcEndpointType: 'Gateway' });
  new DataAwsSecretsmanagerSecretVersion(stack, 'secret-read-at-plan', { secretId: 'bad-secret-created-empty' });

  app.synth();
  return SynthModel.fromOutdir(BAD_STACK, outdir, [BAD_STACK]);
}
