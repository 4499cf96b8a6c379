/**
 * The navigation's Upload link follows the workbench's options: a workbench started without an
 * inbox (and the one on AWS, which has none) has no upload page, so no page links it, for any role;
 * with an inbox, every page links it for those who may upload (reconcilers, approvers), never for a
 * viewer. A page rendered without the app's options (the layout alone) links no upload page.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkbenchApp } from '../../../src/recon/workbench/app';
import { type Actor } from '../../../src/recon/workbench/cases';
import { html, linksUpload, page, pageActor } from '../../../src/recon/workbench/html';
import { FolderStatementInbox } from '../../../src/recon/workbench/upload-inbox';
import { tempDir } from '../../support/runtime';
import { approver, exceptionCase, memoryStore, raisedEvent, reconciler, steppingClock, viewer } from './helpers';

const ACTORS: Record<string, Actor> = { rita: reconciler, anna: approver, victor: viewer };
const LINKS = '<a href="/cases">Cases</a><a href="/dashboard">Dashboard</a>';
const UPLOAD = '<a href="/uploads">Upload</a>';
const c = exceptionCase();
/** Every kind of page a signed-in person sees: the list, the dashboard, a case, a bulk preview, an error page. */
const PAGES = ['/cases', '/dashboard', `/cases/${encodeURIComponent(c.caseId)}`, '/bulk', '/cases/no-such-case'];

async function workbench(withInbox: boolean) {
  const store = memoryStore();
  await store.save(c, raisedEvent(c));
  let inbox: FolderStatementInbox | undefined;
  if (withInbox) {
    const root = tempDir('workbench-nav-upload-');
    mkdirSync(join(root, 'inbox'));
    inbox = new FolderStatementInbox(join(root, 'inbox'), join(root, 'out'));
  }
  const app = createWorkbenchApp({
    store,
    authenticator: { authenticate: async (request) => ACTORS[request.headers['x-test-user'] ?? '']! },
    clock: steppingClock(),
    csrfSecret: 'nav-secret',
    ...(inbox ? { inbox } : {}),
  });
  const get = async (path: string, user: string) => {
    const response = await app.fetch(new Request(`http://workbench.invalid${path}`, { headers: { 'x-test-user': user } }));
    return { status: response.status, text: await response.text() };
  };
  const nav = async (path: string, user: string) => /<nav class="links">(.*?)<\/nav>/.exec((await get(path, user)).text)?.[1];
  return { get, nav };
}

describe('the Upload link', () => {
  it('without an inbox: no page links an upload page, for any role, and there is none (404)', async () => {
    const { get, nav } = await workbench(false);
    for (const path of PAGES) for (const user of Object.keys(ACTORS)) expect([path, user, await nav(path, user)]).toEqual([path, user, LINKS]);
    expect((await get('/uploads', 'rita')).status).toBe(404);
  });

  it('with an inbox: every page links it for reconcilers and approvers, never for a viewer; the link leads to the form', async () => {
    const { get, nav } = await workbench(true);
    for (const path of PAGES) {
      for (const user of ['rita', 'anna']) expect([path, user, await nav(path, user)]).toEqual([path, user, `${LINKS}${UPLOAD}`]);
      expect([path, await nav(path, 'victor')]).toEqual([path, LINKS]);
    }
    const form = await get('/uploads', 'rita');
    expect([form.status, form.text.includes('Upload a statement')]).toEqual([200, true]);
  });

  it('the layout links it only with the options saying so and a role that may upload', () => {
    const nav = (actor: Actor | undefined) => /<nav class="links">(.*?)<\/nav>/.exec(page('t', actor, html`x`))?.[1];
    for (const actor of [reconciler, approver, viewer]) {
      const may = actor !== viewer;
      expect([actor.user, linksUpload(actor), nav(actor)]).toEqual([actor.user, false, LINKS]);
      expect([actor.user, linksUpload(pageActor(actor, { uploads: false })), nav(pageActor(actor, { uploads: false }))]).toEqual([actor.user, false, LINKS]);
      expect([actor.user, linksUpload(pageActor(actor, { uploads: true })), nav(pageActor(actor, { uploads: true }))]).toEqual([actor.user, may, may ? `${LINKS}${UPLOAD}` : LINKS]);
    }
    expect(nav(undefined)).toBe(LINKS);
    // The options travel beside the identity, never in it: nothing of them is serialised with the actor.
    expect(JSON.parse(JSON.stringify(pageActor(reconciler, { uploads: true })))).toEqual(reconciler);
  });
});
