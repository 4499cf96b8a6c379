/**
 * `ledgerline idp`: the local OpenID Connect identity provider for the workbench, on loopback,
 * with the users and groups of a users file (config/workbench-users.json). It prints its issuer,
 * the workbench's client id, and the client secret (random per start) as the environment variable
 * the workbench reads, then serves until SIGINT / SIGTERM. `ledgerline workbench --idp FILE` runs
 * the same provider in-process instead. Registered on the CLI program by src/cli/main.ts.
 */
import type { Command } from 'commander';
import { CliError } from './errors';
import { wholeNumber } from './options';
import type { CliIo } from './io';
import { untilStopped } from './server-lifecycle';

/* eslint-disable @typescript-eslint/no-require-imports */
const idpModule = () => require('../recon/workbench/idp') as typeof import('../recon/workbench/idp');
/* eslint-enable @typescript-eslint/no-require-imports */

interface IdpOptions {
  users: string;
  host: string;
  port: number;
  workbench: string;
}

export function addIdpCommand(program: Command, io: CliIo): void {
  program
    .command('idp')
    .description('serve the local OpenID Connect identity provider the workbench signs in with (loopback only; users and groups from a file)')
    .option('--users <file>', 'users file: {clientId, groupRoles, users: [{sub, name, email, groups}]}', 'config/workbench-users.json')
    .option('--host <host>', 'loopback address to listen on (127.0.0.1, ::1 or localhost)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', wholeNumber('--port', { max: 65535, hint: '0 = any free port' }), 8081)
    .option('--workbench <url>', "the workbench's address as browsers reach it (its /callback and /signed-out are allowed)", 'http://127.0.0.1:8080')
    .addHelpText(
      'after',
      [
        '',
        'The login form takes a user id (sub) of the file; the password is not checked, so the provider',
        'listens on loopback only. Signing keys and the client secret are random per start.',
        '',
        'Example:',
        '  ledgerline idp --users config/workbench-users.json --port 8081',
        '  export LEDGERLINE_OIDC_CLIENT_SECRET=<printed>',
        '  ledgerline workbench --out recon-out --oidc-issuer http://127.0.0.1:8081 --oidc-client-id ledgerline-workbench \\',
        '    --group-roles \'{"recon-preparers":"reconciler","recon-approvers":"approver","recon-viewers":"viewer"}\'',
      ].join('\n'),
    )
    .action(async (options: IdpOptions) => {
      const { readIdpUsers, startLocalIdp } = idpModule();
      let workbench: URL;
      try {
        workbench = new URL(options.workbench);
      } catch {
        throw new CliError(`idp: --workbench "${options.workbench}" is not a URL`);
      }
      const base = workbench.toString().replace(/\/$/, '');
      let idp: import('../recon/workbench/idp').LocalIdp;
      try {
        const config = readIdpUsers(options.users);
        idp = await startLocalIdp({ config, host: options.host, port: options.port, redirectUris: [`${base}/callback`], postLogoutRedirectUris: [`${base}/signed-out`] });
      } catch (error) {
        throw new CliError(`idp: ${(error as Error).message}`);
      }
      // SIGINT / SIGTERM are ours before the issuer is announced: a stop sent as soon as it is read is a clean stop.
      const stopped = untilStopped();
      io.stdout(`issuer: ${idp.issuer}\nclient id: ${idp.clientId}\nLEDGERLINE_OIDC_CLIENT_SECRET=${idp.clientSecret}\n`);
      io.stderr('serving (Ctrl-C to stop)\n');
      const signal = await stopped;
      io.stderr(`${signal}: stopping\n`);
      await idp.close();
    });
}
