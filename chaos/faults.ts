/**
 * CHAOS-1: fault-injecting decorators of the ports (src/ports/index.ts) and a skewed clock.
 *
 * Each decorator fails a seeded share of calls with the errors the real stores throw: SQLite's
 * SQLITE_BUSY, DynamoDB's ProvisionedThroughputExceededException and ThrottlingException as the
 * SDK raises them, the TransientStoreError an AWS adapter wraps them in, and a "lost response"
 * (the call took effect, then the caller saw a timeout: the ambiguous failure that only
 * idempotency survives).
 *
 * Every fault is booked in a FaultBook under the keys the call was about (a business key, a
 * sequence id, a card token …). A later successful call about the same key recovers it, so at the
 * end each fault is either recovered or still outstanding, and the report can say which.
 */
import type { Prng } from '../src/generator/authorisations';
import type { Clock, DedupStore, LedgerStore, ReferenceData } from '../src/ports';
import { TransientStoreError } from '../src/ports';

export const FAULT_SHAPES = ['SQLITE_BUSY', 'ProvisionedThroughputExceededException', 'ThrottlingException', 'TransientStoreError', 'lost response'] as const;
export type FaultShape = (typeof FAULT_SHAPES)[number];

/** An error shaped as the real store raises it. */
export function faultError(shape: Exclude<FaultShape, 'lost response'> | 'TimeoutError', what: string): Error {
  switch (shape) {
    case 'SQLITE_BUSY':
      return Object.assign(new Error(`${what}: database is locked`), { name: 'SqliteError', code: 'SQLITE_BUSY' });
    case 'ProvisionedThroughputExceededException':
      return Object.assign(new Error(`${what}: The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.`), {
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400, attempts: 3 },
        $retryable: { throttling: true },
      });
    case 'ThrottlingException':
      return Object.assign(new Error(`${what}: Rate exceeded`), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 }, $retryable: { throttling: true } });
    case 'TransientStoreError':
      return new TransientStoreError(`${what}: ThrottlingException: Rate exceeded`, faultError('ThrottlingException', what));
    case 'TimeoutError':
      return Object.assign(new Error(`${what}: socket timed out after the request was sent`), { name: 'TimeoutError', $metadata: {} });
  }
}

interface Fault {
  port: string;
  shape: FaultShape;
  waitingOn: Set<string>;
}

/** The faults injected, and which were recovered by a later successful call about the same keys. */
export class FaultBook {
  private readonly faults: Fault[] = [];
  private readonly waiting = new Map<string, Set<number>>();
  private recoveredCount = 0;

  inject(port: string, shape: FaultShape, keys: readonly string[]): void {
    const index = this.faults.length;
    this.faults.push({ port, shape, waitingOn: new Set(keys) });
    for (const key of keys) {
      let set = this.waiting.get(key);
      if (!set) this.waiting.set(key, (set = new Set()));
      set.add(index);
    }
    if (keys.length === 0) this.recoveredCount += 1; // a call about nothing: nothing to recover
  }

  succeeded(keys: readonly string[]): void {
    for (const key of keys) {
      const waiting = this.waiting.get(key);
      if (!waiting) continue;
      this.waiting.delete(key);
      for (const index of waiting) {
        const fault = this.faults[index]!;
        fault.waitingOn.delete(key);
        if (fault.waitingOn.size === 0) this.recoveredCount += 1;
      }
    }
  }

  private readonly settledBuckets = new Map<string, number>();

  /**
   * Books every fault still waiting under `bucket` (e.g. "its run threw and its open wave was
   * rolled back"): such a fault needs no later call about the same key to be accounted for.
   */
  settleOutstanding(bucket: string): number {
    let settled = 0;
    for (const fault of this.faults) {
      if (fault.waitingOn.size === 0) continue;
      for (const key of fault.waitingOn) this.waiting.delete(key);
      fault.waitingOn.clear();
      settled += 1;
    }
    if (settled > 0) this.settledBuckets.set(bucket, (this.settledBuckets.get(bucket) ?? 0) + settled);
    return settled;
  }

  /** Every fault in exactly one bucket: recovered, settled under a named bucket, or never recovered. */
  accounting(): Record<string, number> {
    return { 'recovered by a later successful call': this.recoveredCount, ...Object.fromEntries(this.settledBuckets), 'never recovered': this.outstanding().length };
  }

  get injected(): number {
    return this.faults.length;
  }

  get recovered(): number {
    return this.recoveredCount;
  }

  /** Faults by port and shape, e.g. "ledger ThrottlingException" → 12. */
  byKind(): Record<string, number> {
    const kinds: Record<string, number> = {};
    for (const fault of this.faults) kinds[`${fault.port} ${fault.shape}`] = (kinds[`${fault.port} ${fault.shape}`] ?? 0) + 1;
    return kinds;
  }

  /** Faults not recovered, with a key each is still waiting on (for the report). */
  outstanding(): string[] {
    return this.faults.filter((fault) => fault.waitingOn.size > 0).map((fault) => `${fault.port} ${fault.shape} waiting on ${[...fault.waitingOn][0]}`);
  }
}

export interface Injector {
  /** Decides whether this call fails, and how. */
  draw(): FaultShape | undefined;
}

export function seededInjector(rng: Prng, rate: number, shapes: readonly FaultShape[] = FAULT_SHAPES): Injector {
  return { draw: () => (rng.next() < rate ? shapes[rng.int(shapes.length)] : undefined) };
}

/** Runs `call` under the injector: a fault throws (before the call, or after it for a lost response). */
async function faulty<T>(port: string, keys: readonly string[], injector: Injector, book: FaultBook, call: () => Promise<T>): Promise<T> {
  const shape = injector.draw();
  if (shape === undefined) {
    const result = await call();
    book.succeeded(keys);
    return result;
  }
  book.inject(port, shape, keys);
  if (shape === 'lost response') {
    await call();
    throw faultError('TimeoutError', port);
  }
  throw faultError(shape, port);
}

export function faultyDedupStore(real: DedupStore, injector: Injector, book: FaultBook): DedupStore {
  return { claim: (claim, now) => faulty('dedup', [`claim:${claim.businessKey}`], injector, book, () => real.claim(claim, now)) };
}

export function faultyLedgerStore(real: LedgerStore, injector: Injector, book: FaultBook): LedgerStore {
  return {
    recordPostings: (sequences) =>
      faulty(
        'ledger',
        sequences.map((sequence) => `sequence:${sequence.sequenceId}`),
        injector,
        book,
        () => real.recordPostings(sequences),
      ),
    balances: () => real.balances(),
  };
}

export function faultyReferenceData(real: ReferenceData, injector: Injector, book: FaultBook): ReferenceData {
  return {
    version: real.version,
    card: (panToken) => faulty('reference data', [`card:${panToken}`], injector, book, () => real.card(panToken)),
    account: (accountId) => faulty('reference data', [`account:${accountId}`], injector, book, () => real.account(accountId)),
    merchant: (merchantId) => faulty('reference data', [`merchant:${merchantId}`], injector, book, () => real.merchant(merchantId)),
    product: (productType) => faulty('reference data', [`product:${productType}`], injector, book, () => real.product(productType)),
    fxRate: (from, to) => faulty('reference data', [`fx:${from}/${to}`], injector, book, () => real.fxRate(from, to)),
  };
}

/** What a skewed clock did: readings ahead of or behind real time, and readings earlier than the one before. */
export interface SkewTally {
  ahead: number;
  behind: number;
  backwards: number;
  largestMs: number;
}

/**
 * A clock that is wrong by a seeded skew of ± minutes to hours, jumping to a new skew now and
 * then (so readings go backwards as well as forwards): NTP steps, a VM resumed, a host in the
 * wrong zone. Every reading is skewed (never exactly real time).
 */
export function skewedClock(rng: Prng, tally: SkewTally, real: Clock = { now: () => new Date() }): Clock {
  const MINUTE = 60_000;
  const draw = () => {
    const magnitude = rng.next() < 0.5 ? (1 + rng.int(59)) * MINUTE : (1 + rng.int(12)) * 60 * MINUTE;
    return rng.next() < 0.5 ? -magnitude : magnitude;
  };
  let skew = draw();
  let previous = Number.NEGATIVE_INFINITY;
  return {
    now: () => {
      if (rng.next() < 0.05) skew = draw();
      const reading = real.now().getTime() + skew + rng.int(1000);
      if (skew > 0) tally.ahead += 1;
      else tally.behind += 1;
      if (reading < previous) tally.backwards += 1;
      tally.largestMs = Math.max(tally.largestMs, Math.abs(skew));
      previous = reading;
      return new Date(reading);
    },
  };
}
