import { businessKey, decideDuplicate, DEFAULT_DEDUP_CONFIG, dedupClaim } from '../../src/domain/dedup';
import { redriveExecutionName, sweep } from '../../src/domain/sweeper';
import { markRetrying } from '../../src/domain/transaction-state';
import { markRunning } from '../support/transaction-state';
import { authorisedEvent } from '../../src/domain/ingest';
import { openMemoryDatabase } from '../support/memory-database';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { SqliteDedupStore } from '../../src/adapters/embedded/dedup-store';
import type { LedgerEvent } from '../../src/domain/events';
import type { Redriver, TransactionState } from '../../src/ports';
import { VersionConflictError } from '../../src/ports';
import { authorisation, CapturingPublisher, fixedClock } from '../support/builders';

describe('dedup business key (FR2)', () => {
  it('uses network, STAN, RRN, transmission time and amount; not the authorisation id', () => {
    const a = authorisation();
    expect(businessKey({ ...a, authorizationId: 'OTHER' })).toBe(businessKey(a));
    expect(businessKey({ ...a, transmittedAt: '2026-11-01T11:00:00+01:00' })).toBe(businessKey(a)); // same instant
    expect(businessKey({ ...a, amount: { value: '25.0', currency: 'GBP' } })).toBe(businessKey(a)); // same amount
    for (const change of [
      { stan: '123457' },
      { rrn: '000000654322' },
      { network: 'MASTERCARD' },
      { transmittedAt: '2026-11-01T10:00:01Z' },
      { amount: { value: '25.01', currency: 'GBP' } },
      { amount: { value: '25.00', currency: 'EUR' } },
    ]) {
      expect(businessKey({ ...a, ...change })).not.toBe(businessKey(a));
    }
  });

  it('parks a different event with the same key, and treats its own re-delivery as no news', async () => {
    const store = new SqliteDedupStore(openMemoryDatabase());
    const original = authorisedEvent(authorisation(), '2026-11-01T10:00:01Z');
    const resend = authorisedEvent(authorisation({ authorizationId: 'AUTH-2' }), '2026-11-01T10:00:02Z');
    const now = 1_800_000_000;
    const config = { windowSeconds: 3600 };
    const claim1 = dedupClaim(original, now, config);
    expect(decideDuplicate(original, claim1, await store.claim(claim1, now), 'x').kind).toBe('unique');
    expect(decideDuplicate(original, claim1, await store.claim(claim1, now), 'x').kind).toBe('redelivery');
    const claim2 = dedupClaim(resend, now + 10, config);
    const outcome = decideDuplicate(resend, claim2, await store.claim(claim2, now + 10), 'x');
    expect(outcome.kind).toBe('duplicate');
    if (outcome.kind === 'duplicate') {
      expect(outcome.event.data).toMatchObject({ reason: 'DUPLICATE_BUSINESS_KEY', originalEventId: original.id, originalAuthorizationId: 'AUTH-1' });
    }
    // after the window the key may be claimed again
    const late = dedupClaim(resend, now + 3601, config);
    expect((await store.claim(late, now + 3601)).claimed).toBe(true);
  });
});

describe('transaction state + sweeper (SWEEP-1, SWEEP-2)', () => {
  function setup() {
    const store = new SqliteTransactionStateStore(openMemoryDatabase());
    const redrives: string[] = [];
    const redriver: Redriver = {
      async redrive(name) {
        if (redrives.includes(name)) return 'already-started';
        redrives.push(name);
        return 'started';
      },
    };
    return { store, redrives, redriver, publisher: new CapturingPublisher() };
  }
  const event = authorisedEvent(authorisation(), '2026-11-01T10:00:01Z') as LedgerEvent;

  it('uses optimistic locking on the version attribute', async () => {
    const { store } = setup();
    await markRunning(store, event, fixedClock.now());
    const current = (await store.get(event.correlationId))!;
    expect(current).toMatchObject({ status: 'RUNNING', version: 1 });
    await store.put({ ...current, attempts: 1 }, 1);
    await expect(store.put({ ...current, attempts: 2 }, 1)).rejects.toBeInstanceOf(VersionConflictError);
    await markRunning(store, event, fixedClock.now()); // already tracked: no error, no change
    expect((await store.get(event.correlationId))!.version).toBe(2);
  });

  it('complete ends a transaction in one write, creating it if absent, and never reopens an ended one', async () => {
    const { store } = setup();
    await markRunning(store, event, fixedClock.now());
    await store.complete(event.correlationId, 'AUTH-1', fixedClock.now());
    expect(await store.get(event.correlationId)).toMatchObject({ status: 'COMPLETED', version: 2 });
    expect(await store.listByStatus('RUNNING', 10)).toHaveLength(0);
    await store.complete('absent', 'AUTH-X', fixedClock.now());
    expect(await store.get('absent')).toMatchObject({ status: 'COMPLETED', version: 1, authorizationId: 'AUTH-X' });
    await markRetrying(store, { ...event, correlationId: 'other' } as LedgerEvent, 'rules', new Error('x'), fixedClock.now());
    await store.put({ ...(await store.get('other'))!, status: 'FAILED' }, 1);
    await store.complete('other', 'AUTH-1', fixedClock.now());
    expect(await store.get('other')).toMatchObject({ status: 'FAILED', version: 2 });
  });

  it('keeps sparse indexes: an item is listed only under its current status', async () => {
    const { store } = setup();
    await markRunning(store, event, fixedClock.now());
    expect(await store.listByStatus('RUNNING', 10)).toHaveLength(1);
    await markRetrying(store, event, 'rules', new Error('boom'), fixedClock.now());
    expect(await store.listByStatus('RUNNING', 10)).toHaveLength(0);
    expect((await store.listByStatus('RETRYING', 10)).map((s) => s.lastError)).toEqual(['Error: boom']);
  });

  it('re-drives under the threshold with deterministic names, then fails with a reason', async () => {
    const { store, redrives, redriver, publisher } = setup();
    const deps = { transactions: store, redriver, publisher, clock: fixedClock };
    const config = { maxAttempts: 2, pageSize: 10 };
    for (let round = 1; round <= 2; round += 1) {
      await markRetrying(store, event, 'rules', new Error(`fail ${round}`), fixedClock.now());
      expect(await sweep(deps, config)).toMatchObject({ examined: 1, redriven: 1, failed: 0 });
      expect((await store.get(event.correlationId))!).toMatchObject({ status: 'RUNNING', attempts: round });
    }
    expect(redrives).toEqual([`${event.correlationId}-rules-r1`, `${event.correlationId}-rules-r2`]);
    expect(redriveExecutionName({ transactionId: event.correlationId, stage: 'rules', attempts: 0 })).toBe(redrives[0]);
    await markRetrying(store, event, 'rules', new Error('fail 3'), fixedClock.now());
    expect(await sweep(deps, config)).toMatchObject({ examined: 1, redriven: 0, failed: 1 });
    const failed = (await store.get(event.correlationId))!;
    expect(failed.status).toBe('FAILED');
    expect(failed.lastError).toContain('retries exhausted after 2 re-drive(s) at stage rules: Error: fail 3');
    expect(await store.listByStatus('FAILED', 10)).toHaveLength(1);
    expect(publisher.published.map((e) => e.type)).toEqual(['posting.failed']);
    expect(await sweep(deps, config)).toMatchObject({ examined: 0 });
  });
});

describe('limits: the dedup window and the sweeper (FR2-FR4, FR9)', () => {
  it('a claim blocks its key through the last second of the window and frees it the second after', async () => {
    const store = new SqliteDedupStore(openMemoryDatabase());
    const original = authorisedEvent(authorisation(), '2026-11-01T10:00:01Z');
    const resend = authorisedEvent(authorisation({ authorizationId: 'AUTH-2' }), '2026-11-01T10:00:02Z');
    const now = 1_800_000_000;
    const config = { windowSeconds: 600 };
    const claim = dedupClaim(original, now, config);
    expect(claim.expiresAt).toBe(now + 600);
    expect((await store.claim(claim, now)).claimed).toBe(true);
    for (const at of [now + 1, now + 599, now + 600]) {
      const again = dedupClaim(resend, at, config);
      expect([at - now, decideDuplicate(resend, again, await store.claim(again, at), 'x').kind]).toEqual([at - now, 'duplicate']);
    }
    const after = dedupClaim(resend, now + 601, config);
    expect(decideDuplicate(resend, after, await store.claim(after, now + 601), 'x').kind).toBe('unique');
  });

  it('the default window is 7 days', () => {
    expect(DEFAULT_DEDUP_CONFIG.windowSeconds).toBe(604_800);
    expect(dedupClaim(authorisedEvent(authorisation(), '2026-11-01T10:00:01Z'), 0, DEFAULT_DEDUP_CONFIG).expiresAt).toBe(604_800);
  });

  function retrying(attempts: number, id = 'txn-1'): TransactionState {
    const pending = { ...authorisedEvent(authorisation({ authorizationId: `A-${id}` }), '2026-11-01T10:00:01Z'), correlationId: id } as LedgerEvent;
    return {
      transactionId: id,
      authorizationId: `A-${id}`,
      status: 'RETRYING',
      stage: 'rules',
      attempts,
      lastError: 'Error: x',
      pendingEvent: pending,
      version: 0,
      updatedAt: '2026-11-01T10:00:01.000Z',
    };
  }

  it.each([
    [0, 'RUNNING', 1],
    [2, 'RUNNING', 1], // maxAttempts - 1: one more re-drive
    [3, 'FAILED', 0], // maxAttempts: no more
    [4, 'FAILED', 0],
  ])('maxAttempts 3: a transaction re-driven %i times ends %s', async (attempts, status, redriven) => {
    const store = new SqliteTransactionStateStore(openMemoryDatabase());
    await store.put(retrying(attempts), 0);
    const redriver: Redriver = { redrive: async () => 'started' };
    const result = await sweep({ transactions: store, redriver, publisher: new CapturingPublisher(), clock: fixedClock }, { maxAttempts: 3, pageSize: 10 });
    expect(result).toEqual({ examined: 1, redriven, alreadyRedriven: 0, failed: 1 - redriven });
    expect((await store.get('txn-1'))!.status).toBe(status);
  });

  it("a store that refuses one candidate's write defers that one alone: it stays RETRYING, the page goes on, the next sweep moves it (CHAOS-1)", async () => {
    const store = new SqliteTransactionStateStore(openMemoryDatabase());
    for (let i = 0; i < 4; i += 1) await store.put(retrying(0, `txn-${i}`), 0);
    let refuse = true;
    const flaky = Object.assign(Object.create(store) as SqliteTransactionStateStore, {
      put: async (state: TransactionState, expectedVersion: number) => {
        if (refuse && state.transactionId === 'txn-1') throw new Error('SQLITE_BUSY: database is locked');
        return store.put(state, expectedVersion);
      },
    });
    const names: string[] = [];
    const redriver: Redriver = {
      async redrive(name) {
        if (names.includes(name)) return 'already-started';
        names.push(name);
        return 'started';
      },
    };
    const deps = { transactions: flaky, redriver, publisher: new CapturingPublisher(), clock: fixedClock };
    expect(await sweep(deps, { maxAttempts: 3, pageSize: 10 })).toEqual({ examined: 4, redriven: 4, alreadyRedriven: 0, failed: 0, deferred: 1 });
    expect((await store.listByStatus('RETRYING', 10)).map((t) => t.transactionId)).toEqual(['txn-1']);
    refuse = false;
    // Its re-drive was started already: the next sweep finds it under the same name and moves it on.
    expect(await sweep(deps, { maxAttempts: 3, pageSize: 10 })).toEqual({ examined: 1, redriven: 0, alreadyRedriven: 1, failed: 0 });
    expect(await store.listByStatus('RETRYING', 10)).toEqual([]);
    expect(names).toHaveLength(4);
  });

  it('a sweep examines at most pageSize transactions; the next sweep takes the rest', async () => {
    const store = new SqliteTransactionStateStore(openMemoryDatabase());
    for (let i = 0; i < 4; i += 1) await store.put(retrying(0, `txn-${i}`), 0);
    const deps = { transactions: store, redriver: { redrive: async () => 'started' as const }, publisher: new CapturingPublisher(), clock: fixedClock };
    expect((await sweep(deps, { maxAttempts: 3, pageSize: 3 })).examined).toBe(3);
    expect((await sweep(deps, { maxAttempts: 3, pageSize: 3 })).examined).toBe(1);
    expect((await sweep(deps, { maxAttempts: 3, pageSize: 3 })).examined).toBe(0);
  });

  it('execution names are at most 80 characters, deterministic, and only [A-Za-z0-9_-]', () => {
    const exact = 'x'.repeat(80 - '-rules-r1'.length);
    expect(redriveExecutionName({ transactionId: exact, stage: 'rules', attempts: 0 })).toBe(`${exact}-rules-r1`);
    expect(redriveExecutionName({ transactionId: `${exact}y`, stage: 'rules', attempts: 0 })).toBe(`${exact}y-rules-r`);
    expect(redriveExecutionName({ transactionId: 'a:b/c d', stage: undefined, attempts: 2 })).toBe('a-b-c-d-unknown-r3');
  });

  it('the failure reason on posting.failed is at most 1000 characters', async () => {
    const store = new SqliteTransactionStateStore(openMemoryDatabase());
    await store.put({ ...retrying(3), lastError: 'E'.repeat(2000) }, 0);
    const publisher = new CapturingPublisher();
    await sweep({ transactions: store, redriver: { redrive: async () => 'started' }, publisher, clock: fixedClock }, { maxAttempts: 3, pageSize: 10 });
    const failed = publisher.published[0] as LedgerEvent<'posting.failed'>;
    expect(failed.data.reason).toHaveLength(1000);
    expect(failed.data.reason.startsWith('retries exhausted after 3 re-drive(s) at stage rules: EEE')).toBe(true);
  });
});

describe('the business key and the dedup events, as documented (FR2, FR4)', () => {
  it('is 12 hex digits of the transmission time in UTC ms, then 52 hex digits of the hash', () => {
    const key = businessKey(authorisation({ transmittedAt: '2026-11-01T11:00:00.000+01:00' }));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key.slice(0, 12)).toBe(Date.UTC(2026, 10, 1, 10, 0, 0).toString(16).padStart(12, '0'));
    expect(key.slice(0, 12)).toBe('01a1968d3900');
  });

  it('a unique payment passes on with its authorisation and key, from the dedup stage', async () => {
    const store = new SqliteDedupStore(openMemoryDatabase());
    const event = authorisedEvent(authorisation(), '2026-11-01T10:00:01Z');
    const claim = dedupClaim(event, 1_800_000_000, { windowSeconds: 60 });
    const outcome = decideDuplicate(event, claim, await store.claim(claim, 1_800_000_000), '2026-11-01T10:00:02Z');
    expect(outcome.kind).toBe('unique');
    expect(outcome.event).toMatchObject({ type: 'payment.deduplicated', source: 'ledgerline.dedup', correlationId: event.correlationId });
    expect(outcome.event.data).toEqual({ authorisation: event.data.authorisation, businessKey: claim.businessKey });
  });
});
