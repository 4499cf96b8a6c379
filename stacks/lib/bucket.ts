/**
 * A bucket a security review signs off: versioning, SSE-KMS with a customer-managed key (bucket
 * key on), every public access block, ACLs disabled (BucketOwnerEnforced), lifecycle rules, and a
 * bucket policy that denies non-TLS (and TLS < 1.2) access, uploads under any other key, object
 * access by anyone outside the named roles, and policy changes by anyone but the administrators.
 */
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import type { S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import type { PolicyStatement } from './iam';
import { policyDocument } from './iam';

export const OBJECT_ACTIONS = ['s3:GetObject*', 's3:PutObject*', 's3:DeleteObject*', 's3:RestoreObject', 's3:ReplicateObject', 's3:AbortMultipartUpload'] as const;

export interface SecureBucketProps {
  bucketName: string;
  kmsKeyArn: string;
  /** Roles allowed to read/write objects; everyone else is denied by the bucket policy. */
  objectAccessRoleArns: readonly string[];
  /** Roles allowed to change the bucket policy (the deploy role, break-glass). */
  adminRoleArns: readonly string[];
  lifecycleRules: readonly S3BucketLifecycleConfigurationRule[];
  /** Send object-created events to EventBridge (default bus). */
  eventBridge?: boolean;
  /** Keep the bucket (and its objects) when the stack is destroyed. */
  forceDestroy?: boolean;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName, forceDestroy: props.forceDestroy ?? false, objectLockEnabled: false });
    this.name = props.bucketName;
    this.arn = `arn:aws:s3:::${props.bucketName}`;
    const bucket = this.bucket.id;

    new S3BucketOwnershipControls(this, 'ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }],
    });
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', { bucket, rule: [...props.lifecycleRules] });

    const objects = `${this.arn}/*`;
    const statements: PolicyStatement[] = [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [this.arn, objects],
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
      {
        Sid: 'DenyTlsBelow12',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [this.arn, objects],
        Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      },
      {
        // Uploads that ask for SSE-S3 (AES256) or any non-KMS encryption; uploads without the header get the bucket's CMK.
        Sid: 'DenyUploadsWithoutKms',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: objects,
        // Only when the header is present: ...IfExists would also deny every upload WITHOUT it (the bucket default applies to those).
        Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' }, Null: { 's3:x-amz-server-side-encryption': 'false' } },
      },
      {
        Sid: 'DenyUploadsUnderOtherKeys',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: objects,
        Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': props.kmsKeyArn }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' } },
      },
      {
        Sid: 'DenyObjectAccessOutsideNamedRoles',
        Effect: 'Deny',
        Principal: '*',
        Action: [...OBJECT_ACTIONS],
        Resource: objects,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...new Set([...props.objectAccessRoleArns, ...props.adminRoleArns])] } },
      },
      {
        Sid: 'DenyPolicyChangesOutsideAdministrators',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutEncryptionConfiguration', 's3:PutBucketPublicAccessBlock'],
        Resource: this.arn,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...props.adminRoleArns] } },
      },
    ];
    new S3BucketPolicy(this, 'policy', { bucket, policy: policyDocument(statements), dependsOn: [publicAccessBlock] });

    if (props.eventBridge) new S3BucketNotification(this, 'eventbridge', { bucket, eventbridge: true });
  }
}

/** Lifecycle housekeeping every bucket gets: old versions expire, incomplete uploads are aborted. */
export function housekeepingRule(noncurrentDays: number): S3BucketLifecycleConfigurationRule {
  return {
    id: 'housekeeping',
    status: 'Enabled',
    filter: [{ prefix: '' }],
    noncurrentVersionExpiration: [{ noncurrentDays }],
    abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
  };
}
