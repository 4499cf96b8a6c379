/**
 * The local channels for people (NOTIFY-2): a file sink per channel under
 * `<state>/notify/outbox/<channel>/`: an email is an RFC 5322 `.eml` (text and HTML parts), an SMS
 * or a push an `.json`. The delivery id names the file, written whole (temp file, fsync, rename),
 * so a repeated delivery writes nothing new: each message is there once.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { MessageSender, OutboundMessage } from '../../ports/notify';

export const NOTIFY_OUTBOX_DIR = join('notify', 'outbox');

function writeOnce(target: string, content: string): void {
  if (existsSync(target)) return;
  const temp = `${target}.${process.pid}.${threadId}.tmp`;
  writeFileSync(temp, content);
  const fd = openSync(temp, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temp, target);
}

/** Encodes a header value as RFC 2047 UTF-8 base64 when it is not plain ASCII. */
function headerValue(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
}

/** The message as an RFC 5322 document (multipart/alternative when it has HTML). */
export function toEml(message: OutboundMessage, from: string, date: Date): string {
  const boundary = `ledgerline-${message.deliveryId}`;
  const headers = [
    `From: ${from}`,
    `To: ${headerValue(message.to)}`,
    `Subject: ${headerValue(message.subject ?? '')}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: <${message.deliveryId}@ledgerline.local>`,
    `X-Ledgerline-Template: ${message.templateId} v${message.templateVersion}`,
    'MIME-Version: 1.0',
  ];
  if (message.html === undefined) {
    return [...headers, 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: base64', '', base64Lines(message.text), ''].join('\r\n');
  }
  return [
    ...headers,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(message.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(message.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

export class FileMessageSender implements MessageSender {
  constructor(
    private readonly dir: string,
    private readonly from = 'Ledgerline <notifications@ledgerline.local>',
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  /** The file of a delivery. */
  fileOf(message: Pick<OutboundMessage, 'channel' | 'deliveryId'>): string {
    return join(this.dir, message.channel, `${message.deliveryId}.${message.channel === 'email' ? 'eml' : 'json'}`);
  }

  async send(message: OutboundMessage): Promise<{ providerMessageId: string }> {
    const file = this.fileOf(message);
    mkdirSync(join(this.dir, message.channel), { recursive: true });
    const content =
      message.channel === 'email'
        ? toEml(message, this.from, this.clock.now())
        : `${JSON.stringify({ deliveryId: message.deliveryId, channel: message.channel, to: message.to, ...(message.subject !== undefined ? { title: message.subject } : {}), text: message.text, template: `${message.templateId} v${message.templateVersion}` })}\n`;
    writeOnce(file, content);
    return { providerMessageId: file };
  }
}
