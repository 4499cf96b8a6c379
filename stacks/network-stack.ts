/**
 * `network`: the VPC of an environment (see lib/network.ts) and the key of its flow logs.
 * AZ count, NAT mode and the Direct Connect gateway come from config.
 */
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments/types';
import { LedgerlineStack } from './lib/base';
import { CustomerManagedKey, logsServiceGrant } from './lib/kms';
import { VpcNetwork } from './lib/network';

/** The AWS APIs the workloads call from the private subnets (S3 and DynamoDB use gateway endpoints). */
export const INTERFACE_ENDPOINTS = ['events', 'states', 'sqs', 'sns', 'sts', 'kms', 'logs', 'ssm', 'secretsmanager', 'glue', 'redshift-data', 'emr-serverless'] as const;

export class NetworkStack extends LedgerlineStack {
  readonly network: VpcNetwork;

  constructor(app: Construct, config: EnvironmentConfig) {
    super(app, { scope: config, component: 'network', assumeDeployRole: true });
    const key = new CustomerManagedKey(this, 'flow-logs-key', {
      account: config.account,
      alias: this.names.name('network-logs'),
      description: `${config.prefix}: VPC flow logs`,
      deletionWindowDays: config.kmsDeletionWindowDays,
      services: [logsServiceGrant(config.region, config.account)],
    });
    this.network = new VpcNetwork(this, 'vpc', {
      prefix: config.prefix,
      account: config.account,
      region: config.region,
      cidr: config.network.vpcCidr,
      azCount: config.network.azCount,
      natGateways: config.network.natGateways,
      interfaceEndpoints: INTERFACE_ENDPOINTS,
      directConnect: config.network.directConnect,
      flowLogRetentionDays: config.network.flowLogRetentionDays,
      logsKmsKeyArn: key.arn,
      permissionsBoundaryArn: this.names.permissionsBoundaryArn,
    });
  }
}
