/**
 * The direct statement upload (REC-1, REC-RUN-1: on AWS, a presigned PUT to the ingest bucket's
 * statement prefix): the pure decision of whether a file may be presigned (decideDirectUpload),
 * over generated requests, agrees with the form's checks and refuses every class (a viewer 403,
 * CSRF 403, not one file 400, over the limit 413, empty 400, a bad name 400, a card number in
 * the name 422, never echoed); the routes presign only what it admits, answer the form's own POST
 * with "needs JavaScript" unread, serve the direct script only there, and the app's CSP names the
 * storage origin in connect-src and nothing wider.
 */
import fc from 'fast-check';
import { Hono } from 'hono';
import { createWorkbenchApp, csrfToken, SECURITY_HEADERS, sameSecret } from '../../../src/recon/workbench/app';
import { type Actor, WorkbenchError } from '../../../src/recon/workbench/cases';
import {
  decideDirectUpload,
  DEFAULT_CONTENT_TYPE,
  type DirectStatementInbox,
  type DirectUploadFile,
  newUploadId,
  PRESIGN_PATH,
  registerUploadRoutes,
  statementObjectKey,
  UPLOAD_DIRECT_SCRIPT,
  UPLOAD_DIRECT_SCRIPT_PATH,
  UPLOAD_ID,
  UPLOAD_SCRIPT_PATH,
  uploadFileName,
  type UploadEnv,
  type UploadStatus,
} from '../../../src/recon/workbench/upload';
import { cardPanArb, SAMPLE_PANS } from '../../support/pan-spellings';
import { approver, headerAuthenticator, headerSignedIn, memoryStore, reconciler, steppingClock, viewer } from './helpers';

const SECRET = 'direct-upload-secret';
const LIMIT = 25 * 1024 * 1024;
const ACTORS: Record<string, Actor> = { rita: reconciler, anna: approver, victor: viewer };
const ORIGIN = 'https://ledgerline-dev-ingest.s3.eu-west-2.amazonaws.com';

const nameArb = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.stringMatching(/^[A-Za-z0-9._ -]{1,40}\.(xml|sta|txt|bai)$/),
  fc.stringMatching(/^[./\\a-z:~]{1,12}$/),
  fc.constantFrom('…/..', '..%2f', '%2e%2e/', '\u202e.xml', 'x.part', '.hidden', 'camt053.xml'),
);

describe('decideDirectUpload (pure)', () => {
  it('a viewer is refused (403) whatever else the request says; then a bad CSRF token (403)', () => {
    fc.assert(
      fc.property(fc.boolean(), nameArb, fc.integer({ min: -5, max: LIMIT * 2 }), (csrfValid, name, size) => {
        const decision = decideDirectUpload({ mayUpload: false, csrfValid, file: { name, size } }, LIMIT);
        expect(decision).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
        expect(decideDirectUpload({ mayUpload: true, csrfValid: false, file: { name, size } }, LIMIT)).toMatchObject({ ok: false, status: 403, message: expect.stringContaining('CSRF') });
      }),
      { numRuns: 300 },
    );
  });

  it('generated names and sizes: refused by size first (413 over the limit, 400 empty or not whole bytes), then exactly as the form refuses the name', () => {
    fc.assert(
      fc.property(
        nameArb,
        fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: LIMIT - 2, max: LIMIT + 2 }), fc.integer({ min: 1, max: LIMIT }), fc.constantFrom(1.5, Number.NaN, 2 ** 60)),
        (name, size) => {
          const decision = decideDirectUpload({ mayUpload: true, csrfValid: true, file: { name, size } }, LIMIT);
          if (!Number.isSafeInteger(size) || size < 0) return expect(decision).toMatchObject({ ok: false, status: 400 });
          if (size > LIMIT) return expect(decision).toMatchObject({ ok: false, status: 413, code: 'TOO_LARGE' });
          if (size === 0) return expect(decision).toMatchObject({ ok: false, status: 400, message: expect.stringContaining('empty') });
          let kept: string | WorkbenchError;
          try {
            kept = uploadFileName(name);
          } catch (error) {
            kept = error as WorkbenchError;
          }
          if (kept instanceof WorkbenchError) {
            expect(decision).toMatchObject({ ok: false, status: kept.httpStatus, message: kept.message });
          } else {
            expect(decision).toEqual({ ok: true, file: { name: kept, size, contentType: DEFAULT_CONTENT_TYPE } });
            // The object it lands as stays under the statement prefix, one segment, after the upload id.
            const key = statementObjectKey('incoming/statements/', '20261206T181500Z-0123456789ab', kept);
            expect(key.split('/')).toEqual(['incoming', 'statements', `20261206T181500Z-0123456789ab--${kept}`]);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a card number in the file name (any scheme, any place): 422, its digits never in the message', () => {
    fc.assert(
      fc.property(cardPanArb(), fc.constantFrom('', 'statement-', 'camt053_'), fc.constantFrom('.xml', '-march.sta', ''), (pan, before, after) => {
        const decision = decideDirectUpload({ mayUpload: true, csrfValid: true, file: { name: `${before}${pan}${after}`, size: 10 } }, LIMIT);
        expect(decision).toMatchObject({ ok: false, status: 422, code: 'CARD_NUMBER' });
        expect(JSON.stringify(decision)).not.toContain(pan);
      }),
      { numRuns: 500 },
    );
    for (const pan of SAMPLE_PANS) expect(decideDirectUpload({ mayUpload: true, csrfValid: true, file: { name: 'x.xml', size: 1, contentType: `text/${pan}` } }, LIMIT)).toMatchObject({ status: 422 });
  });

  it('not one file: 400; content types kept (lower case) when plain, refused otherwise', () => {
    for (const file of [undefined, null, 'x.xml', ['x.xml'], {}, { name: 5, size: 1 }, { name: 'x.xml' }, { name: 'x.xml', size: '10' }]) {
      expect(decideDirectUpload({ mayUpload: true, csrfValid: true, file }, LIMIT)).toMatchObject({ ok: false, status: 400 });
    }
    const typed = (contentType: unknown) => decideDirectUpload({ mayUpload: true, csrfValid: true, file: { name: 'camt053.xml', size: 10, contentType } }, LIMIT);
    expect(typed('Application/XML')).toEqual({ ok: true, file: { name: 'camt053.xml', size: 10, contentType: 'application/xml' } });
    expect(typed('')).toMatchObject({ ok: true, file: { contentType: DEFAULT_CONTENT_TYPE } });
    for (const bad of ['text/xml; charset=utf-8', 'text', 'a/b/c', 'text/xml\r\nx-amz-acl: public-read', 7, 'x'.repeat(70) + '/y']) expect(typed(bad)).toMatchObject({ ok: false, status: 400 });
  });

  it('upload ids: the second and 12 hex digits, refused otherwise', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), fc.stringMatching(/^[0-9a-f]{12}$/), (at, hex) => {
        expect(newUploadId(at, hex)).toMatch(UPLOAD_ID);
      }),
    );
    expect(() => newUploadId(new Date(), 'ABCDEF012345')).toThrow('12 lower-case hex');
  });
});

/** A DirectStatementInbox that records what it was asked to presign. */
function fakeInbox(): DirectStatementInbox & { presigned: DirectUploadFile[]; statuses: Map<string, UploadStatus> } {
  const presigned: DirectUploadFile[] = [];
  const statuses = new Map<string, UploadStatus>();
  return {
    presigned,
    statuses,
    connectOrigin: ORIGIN,
    async presign(file) {
      presigned.push(file);
      const uploadId = `20261206T181500Z-${String(presigned.length).padStart(12, '0')}`;
      statuses.set(uploadId, { state: 'queued', name: file.name });
      return {
        uploadId,
        method: 'PUT',
        url: `${ORIGIN}/incoming/statements/${uploadId}--${file.name}?X-Amz-Signature=x`,
        headers: { 'content-type': file.contentType },
        expiresAt: '2026-12-06T18:20:00.000Z',
      };
    },
    async status(id) {
      return statuses.get(id);
    },
  };
}

function setUp() {
  const inbox = fakeInbox();
  const signedIn = headerSignedIn(ACTORS);
  const app = new Hono<UploadEnv>();
  registerUploadRoutes(app, { inbox, signedIn, csrfToken: (subject) => csrfToken(SECRET, subject), sameSecret, maxBytes: LIMIT });
  const presign = (user: string | undefined, body: unknown, contentType = 'application/json') =>
    app.request(PRESIGN_PATH, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType, ...(user ? { 'x-test-user': user } : {}) } });
  const csrfOf = (user: string) => csrfToken(SECRET, ACTORS[user]!.user);
  return { app, inbox, presign, csrfOf };
}

describe('direct upload routes', () => {
  it('a reconciler or approver gets a presigned PUT of exactly the checked file, and its page', async () => {
    const { app, inbox, presign, csrfOf } = setUp();
    for (const user of ['rita', 'anna']) {
      const response = await presign(user, { csrf: csrfOf(user), name: 'camt 053 (March).xml', size: 1234, contentType: 'text/xml' });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { uploadId: string; url: string; method: string; headers: Record<string, string>; statusUrl: string };
      expect(body).toMatchObject({ method: 'PUT', headers: { 'content-type': 'text/xml' }, statusUrl: `/uploads/${body.uploadId}` });
      const page = await app.request(body.statusUrl, { headers: { 'x-test-user': user } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('is in the ingest bucket, waiting for the reconciliation workflow');
    }
    expect(inbox.presigned).toEqual([
      { name: 'camt_053_(March).xml', size: 1234, contentType: 'text/xml' },
      { name: 'camt_053_(March).xml', size: 1234, contentType: 'text/xml' },
    ]);
  });

  it('every refusal answers before anything is presigned: viewer, CSRF, not JSON, not one file, too large, empty, bad name, card number', async () => {
    const { inbox, presign, csrfOf } = setUp();
    const good = { csrf: csrfOf('rita'), name: 'a.xml', size: 10 };
    const cases: [string | undefined, unknown, number, string?][] = [
      [undefined, good, 401],
      ['victor', { ...good, csrf: csrfOf('victor') }, 403],
      ['rita', { ...good, csrf: undefined }, 403],
      ['rita', { ...good, csrf: csrfOf('anna') }, 403],
      ['rita', 'not json', 400],
      ['rita', { csrf: csrfOf('rita') }, 400],
      ['rita', { ...good, size: LIMIT + 1 }, 413],
      ['rita', { ...good, size: 0 }, 400],
      ['rita', { ...good, name: '../a.xml' }, 400],
      ['rita', { ...good, name: 'x.xml.part' }, 400],
      ['rita', { ...good, name: 'stmt-4111111111111111.xml' }, 422],
      ['rita', good, 415, 'text/plain'],
    ];
    for (const [user, body, status, contentType] of cases) {
      const response = await presign(user, body, contentType);
      expect([JSON.stringify(body), response.status]).toEqual([JSON.stringify(body), status]);
      expect(await response.text()).not.toContain('4111111111111111');
    }
    expect(inbox.presigned).toEqual([]);
  });

  it('the page: the same form, told to presign, the direct script after the drop zone, and a note for browsers without script; the form POST itself is refused unread', async () => {
    const { app } = setUp();
    const page = await (await app.request('/uploads', { headers: { 'x-test-user': 'rita' } })).text();
    expect(page).toContain(`<form class="panel" method="post" action="/uploads" enctype="multipart/form-data" data-presign="${PRESIGN_PATH}">`);
    expect(page).toContain(`<script src="${UPLOAD_SCRIPT_PATH}" defer></script><script src="${UPLOAD_DIRECT_SCRIPT_PATH}" defer></script>`);
    expect(page).toMatch(/<noscript>.*turn JavaScript on to upload/s);
    expect(page).not.toMatch(/\sstyle=|\son[a-z]+=|<script>/i);
    const script = await app.request(UPLOAD_DIRECT_SCRIPT_PATH);
    expect(await script.text()).toBe(UPLOAD_DIRECT_SCRIPT);
    // It talks to the workbench's presign path and to the URL it returns, nothing else.
    expect(UPLOAD_DIRECT_SCRIPT.match(/fetch\(([a-z.]+)/g)).toEqual(['fetch(presign', 'fetch(put.url']);
    expect(UPLOAD_DIRECT_SCRIPT).not.toMatch(/innerHTML|eval\(|XMLHttpRequest/);
    const form = new FormData();
    form.set('csrf', csrfToken(SECRET, reconciler.user));
    form.set('file', new Blob(['x']), 'a.xml');
    const posted = await app.request('/uploads', { method: 'POST', body: form, headers: { 'x-test-user': 'rita' } });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('turn JavaScript on');
  });

  it('mounted in the workbench app: the CSP allows the storage origin in connect-src and nothing wider; without a direct inbox it is unchanged', async () => {
    const build = (inbox?: DirectStatementInbox) =>
      createWorkbenchApp({
        store: memoryStore(),
        authenticator: headerAuthenticator(),
        clock: steppingClock(),
        csrfSecret: SECRET,
        ...(inbox ? { inbox } : {}),
      });
    const get = (app: ReturnType<typeof build>, path: string) => app.fetch(new Request(`http://workbench.invalid${path}`, { headers: { 'x-test-user': 'rita' } }));
    const direct = build(fakeInbox());
    const csp = (await get(direct, '/uploads')).headers.get('content-security-policy')!;
    expect(csp.split('; ').find((directive) => directive.startsWith('connect-src'))).toBe(`connect-src 'self' ${ORIGIN}`);
    expect(csp).toContain("default-src 'none'");
    expect((await get(direct, '/cases')).headers.get('content-security-policy')).toBe(csp);
    const response = await direct.fetch(
      new Request(`http://workbench.invalid${PRESIGN_PATH}`, {
        method: 'POST',
        headers: { 'x-test-user': 'rita', 'content-type': 'application/json' },
        body: JSON.stringify({ csrf: csrfToken(SECRET, reconciler.user), name: 'camt053.xml', size: 100 }),
      }),
    );
    expect(response.status).toBe(200);
    expect((await get(build(), '/cases')).headers.get('content-security-policy')).toBe(SECURITY_HEADERS['content-security-policy']);
  });
});
