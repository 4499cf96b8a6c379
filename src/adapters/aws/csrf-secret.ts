/**
 * The exceptions workbench's CSRF key, read from Secrets Manager (the secret the data stack
 * creates; its ARN is WORKBENCH_CSRF_SECRET_ARN). The value is never logged and never part of an
 * error message: errors name the secret's ARN only.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { errorName } from './errors';
import { WORKBENCH_OKTA_SECRET_PLACEHOLDER } from './workbench-config';

/** The shortest CSRF key the workbench accepts. */
export const MIN_CSRF_SECRET_LENGTH = 32;

/** Reads the key once; throws an error naming `secretArn` when it is unreadable, empty or too short. */
export async function loadCsrfSecret(client: SecretsManagerClient, secretArn: string): Promise<string> {
  let secret: string | undefined;
  try {
    secret = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new Error(`workbench CSRF secret ${secretArn} could not be read (${errorName(error) ?? 'unknown error'})`, { cause: error });
  }
  const value = secret?.trim() ?? '';
  if (value === '') throw new Error(`workbench CSRF secret ${secretArn} has no value`);
  if (value.length < MIN_CSRF_SECRET_LENGTH) throw new Error(`workbench CSRF secret ${secretArn} is shorter than ${MIN_CSRF_SECRET_LENGTH} characters`);
  return value;
}

/**
 * `load`, run on the first call only and then remembered for the container's lifetime; a failed
 * load is forgotten, so the next call tries again.
 */
export function onceSucceeded<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * WB-AUTH-1: the OIDC client secret the sign-in presents at Okta's token endpoint, read once;
 * throws naming `secretArn` (never the value) when it is unreadable, empty, or still the
 * data stack's placeholder.
 */
export async function loadOidcClientSecret(client: SecretsManagerClient, secretArn: string): Promise<string> {
  let secret: string | undefined;
  try {
    secret = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new Error(`workbench OIDC client secret ${secretArn} could not be read (${errorName(error) ?? 'unknown error'})`, { cause: error });
  }
  const value = secret?.trim() ?? '';
  if (value === '') throw new Error(`workbench OIDC client secret ${secretArn} has no value`);
  if (value === WORKBENCH_OKTA_SECRET_PLACEHOLDER)
    throw new Error(`workbench OIDC client secret ${secretArn} still holds the placeholder: the identity team sets its value (docs/runbooks/first-deploy.md)`);
  return value;
}
