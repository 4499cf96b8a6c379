/**
 * `bootstrap` (one per account: each environment, and tooling): what every other stack stands on.
 * - The Terraform state bucket (CMK, versioning, TLS-only, only the deploy role and break-glass)
 *   and the DynamoDB lock table (PITR, CMK).
 * - The deploy role that CodeBuild assumes: scoped to the state bucket, the lock table and the
 *   resources it manages (names prefixed with the environment, or tagged Project=ledgerline);
 *   it can create IAM roles only under the permissions boundary below.
 * - The read-only plan role the pipeline's plan step assumes: the deploy role's read actions,
 *   the state (read) and its lock, and the secret values Terraform reads at plan time. It can
 *   plan, never apply.
 * - The permissions boundary every workload role carries: the union of the actions the
 *   workload roles of this account use (computed at synth from the other stacks), on this
 *   account's resource ARNs.
 *
 * Applied once by an administrator (break-glass) with a local state override, then migrated
 * into the bucket it creates (docs/infrastructure.md, "Bootstrap").
 */
import type { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LedgerlineStack, type StackScope } from './lib/base';
import { CustomerManagedKey } from './lib/kms';
import { SecureBucket, housekeepingRule } from './lib/bucket';
import { ACTIONS_REQUIRING_WILDCARD_RESOURCE, WILDCARD_SID_PREFIX, allow, awsRequiresWildcard, kmsVia, policyDocument, type PolicyStatement } from './lib/iam';
import { ANALYTICS_PREFIXES, type Names } from './naming';
import { auditClusterArn } from './lib/audit-db';

/** IAM managed policy size limit (characters, whitespace excluded). */
export const MANAGED_POLICY_MAX_CHARS = 6144;

export interface BoundaryActions {
  /** Actions the workload roles use on specific resources. */
  scoped: readonly string[];
  /** Actions the workload roles use on Resource "*" (AWS-required, see lib/iam.ts). */
  wildcard: readonly string[];
}

export interface BootstrapStackProps {
  scope: StackScope;
  /** Principals allowed to assume the deploy role (the pipeline's apply project of this environment, break-glass). */
  deployers: readonly string[];
  /** Principals allowed to assume the read-only plan role (the pipeline's plan project, break-glass); none: no plan role. */
  planners: readonly string[];
  breakGlassRoleArn: string;
  kmsDeletionWindowDays: number;
  boundary: BoundaryActions;
  /** Extra managed services of this account (tooling: CodeBuild / CodePipeline). */
  extraDeployStatements?: (names: Names) => PolicyStatement[];
  protect: boolean;
}

const TAGGED = (project: string) => ({ StringEquals: { 'aws:ResourceTag/Project': project } });
const REQUEST_TAGGED = (project: string) => ({ StringEquals: { 'aws:RequestTag/Project': project } });

/** The deploy role's permissions, grouped so each group fits one managed policy. */
export function deployPolicyGroups(names: Names, project: string, state: StackScope['state'], extra: PolicyStatement[] = []): Record<string, PolicyStatement[]> {
  const { region, account, prefix } = names;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const p = `${prefix}-*`;
  const envParameterPath = names.ssmParameterName('*');
  const stateBucketArn = `arn:aws:s3:::${state.bucket}`;
  return {
    state: [
      allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [`${stateBucketArn}/${prefix}/*`], undefined, 'StateObjects'),
      allow(['s3:ListBucket', 's3:GetBucketVersioning'], [stateBucketArn], undefined, 'StateBucket'),
      allow(
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable'],
        [`arn:aws:dynamodb:${state.region}:${account}:table/${state.lockTable}`],
        undefined,
        'StateLocks',
      ),
      // The state store and the bootstrap state belong to the administrators (bootstrap stack).
      {
        Sid: 'ProtectStateStore',
        Effect: 'Deny',
        Action: [
          's3:DeleteBucket',
          's3:PutBucket*',
          's3:PutLifecycleConfiguration',
          's3:PutEncryptionConfiguration',
          'dynamodb:DeleteTable',
          'dynamodb:UpdateTable',
          'dynamodb:UpdateContinuousBackups',
        ],
        Resource: [stateBucketArn, `arn:aws:dynamodb:${state.region}:${account}:table/${state.lockTable}`],
      },
      { Sid: 'ProtectBootstrapState', Effect: 'Deny', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: `${stateBucketArn}/${prefix}/bootstrap.tfstate` },
    ],
    compute: [
      allow(
        [
          'lambda:CreateFunction',
          'lambda:DeleteFunction',
          'lambda:Get*',
          'lambda:List*',
          'lambda:Update*',
          'lambda:Put*',
          'lambda:Delete*',
          'lambda:AddPermission',
          'lambda:RemovePermission',
          'lambda:TagResource',
          'lambda:UntagResource',
        ],
        [arn('lambda', `function:${p}`)],
        undefined,
        'Functions',
      ),
      // Event-source mappings are addressed by UUID: AWS authorises them on *, pinned by function ARN.
      awsRequiresWildcard('EventSourceMappings', ['lambda:CreateEventSourceMapping', 'lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping', 'lambda:GetEventSourceMapping'], {
        ArnLikeIfExists: { 'lambda:FunctionArn': arn('lambda', `function:${p}`) },
      }),
      allow(
        ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary'],
        [`arn:aws:iam::${account}:role/${p}`],
        {
          StringEquals: { 'iam:PermissionsBoundary': names.permissionsBoundaryArn },
        },
        'RolesOnlyUnderBoundary',
      ),
      allow(
        [
          'iam:GetRole',
          'iam:GetRolePolicy',
          'iam:ListRolePolicies',
          'iam:ListAttachedRolePolicies',
          'iam:ListInstanceProfilesForRole',
          'iam:DeleteRole',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
          'iam:UpdateAssumeRolePolicy',
          'iam:PassRole',
        ],
        [`arn:aws:iam::${account}:role/${p}`],
        undefined,
        'ManageWorkloadRoles',
      ),
      allow(
        ['iam:CreateServiceLinkedRole'],
        [`arn:aws:iam::${account}:role/aws-service-role/*`],
        {
          StringEquals: {
            'iam:AWSServiceName': ['emr-serverless.amazonaws.com', 'redshift-serverless.amazonaws.com', 'redshift.amazonaws.com', 'codebuild.amazonaws.com', 'elasticloadbalancing.amazonaws.com'],
          },
        },
        'ServiceLinkedRoles',
      ),
      allow(
        [
          'states:CreateStateMachine',
          'states:DeleteStateMachine',
          'states:Describe*',
          'states:List*',
          'states:UpdateStateMachine',
          'states:TagResource',
          'states:UntagResource',
          'states:ValidateStateMachineDefinition',
        ],
        [arn('states', `stateMachine:${p}`)],
        undefined,
        'StateMachines',
      ),
      allow(
        [
          'events:CreateEventBus',
          'events:DeleteEventBus',
          'events:UpdateEventBus',
          'events:Describe*',
          'events:ListTargetsByRule',
          'events:ListTagsForResource',
          'events:PutRule',
          'events:DeleteRule',
          'events:EnableRule',
          'events:DisableRule',
          'events:PutTargets',
          'events:RemoveTargets',
          'events:CreateArchive',
          'events:UpdateArchive',
          'events:DeleteArchive',
          'events:TagResource',
          'events:UntagResource',
        ],
        [arn('events', `event-bus/${p}`), arn('events', `rule/${p}`), arn('events', `rule/${names.busName}/${p}`), arn('events', `archive/${p}`)],
        undefined,
        'Eventing',
      ),
      allow(
        [
          'pipes:CreatePipe',
          'pipes:DeletePipe',
          'pipes:DescribePipe',
          'pipes:UpdatePipe',
          'pipes:StartPipe',
          'pipes:StopPipe',
          'pipes:TagResource',
          'pipes:UntagResource',
          'pipes:ListTagsForResource',
        ],
        [arn('pipes', `pipe/${p}`)],
        undefined,
        'Pipes',
      ),
      allow(
        [
          'scheduler:CreateSchedule',
          'scheduler:DeleteSchedule',
          'scheduler:GetSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:TagResource',
          'scheduler:UntagResource',
          'scheduler:ListTagsForResource',
        ],
        [arn('scheduler', `schedule/default/${p}`)],
        undefined,
        'Schedules',
      ),
      allow(
        [
          'logs:CreateLogGroup',
          'logs:DeleteLogGroup',
          'logs:PutRetentionPolicy',
          'logs:DeleteRetentionPolicy',
          'logs:AssociateKmsKey',
          'logs:DisassociateKmsKey',
          'logs:TagResource',
          'logs:UntagResource',
          'logs:ListTagsForResource',
          'logs:TagLogGroup',
          'logs:ListTagsLogGroup',
        ],
        [`/aws/lambda/${p}`, `/aws/vendedlogs/*/${p}`, `/aws/vpc/${p}`, `/aws-glue/*`, `/aws/emr-serverless/${p}`, `/aws/codebuild/${p}`].map((group) => arn('logs', `log-group:${group}`)),
        undefined,
        'LogGroups',
      ),
    ],
    data: [
      allow(
        [
          'dynamodb:CreateTable',
          'dynamodb:DeleteTable',
          'dynamodb:Describe*',
          'dynamodb:ListTagsOfResource',
          'dynamodb:UpdateTable',
          'dynamodb:UpdateTimeToLive',
          'dynamodb:UpdateContinuousBackups',
          'dynamodb:TagResource',
          'dynamodb:UntagResource',
        ],
        [arn('dynamodb', `table/${p}`)],
        undefined,
        'Tables',
      ),
      allow(['s3:CreateBucket', 's3:DeleteBucket', 's3:Get*', 's3:List*', 's3:Put*', 's3:DeleteBucketPolicy', 's3:DeleteObject*'], [`arn:aws:s3:::${p}`, `arn:aws:s3:::${p}/*`], undefined, 'Buckets'),
      // DEP-2 deploy-time step: the reference-data load (items of one version, then the version pointer).
      // Items of one version, the conditional pointer flip, then the clean-up of versions older than the previous one.
      allow(
        ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:Query'],
        [names.tableArn('reference')],
        undefined,
        'ReferenceDataLoad',
      ),
      kmsVia([arn('kms', 'key/*')], ['dynamodb'], region, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
      allow(
        ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ListQueueTags', 'sqs:SetQueueAttributes', 'sqs:TagQueue', 'sqs:UntagQueue'],
        [arn('sqs', p)],
        undefined,
        'Queues',
      ),
      allow(
        [
          'sns:CreateTopic',
          'sns:DeleteTopic',
          'sns:GetTopicAttributes',
          'sns:SetTopicAttributes',
          'sns:Subscribe',
          'sns:Unsubscribe',
          'sns:GetSubscriptionAttributes',
          'sns:ListTagsForResource',
          'sns:TagResource',
          'sns:UntagResource',
        ],
        [arn('sns', p)],
        undefined,
        'Topics',
      ),
      awsRequiresWildcard('CreateKeys', ['kms:CreateKey'], REQUEST_TAGGED(project)),
      allow(
        [
          'kms:Describe*',
          'kms:Get*',
          'kms:List*',
          'kms:PutKeyPolicy',
          'kms:EnableKeyRotation',
          'kms:ScheduleKeyDeletion',
          'kms:TagResource',
          'kms:UntagResource',
          'kms:UpdateKeyDescription',
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:Encrypt',
          'kms:GenerateDataKey*',
        ],
        [arn('kms', 'key/*')],
        TAGGED(project),
        'ManagedKeys',
      ),
      allow(['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'], [arn('kms', `alias/${p}`), arn('kms', 'key/*')], undefined, 'KeyAliases'),
      allow(
        ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:AddTagsToResource', 'ssm:RemoveTagsFromResource', 'ssm:ListTagsForResource'],
        [arn('ssm', `parameter${envParameterPath}`)],
        undefined,
        'Parameters',
      ),
      allow(
        [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetResourcePolicy',
          'secretsmanager:PutResourcePolicy',
          'secretsmanager:UpdateSecret',
          'secretsmanager:TagResource',
          'secretsmanager:UntagResource',
        ],
        [arn('secretsmanager', `secret:${prefix}/*`), arn('secretsmanager', `secret:redshift!${p}`)],
        undefined,
        'Secrets',
      ),
      // Only the workbench's secrets carry values Terraform writes (CSRF key) or reads (the Okta client secret for the ALB).
      allow(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], [arn('secretsmanager', `secret:${names.workbenchSecretPath}*`)], undefined, 'WorkbenchSecretValues'),
    ],
    network: [
      allow(
        [
          'ec2:Create*',
          'ec2:Delete*',
          'ec2:Modify*',
          'ec2:Associate*',
          'ec2:Disassociate*',
          'ec2:Attach*',
          'ec2:Detach*',
          'ec2:Allocate*',
          'ec2:Release*',
          'ec2:Authorize*',
          'ec2:Revoke*',
          'ec2:Replace*',
          'ec2:Update*',
          'ec2:Enable*',
          'ec2:Disable*',
        ],
        [arn('ec2', '*/*')],
        {
          StringEquals: { 'aws:ResourceAccount': account },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'Tier', 'Project', 'Environment', 'CostCentre', 'DataClassification', 'Stack', 'ManagedBy'] },
        },
        'Network',
      ),
      allow(
        [
          'directconnect:CreateDirectConnectGatewayAssociation',
          'directconnect:CreateDirectConnectGatewayAssociationProposal',
          'directconnect:DeleteDirectConnectGatewayAssociation',
          'directconnect:DeleteDirectConnectGatewayAssociationProposal',
          'directconnect:DescribeDirectConnectGatewayAssociations',
          'directconnect:DescribeDirectConnectGatewayAssociationProposals',
        ],
        ['arn:aws:directconnect::*:dx-gateway/*', arn('ec2', 'vpn-gateway/*')],
        undefined,
        'DirectConnect',
      ),
    ],
    analytics: [
      // DEP-2 deploy-time step: the Redshift migrations through the Data API with the managed admin secret.
      allow(['redshift-data:BatchExecuteStatement', 'redshift-data:ExecuteStatement'], [arn('redshift-serverless', 'workgroup/*')], undefined, 'RedshiftMigrations'),
      awsRequiresWildcard('RedshiftMigrationStatements', ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement']),
      allow(['redshift-serverless:GetCredentials'], [arn('redshift-serverless', 'workgroup/*')], undefined, 'RedshiftCredentials'),
      allow(['secretsmanager:GetSecretValue'], [arn('secretsmanager', `secret:redshift!${p}`)], undefined, 'RedshiftAdminSecret'),
      kmsVia([arn('kms', 'key/*')], ['secretsmanager'], region, ['kms:Decrypt']),
      allow(
        [
          'glue:CreateDatabase',
          'glue:DeleteDatabase',
          'glue:GetDatabase',
          'glue:UpdateDatabase',
          'glue:CreateTable',
          'glue:DeleteTable',
          'glue:GetTable',
          'glue:GetTables',
          'glue:UpdateTable',
          'glue:CreateJob',
          'glue:DeleteJob',
          'glue:GetJob',
          'glue:UpdateJob',
          'glue:CreateConnection',
          'glue:DeleteConnection',
          'glue:GetConnection',
          'glue:UpdateConnection',
          'glue:TagResource',
          'glue:UntagResource',
          'glue:GetTags',
        ],
        [arn('glue', 'catalog'), arn('glue', `database/${names.glueDatabase}`), arn('glue', `table/${names.glueDatabase}/*`), arn('glue', `job/${p}`), arn('glue', `connection/${p}`)],
        undefined,
        'Glue',
      ),
      // Glue security configurations and catalog encryption settings have no ARN (AWS).
      awsRequiresWildcard('GlueAccountSettings', [
        'glue:GetSecurityConfiguration',
        'glue:GetSecurityConfigurations',
        'glue:CreateSecurityConfiguration',
        'glue:DeleteSecurityConfiguration',
        'glue:GetDataCatalogEncryptionSettings',
        'glue:PutDataCatalogEncryptionSettings',
      ]),
      // A resource being created has no tags yet: creation is conditioned on the tags of the
      // request (aws:RequestTag), everything after on the resource's own (aws:ResourceTag).
      awsRequiresWildcard('EmrServerlessCreate', ['emr-serverless:CreateApplication'], REQUEST_TAGGED(project)),
      allow(['emr-serverless:TagResource'], [arn('emr-serverless', '/applications/*')], REQUEST_TAGGED(project), 'EmrServerlessTagOnCreate'),
      allow(
        [
          'emr-serverless:DeleteApplication',
          'emr-serverless:GetApplication',
          'emr-serverless:UpdateApplication',
          'emr-serverless:StartApplication',
          'emr-serverless:StopApplication',
          'emr-serverless:TagResource',
          'emr-serverless:UntagResource',
          'emr-serverless:ListTagsForResource',
        ],
        [arn('emr-serverless', '/applications/*')],
        TAGGED(project),
        'EmrServerless',
      ),
      allow(
        ['redshift-serverless:CreateNamespace', 'redshift-serverless:CreateWorkgroup', 'redshift-serverless:TagResource'],
        [arn('redshift-serverless', 'namespace/*'), arn('redshift-serverless', 'workgroup/*')],
        REQUEST_TAGGED(project),
        'RedshiftServerlessCreate',
      ),
      allow(
        [
          'redshift-serverless:DeleteNamespace',
          'redshift-serverless:GetNamespace',
          'redshift-serverless:UpdateNamespace',
          'redshift-serverless:DeleteWorkgroup',
          'redshift-serverless:GetWorkgroup',
          'redshift-serverless:UpdateWorkgroup',
          'redshift-serverless:TagResource',
          'redshift-serverless:UntagResource',
          'redshift-serverless:ListTagsForResource',
        ],
        [arn('redshift-serverless', 'namespace/*'), arn('redshift-serverless', 'workgroup/*')],
        TAGGED(project),
        'RedshiftServerless',
      ),
      allow(
        [
          'cloudwatch:PutMetricAlarm',
          'cloudwatch:DeleteAlarms',
          'cloudwatch:TagResource',
          'cloudwatch:UntagResource',
          'cloudwatch:ListTagsForResource',
          'cloudwatch:PutDashboard',
          'cloudwatch:GetDashboard',
          'cloudwatch:DeleteDashboards',
        ],
        [arn('cloudwatch', `alarm:${p}`), `arn:aws:cloudwatch::${account}:dashboard/${p}`],
        undefined,
        'Monitoring',
      ),
    ],
    ingress: [
      allow(
        [
          'elasticloadbalancing:CreateLoadBalancer',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:ModifyLoadBalancerAttributes',
          'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets',
          'elasticloadbalancing:SetIpAddressType',
          'elasticloadbalancing:CreateTargetGroup',
          'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes',
          'elasticloadbalancing:RegisterTargets',
          'elasticloadbalancing:DeregisterTargets',
          'elasticloadbalancing:CreateListener',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:ModifyListenerAttributes',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        [arn('elasticloadbalancing', `loadbalancer/app/${p}/*`), arn('elasticloadbalancing', `targetgroup/${p}/*`), arn('elasticloadbalancing', `listener/app/${p}/*/*`)],
        undefined,
        'WorkbenchLoadBalancer',
      ),
      // The HTTPS listener names the workbench certificate (ACM, managed outside Terraform).
      allow(['acm:DescribeCertificate'], [arn('acm', 'certificate/*')], undefined, 'ListenerCertificate'),
      awsRequiresWildcard('LoadBalancerDescribe', ['elasticloadbalancing:Describe*']),
    ],
    // The customer edge (API-5, NOTIFY-2, AUDIT-1): Cognito, the HTTP API, CloudFront + its WAF (us-east-1),
    // SES, the audit trail's Aurora cluster. Resources whose ARNs carry generated ids are limited by tag.
    edge: [
      // CreateUserPool and CreateDistribution support no resource-level permissions (AWS): `*`, with the Project request tag.
      awsRequiresWildcard('UserPoolCreate', ['cognito-idp:CreateUserPool'], REQUEST_TAGGED(project)),
      allow(['cognito-idp:TagResource'], [arn('cognito-idp', 'userpool/*')], REQUEST_TAGGED(project), 'UserPoolTagOnCreate'),
      awsRequiresWildcard('DistributionCreate', ['cloudfront:CreateDistribution'], REQUEST_TAGGED(project)),
      allow(
        ['cognito-idp:*UserPool*', 'cognito-idp:*ResourceServer', 'cognito-idp:DescribeUserPoolDomain', 'cognito-idp:ListTagsForResource', 'cognito-idp:UntagResource'],
        [arn('cognito-idp', 'userpool/*')],
        TAGGED(project),
        'UserPools',
      ),
      allow(
        ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:PUT', 'apigateway:DELETE', 'apigateway:TagResource'],
        [`arn:aws:apigateway:${region}::/apis`, `arn:aws:apigateway:${region}::/apis/*`, `arn:aws:apigateway:${region}::/tags/*`],
        undefined,
        'HttpApi',
      ),
      allow(
        ['cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:GetDistribution*', 'cloudfront:TagResource', 'cloudfront:ListTagsForResource'],
        [`arn:aws:cloudfront::${account}:distribution/*`],
        undefined,
        'Distribution',
      ),
      allow(
        ['wafv2:CreateWebACL', 'wafv2:UpdateWebACL', 'wafv2:DeleteWebACL', 'wafv2:GetWebACL', 'wafv2:TagResource', 'wafv2:ListTagsForResource'],
        [`arn:aws:wafv2:us-east-1:${account}:global/webacl/${p}/*`, `arn:aws:wafv2:us-east-1:${account}:global/managedruleset/*/*`],
        undefined,
        'WebAcl',
      ),
      allow(
        ['ses:CreateEmailIdentity', 'ses:DeleteEmailIdentity', 'ses:GetEmailIdentity', 'ses:PutEmailIdentity*', 'ses:TagResource', 'ses:ListTagsForResource'],
        [arn('ses', 'identity/*')],
        undefined,
        'SesIdentity',
      ),
      allow(
        ['ses:CreateConfigurationSet', 'ses:DeleteConfigurationSet', 'ses:GetConfigurationSet', 'ses:PutConfigurationSet*', 'ses:TagResource', 'ses:ListTagsForResource'],
        [arn('ses', `configuration-set/${p}`)],
        undefined,
        'SesConfigurationSet',
      ),
      allow(
        [
          'rds:CreateDBCluster',
          'rds:ModifyDBCluster',
          'rds:DeleteDBCluster',
          'rds:CreateDBInstance',
          'rds:ModifyDBInstance',
          'rds:DeleteDBInstance',
          'rds:AddTagsToResource',
          'rds:RemoveTagsFromResource',
          'rds:ListTagsForResource',
          'rds:Describe*',
          // The Data API of a Serverless v2 cluster is switched by its own calls (enable_http_endpoint).
          'rds:EnableHttpEndpoint',
          'rds:DisableHttpEndpoint',
        ],
        [arn('rds', `cluster:${p}`), arn('rds', `db:${p}`), arn('rds', `subgrp:${p}`), arn('rds', `cluster-pg:${p}`), arn('rds', `cluster-snapshot:${p}`)],
        undefined,
        'AuditCluster',
      ),
      allow(
        [
          'rds:CreateDBSubnetGroup',
          'rds:ModifyDBSubnetGroup',
          'rds:DeleteDBSubnetGroup',
          'rds:CreateDBClusterParameterGroup',
          'rds:ModifyDBClusterParameterGroup',
          'rds:DeleteDBClusterParameterGroup',
        ],
        [arn('rds', `subgrp:${p}`), arn('rds', `cluster-pg:${p}`)],
        undefined,
        'AuditClusterSettings',
      ),
      // RDS-managed master password: RDS creates the secret with the deployer's credentials.
      allow(['secretsmanager:CreateSecret', 'secretsmanager:TagResource'], [arn('secretsmanager', 'secret:rds!*')], undefined, 'AuditMasterSecret'),
      // DEP-2 deploy-time step "audit migrations" (AUDIT-1): db/audit/migrations through the Data API on
      // exactly this environment's audit cluster, with exactly its master secret (RDS tags the secret
      // it manages with its cluster's ARN; the secret's own name is generated).
      allow(
        ['rds-data:BeginTransaction', 'rds-data:ExecuteStatement', 'rds-data:BatchExecuteStatement', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'],
        [auditClusterArn(names)],
        undefined,
        'AuditMigrations',
      ),
      allow(
        ['secretsmanager:GetSecretValue'],
        [arn('secretsmanager', 'secret:rds!cluster-*')],
        { StringEquals: { 'secretsmanager:ResourceTag/aws:rds:primaryDBClusterArn': auditClusterArn(names) } },
        'AuditMigrationSecret',
      ),
      kmsVia([arn('kms', 'key/*')], ['secretsmanager'], region, ['kms:Decrypt']),
    ],
    // Terraform refresh: list/describe calls that support no resource ARN (AWS).
    readonly: [
      awsRequiresWildcard('ReadOnlyLists', [
        'ec2:Describe*',
        'kms:ListAliases',
        'kms:ListKeys',
        'sqs:ListQueues',
        'sns:ListTopics',
        'states:ListStateMachines',
        'lambda:ListFunctions',
        'lambda:ListEventSourceMappings',
        'dynamodb:ListTables',
        'iam:ListRoles',
        'iam:ListPolicies',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:ListDashboards',
        'events:ListRules',
        'scheduler:ListSchedules',
        'pipes:ListPipes',
        'logs:DescribeLogGroups',
        'secretsmanager:ListSecrets',
        'secretsmanager:GetRandomPassword',
        'ssm:DescribeParameters',
        'redshift-serverless:ListNamespaces',
        'redshift-serverless:ListWorkgroups',
        'emr-serverless:ListApplications',
      ]),
    ],
    ...(extra.length > 0 ? { tooling: extra } : {}),
  };
}

/** The permissions boundary: what any workload role of this account may ever do, and where. */
export function boundaryStatements(names: Names, actions: BoundaryActions): PolicyStatement[] {
  const { region, account, prefix } = names;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const p = `${prefix}-*`;
  const statements: PolicyStatement[] = [];
  if (actions.scoped.length > 0) {
    statements.push(
      allow(
        [...actions.scoped].sort(),
        [
          arn('dynamodb', `table/${p}`),
          arn('sqs', p),
          arn('sns', p),
          `arn:aws:s3:::${p}`,
          `arn:aws:s3:::${p}/*`,
          arn('events', `event-bus/${p}`),
          arn('events', `archive/${p}`),
          arn('events', `replay/${p}`),
          arn('states', `stateMachine:${p}`),
          arn('states', `execution:${p}`),
          arn('lambda', `function:${p}`),
          arn('kms', 'key/*'),
          arn('logs', 'log-group:*'),
          arn('glue', 'catalog'),
          arn('glue', `database/${names.glueDatabase}`),
          arn('glue', `table/${names.glueDatabase}/*`),
          arn('glue', `job/${p}`),
          arn('ssm', `parameter${names.ssmParameterName('*')}`),
          arn('redshift-serverless', 'workgroup/*'),
          // REC-EMR-1: the reconciliation workflow starts the matcher job, passes it its role, and
          // .sync watches it through the managed rule Step Functions keeps in the account.
          arn('emr-serverless', '/applications/*'),
          `arn:aws:iam::${account}:role/${p}`,
          arn('events', 'rule/StepFunctionsGetEventsForEMRServerlessJobRule'),
          // Secrets the workloads read: the environment's own (<prefix>/…), the Redshift-managed admin secret and the
          // audit cluster's RDS-managed master secret (AUDIT-1: audit-stream connects with it).
          arn('secretsmanager', `secret:${prefix}/*`),
          arn('secretsmanager', `secret:redshift!${p}`),
          arn('secretsmanager', 'secret:rds!cluster-*'),
          arn('ec2', 'network-interface/*'),
          arn('ec2', 'subnet/*'),
          arn('ec2', 'security-group/*'),
          arn('codebuild', `project/${p}`),
          arn('codebuild', `report-group/${p}`),
          `arn:aws:iam::*:role/ledgerline-*-deploy`,
          arn('codeconnections', 'connection/*'),
        ],
        undefined,
        'WorkloadActions',
      ),
    );
  }
  if (actions.wildcard.length > 0) statements.push(awsRequiresWildcard('WorkloadServiceActions', [...actions.wildcard].sort()));
  return statements;
}

export class BootstrapStack extends LedgerlineStack {
  readonly deployRole: IamRole;

  constructor(app: Construct, props: BootstrapStackProps) {
    super(app, { scope: props.scope, component: 'bootstrap', assumeDeployRole: false });
    const names = this.names;
    const { account, prefix } = props.scope;
    const project = props.scope.tags.Project ?? 'ledgerline';

    const stateKey = new CustomerManagedKey(this, 'state-key', {
      account,
      alias: `${prefix}-tfstate`,
      description: `${prefix}: Terraform state and locks`,
      deletionWindowDays: props.kmsDeletionWindowDays,
    });
    new SecureBucket(this, 'state-bucket', {
      bucketName: props.scope.state.bucket,
      kmsKeyArn: stateKey.arn,
      objectAccessRoleArns: [names.deployRoleArn, ...(props.planners.length > 0 ? [names.planRoleArn] : [])],
      // Only break-glass administers the state bucket (the deploy role reads/writes state objects).
      adminRoleArns: [props.breakGlassRoleArn],
      lifecycleRules: [housekeepingRule(365)],
    });
    new DynamodbTable(this, 'lock-table', {
      name: props.scope.state.lockTable,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'LockID',
      attribute: [{ name: 'LockID', type: 'S' }],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: stateKey.arn },
      deletionProtectionEnabled: props.protect,
    });

    new IamPolicy(this, 'boundary', {
      name: names.permissionsBoundaryName,
      description: 'Permissions boundary of every Ledgerline workload role in this account',
      policy: policyDocument(boundaryStatements(names, props.boundary)),
    });

    this.deployRole = new IamRole(this, 'deploy-role', {
      name: names.deployRoleName,
      description: 'Terraform deploy role (assumed by the tooling CodeBuild projects and break-glass)',
      maxSessionDuration: 3600,
      // Trust the deployers' ACCOUNTS, pinned to the deployer role ARNs: IAM rejects a trust policy
      // naming a role that does not exist yet (the tooling CodeBuild roles may be created later).
      assumeRolePolicy: trustPolicy(props.deployers),
    });
    const groups = deployPolicyGroups(names, project, props.scope.state, props.extraDeployStatements?.(names) ?? []);
    groups.state!.push(allow(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], [stateKey.arn], undefined, 'StateKey'));
    // The deploy role may never loosen its own guard rails.
    groups.compute!.push({
      Sid: 'ProtectGuardRails',
      Effect: 'Deny',
      Action: ['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:SetDefaultPolicyVersion'],
      Resource: [`arn:aws:iam::${account}:role/${prefix}-*`, names.permissionsBoundaryArn],
    });
    for (const [group, statements] of Object.entries(groups)) {
      const document = policyDocument(statements);
      if (document.length > MANAGED_POLICY_MAX_CHARS) throw new Error(`deploy policy group "${group}" is ${document.length} chars (> ${MANAGED_POLICY_MAX_CHARS})`);
      const policy = new IamPolicy(this, `deploy-${group}`, { name: names.name(`deploy-${group}`), description: `Deploy role: ${group}`, policy: document });
      new IamRolePolicyAttachment(this, `deploy-${group}-attachment`, { role: this.deployRole.name, policyArn: policy.arn });
    }

    if (props.planners.length > 0) {
      const planRole = new IamRole(this, 'plan-role', {
        name: names.planRoleName,
        description: 'Terraform plan role: read-only (assumed by the pipeline plan project and break-glass)',
        maxSessionDuration: 3600,
        assumeRolePolicy: trustPolicy(props.planners),
      });
      const planGroups = planPolicyGroups(groups, names, props.scope.state, stateKey.arn);
      for (const [group, statements] of Object.entries(planGroups)) {
        const document = policyDocument(statements);
        if (document.length > MANAGED_POLICY_MAX_CHARS) throw new Error(`plan policy group "${group}" is ${document.length} chars (> ${MANAGED_POLICY_MAX_CHARS})`);
        const policy = new IamPolicy(this, `plan-${group}`, { name: names.name(`plan-${group}`), description: `Plan role (read-only): ${group}`, policy: document });
        new IamRolePolicyAttachment(this, `plan-${group}-attachment`, { role: planRole.name, policyArn: policy.arn });
      }
    }
  }
}

/** Trust the principals' ACCOUNTS, pinned to their role ARNs (IAM rejects naming a role that does not exist yet). */
function trustPolicy(principals: readonly string[]): string {
  return policyDocument([
    {
      Effect: 'Allow',
      Principal: { AWS: [...new Set(principals.map((arn) => `arn:aws:iam::${arn.split(':')[4]}:root`))] },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: { ArnEquals: { 'aws:PrincipalArn': [...principals] } },
    },
  ]);
}

/** Actions that only read: what `terraform plan` (refresh) needs of everything the deploy role manages. */
export const READ_ONLY_ACTION = /^[a-z0-9-]+:(Get|Describe|List|BatchGet|Head)[A-Za-z*]*$/;
/** Read actions that read DATA, not configuration: the plan role never gets these from the deploy role's groups. */
const DATA_READS = new Set(['secretsmanager:GetSecretValue', 's3:GetObject', 's3:GetObjectVersion', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'ssm:GetParameter', 'ssm:GetParameters']);
/**
 * Wildcard reads of the deploy role that would include data reads: the plan role gets only their
 * configuration part (`s3:Get*` includes GetObject; `s3:List*` lists object keys).
 */
const PLAN_EXPANSIONS: Readonly<Record<string, readonly string[]>> = {
  's3:Get*': [
    's3:GetBucket*',
    's3:GetAccelerateConfiguration',
    's3:GetLifecycleConfiguration',
    's3:GetReplicationConfiguration',
    's3:GetEncryptionConfiguration',
    's3:GetIntelligentTieringConfiguration',
    's3:GetAnalyticsConfiguration',
    's3:GetInventoryConfiguration',
    's3:GetMetricsConfiguration',
  ],
  's3:List*': [],
};

/**
 * The plan role's permissions: the read-only part of the deploy role's (same resources, same
 * conditions; denies kept), the state objects (read) and lock, the environment's SSM parameters
 * and workbench secrets (Terraform refreshes their values: the plan shows drift, so it reads them),
 * and the state key for decrypting state.
 */
export function planPolicyGroups(deployGroups: Readonly<Record<string, PolicyStatement[]>>, names: Names, state: StackScope['state'], stateKeyArn: string): Record<string, PolicyStatement[]> {
  const { account, region, prefix } = names;
  const stateBucketArn = `arn:aws:s3:::${state.bucket}`;
  const groups: Record<string, PolicyStatement[]> = {};
  for (const [group, statements] of Object.entries(deployGroups)) {
    const readOnly: PolicyStatement[] = [];
    for (const statement of statements) {
      const actions = typeof statement.Action === 'string' ? [statement.Action] : [...statement.Action];
      if (statement.Effect === 'Deny') {
        readOnly.push(statement);
        continue;
      }
      const reads = actions.flatMap((action) => PLAN_EXPANSIONS[action] ?? [action]).filter((action) => READ_ONLY_ACTION.test(action) && !DATA_READS.has(action));
      if (reads.length > 0) readOnly.push({ ...statement, Action: reads });
    }
    if (readOnly.some((statement) => statement.Effect === 'Allow')) groups[group] = readOnly;
  }
  groups.state = [
    allow(['s3:GetObject'], [`${stateBucketArn}/${prefix}/*`], undefined, 'ReadState'),
    allow(['s3:ListBucket', 's3:GetBucketVersioning'], [stateBucketArn], undefined, 'StateBucket'),
    // A plan takes the state lock (and releases it): it must not race an apply.
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable'], [`arn:aws:dynamodb:${state.region}:${account}:table/${state.lockTable}`], undefined, 'StateLock'),
    allow(['kms:Decrypt', 'kms:GenerateDataKey'], [stateKeyArn], undefined, 'StateKey'),
    // Terraform refreshes the values of the secrets and parameters it manages, and reads the
    // Okta client secret at plan time (the workbench listener needs it).
    allow(
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'],
      [`arn:aws:secretsmanager:${region}:${account}:secret:${prefix}/*`],
      undefined,
      'PlanTimeSecrets',
    ),
    allow(['ssm:GetParameter', 'ssm:GetParameters'], [`arn:aws:ssm:${region}:${account}:parameter${names.ssmParameterName('*')}`], undefined, 'Parameters'),
    // The one object Terraform manages (the Glue script): its refresh reads it.
    allow(['s3:GetObject'], [`arn:aws:s3:::${names.analyticsBucket}/${ANALYTICS_PREFIXES.scripts}*`], undefined, 'ManagedObjects'),
    allow(
      ['kms:Decrypt'],
      [`arn:aws:kms:${region}:${account}:key/*`],
      { StringEquals: { 'kms:ViaService': [`secretsmanager.${region}.amazonaws.com`, `ssm.${region}.amazonaws.com`] } },
      'DecryptSecretsAndParameters',
    ),
  ];
  return groups;
}

/** Actions of the given statements, split into scoped and AWS-required-wildcard (for the boundary). */
export function boundaryActionsOf(statements: readonly PolicyStatement[]): BoundaryActions {
  const scoped = new Set<string>();
  const wildcard = new Set<string>();
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    const actions = typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
    const target = statement.Sid?.startsWith(WILDCARD_SID_PREFIX) ? wildcard : scoped;
    for (const action of actions) {
      if (target === wildcard && !(action in ACTIONS_REQUIRING_WILDCARD_RESOURCE)) throw new Error(`${action} is not an AWS-required wildcard action`);
      target.add(action);
    }
  }
  return { scoped: [...scoped].sort(), wildcard: [...wildcard].sort() };
}
