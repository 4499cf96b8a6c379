/**
 * A local DynamoDB endpoint: the JSON protocol over HTTP on loopback, in front of a handler (the
 * rehearsal's stand-in, rehearsal/dynamo.ts, or a wrapper of it that injects faults or counts
 * reads). The real SDK client talks to `endpoint`; a handler that throws answers 500
 * InternalServerError, as DynamoDB would.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoResponse } from '../../rehearsal/dynamo';

export interface DynamoFront {
  endpoint: string;
  close(): Promise<void>;
}

export async function serveDynamo(handle: (operation: string, body: string) => Promise<DynamoResponse>): Promise<DynamoFront> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      handle(operation, body).then(
        (response) => {
          res.writeHead(response.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'test' });
          res.end(response.body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
