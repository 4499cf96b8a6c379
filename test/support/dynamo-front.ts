/**
 * A local DynamoDB endpoint: the JSON protocol over HTTP on loopback, in front of a handler (the
 * rehearsal's stand-in, rehearsal/dynamo.ts, or a wrapper of it that injects faults or counts
 * reads). The real SDK client talks to `endpoint`; a handler that throws answers 500
 * InternalServerError, as DynamoDB would.
 *
 * `requestHandler` is the same front without the loopback socket, for a client in this process:
 * the SDK still serialises, signs, retries and parses every call exactly as it does over HTTP; only
 * the loopback round trip (both ends of it in this process: measured 0.8 → 0.36 ms of CPU a call,
 * about a quarter less CPU for the workbench's DynamoDB suites) is left out. Code that runs with only an endpoint (a handler loaded with its environment) uses
 * `endpoint`; both reach the same handler.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoResponse } from '../../rehearsal/dynamo';

export interface DynamoFront {
  endpoint: string;
  /** For `new DynamoDBClient({ endpoint, requestHandler })`: the handler called in this process. */
  requestHandler: NonNullable<DynamoDBClientConfig['requestHandler']>;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/x-amz-json-1.0';

/** What the SDK hands a request handler and takes back (the fields this front reads and fills). */
interface SdkRequest {
  headers: Record<string, string>;
  body?: unknown;
}
interface SdkHandler {
  handle(request: SdkRequest): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Readable } }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
}

function answer(handle: (operation: string, body: string) => Promise<DynamoResponse>, target: string | undefined, body: string): Promise<Answer> {
  const operation = String(target ?? '').split('.')[1] ?? '';
  return handle(operation, body).then(
    (response) => ({ status: response.status, headers: { 'content-type': JSON_TYPE, 'x-amzn-requestid': 'test' }, body: response.body }),
    (error: unknown) => ({ status: 500, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }) }),
  );
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  // The bytes as they are: Buffer.from(view) would call the SDK's body adapter's valueOf, a string
  // method it warns will throw in a future version.
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new Error(`dynamo front: a request body of type ${typeof body} (a stream?) is not supported in process; use the endpoint`);
}

export async function serveDynamo(handle: (operation: string, body: string) => Promise<DynamoResponse>): Promise<DynamoFront> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void answer(handle, req.headers['x-amz-target'] as string | undefined, Buffer.concat(chunks).toString('utf8')).then((reply) => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const requestHandler: SdkHandler = {
    async handle(request) {
      const target = Object.entries(request.headers).find(([name]) => name.toLowerCase() === 'x-amz-target')?.[1];
      const reply = await answer(handle, target, bodyText(request.body));
      // A stream, as the SDK's own Node handler gives it (the body collector reads either).
      return { response: { statusCode: reply.status, headers: reply.headers, body: Readable.from([Buffer.from(reply.body, 'utf8')]) } };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requestHandler: requestHandler as unknown as DynamoFront['requestHandler'],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
