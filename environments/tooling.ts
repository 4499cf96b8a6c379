import type { ToolingConfig } from './types';

/** The shared tooling (CI/CD) account: the pipeline promotes dev → staging → (approval) → prod. */
export const tooling: ToolingConfig = {
  prefix: 'ledgerline-tooling',
  account: '444444444444',
  region: 'eu-west-2',
  sourceConnectionArn: 'arn:aws:codeconnections:eu-west-2:444444444444:connection/6c1f0d4e-2b3a-4c5d-8e9f-0a1b2c3d4e5f',
  repository: 'bank-payments/ledgerline',
  branch: 'main',
  network: { vpcCidr: '10.49.0.0/16', azCount: 2, flowLogRetentionDays: 90 },
  logDays: 90,
  kmsDeletionWindowDays: 30,
  breakGlassRoleArn: 'arn:aws:iam::444444444444:role/ledgerline-break-glass',
  state: { bucket: 'ledgerline-tooling-tfstate-444444444444', lockTable: 'ledgerline-tooling-tf-locks', region: 'eu-west-2' },
  promotion: ['dev', 'staging', 'prod'],
  manualApprovalBefore: ['prod'],
  tags: { Project: 'ledgerline', Environment: 'tooling', CostCentre: 'payments-platform' },
};
