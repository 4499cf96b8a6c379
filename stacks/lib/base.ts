/**
 * Every Ledgerline stack: one AWS provider pinned to the environment's account and region
 * (default tags; `allowed_account_ids` refuses any other account), and its own S3 backend state
 * key with a DynamoDB lock table. State key: `<prefix>/<component>.tfstate` in the environment's
 * state bucket.
 *
 * Credentials are AMBIENT, never assumed by the provider: the pipeline's plan step runs with the
 * environment's read-only plan role and its apply step with the deploy role (scripts/deploy.ts,
 * docs/runbooks/first-deploy.md). A saved plan records its provider and backend configuration,
 * so a role named here would make the apply of an approved plan run as whoever planned it.
 */
import type { Construct } from 'constructs';
import { S3Backend, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Names } from '../naming';

export interface StackScope {
  prefix: string;
  account: string;
  region: string;
  state: { bucket: string; lockTable: string; region: string };
  tags: Readonly<Record<string, string>>;
}

export interface LedgerlineStackProps {
  scope: StackScope;
  /** The deployment unit: network, data, app, analytics, observability, bootstrap, pipeline. */
  component: string;
  /**
   * Deployed by the pipeline's plan/apply roles (every stack but bootstrap, which creates those
   * roles and is applied once by an administrator). Only documents intent: credentials are ambient.
   */
  assumeDeployRole: boolean;
}

export class LedgerlineStack extends TerraformStack {
  readonly names: Names;
  readonly component: string;
  readonly stateKey: string;

  constructor(app: Construct, props: LedgerlineStackProps) {
    super(app, `${props.scope.prefix}-${props.component}`);
    const { scope } = props;
    this.names = new Names(scope);
    this.component = props.component;
    this.stateKey = `${scope.prefix}/${props.component}.tfstate`;

    new AwsProvider(this, 'aws', {
      region: scope.region,
      allowedAccountIds: [scope.account],
      defaultTags: [{ tags: { ...scope.tags, Stack: props.component, ManagedBy: 'cdktf' } }],
    });

    new S3Backend(this, {
      bucket: scope.state.bucket,
      key: this.stateKey,
      region: scope.state.region,
      encrypt: true,
      kmsKeyId: `arn:aws:kms:${scope.state.region}:${scope.account}:alias/${scope.prefix}-tfstate`,
      dynamodbTable: scope.state.lockTable,
    });
  }
}
