/**
 * Notifications on AWS (NOTIFY-2, HOOK-2; stacks/lib/notify.ts), synthesized per environment: the
 * SES domain identity and its configuration set (TLS required), the outward-events queue with its
 * DLQ (redrive after maxReceiveCount) feeding the notify function with partial batch failures, the
 * function's environment passing its own reader, and grants scoped to its table, indexes, signing
 * keys, identity and From address; every bad notification setting refused, named.
 */
import fc from 'fast-check';
import { App, Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ENVIRONMENTS } from '../../stacks/ledgerline';
import { Names } from '../../stacks/naming';
import { NOTIFY_QUEUE, Notifications, checkNotifyConfig } from '../../stacks/lib/notify';
import { readNotifyConfig } from '../../functions/notify/config';
import type { EnvironmentConfig } from '../../environments/types';
import type { PolicyStatement } from '../../stacks/lib/iam';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(config: EnvironmentConfig): { json: Json; environment: Record<string, string>; reader: PolicyStatement[]; sweeper: PolicyStatement[] } {
  const app = new App({ skipValidation: true });
  const stack = new TerraformStack(app, `notify-${config.name}`);
  new AwsProvider(stack, 'aws', { region: config.region });
  const names = Names.of(config);
  const notify = new Notifications(stack, 'notify', {
    names,
    config: config.notify,
    messagingKeyArn: `arn:aws:kms:${config.region}:${config.account}:key/messaging`,
    dataKeyArn: `arn:aws:kms:${config.region}:${config.account}:key/data`,
    notifyTimeoutSeconds: 60,
  });
  notify.feed(names.functionName('notify'), config.functions.notify.reservedConcurrency);
  return { json: JSON.parse(Testing.synth(stack)) as Json, environment: notify.functionEnvironment(), reader: notify.functionStatements(true), sweeper: notify.functionStatements(false) };
}

const resources = (json: Json, type: string): [string, Json][] => Object.entries((json.resource?.[type] ?? {}) as Record<string, Json>);

describe.each(ENVIRONMENTS.map((config) => [config.name, config] as const))('%s', (_name, config) => {
  let built: ReturnType<typeof synth>;
  beforeAll(() => {
    built = synth(config);
  });

  test('SES: the configured domain, DKIM 2048, sending through a configuration set that requires TLS', () => {
    const [[, identity]] = resources(built.json, 'aws_sesv2_email_identity') as [[string, Json]];
    const [[, set]] = resources(built.json, 'aws_sesv2_configuration_set') as [[string, Json]];
    expect(identity.email_identity).toBe(config.notify.emailDomain);
    expect(identity.dkim_signing_attributes).toEqual({ next_signing_key_length: 'RSA_2048_BIT' });
    expect(set.delivery_options).toEqual({ tls_policy: 'REQUIRE' });
    expect(set.configuration_set_name).toBe(built.environment.NOTIFY_SES_CONFIGURATION_SET);
  });

  test('the outward-events queue redrives to its DLQ and feeds the notify function with partial batch failures', () => {
    const queues = resources(built.json, 'aws_sqs_queue');
    const [dlqId] = queues.find(([, queue]) => String(queue.name).endsWith('-notify-events-dlq'))!;
    const [queueId, queue] = queues.find(([, candidate]) => String(candidate.name).endsWith('-notify-events'))!;
    expect(JSON.parse(queue.redrive_policy as string)).toEqual({ deadLetterTargetArn: `\${aws_sqs_queue.${dlqId}.arn}`, maxReceiveCount: NOTIFY_QUEUE.maxReceiveCount });
    expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * 60);
    for (const [, candidate] of queues) expect(candidate.kms_master_key_id).toContain(':key/messaging');
    const [[, mapping]] = resources(built.json, 'aws_lambda_event_source_mapping') as [[string, Json]];
    expect(mapping).toMatchObject({
      event_source_arn: `\${aws_sqs_queue.${queueId}.arn}`,
      function_response_types: ['ReportBatchItemFailures'],
      batch_size: NOTIFY_QUEUE.batchSize,
      scaling_config: { maximum_concurrency: Math.max(2, config.functions.notify.reservedConcurrency) },
    });
  });

  test('the environment passes the function\'s own reader; the grants name the table, keys, identity and From address; "*" only for SMS, never on our topics', () => {
    const read = readNotifyConfig(built.environment);
    expect(read.emailFrom).toBe(config.notify.emailFrom);
    expect(read.notificationsTable).toBe(`${config.prefix}-notifications`);
    // NOTIFY-2: SMS is Publish to a phone number (no ARN): the one wildcard, sns:Publish alone, with a Deny on the environment's topics.
    for (const statement of [...built.reader, ...built.sweeper].filter((candidate) => candidate.Resource === '*')) {
      expect([statement.Sid, statement.Effect, statement.Action]).toEqual(['AwsRequiresWildcardSmsAndPush', 'Allow', ['sns:Publish']]);
    }
    for (const statements of [built.reader, built.sweeper]) {
      expect(statements.find((statement) => statement.Sid === 'NotOurTopics')).toEqual({
        Sid: 'NotOurTopics',
        Effect: 'Deny',
        Action: 'sns:Publish',
        Resource: `arn:aws:sns:${config.region}:${config.account}:${config.prefix}-*`,
      });
    }
    const send = built.reader.find((statement) => statement.Sid === 'SendEmail')!;
    expect(send.Condition).toEqual({ StringEquals: { 'ses:FromAddress': config.notify.emailFrom } });
    expect(built.reader.some((statement) => statement.Sid === 'OutwardEvents')).toBe(true);
    // The sweeper does not read the queue.
    expect(built.sweeper.some((statement) => statement.Sid === 'OutwardEvents')).toBe(false);
    const keys = built.reader.find((statement) => statement.Sid === 'SigningKeys')!;
    expect(keys.Resource).toEqual([`arn:aws:secretsmanager:${config.region}:${config.account}:secret:${read.signingKeyPrefix}*`]);
  });
});

describe('checkNotifyConfig', () => {
  const good = ENVIRONMENTS[0]!.notify;
  test("every environment's settings are accepted", () => {
    for (const config of ENVIRONMENTS) expect(checkNotifyConfig(config.notify, config.name)).toBe(config.notify);
  });
  test('a From address off the domain, or a bad mailbox, is refused, named', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[a-z0-9._+-]{1,20}$/), fc.string({ maxLength: 30 })), fc.oneof(fc.constant(good.emailDomain), fc.domain()), (local, domain) => {
        const from = `${local}@${domain}`;
        const valid = domain === good.emailDomain && /^[a-z0-9._+-]{1,64}$/.test(local);
        const run = () => checkNotifyConfig({ ...good, emailFrom: from }, 'env');
        if (valid) expect(run()).toEqual({ ...good, emailFrom: from });
        else expect(run).toThrow('notify.emailFrom');
      }),
    );
  });
  test('a domain that is not a lowercase domain name is refused, named', () => {
    for (const emailDomain of ['', 'localhost', 'Bank.Example', 'bank..example', '-bank.example', 'bank.example.', 'bank example.com']) {
      expect(() => checkNotifyConfig({ emailDomain, emailFrom: `payments@${emailDomain}` }, 'env')).toThrow('notify.emailDomain');
    }
  });
});
