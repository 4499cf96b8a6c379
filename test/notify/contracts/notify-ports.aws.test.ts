/** The notification port contracts against the AWS adapters: DynamoDB on dynalite, SES v2 and SNS on a fake endpoint. */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDeliveryStore, DynamoSubscriptionRegistry } from '../../../src/adapters/aws/notify-dynamo';
import { SesEmailSender, SnsMessageSender } from '../../../src/adapters/aws/notify-senders';
import { NOTIFICATIONS_TABLE } from '../../../src/adapters/aws/notify-tables';
import { createTableInput } from '../../../src/adapters/aws/tables';
import type { OutboundMessage } from '../../../src/ports/notify';
import { PermanentSendError } from '../../../src/ports/notify';
import type { Dynalite } from '../../adapters/aws/support/dynalite';
import { createActiveTable, startDynalite, TEST_AWS } from '../../adapters/aws/support/dynalite';
import { FakeAwsMessaging } from '../support/fake-aws-messaging';
import { deliveryStoreContract, messageSenderContract, recipientDirectoryContract, signingKeyStoreContract, subscriptionRegistryContract } from './notify-ports.contract';
import { DynamoRecipientDirectory, SecretsManagerSigningKeyStore } from '../../../src/adapters/aws/notify-directory';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let db: Dynalite;
// startDynalite creates every table of TABLES, the notifications table among them.
let tableName: string;
const fake = new FakeAwsMessaging();

beforeAll(async () => {
  db = await startDynalite();
  tableName = db.tableNames.notifications;
  await fake.start();
}, 60_000);

afterAll(async () => {
  await db.stop();
  await fake.stop();
});

deliveryStoreContract('DynamoDB (dynalite)', () => new DynamoDeliveryStore({ client: db.client, tableName }));
subscriptionRegistryContract('DynamoDB (dynalite)', () => new DynamoSubscriptionRegistry({ client: db.client, tableName }));
signingKeyStoreContract(
  'Secrets Manager (fake endpoint)',
  () => new SecretsManagerSigningKeyStore({ client: new SecretsManagerClient({ ...TEST_AWS, endpoint: fake.endpoint, maxAttempts: 1 }), prefix: 'ledgerline/test/webhook-keys/' }),
);
let directoryTable = 0;
recipientDirectoryContract('DynamoDB (dynalite)', async (seed) => {
  const table = `test-notifications-directory-${(directoryTable += 1)}`;
  await createActiveTable(db.client, createTableInput(NOTIFICATIONS_TABLE, table));
  const directory = new DynamoRecipientDirectory({ client: db.client, tableName: table });
  for (const customer of seed.customers) await directory.putCustomer(customer.contact, customer);
  for (const contact of seed.operations) await directory.putOperations(contact);
  return directory;
});

const ses = () => new SESv2Client({ ...TEST_AWS, endpoint: fake.endpoint, maxAttempts: 1 });
const sns = () => new SNSClient({ ...TEST_AWS, endpoint: fake.endpoint, maxAttempts: 1 });
const closed = { ...TEST_AWS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 };

messageSenderContract('SES v2', 'email', async () => ({
  sender: new SesEmailSender({ client: ses(), from: 'Ledgerline <notifications@bank.example>' }),
  down: new SesEmailSender({ client: new SESv2Client(closed), from: 'n@bank.example' }),
  delivered: async (deliveryId) =>
    fake.calls
      .filter((call) => call.service === 'ses' && JSON.stringify(call.body.EmailTags).includes(deliveryId))
      .map((call) => {
        const body = call.body as { Destination: { ToAddresses: string[] }; Content: { Simple: { Subject: { Data: string }; Body: { Text: { Data: string }; Html?: { Data: string } } } } };
        const simple = body.Content.Simple;
        return { to: body.Destination.ToAddresses[0]!, subject: simple.Subject.Data, text: simple.Body.Text.Data, ...(simple.Body.Html ? { html: simple.Body.Html.Data } : {}) };
      }),
}));

for (const channel of ['sms', 'push'] as const) {
  messageSenderContract('SNS', channel, async () => ({
    sender: new SnsMessageSender({ client: sns() }),
    down: new SnsMessageSender({ client: new SNSClient(closed) }),
    delivered: async (deliveryId) =>
      fake.calls
        .filter((call) => call.service === 'sns' && Object.values(call.body).includes(deliveryId))
        .map((call) => {
          const body = call.body as Record<string, string>;
          if (channel === 'sms') return { to: body.PhoneNumber!, text: body.Message! };
          const message = JSON.parse(body.Message!) as { default: string; GCM: string };
          const gcm = JSON.parse(message.GCM) as { notification: { title: string; body: string } };
          return { to: body.TargetArn!, text: message.default, subject: gcm.notification.title };
        }),
  }));
}

describe('provider refusals', () => {
  const email: OutboundMessage = { deliveryId: 'd-perm', channel: 'email', to: 'nobody@bank.example', subject: 's', text: 't', templateId: 'x', templateVersion: 1 };
  it.each(['MessageRejected', 'BadRequestException'])('SES %s is permanent (dead-lettered at once)', async (name) => {
    fake.reject('ses', name);
    await expect(new SesEmailSender({ client: ses(), from: 'n@bank.example' }).send(email)).rejects.toBeInstanceOf(PermanentSendError);
  });
  it('SES throttling is not permanent (retried)', async () => {
    fake.reject('ses', 'TooManyRequestsException', 429);
    const error = await new SesEmailSender({ client: ses(), from: 'n@bank.example' }).send(email).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(PermanentSendError);
    expect(error).toBeInstanceOf(Error);
  });
  it.each(['InvalidParameter', 'EndpointDisabled'])('SNS %s is permanent', async (name) => {
    fake.reject('sns', name);
    await expect(new SnsMessageSender({ client: sns() }).send({ ...email, channel: 'sms', to: '+447700900123' })).rejects.toBeInstanceOf(PermanentSendError);
  });
  it('a channel a sender does not serve is refused', async () => {
    await expect(new SnsMessageSender({ client: sns() }).send(email)).rejects.toThrow(/not email/);
    await expect(new SesEmailSender({ client: ses(), from: 'n@bank.example' }).send({ ...email, channel: 'sms' })).rejects.toThrow(/not sms/);
  });
});
