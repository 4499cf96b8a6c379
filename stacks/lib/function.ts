/**
 * One Lambda function the way Ledgerline runs them: esbuild bundle (TerraformAsset of a
 * deterministic zip), nodejs22.x on arm64, X-Ray active tracing, JSON logs into its own log group
 * (retention + CMK), reserved concurrency from config, private subnets only, environment
 * encrypted with a CMK, and ONE least-privilege role of its own.
 */
import { Construct } from 'constructs';
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { FunctionSizing } from '../../environments/types';
import type { CatalogueFunctionName } from '../catalogue';
import type { Names } from '../naming';
import { encryptedLogGroup } from './logs';
import { LeastPrivilegeRole, allow, awsRequiresWildcard, kmsVia, serviceTrustPolicy, type PolicyStatement } from './iam';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_ARCHITECTURE = 'arm64';

export interface LedgerlineFunctionProps {
  names: Names;
  name: CatalogueFunctionName;
  description: string;
  sizing: FunctionSizing;
  zipPath: string;
  environment: Readonly<Record<string, string>>;
  statements: readonly PolicyStatement[];
  subnetIds: readonly string[];
  securityGroupIds: readonly string[];
  /** Subnet / security group ARNs the Lambda service may attach ENIs in (for the role). */
  subnetArns: readonly string[];
  securityGroupArns: readonly string[];
  environmentKmsKeyArn: string;
  logsKmsKeyArn: string;
  logRetentionDays: number;
  /** Dead-letter queue for asynchronous invocations (functions invoked by EventBridge / Scheduler). */
  asyncDeadLetterQueueArn?: string;
}

export class LedgerlineFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: LeastPrivilegeRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly functionName: string;

  constructor(scope: Construct, id: string, props: LedgerlineFunctionProps) {
    super(scope, id);
    const { names, name } = props;
    this.functionName = names.functionName(name);
    const logGroupName = names.functionLogGroup(name);
    this.logGroup = encryptedLogGroup(this, 'logs', logGroupName, props.logRetentionDays, props.logsKmsKeyArn);

    const statements: PolicyStatement[] = [
      allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [`${names.logGroupArn(logGroupName)}:*`], undefined, 'OwnLogGroup'),
      // X-Ray trace upload cannot be scoped to a resource (AWS).
      awsRequiresWildcard('XRay', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
      // Lambda attaches its ENIs with the execution role: create/delete only in our subnets and group.
      allow(
        ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        [`arn:aws:ec2:${names.region}:${names.account}:network-interface/*`, ...props.subnetArns, ...props.securityGroupArns],
        undefined,
        'VpcNetworkInterfaces',
      ),
      // ...and EC2 Describe* has no resource-level permissions (AWS).
      awsRequiresWildcard('VpcDescribe', ['ec2:DescribeNetworkInterfaces']),
      kmsVia([props.environmentKmsKeyArn], ['lambda'], names.region, ['kms:Decrypt']),
      ...props.statements,
    ];
    if (props.asyncDeadLetterQueueArn) statements.push(allow(['sqs:SendMessage'], [props.asyncDeadLetterQueueArn], undefined, 'AsyncInvokeDeadLetters'));

    this.role = new LeastPrivilegeRole(this, 'role', {
      name: names.roleName(names.functionRoleSuffix(name)),
      description: `${this.functionName}: ${props.description}`.slice(0, 1000),
      assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com', names.account),
      statements,
      permissionsBoundary: names.permissionsBoundaryArn,
    });

    const asset = new TerraformAsset(this, 'code', { path: props.zipPath, type: AssetType.FILE });
    this.fn = new LambdaFunction(this, 'function', {
      functionName: this.functionName,
      description: props.description.slice(0, 256),
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: 'index.handler',
      filename: asset.path,
      sourceCodeHash: Fn.filebase64sha256(asset.path),
      memorySize: props.sizing.memoryMb,
      timeout: props.sizing.timeoutSeconds,
      reservedConcurrentExecutions: props.sizing.reservedConcurrency,
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: logGroupName, applicationLogLevel: 'INFO', systemLogLevel: 'WARN' },
      vpcConfig: { subnetIds: [...props.subnetIds], securityGroupIds: [...props.securityGroupIds] },
      kmsKeyArn: props.environmentKmsKeyArn,
      ...(Object.keys(props.environment).length > 0 ? { environment: { variables: { ...props.environment } } } : {}),
      ...(props.asyncDeadLetterQueueArn ? { deadLetterConfig: { targetArn: props.asyncDeadLetterQueueArn } } : {}),
      dependsOn: [this.logGroup, this.role.policy],
    });
  }

  get arn(): string {
    return this.fn.arn;
  }
}
