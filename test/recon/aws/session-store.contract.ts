/**
 * WB-AUTH-1: the one contract every workbench SessionStore keeps (embedded SQLite, DynamoDB on
 * dynalite with transactions): sessions read back whole, touched in place, rotated atomically (the
 * old key kept only as a pointer to the new one for the grace window: marked `replacedBy` /
 * `replacedAt`, never touched, never rotated again; of concurrent rotations one wins), signed out;
 * pending sign-ins taken once however many callbacks race. Hand-written cases for each rule, then
 * generated operation sequences checked against a model.
 */
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { PendingSignIn, SessionRecord, SessionStore } from '../../../src/recon/workbench/ports';

export interface SessionStoreHarness {
  /** A fresh, empty store. */
  fresh(): Promise<SessionStore>;
  /**
   * Whether `purge` deletes what is past its bounds (SQLite) or leaves it to the store's TTL
   * (DynamoDB: a no-op that says so). Either way it never drops what is within them.
   */
  purgeDeletes: boolean;
  /** Generated sequences to run (each on a fresh store). */
  runs: number;
}

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');
const newKey = () => hashOf(randomBytes(32).toString('base64url'));
/** The end of a rotation's grace window as the sign-in code passes it (oidc.ts: 30 s after the rotation). */
const graceEnd = (next: SessionRecord) => next.rotatedAt + 30_000;
/** What the old key reads after `next` replaced it. */
const replaced = (old: SessionRecord, next: SessionRecord): SessionRecord => ({ ...old, lastSeenAt: next.rotatedAt, replacedBy: next.key, replacedAt: next.rotatedAt });

function session(key: string, extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    key,
    sub: '00u1ana',
    name: 'Ana Reconciler — ✓ é',
    roles: ['reconciler', 'approver'],
    csrfKey: randomBytes(16).toString('base64url'),
    idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMHUxYW5hIn0.c2ln',
    createdAt: T0,
    lastSeenAt: T0,
    rotatedAt: T0,
    ...extra,
  };
}

function pending(extra: Partial<PendingSignIn> = {}): PendingSignIn {
  return { state: randomBytes(32).toString('base64url'), nonce: randomBytes(32).toString('base64url'), codeVerifier: randomBytes(32).toString('base64url'), createdAt: T0, ...extra };
}

type Op =
  | { kind: 'create'; slot: number; at: number }
  | { kind: 'touch'; slot: number; at: number }
  | { kind: 'rotate'; slot: number; at: number }
  | { kind: 'delete'; slot: number }
  | { kind: 'save'; slot: number }
  | { kind: 'take'; slot: number };

export function sessionStoreContract(name: string, harness: SessionStoreHarness): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    beforeEach(async () => {
      store = await harness.fresh();
    });

    it('reads a session back whole by its key; an unknown key is no session', async () => {
      const record = session(newKey(), { idToken: undefined, roles: ['viewer'] });
      await store.createSession(record);
      expect(await store.session(record.key)).toEqual(record);
      const full = session(newKey(), { createdAt: T0 + 1, lastSeenAt: T0 + 2, rotatedAt: T0 + 3 });
      await store.createSession(full);
      expect(await store.session(full.key)).toEqual(full);
      expect(await store.session(newKey())).toBeUndefined();
    });

    it('a touch moves lastSeenAt only; touching a signed-out key creates nothing', async () => {
      const record = session(newKey());
      await store.createSession(record);
      await store.touchSession(record.key, T0 + 45_000);
      expect(await store.session(record.key)).toEqual({ ...record, lastSeenAt: T0 + 45_000 });
      const gone = newKey();
      await store.touchSession(gone, T0 + 1);
      expect(await store.session(gone)).toBeUndefined();
    });

    it('rotation: the new key reads the session; the old key reads only as replaced by it; a replaced or missing key does not rotate again', async () => {
      const record = session(newKey());
      await store.createSession(record);
      const next = { ...record, key: newKey(), previousKey: record.key, lastSeenAt: T0 + 900_000, rotatedAt: T0 + 900_000 };
      expect(await store.replaceSession(record.key, next, graceEnd(next))).toBe(true);
      expect(await store.session(record.key)).toEqual(replaced(record, next));
      expect(await store.session(next.key)).toEqual(next);
      // The old key again (a second rotation from the same cookie): refused, nothing written.
      const again = { ...next, key: newKey(), rotatedAt: T0 + 900_001 };
      expect(await store.replaceSession(record.key, again, graceEnd(again))).toBe(false);
      expect(await store.session(again.key)).toBeUndefined();
      expect(await store.session(record.key)).toEqual(replaced(record, next));
      expect(await store.session(next.key)).toEqual(next);
      // The new key rotates on in its turn; a key never stored does not rotate.
      const third = { ...next, key: newKey(), previousKey: next.key, lastSeenAt: T0 + 1_800_000, rotatedAt: T0 + 1_800_000 };
      expect(await store.replaceSession(next.key, third, graceEnd(third))).toBe(true);
      expect(await store.session(next.key)).toEqual(replaced(next, third));
      expect(await store.session(third.key)).toEqual(third);
      const stray = { ...third, key: newKey() };
      expect(await store.replaceSession(newKey(), stray, graceEnd(stray))).toBe(false);
      expect(await store.session(stray.key)).toBeUndefined();
    });

    it('a replaced key is never touched (its lastSeenAt stays its replacedAt); deleting it leaves the new session alone, and the other way round', async () => {
      const record = session(newKey());
      await store.createSession(record);
      const next = { ...record, key: newKey(), previousKey: record.key, lastSeenAt: T0 + 60_000, rotatedAt: T0 + 60_000 };
      expect(await store.replaceSession(record.key, next, graceEnd(next))).toBe(true);
      await store.touchSession(record.key, T0 + 70_000);
      expect(await store.session(record.key)).toEqual(replaced(record, next));
      await store.touchSession(next.key, T0 + 75_000);
      expect(await store.session(next.key)).toEqual({ ...next, lastSeenAt: T0 + 75_000 });
      await store.deleteSession(record.key);
      expect(await store.session(record.key)).toBeUndefined();
      expect(await store.session(next.key)).toEqual({ ...next, lastSeenAt: T0 + 75_000 });

      const other = session(newKey());
      await store.createSession(other);
      const otherNext = { ...other, key: newKey(), previousKey: other.key, lastSeenAt: T0 + 60_000, rotatedAt: T0 + 60_000 };
      expect(await store.replaceSession(other.key, otherNext, graceEnd(otherNext))).toBe(true);
      await store.deleteSession(otherNext.key);
      expect(await store.session(otherNext.key)).toBeUndefined();
      expect(await store.session(other.key)).toEqual(replaced(other, otherNext));
    });

    it('of concurrent rotations of one session exactly one wins: only its key is written, and the old key points to it', async () => {
      const record = session(newKey());
      await store.createSession(record);
      const candidates = Array.from({ length: 5 }, (_, i) => ({ ...record, key: newKey(), rotatedAt: T0 + i + 1, lastSeenAt: T0 + i + 1 }));
      const results = await Promise.all(candidates.map((next) => store.replaceSession(record.key, next, graceEnd(next))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const readable = await Promise.all(candidates.map((next) => store.session(next.key)));
      expect(readable.map((found) => found !== undefined)).toEqual(results);
      const winner = candidates[results.indexOf(true)]!;
      expect(await store.session(record.key)).toEqual(replaced(record, winner));
    });

    it('sign-out deletes the session (twice is harmless) and leaves other sessions alone', async () => {
      const mine = session(newKey());
      const theirs = session(newKey(), { sub: '00u2bo' });
      await store.createSession(mine);
      await store.createSession(theirs);
      await store.deleteSession(mine.key);
      await store.deleteSession(mine.key);
      expect(await store.session(mine.key)).toBeUndefined();
      expect(await store.session(theirs.key)).toEqual(theirs);
    });

    it('a pending sign-in is taken once: a replayed callback finds nothing; an unknown or absurd state is no sign-in', async () => {
      const request = pending();
      await store.savePendingSignIn(request);
      expect(await store.takePendingSignIn(request.state)).toEqual(request);
      expect(await store.takePendingSignIn(request.state)).toBeUndefined();
      expect(await store.takePendingSignIn(pending().state)).toBeUndefined();
      expect(await store.takePendingSignIn('x'.repeat(4096))).toBeUndefined();
    });

    it('of concurrent callbacks with one state exactly one takes the sign-in', async () => {
      const request = pending();
      await store.savePendingSignIn(request);
      const taken = await Promise.all(Array.from({ length: 6 }, () => store.takePendingSignIn(request.state)));
      expect(taken.filter((found) => found !== undefined)).toEqual([request]);
    });

    it(`purge never drops a session or sign-in within its bounds${harness.purgeDeletes ? ', and drops those past them' : ' (past them: left to TTL)'}`, async () => {
      const live = session(newKey(), { createdAt: T0, lastSeenAt: T0 + 1_000 });
      const old = session(newKey(), { createdAt: T0 - 10_000, lastSeenAt: T0 + 1_000 });
      const idle = session(newKey(), { createdAt: T0, lastSeenAt: T0 - 1 });
      const fresh = pending({ createdAt: T0 });
      const stale = pending({ createdAt: T0 - 1 });
      for (const record of [live, old, idle]) await store.createSession(record);
      for (const request of [fresh, stale]) await store.savePendingSignIn(request);
      await store.purge(T0 - 1, T0, T0);
      expect(await store.session(live.key)).toEqual(live);
      if (harness.purgeDeletes) {
        expect(await store.session(old.key)).toBeUndefined();
        expect(await store.session(idle.key)).toBeUndefined();
      }
      expect(await store.takePendingSignIn(fresh.state)).toEqual(fresh);
      if (harness.purgeDeletes) expect(await store.takePendingSignIn(stale.state)).toBeUndefined();
    });

    it('generated sequences of sign-ins, touches, rotations and sign-outs agree with the model', async () => {
      const slot = fc.integer({ min: 0, max: 3 });
      const at = fc.integer({ min: 1, max: 3_600_000 });
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ kind: fc.constant('create' as const), slot, at }),
        fc.record({ kind: fc.constant('touch' as const), slot, at }),
        fc.record({ kind: fc.constant('rotate' as const), slot, at }),
        fc.record({ kind: fc.constant('delete' as const), slot }),
        fc.record({ kind: fc.constant('save' as const), slot }),
        fc.record({ kind: fc.constant('take' as const), slot }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
          const subject = await harness.fresh();
          // Slot → the key currently held by that browser (and every key it ever held), the model's sessions.
          const held = new Map<number, string>();
          const everHeld: string[] = [];
          const model = new Map<string, SessionRecord>();
          const states = new Map<number, PendingSignIn>();
          const modelPending = new Map<string, PendingSignIn>();
          for (const step of ops) {
            const key = held.get(step.slot);
            switch (step.kind) {
              case 'create': {
                const record = session(newKey(), { createdAt: T0 + step.at, lastSeenAt: T0 + step.at, rotatedAt: T0 + step.at });
                await subject.createSession(record);
                model.set(record.key, record);
                held.set(step.slot, record.key);
                everHeld.push(record.key);
                break;
              }
              case 'touch':
                if (!key) break;
                await subject.touchSession(key, T0 + step.at);
                if (model.has(key) && model.get(key)!.replacedBy === undefined) model.set(key, { ...model.get(key)!, lastSeenAt: T0 + step.at });
                break;
              case 'rotate': {
                // The slot may hold a key replaced already (it keeps it: a browser that lost the race).
                if (!key) break;
                const old = model.get(key);
                const live = old !== undefined && old.replacedBy === undefined;
                const { replacedBy: _by, replacedAt: _at, ...base } = old ?? session(key);
                const next: SessionRecord = { ...base, key: newKey(), previousKey: key, lastSeenAt: T0 + step.at, rotatedAt: T0 + step.at };
                const rotated = await subject.replaceSession(key, next, graceEnd(next));
                expect(rotated).toBe(live);
                if (rotated) {
                  model.set(key, replaced(old!, next));
                  model.set(next.key, next);
                  if (step.at % 2 === 0) held.set(step.slot, next.key);
                  everHeld.push(next.key);
                }
                break;
              }
              case 'delete':
                if (!key) break;
                await subject.deleteSession(key);
                model.delete(key);
                break;
              case 'save': {
                const request = pending({ createdAt: T0 + step.slot });
                await subject.savePendingSignIn(request);
                states.set(step.slot, request);
                modelPending.set(request.state, request);
                break;
              }
              case 'take': {
                const request = states.get(step.slot);
                if (!request) break;
                expect(await subject.takePendingSignIn(request.state)).toEqual(modelPending.get(request.state));
                modelPending.delete(request.state);
                break;
              }
            }
          }
          for (const key of everHeld) expect(await subject.session(key)).toEqual(model.get(key));
        }),
        { numRuns: harness.runs },
      );
    }, 60_000);
  });
}
