/**
 * API-1: the one contract every IdempotencyStore keeps (embedded SQLite, DynamoDB on dynalite).
 * Hand-written cases for each rule, then generated operation sequences checked against a model.
 */
import fc from 'fast-check';
import type { ClaimResult, IdempotencyStore, StoredResponse } from '../../src/api/idempotency';

export interface StoreHarness {
  /** A fresh, empty store. */
  fresh(): Promise<IdempotencyStore>;
}

const LEASE = 1_000;
const RETENTION = 10_000;

const response = (n: number): StoredResponse => ({ status: 200 + (n % 3), headers: { 'content-type': 'application/json' }, body: `{"n":${n},"text":"é ✓ \\u0000"}` });

function claimOf(store: IdempotencyStore, clientId: string, key: string, fingerprint: string, nowMs: number): Promise<ClaimResult> {
  return store.claim({ clientId, key, fingerprint, nowMs, leaseMs: LEASE, retentionMs: RETENTION });
}

/** The reference model of the contract. */
class Model {
  private readonly records = new Map<string, { fp: string; done?: StoredResponse; lease: number; expires: number }>();
  claim(client: string, key: string, fp: string, now: number): ClaimResult {
    const id = `${client}\u0000${key}`;
    let record = this.records.get(id);
    if (record && record.expires <= now) record = undefined;
    if (!record) {
      this.records.set(id, { fp, lease: now + LEASE, expires: now + RETENTION });
      return { kind: 'claimed', takenOver: false };
    }
    if (record.fp !== fp) return { kind: 'fingerprint-mismatch' };
    if (record.done) return { kind: 'completed', response: record.done };
    if (record.lease > now) return { kind: 'in-flight', leaseUntilMs: record.lease };
    record.lease = now + LEASE;
    return { kind: 'claimed', takenOver: true };
  }
  complete(client: string, key: string, fp: string, r: StoredResponse, now: number): StoredResponse {
    const id = `${client}\u0000${key}`;
    const record = this.records.get(id);
    if (record && record.done && record.expires > now && record.fp === fp) return record.done;
    this.records.set(id, { fp, done: r, lease: 0, expires: now + RETENTION });
    return r;
  }
  release(client: string, key: string, fp: string, now: number): void {
    const record = this.records.get(`${client}\u0000${key}`);
    if (record && record.fp === fp && !record.done) record.lease = now;
  }
}

export function idempotencyStoreContract(name: string, harness: StoreHarness): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    it('claims a new key once; the same request again is in flight until it completes, then gets the stored bytes', async () => {
      const store = await harness.fresh();
      expect(await claimOf(store, 'c1', 'k1', 'fp-a', 0)).toEqual({ kind: 'claimed', takenOver: false });
      expect(await claimOf(store, 'c1', 'k1', 'fp-a', 10)).toEqual({ kind: 'in-flight', leaseUntilMs: LEASE });
      const kept = await store.complete({ clientId: 'c1', key: 'k1', fingerprint: 'fp-a', response: response(1), nowMs: 20, retentionMs: RETENTION });
      expect(kept).toEqual(response(1));
      const replay = await claimOf(store, 'c1', 'k1', 'fp-a', 30);
      expect(replay).toEqual({ kind: 'completed', response: response(1) });
      expect(replay.kind === 'completed' && replay.response.body).toBe(response(1).body);
    });

    it('refuses a different body under a used key, in flight or completed', async () => {
      const store = await harness.fresh();
      await claimOf(store, 'c1', 'k1', 'fp-a', 0);
      expect(await claimOf(store, 'c1', 'k1', 'fp-b', 1)).toEqual({ kind: 'fingerprint-mismatch' });
      await store.complete({ clientId: 'c1', key: 'k1', fingerprint: 'fp-a', response: response(2), nowMs: 2, retentionMs: RETENTION });
      expect(await claimOf(store, 'c1', 'k1', 'fp-b', 3)).toEqual({ kind: 'fingerprint-mismatch' });
      // Even after the lease would have ended.
      expect(await claimOf(store, 'c1', 'k1', 'fp-b', LEASE * 5)).toEqual({ kind: 'fingerprint-mismatch' });
    });

    it('keys are per client', async () => {
      const store = await harness.fresh();
      expect((await claimOf(store, 'c1', 'shared', 'fp-a', 0)).kind).toBe('claimed');
      expect((await claimOf(store, 'c2', 'shared', 'fp-b', 0)).kind).toBe('claimed');
    });

    it('a crashed claim (never completed) is taken over after its lease, by the same body only, and only once', async () => {
      const store = await harness.fresh();
      await claimOf(store, 'c1', 'k1', 'fp-a', 0);
      expect((await claimOf(store, 'c1', 'k1', 'fp-a', LEASE - 1)).kind).toBe('in-flight');
      const racers = await Promise.all(Array.from({ length: 8 }, () => claimOf(store, 'c1', 'k1', 'fp-a', LEASE + 5)));
      expect(racers.filter((r) => r.kind === 'claimed')).toEqual([{ kind: 'claimed', takenOver: true }]);
      expect(racers.filter((r) => r.kind !== 'claimed').every((r) => r.kind === 'in-flight')).toBe(true);
    });

    it('a released claim may be taken over at once by the same body', async () => {
      const store = await harness.fresh();
      await claimOf(store, 'c1', 'k1', 'fp-a', 0);
      await store.release('c1', 'k1', 'fp-a', 5);
      expect(await claimOf(store, 'c1', 'k1', 'fp-b', 6)).toEqual({ kind: 'fingerprint-mismatch' });
      expect(await claimOf(store, 'c1', 'k1', 'fp-a', 6)).toEqual({ kind: 'claimed', takenOver: true });
    });

    it('the first stored response wins a completion race: every completer answers with it', async () => {
      const store = await harness.fresh();
      await claimOf(store, 'c1', 'k1', 'fp-a', 0);
      const first = await store.complete({ clientId: 'c1', key: 'k1', fingerprint: 'fp-a', response: response(7), nowMs: 1, retentionMs: RETENTION });
      const second = await store.complete({ clientId: 'c1', key: 'k1', fingerprint: 'fp-a', response: response(8), nowMs: 2, retentionMs: RETENTION });
      expect(first).toEqual(response(7));
      expect(second).toEqual(response(7));
    });

    it('concurrent first claims of one key: exactly one wins', async () => {
      const store = await harness.fresh();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claimOf(store, 'c1', 'hot', 'fp-a', i)));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    });

    it('a record past its retention counts as absent', async () => {
      const store = await harness.fresh();
      await claimOf(store, 'c1', 'k1', 'fp-a', 0);
      await store.complete({ clientId: 'c1', key: 'k1', fingerprint: 'fp-a', response: response(1), nowMs: 1, retentionMs: RETENTION });
      expect(await claimOf(store, 'c1', 'k1', 'fp-b', 1 + RETENTION)).toEqual({ kind: 'claimed', takenOver: false });
    });

    it('generated operation sequences behave as the model', async () => {
      const op = fc.record({
        kind: fc.constantFrom('claim', 'claim', 'complete', 'release'),
        client: fc.constantFrom('c1', 'c2'),
        key: fc.constantFrom('k1', 'k2', 'k3'),
        fp: fc.constantFrom('fp-a', 'fp-b'),
        advance: fc.constantFrom(0, 1, 300, LEASE, RETENTION / 2, RETENTION),
        n: fc.nat(99),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          const store = await harness.fresh();
          const model = new Model();
          let now = 1_000_000;
          for (const o of ops) {
            now += o.advance;
            if (o.kind === 'claim') expect(await claimOf(store, o.client, o.key, o.fp, now)).toEqual(model.claim(o.client, o.key, o.fp, now));
            else if (o.kind === 'release') {
              await store.release(o.client, o.key, o.fp, now);
              model.release(o.client, o.key, o.fp, now);
            } else {
              // Complete only what the model says this request holds (as the API does).
              const expected = model.claim(o.client, o.key, o.fp, now);
              const actual = await claimOf(store, o.client, o.key, o.fp, now);
              expect(actual).toEqual(expected);
              if (actual.kind === 'claimed') {
                const r = response(o.n);
                expect(await store.complete({ clientId: o.client, key: o.key, fingerprint: o.fp, response: r, nowMs: now, retentionMs: RETENTION })).toEqual(
                  model.complete(o.client, o.key, o.fp, r, now),
                );
              }
            }
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}
