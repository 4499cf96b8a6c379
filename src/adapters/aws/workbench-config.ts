/**
 * Environment contract of the `reconcile-workbench` Lambda (the exceptions workbench behind the
 * internal ALB). The infrastructure sets exactly these variables and checks them with this
 * reader at synth; the function reads them once at cold start, failing fast with one error
 * naming every missing or malformed variable.
 *
 * The CSRF key itself never travels in the environment: the function gets the ARN of the Secrets
 * Manager secret the data stack creates (stacks/data-stack.ts) and reads its value once per
 * container (src/adapters/aws/csrf-secret.ts).
 */
import type { Role } from '../../recon/workbench/cases';
import { parseGroupRoles } from './alb-oidc-authenticator';

export const WORKBENCH_FUNCTION = 'reconcile-workbench';
export type WorkbenchFunctionName = typeof WORKBENCH_FUNCTION;

export const WORKBENCH_VARIABLES = {
  WORKBENCH_TABLE: 'DynamoDB table TABLES.workbench',
  WORKBENCH_ALB_ARN: 'ARN of the internal ALB: the only accepted `signer` of the x-amzn-oidc-data identity header (its region locates the ALB public keys)',
  WORKBENCH_OIDC_ISSUER: 'Okta issuer the ALB authenticates against: the only accepted `iss`',
  WORKBENCH_GROUP_ROLES: 'JSON object Okta group → workbench role (viewer | reconciler | approver)',
  WORKBENCH_CSRF_SECRET_ARN: 'ARN of the Secrets Manager secret holding the key the app signs CSRF tokens with (≥ 32 characters)',
  // ADJ-1: an approved write-off posts to the ledger, its record to the core-banking outbox; its account resolves through reference data.
  LEDGER_TABLE: 'DynamoDB table TABLES.ledger (approved write-offs and suspense bookings are posted to it)',
  REFERENCE_TABLE: 'DynamoDB table TABLES.reference (a case account resolves to its ledger account and currency)',
  INGEST_BUCKET: 'S3 bucket holding the core-banking outbox',
  OUTBOX_PREFIX: 'prefix of the core-banking outbox in INGEST_BUCKET',
  // NOTIFY-1: an approved write-off is announced (workbench.write-off-approved) on the event bus.
  EVENT_BUS_NAME: 'EventBridge bus approved write-offs are announced on (the notifier reads them from it)',
} as const;

export type WorkbenchVariable = keyof typeof WORKBENCH_VARIABLES;
export const WORKBENCH_VARIABLE_NAMES = Object.keys(WORKBENCH_VARIABLES) as WorkbenchVariable[];

export interface WorkbenchFunctionConfig {
  tableName: string;
  loadBalancerArn: string;
  /** The ALB's region (from its ARN). */
  region: string;
  issuer: string;
  groupRoles: Record<string, Role>;
  csrfSecretArn: string;
  /** ADJ-1: where approved write-offs are posted. */
  ledgerTable: string;
  referenceTable: string;
  outboxBucket: string;
  outboxPrefix: string;
  /** NOTIFY-1: where approved write-offs are announced. */
  eventBusName: string;
}

const ALB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Reads and checks every variable. */
export function readWorkbenchFunctionConfig(env: Readonly<Record<string, string | undefined>> = process.env): WorkbenchFunctionConfig {
  const value = (variable: WorkbenchVariable): string | undefined => (env[variable]?.trim() ? env[variable]!.trim() : undefined);
  const missing = WORKBENCH_VARIABLE_NAMES.filter((variable) => value(variable) === undefined);
  if (missing.length > 0) throw new Error(`function ${WORKBENCH_FUNCTION}: missing environment variables: ${missing.join(', ')}`);
  const invalid: string[] = [];
  const arn = value('WORKBENCH_ALB_ARN')!;
  const region = ALB_ARN.exec(arn)?.[1];
  if (!region) invalid.push('WORKBENCH_ALB_ARN is not an application load balancer ARN');
  const issuer = value('WORKBENCH_OIDC_ISSUER')!;
  if (!/^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(issuer)) invalid.push('WORKBENCH_OIDC_ISSUER is not an https URL');
  let groupRoles: Record<string, Role> = {};
  try {
    groupRoles = parseGroupRoles(value('WORKBENCH_GROUP_ROLES')!);
    if (Object.keys(groupRoles).length === 0) invalid.push('WORKBENCH_GROUP_ROLES maps no group (nobody could sign in)');
  } catch (error) {
    invalid.push(`WORKBENCH_GROUP_ROLES: ${(error as Error).message}`);
  }
  const csrfSecretArn = value('WORKBENCH_CSRF_SECRET_ARN')!;
  if (!SECRET_ARN.test(csrfSecretArn)) invalid.push('WORKBENCH_CSRF_SECRET_ARN is not a Secrets Manager secret ARN');
  if (invalid.length > 0) throw new Error(`function ${WORKBENCH_FUNCTION}: invalid environment variables: ${invalid.join('; ')}`);
  return {
    tableName: value('WORKBENCH_TABLE')!,
    loadBalancerArn: arn,
    region: region!,
    issuer,
    groupRoles,
    csrfSecretArn,
    ledgerTable: value('LEDGER_TABLE')!,
    referenceTable: value('REFERENCE_TABLE')!,
    outboxBucket: value('INGEST_BUCKET')!,
    outboxPrefix: value('OUTBOX_PREFIX')!,
    eventBusName: value('EVENT_BUS_NAME')!,
  };
}
