/**
 * The receiver snippet partners copy from docs/notifications.md, run as written (a child Node
 * process): it accepts what Ledgerline signs, refuses a tampered body, another key and an old
 * timestamp, and processes a repeated delivery once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FetchWebhookTransport } from '../../src/adapters/embedded/notify-http';
import { DELIVERY_ID_HEADER, signWebhook } from '../../src/notify/signing';

const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'notifications.md'), 'utf8');
const SECRET = 'whsec_docs_snippet_0123456789';

function snippet(): string {
  const match = /<!-- receiver-snippet[^>]*-->\n```js\n([\s\S]*?)```/.exec(DOC);
  if (!match) throw new Error('docs/notifications.md has no receiver snippet');
  return match[1]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the receiver snippet in docs/notifications.md', () => {
  let child: ChildProcess;
  let port: number;
  const output: string[] = [];

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'snippet-')), 'receiver.js');
    writeFileSync(file, snippet());
    port = await freePort();
    child = spawn(process.execPath, [file], { env: { ...process.env, PORT: String(port), LEDGERLINE_WEBHOOK_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    for (let i = 0; i < 100; i += 1) {
      const ok = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(() => {
    child.kill();
  });

  const transport = new FetchWebhookTransport();
  const post = (body: string, headers: Record<string, string>) => transport.post({ url: `http://127.0.0.1:${port}/hooks`, body, headers, timeoutMs: 5000 });
  const body = JSON.stringify({ id: 'd-1', type: 'payment.posted', summary: 'Payment AUTH-1 of £25.00 posted', data: {} });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts what Ledgerline signs, during a rotation too, and processes a repeat once', async () => {
    const headers = { ...signWebhook(body, now(), [{ keyId: 'acme-k1', secret: SECRET }]), [DELIVERY_ID_HEADER]: 'd-1' };
    expect(await post(body, headers)).toEqual({ kind: 'delivered', status: 200 });
    expect(await post(body, headers)).toEqual({ kind: 'delivered', status: 200 });
    const rotated = {
      ...signWebhook(body, now(), [
        { keyId: 'acme-k2', secret: 'a-new-secret-0123456789' },
        { keyId: 'acme-k1', secret: SECRET },
      ]),
      [DELIVERY_ID_HEADER]: 'd-2',
    };
    expect(await post(body, rotated)).toEqual({ kind: 'delivered', status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(output.join('').match(/payment\.posted/g)).toHaveLength(2);
  });

  it.each([
    ['a tampered body', (h: Record<string, string>) => ({ body: body.replace('25.00', '2500'), headers: h })],
    ['another key', () => ({ body, headers: signWebhook(body, now(), [{ keyId: 'acme-k1', secret: 'not-the-partner-secret' }]) })],
    ['an old timestamp', () => ({ body, headers: signWebhook(body, now() - 301, [{ keyId: 'acme-k1', secret: SECRET }]) })],
    ['no signature', () => ({ body, headers: {} })],
  ])('refuses %s with 401', async (_, make) => {
    const { body: sent, headers } = make(signWebhook(body, now(), [{ keyId: 'acme-k1', secret: SECRET }]));
    expect(await post(sent, { ...headers, [DELIVERY_ID_HEADER]: 'd-x' })).toMatchObject({ kind: 'refused', status: 401 });
  });
});
