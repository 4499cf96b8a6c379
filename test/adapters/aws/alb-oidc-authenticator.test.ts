import { generateKeyPairSync, sign } from 'node:crypto';
import { AlbOidcAuthenticator, albPublicKeyUrl, parseGroupRoles } from '../../../src/adapters/aws/alb-oidc-authenticator';
import type { Role } from '../../../src/recon/workbench/cases';
import { AuthenticationError, type WorkbenchRequest } from '../../../src/recon/workbench/ports';

const ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/app/ledgerline-dev-workbench/50dc6c495c0c9188';
const ISSUER = 'https://bank.okta.com/oauth2/default';
const KID = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const GROUP_ROLES: Record<string, Role> = { 'ledgerline-finance-viewers': 'viewer', 'ledgerline-finance': 'reconciler', 'ledgerline-finance-approvers': 'approver' };
const NOW = new Date('2025-03-01T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

const albKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = albKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** The ALB's format: base64url WITH padding. */
const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64');
const toUrl = (base64: string) => base64.replace(/\+/g, '-').replace(/\//g, '_');

function albToken(options: { header?: object; payload?: object; key?: typeof albKeys.privateKey } = {}): string {
  const header = { alg: 'ES256', kid: KID, signer: ALB_ARN, iss: ISSUER, client: 'okta-client', exp: NOW_SECONDS + 60, ...options.header };
  const payload = { sub: '00u1', email: 'ana@bank.example', groups: ['ledgerline-finance', 'everyone'], exp: NOW_SECONDS + 60, iss: ISSUER, ...options.payload };
  const data = `${toUrl(segment(header))}.${toUrl(segment(payload))}`;
  const signature = sign('sha256', Buffer.from(data), { key: options.key ?? albKeys.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${data}.${toUrl(signature.toString('base64'))}`;
}

function request(token: string | undefined): WorkbenchRequest {
  return { method: 'GET', path: '/cases', query: {}, headers: token === undefined ? {} : { 'x-amzn-oidc-data': token }, body: '' };
}

function authenticator(fetchPublicKey = jest.fn(async (kid: string) => (kid === KID ? PEM : Promise.reject(new Error('HTTP 404'))))) {
  return { fetchPublicKey, auth: new AlbOidcAuthenticator({ loadBalancerArn: ALB_ARN, issuer: ISSUER, groupRoles: GROUP_ROLES, fetchPublicKey, clock: { now: () => NOW } }) };
}

async function refusal(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('AlbOidcAuthenticator', () => {
  it('accepts a token the ALB signed: user = email, roles from the mapped Okta groups', async () => {
    const { auth } = authenticator();
    await expect(auth.authenticate(request(albToken()))).resolves.toEqual({ user: 'ana@bank.example', roles: ['reconciler'] });
    const approver = albToken({ payload: { groups: ['ledgerline-finance-approvers', 'ledgerline-finance-viewers'] } });
    await expect(auth.authenticate(request(approver))).resolves.toEqual({ user: 'ana@bank.example', roles: ['viewer', 'approver'] });
  });

  it('refuses a request without the identity header', async () => {
    expect((await refusal(authenticator().auth.authenticate(request(undefined)))).message).toMatch(/no x-amzn-oidc-data header/);
  });

  it('refuses a token another load balancer signed', async () => {
    const token = albToken({ header: { signer: ALB_ARN.replace('50dc6c495c0c9188', 'ffffffffffffffff') } });
    expect((await refusal(authenticator().auth.authenticate(request(token)))).message).toMatch(/not signed by the workbench load balancer/);
  });

  it('refuses an expired token', async () => {
    const token = albToken({ header: { exp: NOW_SECONDS - 1 } });
    expect((await refusal(authenticator().auth.authenticate(request(token)))).message).toMatch(/expired/);
    const payloadExpired = albToken({ payload: { exp: NOW_SECONDS } });
    expect((await refusal(authenticator().auth.authenticate(request(payloadExpired)))).message).toMatch(/expired/);
  });

  it('refuses a bad signature (another key) and a tampered payload', async () => {
    const forged = albToken({ key: otherKeys.privateKey });
    expect((await refusal(authenticator().auth.authenticate(request(forged)))).message).toMatch(/signature is invalid/);
    const [header, , signature] = albToken().split('.');
    const tampered = `${header}.${toUrl(segment({ email: 'mallory@bank.example', groups: ['ledgerline-finance-approvers'], exp: NOW_SECONDS + 60, iss: ISSUER }))}.${signature}`;
    expect((await refusal(authenticator().auth.authenticate(request(tampered)))).message).toMatch(/signature is invalid/);
  });

  it('refuses a key id the ALB has no key for, and a malformed key id (never fetched)', async () => {
    const { auth, fetchPublicKey } = authenticator();
    const unknown = albToken({ header: { kid: 'ffffffff-0000' } });
    expect((await refusal(auth.authenticate(request(unknown)))).message).toMatch(/no public key for identity token key id ffffffff-0000/);
    const traversal = albToken({ header: { kid: '../../evil' } });
    expect((await refusal(auth.authenticate(request(traversal)))).message).toMatch(/no valid key id/);
    expect(fetchPublicKey).toHaveBeenCalledTimes(1);
  });

  it('refuses a token from another issuer', async () => {
    const token = albToken({ payload: { iss: 'https://evil.okta.com' } });
    expect((await refusal(authenticator().auth.authenticate(request(token)))).message).toMatch(/another identity provider/);
  });

  it('refuses a signed-in user with no Ledgerline role, and a token without email', async () => {
    const noRole = albToken({ payload: { groups: ['everyone'] } });
    expect((await refusal(authenticator().auth.authenticate(request(noRole)))).message).toBe('ana@bank.example has no Ledgerline role (no Okta group of theirs maps to one)');
    const noGroups = albToken({ payload: { groups: undefined } });
    expect((await refusal(authenticator().auth.authenticate(request(noGroups)))).message).toMatch(/no Ledgerline role/);
    const inherited = albToken({ payload: { groups: ['constructor', 'toString'] } });
    expect((await refusal(authenticator().auth.authenticate(request(inherited)))).message).toMatch(/no Ledgerline role/);
    const noEmail = albToken({ payload: { email: undefined } });
    expect((await refusal(authenticator().auth.authenticate(request(noEmail)))).message).toMatch(/no email claim/);
  });

  it('refuses malformed tokens and other algorithms without echoing the token', async () => {
    const { auth } = authenticator();
    for (const token of ['abc', 'a.b', 'a.b.c.d', 'a.b!.c']) {
      expect((await refusal(auth.authenticate(request(token)))).message).toMatch(/three base64url parts/);
    }
    const hs256 = albToken({ header: { alg: 'HS256' } });
    const error = await refusal(auth.authenticate(request(hs256)));
    expect(error.message).toMatch(/"HS256" is not ES256/);
    expect(error.message).not.toContain(hs256.split('.')[1]!);
  });

  it('fetches each key once and caches it; a failed fetch is retried on the next request', async () => {
    let calls = 0;
    const flaky = jest.fn(async (_kid: string) => {
      calls += 1;
      if (calls === 1) throw new Error('socket hang up');
      return PEM;
    });
    const { auth } = authenticator(flaky);
    await refusal(auth.authenticate(request(albToken())));
    await auth.authenticate(request(albToken()));
    await auth.authenticate(request(albToken({ payload: { email: 'bo@bank.example' } })));
    expect(flaky).toHaveBeenCalledTimes(2);
  });

  it('names the regional ALB key endpoint and reads the group → role map', () => {
    expect(albPublicKeyUrl('eu-west-2', KID)).toBe(`https://public-keys.auth.elb.eu-west-2.amazonaws.com/${KID}`);
    expect(parseGroupRoles(JSON.stringify(GROUP_ROLES))).toEqual(GROUP_ROLES);
    expect(() => parseGroupRoles('{"finance":"admin"}')).toThrow(/expected one of viewer, reconciler, approver/);
    expect(() => parseGroupRoles('[]')).toThrow(/JSON object/);
    expect(() => parseGroupRoles('nope')).toThrow(/not JSON/);
  });
});
