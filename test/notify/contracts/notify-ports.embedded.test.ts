/** The notification port contracts against the embedded adapters: SQLite and the file sinks. */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMessageSender } from '../../../src/adapters/embedded/notify-file-sinks';
import { SqliteDeliveryStore, SqliteSigningKeyStore, SqliteSubscriptionRegistry } from '../../../src/adapters/embedded/notify-sqlite';
import { JsonRecipientDirectory } from '../../../src/adapters/embedded/notify-sources';
import { deliveryStoreContract, messageSenderContract, recipientDirectoryContract, signingKeyStoreContract, subscriptionRegistryContract } from './notify-ports.contract';

deliveryStoreContract('SQLite', () => new SqliteDeliveryStore(new Database(':memory:')));
subscriptionRegistryContract('SQLite', () => new SqliteSubscriptionRegistry(new Database(':memory:')));
signingKeyStoreContract('SQLite', () => new SqliteSigningKeyStore(new Database(':memory:')));
recipientDirectoryContract('JSON file', async (seed) => {
  const file = join(mkdtempSync(join(tmpdir(), 'recipients-')), 'recipients.json');
  writeFileSync(
    file,
    JSON.stringify({
      customers: seed.customers.map((c) => ({ ...c.contact, ...(c.panTokens ? { panTokens: c.panTokens } : {}), ...(c.accountIds ? { accountIds: c.accountIds } : {}) })),
      operations: seed.operations,
    }),
  );
  return new JsonRecipientDirectory(file);
});

/** Reads an .eml the sink wrote: headers and the base64 parts, decoded. */
function readEml(text: string): { to: string; subject: string; text: string; html?: string } {
  const [head] = text.split('\r\n\r\n');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(head!)?.[1] ?? '';
  const decodeWord = (value: string) => value.replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
  const parts = [...text.matchAll(/Content-Type: text\/(plain|html); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]*)/g)].map(
    (m) => [m[1], Buffer.from(m[2]!.replace(/\r\n/g, ''), 'base64').toString('utf8')] as const,
  );
  const html = parts.find(([kind]) => kind === 'html')?.[1];
  return { to: decodeWord(header('To')), subject: decodeWord(header('Subject')), text: parts.find(([kind]) => kind === 'plain')![1], ...(html !== undefined ? { html } : {}) };
}

for (const channel of ['email', 'sms', 'push'] as const) {
  messageSenderContract('file sink', channel, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sink-'));
    const sender = new FileMessageSender(dir);
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the sink wants a directory');
    return {
      sender,
      down: new FileMessageSender(blocked),
      delivered: async (deliveryId) => {
        const file = sender.fileOf({ channel, deliveryId });
        const content = readFileSync(file, 'utf8');
        if (channel === 'email') return [readEml(content)];
        const json = JSON.parse(content) as { to: string; text: string; title?: string };
        return [{ to: json.to, text: json.text, ...(json.title !== undefined ? { subject: json.title } : {}) }];
      },
    };
  });
}
