/** `ledgerline serve` start-up refusals (src/cli/serve-command.ts): a port in use is a usage error naming the address. */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../support/cli-in-process';
import { tempDir } from '../support/runtime';

describe('ledgerline serve', () => {
  it('a --port another process listens on: exit 2 naming the address and what to do, not EADDRINUSE', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await runCli(['serve', '--state', join(tempDir('ledgerline-serve-port-'), 'state'), '--port', String(port)]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`ledgerline: serve: --port ${port}: 127.0.0.1:${port} is already in use; choose another port, or 0 for any free port\n`);
    } finally {
      taken.close();
    }
  });
});
