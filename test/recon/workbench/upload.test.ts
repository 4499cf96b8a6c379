/**
 * Statement upload from the workbench (REC-RUN-1): a file sent from the page lands in the inbox
 * folder whole (never as a file the inbox could take half-written), is shown queued, and after
 * `ledgerline inbox` (runInbox, the same code the command runs) the page shows the committed run,
 * which the workbench store holds; a bad file shows the quarantine reason the inbox wrote; a file
 * the inbox could not take for another reason (the ledger unreadable) shows Failed with the reason
 * the inbox kept, until a later inbox takes it; the pages' navigation links the upload page for
 * those who may upload; the
 * same file again shows the earlier run. Refused with nothing written: more than the limit (413),
 * a file name that is a path or one the inbox passes over (400, generated names included), a card
 * number in the name (422), no or a wrong CSRF token (403), a viewer (403), not multipart (415).
 * The routes run behind a sign-in stand-in (a header names the user), as app.ts mounts them
 * behind its own; once more through createWorkbenchApp itself (its body limit leaves the upload
 * to the upload's own).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { Hono } from 'hono';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { runInbox } from '../../../src/recon/run/inbox';
import { createWorkbenchApp, csrfToken, SECURITY_HEADERS, sameSecret } from '../../../src/recon/workbench/app';
import { type Actor, WorkbenchError } from '../../../src/recon/workbench/cases';
import { escapeHtml } from '../../../src/recon/workbench/html';
import { FolderStatementInbox } from '../../../src/recon/workbench/upload-inbox';
import { registerUploadRoutes, UPLOAD_CSS, UPLOAD_SCRIPT, UPLOAD_SCRIPT_PATH, UPLOAD_STYLESHEET_PATH, uploadFileName, type UploadEnv } from '../../../src/recon/workbench/upload';
import { tempDir } from '../../support/runtime';
import { BAI2_UNKNOWN, CAMT053, writeLedger } from '../run/helpers';
import { approver, headerAuthenticator, headerSignedIn, memoryStore, reconciler, steppingClock, viewer } from './helpers';

const SECRET = 'upload-test-secret';
const ACTORS: Record<string, Actor> = { rita: reconciler, anna: approver, victor: viewer };
const LIMIT = 64 * 1024;

function setUp(maxBytes = LIMIT) {
  const root = tempDir('workbench-upload-');
  const inboxDir = join(root, 'inbox');
  const out = join(root, 'out');
  mkdirSync(inboxDir);
  const ledger = writeLedger(root);
  const inbox = new FolderStatementInbox(inboxDir, out);
  const signedIn = headerSignedIn(ACTORS);
  const app = new Hono<UploadEnv>();
  registerUploadRoutes(app, { inbox, signedIn, csrfToken: (subject) => csrfToken(SECRET, subject), sameSecret, maxBytes });
  const post = async (user: string | undefined, fields: { name?: string; content?: string | Buffer; csrf?: string | null }) => {
    const form = new FormData();
    const actor = user ? ACTORS[user] : undefined;
    if (fields.csrf !== null) form.set('csrf', fields.csrf ?? (actor ? csrfToken(SECRET, actor.user) : ''));
    if (fields.content !== undefined) form.set('file', new Blob([fields.content]), fields.name ?? 'statement.xml');
    return app.request('/uploads', { method: 'POST', body: form, headers: user ? { 'x-test-user': user } : {} });
  };
  const get = (path: string, user = 'victor') => app.request(path, { headers: { 'x-test-user': user } });
  const inboxOnce = (ledgerFile = ledger) => runInbox({ dir: inboxDir, out, ledger: { file: ledgerFile }, once: true, progress: () => undefined });
  /** Every file under the inbox (the inbox's own lock file aside). */
  const files = (): string[] =>
    readdirSync(inboxDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => join(entry.parentPath, entry.name).slice(inboxDir.length + 1))
      .sort();
  return { app, post, get, inboxOnce, files, inboxDir, out, root };
}

const uploadIdOf = (response: Response): string => {
  expect(response.status).toBe(303);
  const location = response.headers.get('location')!;
  expect(location).toMatch(/^\/uploads\/\d{8}T\d{6}Z-[0-9a-f]{12}$/);
  return location.slice('/uploads/'.length);
};

describe('statement upload', () => {
  it('a good file: queued in the inbox whole, then the committed run, which the workbench store holds', async () => {
    const { post, get, inboxOnce, files, inboxDir, out } = setUp(1024 * 1024);
    const response = await post('rita', { name: 'camt053 March.xml', content: readFileSync(CAMT053) });
    const id = uploadIdOf(response);
    // In the inbox under its upload id, byte for byte; nothing partial left beside it.
    expect(files()).toEqual([`${id}--camt053_March.xml`]);
    expect(readFileSync(join(inboxDir, `${id}--camt053_March.xml`))).toEqual(readFileSync(CAMT053));

    const queued = await get(`/uploads/${id}`);
    expect(queued.status).toBe(200);
    expect(queued.headers.get('refresh')).toBe('3');
    expect(await queued.text()).toContain('<strong>Queued.</strong> camt053_March.xml is in the inbox');

    const [event] = await inboxOnce();
    expect(event).toMatchObject({ outcome: 'reconciled' });
    const committed = await get(`/uploads/${id}`);
    const page = await committed.text();
    expect(committed.headers.get('refresh')).toBeNull();
    expect(page).toContain(`<strong>Committed.</strong> camt053_March.xml was reconciled in run <code class="run-id">${event!.runId}</code>`);
    // The run is the workbench's: its statistics are in <out>/workbench.db.
    const db = openWorkbenchDatabase(out);
    try {
      expect((await new SqliteWorkbenchStore(db).runStats()).map((run) => run.runId)).toContain(event!.runId);
    } finally {
      db.close();
    }

    // The same file again: no second run, the page names the first.
    const again = uploadIdOf(await post('anna', { name: 'again.xml', content: readFileSync(CAMT053) }));
    expect((await inboxOnce())[0]).toMatchObject({ outcome: 'reuploaded', runId: event!.runId });
    expect(await (await get(`/uploads/${again}`)).text()).toContain(
      `<strong>Already reconciled.</strong> again.xml holds statements reconciled before (run <code class="run-id">${event!.runId}</code>)`,
    );
  }, 60_000);

  it('a bad file: the page shows the reason the inbox wrote to its quarantine', async () => {
    const { post, get, inboxOnce, inboxDir } = setUp();
    const id = uploadIdOf(await post('anna', { name: 'unknown.txt', content: readFileSync(BAI2_UNKNOWN) }));
    const [event] = await inboxOnce();
    expect(event!.outcome).toBe('quarantined');
    const reasonFile = join(inboxDir, 'quarantine', `${id}--unknown.txt.reason.txt`);
    const reason = readFileSync(reasonFile, 'utf8');
    const field = (name: string) =>
      reason
        .split('\n')
        .find((line) => line.startsWith(`${name}: `))!
        .slice(name.length + 2);
    const page = await (await get(`/uploads/${id}`)).text();
    expect(page).toContain('<strong>Quarantined.</strong> unknown.txt was not reconciled');
    // The reason as the inbox wrote it, the file named as the person named it (no server path, no upload id).
    const shown = `${field('problem')}: ${field('reason')}`.split(`${inboxDir}/${id}--`).join('');
    expect(shown).toMatch(/^unknown-format: unknown.txt line 1: unknown statement format/);
    expect(page).toContain(`<pre class="reason">${escapeHtml(shown)}</pre>`);
    expect(page).not.toContain(inboxDir);
  }, 60_000);

  it('a file the inbox could not take for another reason (the ledger unreadable): Failed with the reason it kept, until a later inbox takes it', async () => {
    const { post, get, inboxOnce, files, root } = setUp(1024 * 1024);
    const id = uploadIdOf(await post('rita', { name: 'camt053.xml', content: readFileSync(CAMT053) }));
    const badLedger = writeLedger(root, ['L-BAD,NL26VAYB8060476890,EUR,1.234,2014-12-31,2014-12-31,R,'], 'bad-ledger.csv');
    const [failed] = await inboxOnce(badLedger);
    expect(failed).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('field "amount"') });
    // The file stays in the inbox; its reason is kept beside it, not in the quarantine (nothing is wrong with the file).
    expect(files()).toEqual([`${id}--camt053.xml`, `failed/${id}--camt053.xml.reason.txt`, 'quarantine/bad-ledger.csv', 'quarantine/bad-ledger.csv.reason.txt']);

    const response = await get(`/uploads/${id}`);
    expect(response.status).toBe(200);
    // Not "Queued" forever: no looking again every few seconds either.
    expect(response.headers.get('refresh')).toBeNull();
    const page = await response.text();
    expect(page).not.toContain('Queued.');
    expect(page).toMatch(/<div class="panel upload-status failed" role="alert"><strong>Failed\.<\/strong> camt053\.xml was not reconciled \(at \d{4}-\d\d-\d\dT[\d:.]+Z\):/);
    const shown = /<pre class="reason">([^<]*)<\/pre>/.exec(page)![1]!;
    // The reason as the inbox kept it, with no server path: the ledger named by its file name.
    expect(failed!.reason).toContain(badLedger);
    expect(shown).toBe(escapeHtml(failed!.reason!.split(badLedger).join('bad-ledger.csv')));
    expect(shown).toMatch(/^bad-ledger\.csv line 2: field &quot;amount&quot;/);
    expect(page).not.toContain(root);

    // The ledger fixed, the inbox takes the file: Committed, and the kept reason is gone.
    const [taken] = await inboxOnce();
    expect(taken).toMatchObject({ outcome: 'reconciled' });
    expect(files().filter((file) => file.startsWith('failed/'))).toEqual([]);
    expect(await (await get(`/uploads/${id}`)).text()).toContain(`<strong>Committed.</strong> camt053.xml was reconciled in run <code class="run-id">${taken!.runId}</code>`);
  }, 60_000);

  it('more than the limit: 413, nothing written', async () => {
    const { post, files } = setUp(1024);
    const response = await post('rita', { name: 'big.xml', content: Buffer.alloc(1025, 65) });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('larger than the upload limit');
    // A body far past the limit is refused by its length, before it is read.
    expect((await post('rita', { name: 'huge.xml', content: Buffer.alloc(200 * 1024, 65) })).status).toBe(413);
    expect(files()).toEqual([]);
    // At the limit it is taken.
    uploadIdOf(await post('rita', { name: 'exact.xml', content: Buffer.alloc(1024, 65) }));
    expect(files()).toHaveLength(1);
  });

  it('file names that are paths, hidden, or passed over by the inbox: 400, nothing written', async () => {
    const { post, files } = setUp();
    const refused = ['../x.xml', '..\\x.xml', '/etc/passwd', 'a/b.xml', 'C:\\x.xml', 'c:x.xml', '..', '.', '.hidden.xml', 'x.xml.part', 'x.tmp', 'x.xml~', 'a..b', 'x\u0000.xml', 'x\n.xml', '   '];
    for (const name of refused) {
      const response = await post('rita', { name, content: 'x' });
      expect([name, response.status]).toEqual([name, 400]);
    }
    expect(files()).toEqual([]);
  });

  it('generated names: each refused by name, or kept inside the inbox under a plain name', () => {
    const inboxDir = resolve('/srv/inbox');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[./\\a-z:]{1,12}$/), fc.constantFrom('…/..', '..%2f', '%2e%2e/', '\u202e.xml')), (name) => {
        let kept: string;
        try {
          kept = uploadFileName(name);
        } catch (error) {
          expect(error).toBeInstanceOf(WorkbenchError);
          expect((error as WorkbenchError).httpStatus === 400 || (error as WorkbenchError).httpStatus === 422).toBe(true);
          return;
        }
        expect(kept).toMatch(/^[A-Za-z0-9._()+-]+$/);
        expect(kept).not.toMatch(/^\.|\.\./);
        expect(resolve(inboxDir, `20250101T000000Z-000000000000--${kept}`).startsWith(`${inboxDir}/`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a card number in the file name: 422, never echoed', async () => {
    const { post, files } = setUp();
    const response = await post('rita', { name: 'statement-4111111111111111.xml', content: 'x' });
    expect(response.status).toBe(422);
    expect(await response.text()).not.toContain('4111111111111111');
    expect(files()).toEqual([]);
  });

  it('no CSRF token or a wrong one: 403, nothing written', async () => {
    const { post, files } = setUp();
    for (const csrf of [null, '', csrfToken(SECRET, 'someone-else@bank.example'), csrfToken('another-secret', reconciler.user)]) {
      const response = await post('rita', { name: 'a.xml', content: 'x', csrf });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('CSRF check failed');
    }
    expect(files()).toEqual([]);
  });

  it('a viewer may not upload (403, the form is not shown); reconcilers and approvers get the form with their token', async () => {
    const { post, get, files } = setUp();
    const refused = await post('victor', { name: 'a.xml', content: 'x' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs the reconciler or approver role');
    expect((await get('/uploads', 'victor')).status).toBe(403);
    expect(files()).toEqual([]);
    for (const user of ['rita', 'anna']) {
      const form = await get('/uploads', user);
      expect(form.status).toBe(200);
      const page = await form.text();
      // Works without script: a plain form posting the file and the token.
      expect(page).toContain('<form class="panel" method="post" action="/uploads" enctype="multipart/form-data">');
      expect(page).toContain(`<input type="hidden" name="csrf" value="${csrfToken(SECRET, ACTORS[user]!.user)}">`);
      expect(page).toContain('<input id="statement-file" type="file" name="file" required>');
      expect(page).toContain(`<script src="${UPLOAD_SCRIPT_PATH}" defer></script>`);
      expect(page).not.toMatch(/\sstyle=|\son[a-z]+=|<script>/i);
    }
  });

  it('not signed in: 401; not multipart: 415; no file or an empty one: 400; an unknown upload id: 404', async () => {
    const { app, post, get } = setUp();
    expect((await post(undefined, { name: 'a.xml', content: 'x' })).status).toBe(401);
    expect((await app.request('/uploads', { method: 'POST', body: 'csrf=x', headers: { 'x-test-user': 'rita', 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await post('rita', {})).status).toBe(400);
    expect((await post('rita', { name: 'empty.xml', content: '' })).status).toBe(400);
    for (const id of ['20250101T000000Z-000000000000', 'nope', '..%2F..%2Fetc', '20250101T000000Z-00000000000g']) expect((await get(`/uploads/${id}`)).status).toBe(404);
  });

  it('serves its script and stylesheet (no inline code in the page)', async () => {
    const { get } = setUp();
    const script = await get(UPLOAD_SCRIPT_PATH);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toBe(UPLOAD_SCRIPT);
    // The script only fills the form's own file input and submits the same form.
    expect(UPLOAD_SCRIPT).not.toMatch(/fetch\(|XMLHttpRequest|innerHTML|eval\(/);
    const css = await get(UPLOAD_STYLESHEET_PATH);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(await css.text()).toBe(UPLOAD_CSS);
  });

  it('mounted in the workbench app: an upload past the 64 KiB body limit of the app is taken, any other form that big still is not', async () => {
    const root = tempDir('workbench-upload-app-');
    const inboxDir = join(root, 'inbox');
    mkdirSync(inboxDir);
    const app = createWorkbenchApp({
      store: memoryStore(),
      authenticator: headerAuthenticator(),
      clock: steppingClock(),
      csrfSecret: SECRET,
      inbox: new FolderStatementInbox(inboxDir, join(root, 'out')),
    });
    const form = new FormData();
    form.set('csrf', csrfToken(SECRET, reconciler.user));
    form.set('file', new Blob([Buffer.alloc(200 * 1024, 65)]), 'big.xml');
    const upload = (headers: Record<string, string>) => app.fetch(new Request('http://workbench.invalid/uploads', { method: 'POST', body: form, headers }));
    expect((await upload({})).status).toBe(401);
    const id = uploadIdOf(await upload({ 'x-test-user': 'rita' }));
    expect(readdirSync(inboxDir)).toEqual([`${id}--big.xml`]);
    const page = await app.fetch(new Request('http://workbench.invalid/uploads', { headers: { 'x-test-user': 'rita' } }));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(SECURITY_HEADERS['content-security-policy']);
    const other = await app.fetch(
      new Request('http://workbench.invalid/cases/x/actions', {
        method: 'POST',
        body: 'a'.repeat(100 * 1024),
        headers: { 'x-test-user': 'rita', 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(other.status).toBe(413);
  });

  it("every page's navigation links the upload page for those who may upload, and only for them", async () => {
    const root = tempDir('workbench-upload-nav-');
    mkdirSync(join(root, 'inbox'));
    const app = createWorkbenchApp({
      store: memoryStore(),
      authenticator: { authenticate: async (request) => ACTORS[request.headers['x-test-user'] ?? '']! },
      clock: steppingClock(),
      csrfSecret: SECRET,
      inbox: new FolderStatementInbox(join(root, 'inbox'), join(root, 'out')),
    });
    const nav = async (path: string, user: string) => {
      const text = await (await app.fetch(new Request(`http://workbench.invalid${path}`, { headers: { 'x-test-user': user } }))).text();
      return /<nav class="links">(.*?)<\/nav>/.exec(text)?.[1];
    };
    for (const path of ['/cases', '/dashboard', '/cases/no-such-case']) {
      for (const user of ['rita', 'anna'])
        expect([path, user, await nav(path, user)]).toEqual([path, user, '<a href="/cases">Cases</a><a href="/dashboard">Dashboard</a><a href="/uploads">Upload</a>']);
      // A viewer may not upload: no link to a page that refuses them.
      expect([path, await nav(path, 'victor')]).toEqual([path, '<a href="/cases">Cases</a><a href="/dashboard">Dashboard</a>']);
    }
    expect(await nav('/uploads', 'rita')).toContain('<a href="/uploads">Upload</a>');
  });

  it('the inbox folder gone: 503, and the file is nowhere', async () => {
    const { post, inboxDir } = setUp();
    const { rmSync } = await import('node:fs');
    rmSync(inboxDir, { recursive: true });
    const response = await post('rita', { name: 'a.xml', content: 'x' });
    expect(response.status).toBe(503);
    expect(existsSync(inboxDir)).toBe(false);
  });
});
