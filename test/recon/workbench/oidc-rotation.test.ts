/**
 * WB-AUTH-1: session rotation never signs out a parallel request. A browser sends a page and its
 * CSS (or two tabs) with the same cookie at the rotation moment: one request rotates the id, the
 * other is answered as the new session, with no second new id. The old id answers so only for
 * ROTATION_GRACE_SECONDS, never rotates or extends anything, and is refused after; sign-out kills
 * both ids. Driven through OidcSignIn with an injected clock, on the embedded store (SQLite) and
 * the DynamoDB store (dynalite with transactions): hand-written cases, then generated sequences of
 * requests, parallel pairs, waits, sign-ins and sign-outs against a model.
 */
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { DynamoSessionStore } from '../../../src/adapters/aws/dynamo-session-store';
import { SqliteSessionStore } from '../../../src/adapters/embedded/workbench-store';
import { createWorkbenchApp, csrfToken } from '../../../src/recon/workbench/app';
import { OidcSignIn, ROTATION_GRACE_SECONDS, SESSION_COOKIE_NAME } from '../../../src/recon/workbench/oidc';
import { type Authentication, AuthenticationError, type SessionStore } from '../../../src/recon/workbench/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { SessionTables } from '../aws/support/sessions-table';
import { memoryStore } from './helpers';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const GRACE = ROTATION_GRACE_SECONDS * SECOND;
const IDLE = 30 * MINUTE;
const ABSOLUTE = 60 * MINUTE;
const ROTATE = 15 * MINUTE;
/** oidc.ts records activity at most this often (a request within it does not move lastSeenAt). */
const TOUCH_EVERY = 30 * SECOND;
const SIGNED_IN = /^ledgerline_session=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Lax$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const randomId = () => randomBytes(32).toString('base64url');

interface Harness {
  sessions: SessionStore;
  signIn: OidcSignIn;
  clock: { at: number };
}

function harness(sessions: SessionStore, limits: { rotateSeconds?: number; idleSeconds?: number } = {}): Harness {
  const clock = { at: T0 };
  const signIn = new OidcSignIn({
    issuer: 'http://127.0.0.1:9/issuer',
    clientId: 'workbench',
    clientSecret: 'secret',
    baseUrl: 'http://127.0.0.1:8080',
    groupRoles: { recon: 'reconciler' },
    sessions,
    clock: { now: () => new Date(clock.at) },
    idleSeconds: limits.idleSeconds ?? IDLE / SECOND,
    absoluteSeconds: ABSOLUTE / SECOND,
    rotateSeconds: limits.rotateSeconds ?? ROTATE / SECOND,
    // No issuer to reach: sign-out ends at /signed-out.
    fetch: () => Promise.reject(new Error('offline')),
  });
  return { sessions, signIn, clock };
}

/** A signed-in browser's session as the callback stores it; returns the cookie's id. */
async function signedIn(h: Harness, who = { sub: '00u1ana', csrfKey: randomId() }): Promise<string> {
  const id = randomId();
  const at = h.clock.at;
  await h.sessions.createSession({ key: sha256(id), sub: who.sub, name: `Name of ${who.sub}`, roles: ['reconciler'], csrfKey: who.csrfKey, createdAt: at, lastSeenAt: at, rotatedAt: at });
  return id;
}

const request = (id: string) => ({ method: 'GET', path: '/cases', query: {}, headers: { cookie: `other=1; ${SESSION_COOKIE_NAME}=${id}` }, body: '' });

/** The answer to one request: the authentication, or the refusal's message. */
async function ask(h: Harness, id: string): Promise<Authentication | { refused: string }> {
  try {
    return await h.signIn.authenticate(request(id));
  } catch (error) {
    if (error instanceof AuthenticationError) return { refused: error.message };
    throw error;
  }
}

/** The new id a response sets, if any. */
function newIdOf(answer: Authentication | { refused: string }): string | undefined {
  if ('refused' in answer) return undefined;
  const cookies = answer.setCookies ?? [];
  expect(cookies.length).toBeLessThanOrEqual(1);
  if (cookies.length === 0) return undefined;
  const match = SIGNED_IN.exec(cookies[0]!);
  expect(match).not.toBeNull();
  return match![1]!;
}

async function signOut(h: Harness, id: string, csrfKey: string) {
  const page = h.signIn.pages['/logout']!;
  return page.answer({ method: 'POST', path: '/logout', query: {}, headers: { cookie: `${SESSION_COOKIE_NAME}=${id}` }, body: `csrf=${encodeURIComponent(csrfToken(csrfKey, 'sign-out'))}` });
}

/** The browser-visible parts of an answer: signed in as whom, and whether it sets a new id. */
function outcome(answer: Authentication | { refused: string }): string {
  if ('refused' in answer) return /has expired/.test(answer.refused) ? 'expired' : 'refused';
  return `${answer.actor.user}/${answer.csrfSubject}${answer.setCookies?.length ? '+cookie' : ''}`;
}

const tables = new SessionTables(['rotation-0', 'rotation-1']);
let opened = 0;
beforeAll(async () => {
  await tables.start();
}, 60_000);
afterAll(async () => {
  await tables.stop();
});

const STORES: [string, () => Promise<SessionStore>][] = [
  ['SQLite', async () => new SqliteSessionStore(openMemoryDatabase())],
  [
    'DynamoDB',
    async () => {
      const tableName = `rotation-${opened++ % 2}`;
      await tables.clear(tableName);
      return new DynamoSessionStore({ client: tables.client, tableName, absoluteSeconds: ABSOLUTE / SECOND });
    },
  ],
];

describe.each(STORES)('session rotation with a grace window (WB-AUTH-1) on %s', (_name, fresh) => {
  it('two parallel requests at the rotation moment both succeed as the same person, and exactly one sets the one new id', async () => {
    const h = harness(await fresh());
    const who = { sub: '00u1ana', csrfKey: randomId() };
    const old = await signedIn(h, who);
    h.clock.at += ROTATE + 1;
    const answers = await Promise.all([ask(h, old), ask(h, old)]);
    expect(answers.map(outcome).sort()).toEqual([`00u1ana/${who.csrfKey}`, `00u1ana/${who.csrfKey}+cookie`]);
    const next = answers.map(newIdOf).find((id) => id !== undefined)!;
    // The new id is the session; the old one points to it; nothing else was minted.
    expect(await h.sessions.session(sha256(next))).toMatchObject({ sub: '00u1ana', rotatedAt: h.clock.at, previousKey: sha256(old) });
    expect(await h.sessions.session(sha256(old))).toMatchObject({ replacedBy: sha256(next), replacedAt: h.clock.at });
    expect(outcome(await ask(h, next))).toBe(`00u1ana/${who.csrfKey}`);
  });

  it('many parallel requests (a page, its styles, two tabs) at the rotation moment: all succeed, one new id', async () => {
    const h = harness(await fresh());
    const old = await signedIn(h);
    h.clock.at += ROTATE;
    const answers = await Promise.all(Array.from({ length: 6 }, () => ask(h, old)));
    expect(answers.filter((answer) => 'refused' in answer)).toEqual([]);
    expect(answers.map(newIdOf).filter((id) => id !== undefined)).toHaveLength(1);
  });

  it('the old id works inside the window (as the new session, no cookie, no rotation) and is refused from its end on', async () => {
    const h = harness(await fresh());
    const who = { sub: '00u2bo', csrfKey: randomId() };
    const old = await signedIn(h, who);
    h.clock.at += ROTATE + 5 * SECOND;
    const rotatedAt = h.clock.at;
    const next = newIdOf(await ask(h, old))!;
    expect(next).toBeDefined();
    for (const after of [0, 1, GRACE / 2, GRACE - 1]) {
      h.clock.at = rotatedAt + after;
      const answer = await ask(h, old);
      expect(outcome(answer)).toBe(`00u2bo/${who.csrfKey}`);
    }
    // Its use within the window kept the NEW session alive (touched), never minted a third id.
    expect((await h.sessions.session(sha256(next)))!.replacedBy).toBeUndefined();
    for (const after of [GRACE, GRACE + 1, 10 * MINUTE]) {
      h.clock.at = rotatedAt + after;
      expect(outcome(await ask(h, old))).toBe('refused');
    }
    expect(outcome(await ask(h, next))).toBe(`00u2bo/${who.csrfKey}`);
  });

  it("the old id inside the window has the new session's expiry: absolute and idle (and expiring through it deletes both)", async () => {
    // Absolute: rotation 10 s before the limit (kept alive by requests every 10 minutes).
    const a = harness(await fresh(), { rotateSeconds: ABSOLUTE / SECOND - 10 });
    const old = await signedIn(a);
    for (let minutes = 10; minutes < 60; minutes += 10) {
      a.clock.at = T0 + minutes * MINUTE;
      expect(newIdOf(await ask(a, old))).toBeUndefined();
    }
    a.clock.at = T0 + ABSOLUTE - 10 * SECOND;
    const next = newIdOf(await ask(a, old))!;
    expect(next).toBeDefined();
    a.clock.at = T0 + ABSOLUTE - 1;
    expect('refused' in (await ask(a, old))).toBe(false);
    a.clock.at = T0 + ABSOLUTE;
    expect(outcome(await ask(a, old))).toBe('expired');
    expect(outcome(await ask(a, next))).toBe('refused');
    expect(await a.sessions.session(sha256(next))).toBeUndefined();

    // Idle: 20 s without a request on the NEW session, though its old id is still within its window.
    const b = harness(await fresh(), { rotateSeconds: 10, idleSeconds: 20 });
    const first = await signedIn(b);
    b.clock.at = T0 + 10 * SECOND;
    const second = newIdOf(await ask(b, first))!;
    b.clock.at = T0 + 29 * SECOND;
    expect('refused' in (await ask(b, first))).toBe(false);
    b.clock.at = T0 + 30 * SECOND;
    expect(outcome(await ask(b, first))).toBe('expired');
    for (const id of [first, second]) expect(await b.sessions.session(sha256(id))).toBeUndefined();
  });

  it('the old id never rotates, never follows more than one replacement, never outlives a deleted new session', async () => {
    // Rotation every 10 s, shorter than the window: the old id must still not mint anything.
    const h = harness(await fresh(), { rotateSeconds: 10 });
    const who = { sub: '00u3cy', csrfKey: randomId() };
    const k0 = await signedIn(h, who);
    h.clock.at += 10 * SECOND;
    const k1 = newIdOf(await ask(h, k0))!;
    h.clock.at += 15 * SECOND;
    // k1 is due for rotation, but k0 (within its window) is answered without rotating anything.
    expect(outcome(await ask(h, k0))).toBe(`00u3cy/${who.csrfKey}`);
    expect((await h.sessions.session(sha256(k1)))!.replacedBy).toBeUndefined();
    const k2 = newIdOf(await ask(h, k1))!;
    expect(k2).toBeDefined();
    // k0 → k1 → k2: k0 is followed once only, to a replaced record: refused though inside its window.
    expect(outcome(await ask(h, k0))).toBe('refused');
    expect(outcome(await ask(h, k1))).toBe(`00u3cy/${who.csrfKey}`);
  });

  it('sign-out with the new id kills the old one inside its window, and sign-out with the old one kills the new', async () => {
    for (const signOutWith of ['new', 'old'] as const) {
      const h = harness(await fresh());
      const who = { sub: '00u4di', csrfKey: randomId() };
      const old = await signedIn(h, who);
      h.clock.at += ROTATE;
      const next = newIdOf(await ask(h, old))!;
      h.clock.at += 2 * SECOND;
      const out = await signOut(h, signOutWith === 'new' ? next : old, who.csrfKey);
      expect(out.status).toBe(303);
      expect(out.headers.location).toBe('/signed-out');
      expect(out.headers['set-cookie']).toMatch(new RegExp(`^${SESSION_COOKIE_NAME}=; .*Max-Age=0$`));
      for (const id of [old, next]) {
        expect(outcome(await ask(h, id))).toBe('refused');
        expect(await h.sessions.session(sha256(id))).toBeUndefined();
      }
    }
  });

  it('through the app: the page and its parallel API call at the rotation moment both answer 200; one response sets the new cookie', async () => {
    const h = harness(await fresh());
    const old = await signedIn(h);
    const app = createWorkbenchApp({ store: memoryStore(), authenticator: h.signIn, clock: { now: () => new Date(h.clock.at) }, csrfSecret: 'secret' });
    h.clock.at += ROTATE + 1;
    const [page, api] = await Promise.all(['/cases', '/api/cases'].map((path) => app({ ...request(old), path })));
    expect([page!.status, api!.status]).toEqual([200, 200]);
    const cookies = [page!, api!].flatMap((response) => (response.headers['set-cookie'] ?? '').split('\n').filter((cookie) => cookie.startsWith(`${SESSION_COOKIE_NAME}=`)));
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(SIGNED_IN);
  });

  it('generated sequences of requests, parallel pairs, waits, sign-ins and sign-outs agree with the model', async () => {
    type Op =
      | { kind: 'signIn'; slot: number }
      | { kind: 'copy'; from: number; to: number }
      | { kind: 'wait'; ms: number }
      | { kind: 'request'; slot: number }
      | { kind: 'pair'; slot: number }
      | { kind: 'signOut'; slot: number };
    const slot = fc.integer({ min: 0, max: 2 });
    const waits = [0, SECOND, GRACE - SECOND, GRACE, GRACE + SECOND, 5 * MINUTE, ROTATE - SECOND, ROTATE, 16 * MINUTE, IDLE, 31 * MINUTE];
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('signIn' as const), slot: fc.constant(2) }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('copy' as const), from: slot, to: slot }), weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(...waits) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('request' as const), slot }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('pair' as const), slot }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('signOut' as const), slot }), weight: 2 },
    );

    /** The model: one entry per signed-in session, its current id and the one it replaced. */
    interface Lineage {
      sub: string;
      csrfKey: string;
      current: string;
      previous?: string;
      replacedAt?: number;
      createdAt: number;
      lastSeenAt: number;
      rotatedAt: number;
      gone: boolean;
    }

    await fc.assert(
      // Every sequence starts with a sign-in copied into a second tab (which keeps the old id when the first rotates).
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (generated) => {
        const ops: Op[] = [{ kind: 'signIn', slot: 0 }, { kind: 'copy', from: 0, to: 1 }, ...generated];
        const h = harness(await fresh());
        const lineageOf = new Map<string, Lineage>();
        const browsers = new Map<number, string>();
        let people = 0;

        const resolve = (id: string): { lineage: Lineage; old: boolean } | undefined => {
          const lineage = lineageOf.get(id);
          if (!lineage || lineage.gone) return undefined;
          if (lineage.current === id) return { lineage, old: false };
          if (lineage.previous === id && h.clock.at - lineage.replacedAt! < GRACE) return { lineage, old: true };
          return undefined;
        };
        /** What the model says one request with `id` gets; applies it (the new id comes from the answer). */
        const expected = (id: string): { outcome: string; rotates?: Lineage } => {
          const found = resolve(id);
          if (!found) return { outcome: 'refused' };
          const { lineage, old } = found;
          const now = h.clock.at;
          if (now - lineage.createdAt >= ABSOLUTE || now - lineage.lastSeenAt >= IDLE) {
            lineage.gone = true;
            return { outcome: 'expired' };
          }
          const who = `${lineage.sub}/${lineage.csrfKey}`;
          if (!old && now - lineage.rotatedAt >= ROTATE) return { outcome: `${who}+cookie`, rotates: lineage };
          if (now - lineage.lastSeenAt >= TOUCH_EVERY) lineage.lastSeenAt = now;
          return { outcome: who };
        };
        const rotate = (lineage: Lineage, next: string) => {
          Object.assign(lineage, { previous: lineage.current, current: next, replacedAt: h.clock.at, rotatedAt: h.clock.at, lastSeenAt: h.clock.at });
          lineageOf.set(next, lineage);
        };

        for (const step of ops) {
          switch (step.kind) {
            case 'signIn': {
              const who = { sub: `00u${people++}`, csrfKey: randomId() };
              const id = await signedIn(h, who);
              const at = h.clock.at;
              lineageOf.set(id, { ...who, current: id, createdAt: at, lastSeenAt: at, rotatedAt: at, gone: false });
              browsers.set(step.slot, id);
              break;
            }
            case 'copy':
              if (browsers.has(step.from)) browsers.set(step.to, browsers.get(step.from)!);
              break;
            case 'wait':
              h.clock.at += step.ms;
              break;
            case 'request': {
              const id = browsers.get(step.slot);
              if (!id) break;
              const want = expected(id);
              const answer = await ask(h, id);
              expect(outcome(answer)).toBe(want.outcome);
              if (want.rotates) {
                const next = newIdOf(answer)!;
                rotate(want.rotates, next);
                browsers.set(step.slot, next);
              }
              break;
            }
            case 'pair': {
              // The same cookie twice at once: the model answers them one after the other (either order: the same outcomes).
              const id = browsers.get(step.slot);
              if (!id) break;
              const first = expected(id);
              const answers = await Promise.all([ask(h, id), ask(h, id)]);
              if (first.rotates) {
                const next = answers.map(newIdOf).find((found) => found !== undefined)!;
                expect(next).toBeDefined();
                rotate(first.rotates, next);
                browsers.set(step.slot, next);
              }
              const second = expected(id);
              expect(second.rotates).toBeUndefined();
              // Both may read an expired session before either deletes it: "expired" or "refused", a 401 either way.
              const refusal = (found: string) => (found === 'expired' ? 'refused' : found);
              expect(answers.map(outcome).map(refusal).sort()).toEqual([first.outcome, second.outcome].map(refusal).sort());
              break;
            }
            case 'signOut': {
              const id = browsers.get(step.slot);
              if (!id) break;
              const found = resolve(id);
              const out = await signOut(h, id, lineageOf.get(id)!.csrfKey);
              expect(out.status).toBe(found ? 303 : 200);
              if (found) {
                found.lineage.gone = true;
                for (const key of [found.lineage.current, found.lineage.previous]) if (key) expect(await h.sessions.session(sha256(key))).toBeUndefined();
              }
              break;
            }
          }
        }
        // A session gone (signed out, or expired through either id) has neither id left in the store.
        for (const lineage of new Set(lineageOf.values())) {
          if (!lineage.gone) continue;
          for (const key of [lineage.current, lineage.previous]) if (key) expect(await h.sessions.session(sha256(key))).toBeUndefined();
        }
        // Every id ever issued answers as the model says, now.
        for (const id of [...lineageOf.keys()]) {
          const want = expected(id);
          const answer = await ask(h, id);
          expect(outcome(answer)).toBe(want.outcome);
          if (want.rotates) rotate(want.rotates, newIdOf(answer)!);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
