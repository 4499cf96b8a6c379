/**
 * The workbench's CSRF key from Secrets Manager (aws-sdk-client-mock): the value is returned,
 * an unreadable, empty or short secret fails with an error naming the ARN and never the value,
 * and the key is read once per container (a failed read is tried again).
 */
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { loadCsrfSecret, onceSucceeded } from '../../../src/adapters/aws/csrf-secret';
import { TEST_AWS } from './support/dynalite';

const ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:ledgerline-dev/workbench/csrf-secret-AbCdEf';
const KEY = 'k'.repeat(64);

describe('loadCsrfSecret', () => {
  const client = new SecretsManagerClient(TEST_AWS);
  const mock = mockClient(client);
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('returns the secret value, asking for exactly that ARN', async () => {
    mock.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ ARN, SecretString: KEY });
    await expect(loadCsrfSecret(client, ARN)).resolves.toBe(KEY);
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it.each([
    ['no value', {}, 'has no value'],
    ['an empty value', { SecretString: '   ' }, 'has no value'],
    ['a value that is too short', { SecretString: 'short-csrf-value' }, 'is shorter than 32 characters'],
  ])('refuses a secret with %s, naming the ARN and never the value', async (_what, output, problem) => {
    mock.on(GetSecretValueCommand).resolves(output);
    const error = (await loadCsrfSecret(client, ARN).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(`workbench CSRF secret ${ARN} ${problem}`);
    expect(error.message).not.toContain('short-csrf-value');
  });

  it('a missing or unreadable secret fails with an error naming the ARN and the AWS error', async () => {
    mock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    await expect(loadCsrfSecret(client, ARN)).rejects.toThrow(`workbench CSRF secret ${ARN} could not be read (ResourceNotFoundException)`);
  });
});

describe('onceSucceeded', () => {
  it('loads on the first call only, and again after a failure', async () => {
    let calls = 0;
    const load = onceSucceeded(async () => {
      calls += 1;
      if (calls === 1) throw new Error('throttled');
      return KEY;
    });
    await expect(load()).rejects.toThrow('throttled');
    await expect(Promise.all([load(), load()])).resolves.toEqual([KEY, KEY]);
    await expect(load()).resolves.toBe(KEY);
    expect(calls).toBe(2);
  });
});
