/**
 * Environment contract of the `reconcile-workbench` Lambda (the exceptions workbench behind the
 * internal ALB). The infrastructure sets exactly these variables and checks them with this
 * reader at synth; the function reads them once at cold start, failing fast with one error
 * naming every missing or malformed variable.
 *
 * WB-AUTH-1: the function signs people in itself, through the same OpenID Connect code as locally
 * (src/recon/workbench/oidc.ts) with Okta as the issuer; the ALB only forwards. No secret travels
 * in the environment: the function gets the ARNs of the Secrets Manager secrets the data stack
 * creates (stacks/data-stack.ts: the CSRF key, the Okta client secret) and reads each value once
 * per container (src/adapters/aws/csrf-secret.ts).
 */
import { type Role, ROLES } from '../../recon/workbench/cases';

export const WORKBENCH_FUNCTION = 'reconcile-workbench';

/** The Okta client secret's value until the identity team sets it (the data stack writes it so the first plan passes; the function refuses it). */
export const WORKBENCH_OKTA_SECRET_PLACEHOLDER = 'PLACEHOLDER-set-by-the-identity-team';
export type WorkbenchFunctionName = typeof WORKBENCH_FUNCTION;

export const WORKBENCH_VARIABLES = {
  WORKBENCH_TABLE: 'DynamoDB table TABLES.workbench',
  // WB-AUTH-1: the sign-in (oidc.ts against Okta) and its sessions.
  WORKBENCH_SESSIONS_TABLE: 'DynamoDB table TABLES.workbenchSessions (sign-in sessions and pending sign-ins, TTL)',
  WORKBENCH_BASE_URL: 'https URL of the workbench as the browser reaches it through the ALB (the OIDC redirect URI is <base>/callback)',
  WORKBENCH_OIDC_ISSUER: 'Okta issuer (authorization server): the only accepted `iss`; its discovery document names the endpoints',
  WORKBENCH_OIDC_CLIENT_ID: 'client id of the Okta OIDC application (the ID token `aud`)',
  WORKBENCH_OIDC_CLIENT_SECRET_ARN: 'ARN of the Secrets Manager secret holding the Okta client secret (read once per container)',
  WORKBENCH_SESSION_SECONDS: 'absolute session limit in seconds (signed out this long after signing in, however active)',
  WORKBENCH_GROUP_ROLES: 'JSON object Okta group → workbench role (viewer | reconciler | approver)',
  WORKBENCH_CSRF_SECRET_ARN: 'ARN of the Secrets Manager secret holding the key the app signs CSRF tokens with (≥ 32 characters)',
  // ADJ-1: an approved write-off posts to the ledger, its record to the core-banking outbox; its account resolves through reference data.
  LEDGER_TABLE: 'DynamoDB table TABLES.ledger (approved write-offs and suspense bookings are posted to it)',
  REFERENCE_TABLE: 'DynamoDB table TABLES.reference (a case account resolves to its ledger account and currency)',
  INGEST_BUCKET: 'S3 bucket holding the core-banking outbox (and, REC-1, where an uploaded statement goes)',
  OUTBOX_PREFIX: 'prefix of the core-banking outbox in INGEST_BUCKET',
  // NOTIFY-1: an approved write-off is announced (workbench.write-off-approved) on the event bus.
  EVENT_BUS_NAME: 'EventBridge bus approved write-offs are announced on (the notifier reads them from it)',
} as const;

export type WorkbenchVariable = keyof typeof WORKBENCH_VARIABLES;
export const WORKBENCH_VARIABLE_NAMES = Object.keys(WORKBENCH_VARIABLES) as WorkbenchVariable[];

/**
 * REC-1: the statement upload page (a presigned PUT from the browser straight to INGEST_BUCKET,
 * src/adapters/aws/s3-statement-inbox.ts). All or none: without them the workbench has no upload
 * page. The app stack sets all three; AWS_REGION (set by Lambda) names the bucket's endpoint.
 */
export const WORKBENCH_UPLOAD_VARIABLES = {
  STATEMENTS_PREFIX: 'prefix of INGEST_BUCKET where an uploaded statement starts a reconciliation (incoming/statements/): the upload PUTs there',
  QUARANTINE_PREFIX: 'prefix of INGEST_BUCKET where the workflow quarantines a bad statement with its reason (an upload page shows it)',
  REGISTRY_PREFIX: "prefix of INGEST_BUCKET holding the run registry's content claims (an upload page shows its run)",
} as const;

export type WorkbenchUploadVariable = keyof typeof WORKBENCH_UPLOAD_VARIABLES;
export const WORKBENCH_UPLOAD_VARIABLE_NAMES = Object.keys(WORKBENCH_UPLOAD_VARIABLES) as WorkbenchUploadVariable[];

export interface WorkbenchUploadConfig {
  bucket: string;
  region: string;
  statementsPrefix: string;
  quarantinePrefix: string;
  registryPrefix: string;
}

/** The upload's configuration, or undefined when none of its variables is set; a partial or malformed set is refused, naming each fault. */
export function readWorkbenchUploadConfig(env: Readonly<Record<string, string | undefined>> = process.env): WorkbenchUploadConfig | undefined {
  const value = (variable: string): string | undefined => (env[variable]?.trim() ? env[variable]!.trim() : undefined);
  const set = WORKBENCH_UPLOAD_VARIABLE_NAMES.filter((variable) => value(variable) !== undefined);
  if (set.length === 0) return undefined;
  const faults: string[] = [];
  for (const variable of [...WORKBENCH_UPLOAD_VARIABLE_NAMES, 'INGEST_BUCKET', 'AWS_REGION']) if (value(variable) === undefined) faults.push(`${variable} is missing`);
  const isPrefix = (prefix: string): boolean => /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/.test(prefix) && !prefix.split('/').some((segment) => segment === '.' || segment === '..');
  for (const variable of set) if (!isPrefix(value(variable)!)) faults.push(`${variable} is not a key prefix ending with "/"`);
  const region = value('AWS_REGION');
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) faults.push('AWS_REGION is not a region name');
  if (faults.length > 0) throw new Error(`function ${WORKBENCH_FUNCTION}: the statement upload's variables (${WORKBENCH_UPLOAD_VARIABLE_NAMES.join(', ')}) must be set together: ${faults.join('; ')}`);
  return {
    bucket: value('INGEST_BUCKET')!,
    region: region!,
    statementsPrefix: value('STATEMENTS_PREFIX')!,
    quarantinePrefix: value('QUARANTINE_PREFIX')!,
    registryPrefix: value('REGISTRY_PREFIX')!,
  };
}

export interface WorkbenchFunctionConfig {
  tableName: string;
  /** WB-AUTH-1: the sign-in. */
  sessionsTable: string;
  baseUrl: string;
  issuer: string;
  clientId: string;
  clientSecretArn: string;
  sessionSeconds: number;
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

/** Reads a group → role map (JSON object), refusing unknown roles (also the local `--group-roles`). */
export function parseGroupRoles(json: string): Record<string, Role> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('group → role map is not JSON (expected {"<Okta group>": "viewer" | "reconciler" | "approver"})');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('group → role map must be a JSON object');
  const map: Record<string, Role> = {};
  for (const [group, role] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new Error(`group "${group}" maps to ${JSON.stringify(role)}; expected one of ${ROLES.join(', ')}`);
    map[group] = role as Role;
  }
  return map;
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Reads and checks every variable. */
export function readWorkbenchFunctionConfig(env: Readonly<Record<string, string | undefined>> = process.env): WorkbenchFunctionConfig {
  const value = (variable: WorkbenchVariable): string | undefined => (env[variable]?.trim() ? env[variable]!.trim() : undefined);
  const missing = WORKBENCH_VARIABLE_NAMES.filter((variable) => value(variable) === undefined);
  if (missing.length > 0) throw new Error(`function ${WORKBENCH_FUNCTION}: missing environment variables: ${missing.join(', ')}`);
  const invalid: string[] = [];
  const baseUrl = value('WORKBENCH_BASE_URL')!;
  if (!/^https:\/\/[^\s/?#]+$/.test(baseUrl)) invalid.push('WORKBENCH_BASE_URL is not an https origin (https://<host>, no path)');
  const issuer = value('WORKBENCH_OIDC_ISSUER')!;
  if (!/^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(issuer)) invalid.push('WORKBENCH_OIDC_ISSUER is not an https URL');
  const clientSecretArn = value('WORKBENCH_OIDC_CLIENT_SECRET_ARN')!;
  if (!SECRET_ARN.test(clientSecretArn)) invalid.push('WORKBENCH_OIDC_CLIENT_SECRET_ARN is not a Secrets Manager secret ARN');
  const sessionSeconds = Number(value('WORKBENCH_SESSION_SECONDS'));
  if (!Number.isInteger(sessionSeconds) || sessionSeconds < 300 || sessionSeconds > 86_400) invalid.push('WORKBENCH_SESSION_SECONDS is not a whole number of seconds from 300 to 86400');
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
    sessionsTable: value('WORKBENCH_SESSIONS_TABLE')!,
    baseUrl,
    issuer,
    clientId: value('WORKBENCH_OIDC_CLIENT_ID')!,
    clientSecretArn,
    sessionSeconds,
    groupRoles,
    csrfSecretArn,
    ledgerTable: value('LEDGER_TABLE')!,
    referenceTable: value('REFERENCE_TABLE')!,
    outboxBucket: value('INGEST_BUCKET')!,
    outboxPrefix: value('OUTBOX_PREFIX')!,
    eventBusName: value('EVENT_BUS_NAME')!,
  };
}
