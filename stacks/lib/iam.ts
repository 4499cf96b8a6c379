/**
 * IAM policy documents as plain JSON (never `jsonencode`), so the synthesized Terraform holds
 * the statements verbatim and the policy suite can read them.
 *
 * Least privilege: exact actions on exact ARNs. The ONLY `Resource: "*"` statements are built
 * by `awsRequiresWildcard`, which accepts only the actions listed in
 * ACTIONS_REQUIRING_WILDCARD_RESOURCE, each with the reason AWS requires it.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';

export type Condition = Record<string, Record<string, string | readonly string[] | boolean>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | readonly string[]>;
  Action: string | readonly string[];
  /** Absent in trust policies (they name a Principal instead). */
  Resource?: string | readonly string[];
  Condition?: Condition;
}

/**
 * Actions AWS does not allow to be scoped to a resource ARN (the service authorises them on
 * `*` only). Anything else with Resource "*" fails the `iam-no-wildcard-resource` policy rule.
 */
export const ACTIONS_REQUIRING_WILDCARD_RESOURCE: Readonly<Record<string, string>> = Object.freeze({
  // X-Ray: PutTraceSegments / PutTelemetryRecords have no resource types in the service authorisation reference.
  'xray:PutTraceSegments': 'X-Ray has no resource-level permissions for trace upload',
  // NOTIFY-2: an SMS is SNS Publish to a phone number, which is not a resource: AWS authorises it on
  // `*` only. The notifier's role pairs it with a Deny on the environment's own topics.
  'sns:Publish': 'SNS Publish to a phone number (SMS) has no resource ARN to scope to',
  'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions for telemetry upload',
  // Lambda in a VPC: Describe* calls cannot be scoped (EC2 Describe* supports no resource ARN).
  'ec2:DescribeNetworkInterfaces': 'EC2 Describe* actions support no resource-level permissions (Lambda VPC ENIs)',
  // Step Functions / Pipes log delivery to CloudWatch Logs: AWS documents these as Resource "*" only.
  'logs:CreateLogDelivery': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:GetLogDelivery': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:UpdateLogDelivery': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:DeleteLogDelivery': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:ListLogDeliveries': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:PutResourcePolicy': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:DescribeResourcePolicies': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  'logs:DescribeLogGroups': 'vended log delivery (Step Functions, Pipes) is authorised on * only',
  // Redshift Data API: statement ids are not ARNs; AWS restricts these to the caller's own statements.
  'redshift-data:DescribeStatement': 'statements have no ARN; AWS limits it to statements the same principal ran',
  'redshift-data:GetStatementResult': 'statements have no ARN; AWS limits it to statements the same principal ran',
  'redshift-data:CancelStatement': 'statements have no ARN; AWS limits it to statements the same principal ran',
  // CloudWatch custom metrics: PutMetricData has no resource type; we pin cloudwatch:namespace instead.
  'cloudwatch:PutMetricData': 'CloudWatch PutMetricData supports no resource-level permissions (pinned by cloudwatch:namespace)',
  // Glue jobs in a VPC (Glue connection): Glue describes the network with the job role.
  'ec2:DescribeSubnets': 'EC2 Describe* actions support no resource-level permissions (Glue VPC connection)',
  'ec2:DescribeSecurityGroups': 'EC2 Describe* actions support no resource-level permissions (Glue VPC connection)',
  'ec2:DescribeVpcEndpoints': 'EC2 Describe* actions support no resource-level permissions (Glue VPC connection)',
  'ec2:DescribeRouteTables': 'EC2 Describe* actions support no resource-level permissions (Glue VPC connection)',
  'ec2:DescribeVpcAttribute': 'EC2 Describe* actions support no resource-level permissions (Glue VPC connection)',
  // EMR Serverless: CreateApplication supports no resource ARN (the application has none yet); we pin aws:RequestTag/Project.
  'emr-serverless:CreateApplication': 'EMR Serverless CreateApplication supports no resource-level permissions (pinned by aws:RequestTag/Project)',
  // KMS: CreateKey creates a new key, so there is no key ARN yet to scope it to.
  'kms:CreateKey': 'a key being created has no ARN yet',
  // The customer edge (API-5): these creates support no resource-level permissions (pinned by aws:RequestTag/Project).
  'cognito-idp:CreateUserPool': 'Cognito CreateUserPool supports no resource-level permissions (pinned by aws:RequestTag/Project)',
  'cloudfront:CreateDistribution': 'CloudFront CreateDistribution supports no resource-level permissions (pinned by aws:RequestTag/Project)',
  // Terraform refresh: read-only Describe/List calls of these services support no resource ARNs.
  'ec2:Describe*': 'EC2 Describe* actions support no resource-level permissions',
  'elasticloadbalancing:Describe*': 'Elastic Load Balancing Describe* actions support no resource-level permissions',
  'kms:ListAliases': 'KMS ListAliases supports no resource-level permissions',
  'kms:ListKeys': 'KMS ListKeys supports no resource-level permissions',
  'sqs:ListQueues': 'SQS ListQueues supports no resource-level permissions',
  'sns:ListTopics': 'SNS ListTopics supports no resource-level permissions',
  'states:ListStateMachines': 'Step Functions ListStateMachines supports no resource-level permissions',
  'lambda:ListFunctions': 'Lambda ListFunctions supports no resource-level permissions',
  'lambda:ListEventSourceMappings': 'Lambda ListEventSourceMappings supports no resource-level permissions',
  'lambda:GetEventSourceMapping': 'event-source mappings are addressed by UUID; scoped by function in CreateEventSourceMapping',
  'lambda:CreateEventSourceMapping': 'AWS authorises it on * (use the lambda:FunctionArn condition, which we set)',
  'lambda:UpdateEventSourceMapping': 'AWS authorises it on * (use the lambda:FunctionArn condition, which we set)',
  'lambda:DeleteEventSourceMapping': 'AWS authorises it on * (use the lambda:FunctionArn condition, which we set)',
  'dynamodb:ListTables': 'DynamoDB ListTables supports no resource-level permissions',
  'iam:ListRoles': 'IAM ListRoles supports no resource-level permissions',
  'iam:ListPolicies': 'IAM ListPolicies supports no resource-level permissions',
  'cloudwatch:DescribeAlarms': 'CloudWatch DescribeAlarms is authorised on * for list calls',
  'cloudwatch:ListDashboards': 'CloudWatch ListDashboards supports no resource-level permissions',
  'events:ListRules': 'EventBridge ListRules on * (rule ARNs are scoped in the write statements)',
  'scheduler:ListSchedules': 'EventBridge Scheduler ListSchedules supports no resource-level permissions',
  'pipes:ListPipes': 'EventBridge Pipes ListPipes supports no resource-level permissions',
  'glue:GetSecurityConfigurations': 'Glue security configurations have no ARN',
  'glue:GetSecurityConfiguration': 'Glue security configurations have no ARN',
  'glue:CreateSecurityConfiguration': 'Glue security configurations have no ARN',
  'glue:DeleteSecurityConfiguration': 'Glue security configurations have no ARN',
  'glue:GetDataCatalogEncryptionSettings': 'catalog-level setting; the catalog ARN is scoped elsewhere, this call is authorised on *',
  'glue:PutDataCatalogEncryptionSettings': 'catalog-level setting; the catalog ARN is scoped elsewhere, this call is authorised on *',
  'redshift-serverless:ListNamespaces': 'Redshift Serverless List* support no resource-level permissions',
  'redshift-serverless:ListWorkgroups': 'Redshift Serverless List* support no resource-level permissions',
  'emr-serverless:ListApplications': 'EMR Serverless ListApplications supports no resource-level permissions',
  'secretsmanager:ListSecrets': 'Secrets Manager ListSecrets supports no resource-level permissions',
  'secretsmanager:GetRandomPassword': 'Secrets Manager GetRandomPassword supports no resource-level permissions',
  'ssm:DescribeParameters': 'SSM DescribeParameters supports no resource-level permissions',
  'codebuild:ListProjects': 'CodeBuild ListProjects supports no resource-level permissions',
  'codepipeline:ListPipelines': 'CodePipeline ListPipelines supports no resource-level permissions',
});

export const WILDCARD_SID_PREFIX = 'AwsRequiresWildcard';

export function allow(actions: readonly string[], resources: readonly string[], condition?: Condition, sid?: string): PolicyStatement {
  if (resources.length === 0) throw new Error(`allow(${actions.join(',')}): no resources`);
  if (resources.includes('*')) throw new Error(`allow(${actions.join(',')}): Resource "*" must go through awsRequiresWildcard`);
  for (const action of actions) {
    if (action === '*' || action.endsWith(':*')) throw new Error(`allow: wildcard action ${action}`);
  }
  return { ...(sid ? { Sid: sid } : {}), Effect: 'Allow', Action: [...actions], Resource: [...resources], ...(condition ? { Condition: condition } : {}) };
}

/**
 * The one way to write `Resource: "*"`: only actions AWS cannot scope, each listed (with the
 * reason) in ACTIONS_REQUIRING_WILDCARD_RESOURCE. `why` names this use.
 */
export function awsRequiresWildcard(name: string, actions: readonly string[], condition?: Condition): PolicyStatement {
  const unknown = actions.filter((action) => !(action in ACTIONS_REQUIRING_WILDCARD_RESOURCE));
  if (unknown.length > 0) throw new Error(`awsRequiresWildcard(${name}): ${unknown.join(', ')} can be scoped to a resource; do so`);
  return { Sid: `${WILDCARD_SID_PREFIX}${name}`, Effect: 'Allow', Action: [...actions], Resource: '*', ...(condition ? { Condition: condition } : {}) };
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Trust policy for an AWS service, pinned to this account (confused-deputy protection). */
export function serviceTrustPolicy(service: string, account: string, sourceArn?: string): string {
  const condition: Condition = { StringEquals: { 'aws:SourceAccount': account } };
  if (sourceArn) condition.ArnLike = { 'aws:SourceArn': sourceArn };
  return policyDocument([{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', Condition: condition }]);
}

export interface RoleProps {
  name: string;
  description: string;
  assumeRolePolicy: string;
  statements: readonly PolicyStatement[];
  /** Permissions boundary every workload role carries (the deploy role can only create roles with it). */
  permissionsBoundary?: string;
}

/** One role with one inline least-privilege policy. */
export class LeastPrivilegeRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id);
    this.statements = props.statements;
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: props.description,
      assumeRolePolicy: props.assumeRolePolicy,
      maxSessionDuration: 3600,
      ...(props.permissionsBoundary ? { permissionsBoundary: props.permissionsBoundary } : {}),
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      name: 'least-privilege',
      role: this.role.name,
      policy: policyDocument(props.statements),
    });
  }

  get arn(): string {
    return this.role.arn;
  }
}

/** KMS usage through one AWS service only (kms:ViaService), for data keys of tables / buckets / queues. */
export function kmsVia(keyArns: readonly string[], services: readonly string[], region: string, actions: readonly string[] = ['kms:Decrypt', 'kms:GenerateDataKey']): PolicyStatement {
  return allow(actions, keyArns, { StringEquals: { 'kms:ViaService': services.map((service) => `${service}.${region}.amazonaws.com`) } });
}
