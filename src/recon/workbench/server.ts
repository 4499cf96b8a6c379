/**
 * The embedded workbench's HTTP server: node:http translating each request to a WorkbenchRequest
 * and the app's WorkbenchResponse back. The body is read up to 64 KiB (larger → 413, unread).
 * `onLogin` answers the login path (the local authenticator's cookie exchange).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactPans } from '../../domain/pan';
import { MAX_BODY_BYTES, respond } from './app';
import { LOGIN_PATH } from './local-auth';
import type { WorkbenchApp, WorkbenchRequest, WorkbenchResponse } from './ports';

export interface WorkbenchServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  app: WorkbenchApp;
  onLogin?: (request: WorkbenchRequest) => WorkbenchResponse | Promise<WorkbenchResponse>;
}

export interface WorkbenchServer {
  /** http://host:port (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toWorkbenchRequest(request: IncomingMessage, body: string): WorkbenchRequest {
  const url = new URL(request.url ?? '/', 'http://workbench.invalid');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in query)) query[name] = value;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: request.method ?? 'GET', path: url.pathname, query, headers, body };
}

function send(response: ServerResponse, answer: WorkbenchResponse): void {
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}

export function startWorkbenchServer(options: WorkbenchServerOptions): Promise<WorkbenchServer> {
  const { app, onLogin } = options;
  const server = createServer((request, response) => {
    void (async () => {
      let body: string;
      try {
        body = await readBody(request);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        request.resume(); // discard the rest; the connection closes after the answer
        response.setHeader('connection', 'close');
        send(response, respond(413, 'text/plain; charset=utf-8', `the request body is larger than ${MAX_BODY_BYTES / 1024} KiB`));
        return;
      }
      const workbenchRequest = toWorkbenchRequest(request, body);
      send(response, onLogin && workbenchRequest.path === LOGIN_PATH ? await onLogin(workbenchRequest) : await app(workbenchRequest));
    })().catch((error: unknown) => {
      process.stderr.write(`workbench: request failed: ${redactPans((error as Error).message)}\n`);
      if (!response.headersSent) send(response, respond(500, 'text/plain; charset=utf-8', 'the workbench could not answer this request'));
      else response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
