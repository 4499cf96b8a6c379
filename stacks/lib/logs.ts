import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';

/** Every log group: retention from config and a customer-managed key. */
export function encryptedLogGroup(scope: Construct, id: string, name: string, retentionDays: number, kmsKeyArn: string): CloudwatchLogGroup {
  return new CloudwatchLogGroup(scope, id, { name, retentionInDays: retentionDays, kmsKeyId: kmsKeyArn, logGroupClass: 'STANDARD' });
}
