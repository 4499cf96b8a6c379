/**
 * Posting into a state directory in process, one wave at a time, for the modes that post small
 * waves as they arrive (MODE-3 near-real-time tail, MODE-4 real-time): no worker threads per
 * call. A partitioned state (PART-1) is honoured: each wave's lines are routed through the
 * state's routing table exactly as the partitioned coordinator routes them (routes committed
 * before any line is posted), then each partition's share is one committed wave of that
 * partition's embedded runtime (src/runtime/embedded-runtime.ts), the same handlers and stores
 * as `post`. Nothing lost, nothing twice: a re-sent line is recognised by its partition.
 */
import type { LedgerEvent } from '../domain/events';
import { classifyLine } from '../domain/ingest';
import { routingKeys } from '../domain/partition-route';
import { fromMinorUnits, toMinorUnits } from '../domain/money';
import { validateAuthorisation } from '../../schemas';
import type { LedgerStore, PostingSequence } from '../ports';
import { EmbeddedRuntime, SUMMARY_CATEGORIES, type RunSummary, type RuntimeOptions } from '../runtime/embedded-runtime';
import { openLayout, PartitionRoutes } from '../runtime/state-layout';

export interface StatePosterOptions {
  stateDir: string;
  /** Partitions for a NEW state (an existing state keeps its count). */
  partitions?: number;
  runtime?: Omit<RuntimeOptions, 'stateDir' | 'waveSize' | 'onWaveCommitted'>;
}

/** A line with its position in its input (dead letters and the authorisations table keep it). */
export interface NumberedLine {
  lineNo: number;
  text: string;
}

export interface WaveResult {
  summary: RunSummary;
  /** Every event published while the wave ran (the outward events of the fused hot path). */
  events: LedgerEvent[];
  /** Every sequence handed to the ledger while the wave ran, with its legs. */
  sequences: PostingSequence[];
  /**
   * The authorisation ids this wave ingested as new, in line order: the flow journal's ingestion
   * fact (FLOW-1), recorded once per authorisation id. A valid line whose id is not here was a
   * replay (received before, or earlier in the same wave): nothing posted again for it.
   */
  ingested: string[];
}

interface Partition {
  runtime: EmbeddedRuntime;
  events: LedgerEvent[];
  sequences: PostingSequence[];
  ingested: string[];
  /** The partition's ledger totals as of its last committed wave. */
  ledger: RunSummary['ledger'];
}

export function emptySummary(): RunSummary {
  return { received: 0, invalid: 0, notApproved: 0, replayed: 0, duplicates: 0, rejected: 0, declined: 0, review: 0, posted: 0, failed: 0, pending: 0, elapsedMs: 0, ledger: {} };
}

/** Adds `more` into `into` (counts and exact per-currency totals); the ledger totals are `more`'s (they are whole-state figures). */
export function addSummary(into: RunSummary, more: RunSummary): RunSummary {
  const result = { ...into, ledger: more.ledger };
  for (const key of ['received', ...SUMMARY_CATEGORIES] as const) result[key] += more[key];
  result.elapsedMs += more.elapsedMs;
  return result;
}

/** Whole-state ledger totals: the partitions' totals summed exactly per currency. */
function mergeLedgers(ledgers: RunSummary['ledger'][]): RunSummary['ledger'] {
  const totals = new Map<string, { debits: bigint; credits: bigint }>();
  for (const ledger of ledgers) {
    for (const [currency, side] of Object.entries(ledger)) {
      const total = totals.get(currency) ?? { debits: 0n, credits: 0n };
      total.debits += toMinorUnits(side.debits, currency);
      total.credits += toMinorUnits(side.credits, currency);
      totals.set(currency, total);
    }
  }
  const result: RunSummary['ledger'] = {};
  for (const [currency, total] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    result[currency] = { debits: fromMinorUnits(total.debits, currency), credits: fromMinorUnits(total.credits, currency) };
  }
  return result;
}

/**
 * Posts waves of lines into a state directory. Calls are serialised; the caller holds the
 * state's writer lock (LOCK-1) for the poster's lifetime.
 */
export class StatePoster {
  private readonly dirs: string[];
  private readonly partitions: Partition[];
  private readonly routes: PartitionRoutes | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: StatePosterOptions) {
    this.dirs = openLayout(options.stateDir, options.partitions ?? 1);
    this.routes = this.dirs.length > 1 ? new PartitionRoutes(options.stateDir, this.dirs.length) : undefined;
    this.partitions = this.dirs.map((dir) => this.open(dir));
  }

  get partitionCount(): number {
    return this.dirs.length;
  }

  /** Posts one wave of lines from `source`; resolves once every partition's share is committed. */
  postWave(lines: readonly NumberedLine[], source: string): Promise<WaveResult> {
    const run = this.queue.then(() => this.run(lines, source));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private open(stateDir: string): Partition {
    const events: LedgerEvent[] = [];
    const sequences: PostingSequence[] = [];
    const capture = (real: LedgerStore): LedgerStore => ({
      recordPostings: (batch) => {
        sequences.push(...batch);
        return real.recordPostings(batch);
      },
      balances: () => real.balances(),
    });
    const outer = this.options.runtime?.overrides?.ledgerStore;
    const runtime = new EmbeddedRuntime({
      ...this.options.runtime,
      stateDir,
      // One call's lines are one committed wave per partition.
      waveSize: Number.MAX_SAFE_INTEGER,
      overrides: { ...this.options.runtime?.overrides, ledgerStore: (real) => capture(outer ? outer(real) : real) },
    });
    runtime.bus.observe((event) => events.push(event));
    // The ingestion fact is written once per new authorisation id, inside the wave's transaction.
    const ingested: string[] = [];
    const journal = runtime.flowJournal;
    const recordIngested = journal.recordIngested.bind(journal);
    journal.recordIngested = (authorisation, correlationId, approved, ingestedAt) => {
      recordIngested(authorisation, correlationId, approved, ingestedAt);
      ingested.push(authorisation.authorizationId);
    };
    return { runtime, events, sequences, ingested, ledger: runtime.ledgerTotals() };
  }

  private async run(lines: readonly NumberedLine[], source: string): Promise<WaveResult> {
    const started = performance.now();
    const shares: { lineNo: number; text: string; valid: boolean }[][] = this.dirs.map(() => []);
    const valid = lines.map((line) => classifyLine(line.text, validateAuthorisation));
    const partitionOf = this.routes ? this.routes.route(valid.map((c) => (c.kind === 'valid' ? routingKeys(c.authorisation) : undefined))) : lines.map(() => 0);
    lines.forEach((line, offset) => shares[partitionOf[offset]!]!.push({ lineNo: line.lineNo, text: line.text, valid: valid[offset]!.kind === 'valid' }));
    let summary = emptySummary();
    const events: LedgerEvent[] = [];
    const sequences: PostingSequence[] = [];
    const ingested: string[] = [];
    for (let index = 0; index < shares.length; index += 1) {
      if (shares[index]!.length === 0) continue;
      const partition = this.partitions[index]!;
      partition.events.length = 0;
      partition.sequences.length = 0;
      partition.ingested.length = 0;
      const posted = await partition.runtime.post(shares[index]!, source);
      partition.ledger = posted.ledger;
      summary = addSummary(summary, posted);
      events.push(...partition.events);
      sequences.push(...partition.sequences);
      ingested.push(...partition.ingested);
    }
    summary.ledger = mergeLedgers(this.partitions.map((partition) => partition.ledger));
    summary.elapsedMs = Math.round(performance.now() - started);
    return { summary, events, sequences, ingested };
  }

  close(): void {
    for (const { runtime } of this.partitions) runtime.close();
    this.routes?.close();
  }
}
