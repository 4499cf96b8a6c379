/**
 * Runs the local identity provider in its own process (oidc-provider is an ES module, which jest's
 * module loader does not run): argv = users file, redirect URI, post-logout URI, ID token seconds.
 * Prints one JSON line {issuer, clientId, clientSecret}, then serves until killed.
 */
import { readIdpUsers, startLocalIdp } from '../../../../src/recon/workbench/idp';

async function main(): Promise<void> {
  const [usersFile, redirectUri, postLogoutUri, idTokenSeconds] = process.argv.slice(2);
  const idp = await startLocalIdp({
    config: readIdpUsers(usersFile!),
    host: '127.0.0.1',
    port: 0,
    redirectUris: [redirectUri!],
    postLogoutRedirectUris: [postLogoutUri!],
    ...(idTokenSeconds ? { idTokenSeconds: Number(idTokenSeconds) } : {}),
  });
  process.stdout.write(`${JSON.stringify({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
