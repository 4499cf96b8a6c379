/**
 * A fake SES v2 and SNS endpoint over local HTTP: the real SDK clients, pointed at it by endpoint,
 * send their real requests (SES v2 REST-JSON `POST /v2/email/outbound-emails`; SNS query protocol
 * `Action=Publish`), which it records and answers as AWS does. `reject` makes the next call fail
 * with an AWS error of that name.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface RecordedCall {
  service: 'ses' | 'sns' | 'secretsmanager';
  body: Record<string, unknown>;
}

export class FakeAwsMessaging {
  private server: Server | undefined;
  readonly calls: RecordedCall[] = [];
  /** Secrets Manager's secrets: name → SecretString. */
  readonly secrets = new Map<string, string>();
  private readonly rejections: { service: 'ses' | 'sns'; name: string; status: number }[] = [];
  endpoint = '';

  reject(service: 'ses' | 'sns', name: string, status = 400): void {
    this.rejections.push({ service, name, status });
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const target = String(request.headers['x-amz-target'] ?? '');
        if (target.startsWith('secretsmanager.')) {
          const body = JSON.parse(raw) as { SecretId?: string; Name?: string; SecretString?: string };
          this.calls.push({ service: 'secretsmanager', body: { action: target, SecretId: body.SecretId ?? body.Name } });
          const json = (status: number, payload: unknown, type?: string) =>
            response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) }).end(JSON.stringify(payload));
          const name = body.SecretId ?? body.Name ?? '';
          if (target === 'secretsmanager.GetSecretValue' || target === 'secretsmanager.PutSecretValue') {
            if (!this.secrets.has(name)) return json(400, { __type: 'ResourceNotFoundException', message: `no secret ${name}` }, 'ResourceNotFoundException');
            if (target === 'secretsmanager.PutSecretValue') this.secrets.set(name, body.SecretString ?? '');
            return json(200, {
              ARN: `arn:aws:secretsmanager:eu-west-2:123456789012:secret:${name}`,
              Name: name,
              ...(target === 'secretsmanager.GetSecretValue' ? { SecretString: this.secrets.get(name) } : {}),
            });
          }
          if (target === 'secretsmanager.CreateSecret') {
            this.secrets.set(name, body.SecretString ?? '');
            return json(200, { ARN: `arn:aws:secretsmanager:eu-west-2:123456789012:secret:${name}`, Name: name });
          }
          return json(400, { __type: 'InvalidRequestException', message: target }, 'InvalidRequestException');
        }
        const service: 'ses' | 'sns' = request.url?.startsWith('/v2/email/outbound-emails') ? 'ses' : 'sns';
        const index = this.rejections.findIndex((rejection) => rejection.service === service);
        if (index >= 0) {
          const [rejection] = this.rejections.splice(index, 1);
          if (service === 'ses') {
            response.writeHead(rejection!.status, { 'Content-Type': 'application/json', 'x-amzn-errortype': rejection!.name }).end(JSON.stringify({ message: `fake ${rejection!.name}` }));
          } else {
            response
              .writeHead(rejection!.status, { 'Content-Type': 'text/xml' })
              .end(`<ErrorResponse><Error><Type>Sender</Type><Code>${rejection!.name}</Code><Message>fake ${rejection!.name}</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
          }
          return;
        }
        const id = randomUUID();
        if (service === 'ses') {
          this.calls.push({ service, body: JSON.parse(raw) as Record<string, unknown> });
          response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ MessageId: id }));
        } else {
          this.calls.push({ service, body: Object.fromEntries(new URLSearchParams(raw)) });
          response
            .writeHead(200, { 'Content-Type': 'text/xml' })
            .end(
              `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${id}</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
            );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
