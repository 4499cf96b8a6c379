/** The AWS adapters of the notifier and the webhook sweeper, from their configuration (one wiring for both). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDeliveryStore, DynamoSubscriptionRegistry } from '../../src/adapters/aws/notify-dynamo';
import { DynamoPaymentFacts, DynamoRecipientDirectory, SecretsManagerSigningKeyStore } from '../../src/adapters/aws/notify-directory';
import { SesEmailSender, SnsMessageSender } from '../../src/adapters/aws/notify-senders';
import { FetchWebhookTransport } from '../../src/adapters/embedded/notify-http';
import { FileTemplateStore } from '../../src/adapters/embedded/notify-templates';
import { checkPolicy, DEFAULT_DELIVERY_POLICY } from '../../src/notify/delivery-policy';
import type { NotifyDeps } from '../../src/use-cases/notify/notify';
import type { NotifyConfig } from './config';

export function awsNotifyDeps(config: NotifyConfig): NotifyDeps {
  const dynamo = new DynamoDBClient({});
  const sns = new SnsMessageSender({ client: new SNSClient({}) });
  const clock = { now: () => new Date() };
  return {
    deliveries: new DynamoDeliveryStore({ client: dynamo, tableName: config.notificationsTable }),
    subscriptions: new DynamoSubscriptionRegistry({ client: dynamo, tableName: config.notificationsTable }),
    keys: new SecretsManagerSigningKeyStore({ client: new SecretsManagerClient({}), prefix: config.signingKeyPrefix }),
    // Node's fetch: the same real HTTP delivery as locally.
    transport: new FetchWebhookTransport(clock),
    senders: {
      email: new SesEmailSender({ client: new SESv2Client({}), from: config.emailFrom, ...(config.sesConfigurationSet ? { configurationSetName: config.sesConfigurationSet } : {}) }),
      sms: sns,
      push: sns,
    },
    clock,
    random: Math.random,
    policy: checkPolicy(DEFAULT_DELIVERY_POLICY),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // The templates are bundled beside the function (config/templates; LEDGERLINE_TEMPLATES_DIR overrides).
    templates: new FileTemplateStore(),
    recipients: new DynamoRecipientDirectory({ client: dynamo, tableName: config.notificationsTable }),
    payments: new DynamoPaymentFacts({ client: dynamo, authorisationsTable: config.authorisationsTable, rulesStateTable: config.rulesStateTable }),
    defaultLanguage: config.defaultLanguage,
  };
}
