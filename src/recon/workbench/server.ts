/**
 * The embedded workbench's HTTP server: the workbench's Hono app served by @hono/node-server.
 * The app itself limits bodies (64 KiB, larger → 413), sets the security headers and answers the
 * sign-in's pages; this only listens and stops.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { redactPans } from '../../domain/pan';
import type { WorkbenchApp } from './ports';

export interface WorkbenchServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  app: WorkbenchApp;
}

export interface WorkbenchServer {
  /** http://host:port (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

export function startWorkbenchServer(options: WorkbenchServerOptions): Promise<WorkbenchServer> {
  const { app } = options;
  const server = createAdaptorServer({
    fetch: async (request: Request) => {
      try {
        return await app.fetch(request);
      } catch (error) {
        process.stderr.write(`workbench: request failed: ${redactPans((error as Error).message)}\n`);
        return new Response('the workbench could not answer this request', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } });
      }
    },
  }) as Server;
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
