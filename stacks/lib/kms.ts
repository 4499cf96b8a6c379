/**
 * A customer-managed KMS key with rotation, an explicit key policy and an alias.
 * Key policy: the account administers the key and delegates use to IAM (explicit actions, no
 * `kms:*`); named AWS services get exactly the actions they need, pinned to this account.
 * In a key policy `Resource: "*"` means "this key": it is the only value KMS accepts there.
 */
import { Construct } from 'constructs';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import type { Condition, PolicyStatement } from './iam';
import { policyDocument } from './iam';

export const KEY_ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

export const KEY_USAGE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'] as const;

export interface ServiceGrant {
  sid: string;
  /** Service principal, e.g. `logs.eu-west-2.amazonaws.com`. */
  service: string;
  actions: readonly string[];
  condition: Condition;
}

export interface CustomerManagedKeyProps {
  account: string;
  alias: string;
  description: string;
  deletionWindowDays: number;
  services?: readonly ServiceGrant[];
}

export class CustomerManagedKey extends Construct {
  readonly key: KmsKey;
  readonly aliasName: string;

  constructor(scope: Construct, id: string, props: CustomerManagedKeyProps) {
    super(scope, id);
    const root = `arn:aws:iam::${props.account}:root`;
    const statements: PolicyStatement[] = [
      { Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: { AWS: root }, Action: [...KEY_ADMIN_ACTIONS], Resource: '*' },
      { Sid: 'AccountDelegatesUseToIam', Effect: 'Allow', Principal: { AWS: root }, Action: [...KEY_USAGE_ACTIONS], Resource: '*' },
      {
        Sid: 'GrantsOnlyForAwsResources',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      },
      ...(props.services ?? []).map((grant): PolicyStatement => ({
        Sid: grant.sid,
        Effect: 'Allow',
        Principal: { Service: grant.service },
        Action: [...grant.actions],
        Resource: '*',
        Condition: grant.condition,
      })),
    ];
    this.key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: props.deletionWindowDays,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      policy: policyDocument(statements),
    });
    this.aliasName = `alias/${props.alias}`;
    new KmsAlias(this, 'alias', { name: this.aliasName, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }
}

/** CloudWatch Logs may use the key for log groups of this account only. */
export function logsServiceGrant(region: string, account: string): ServiceGrant {
  return {
    sid: 'CloudWatchLogsEncryptsLogGroups',
    service: `logs.${region}.amazonaws.com`,
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
    condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:log-group:*` } },
  };
}

/**
 * Vended log delivery (Step Functions, Pipes logging to CloudWatch Logs) decrypts the execution
 * data of resources encrypted with this key, for this account's resources only.
 */
export function logDeliveryServiceGrant(account: string): ServiceGrant {
  return {
    sid: 'LogDeliveryReadsEncryptedExecutionData',
    service: 'delivery.logs.amazonaws.com',
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    condition: { StringEquals: { 'aws:SourceAccount': account } },
  };
}

/** An AWS service that sends to encrypted queues / topics / buses of this account. */
export function senderServiceGrant(sid: string, service: string, account: string): ServiceGrant {
  return {
    sid,
    service,
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    condition: { StringEquals: { 'aws:SourceAccount': account } },
  };
}
