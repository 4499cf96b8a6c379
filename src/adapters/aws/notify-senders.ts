/**
 * The AWS channels for people (NOTIFY-2): email through SES v2, SMS and mobile push through SNS.
 * A provider's refusal that no retry can fix (a rejected message, an invalid number, a disabled
 * endpoint) is a PermanentSendError (dead-lettered at once); anything else throws as it is and is
 * retried by the policy. The delivery id travels as an SES email tag / an SNS message attribute,
 * so a provider-side record can be traced to the delivery log.
 */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { MessageSender, OutboundMessage } from '../../ports/notify';
import { PermanentSendError } from '../../ports/notify';
import { errorName } from './errors';

const SES_PERMANENT = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException', 'BadRequestException', 'AccountSuspendedException', 'SendingPausedException', 'NotFoundException']);
const SNS_PERMANENT = new Set([
  'InvalidParameter',
  'InvalidParameterException',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'EndpointDisabled',
  'EndpointDisabledException',
  'OptedOut',
  'NotFound',
  'NotFoundException',
]);

function permanentOr(error: unknown, permanent: ReadonlySet<string>, what: string): unknown {
  const name = errorName(error);
  if (name && permanent.has(name)) return new PermanentSendError(`${what}: ${name}: ${error instanceof Error ? error.message : String(error)}`);
  return error;
}

export interface SesEmailSenderOptions {
  client?: SESv2Client;
  /** The verified sender, e.g. `Ledgerline <notifications@bank.example>`. */
  from: string;
  configurationSetName?: string;
}

export class SesEmailSender implements MessageSender {
  private readonly client: SESv2Client;

  constructor(private readonly options: SesEmailSenderOptions) {
    this.client = options.client ?? new SESv2Client({});
  }

  async send(message: OutboundMessage): Promise<{ providerMessageId: string }> {
    if (message.channel !== 'email') throw new PermanentSendError(`SES sends email, not ${message.channel}`);
    try {
      const response = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject ?? '', Charset: 'UTF-8' },
              Body: { Text: { Data: message.text, Charset: 'UTF-8' }, ...(message.html !== undefined ? { Html: { Data: message.html, Charset: 'UTF-8' } } : {}) },
            },
          },
          EmailTags: [
            { Name: 'deliveryId', Value: message.deliveryId.replace(/[^A-Za-z0-9_-]/g, '_') },
            { Name: 'template', Value: `${message.templateId}-v${message.templateVersion}`.replace(/[^A-Za-z0-9_-]/g, '_') },
          ],
          ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
        }),
      );
      return { providerMessageId: response.MessageId ?? '' };
    } catch (error) {
      throw permanentOr(error, SES_PERMANENT, 'SES SendEmail');
    }
  }
}

export interface SnsSenderOptions {
  client?: SNSClient;
  /** SMS: the sender id shown where the network supports one. */
  senderId?: string;
}

/** SMS (Publish to a phone number, transactional) and push (Publish to a platform endpoint ARN). */
export class SnsMessageSender implements MessageSender {
  private readonly client: SNSClient;

  constructor(private readonly options: SnsSenderOptions = {}) {
    this.client = options.client ?? new SNSClient({});
  }

  async send(message: OutboundMessage): Promise<{ providerMessageId: string }> {
    const attributes = { deliveryId: { DataType: 'String', StringValue: message.deliveryId } };
    let command: PublishCommand;
    if (message.channel === 'sms') {
      command = new PublishCommand({
        PhoneNumber: message.to,
        Message: message.text,
        MessageAttributes: {
          ...attributes,
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          ...(this.options.senderId ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: this.options.senderId } } : {}),
        },
      });
    } else if (message.channel === 'push') {
      const title = message.subject ?? '';
      command = new PublishCommand({
        TargetArn: message.to,
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: message.text,
          GCM: JSON.stringify({ notification: { title, body: message.text }, data: { deliveryId: message.deliveryId } }),
          APNS: JSON.stringify({ aps: { alert: { title, body: message.text } }, deliveryId: message.deliveryId }),
        }),
        MessageAttributes: attributes,
      });
    } else throw new PermanentSendError(`SNS sends sms and push, not ${message.channel}`);
    try {
      const response = await this.client.send(command);
      return { providerMessageId: response.MessageId ?? '' };
    } catch (error) {
      throw permanentOr(error, SNS_PERMANENT, 'SNS Publish');
    }
  }
}
