/**
 * CHAOS-1: one attempt of the stalled-stage class, in its own process so that it can really be
 * killed. It posts the input into the state through the embedded runtime; when told to, one call
 * of one store (dedup claim, ledger write, reference-data lookup) hangs for ever, as a stage stuck
 * on a dead connection does. The parent's watchdog sees no wave committed within the wave
 * timeout and SIGKILLs it (as Lambda kills an invocation at its timeout and SQS redelivers after
 * the visibility timeout).
 *
 * Lines on stdout: READY, WAVE <n> after each committed wave, STALL <port> <call>, DONE <summary>.
 *
 *   node -r tsx/cjs chaos/stall-child.ts '{"stateDir": …, "input": …, "stall": {"port": "ledger", "call": 17}}'
 */
import { loadReferenceData } from '../src/adapters/embedded/reference-data';
import type { DedupStore, LedgerStore, ReferenceData } from '../src/ports';
import { EmbeddedRuntime } from '../src/runtime/embedded-runtime';
import { readLines, WAVE_SIZE } from './in-process';

export const STALL_PORTS = ['dedup', 'ledger', 'reference data'] as const;
export type StallPort = (typeof STALL_PORTS)[number];

export interface StallChildConfig {
  stateDir: string;
  input: string;
  /** Hang at this call (1-based) of this port; absent: run clean. */
  stall?: { port: StallPort; call: number };
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(config: StallChildConfig): Promise<void> {
  const calls: Record<StallPort, number> = { dedup: 0, ledger: 0, 'reference data': 0 };
  /** Counts the call; the chosen one never settles (and keeps the process alive, stuck). */
  const gate = <T>(port: StallPort, call: () => Promise<T>): Promise<T> => {
    calls[port] += 1;
    if (config.stall?.port === port && config.stall.call === calls[port]) {
      say(`STALL ${port} ${calls[port]}`);
      setInterval(() => undefined, 1 << 30);
      return new Promise<T>(() => undefined);
    }
    return call();
  };
  const real = loadReferenceData();
  const referenceData: ReferenceData = {
    version: real.version,
    card: (id) => gate('reference data', () => real.card(id)),
    account: (id) => real.account(id),
    merchant: (id) => real.merchant(id),
    product: (type) => real.product(type),
    fxRate: (from, to) => real.fxRate(from, to),
  };
  const runtime = new EmbeddedRuntime({
    stateDir: config.stateDir,
    waveSize: WAVE_SIZE,
    overrides: {
      dedupStore: (store): DedupStore => ({ claim: (claim, now) => gate('dedup', () => store.claim(claim, now)) }),
      ledgerStore: (store): LedgerStore => ({ recordPostings: (sequences) => gate('ledger', () => store.recordPostings(sequences)), balances: () => store.balances() }),
      referenceData,
    },
    onWaveCommitted: (progress) => say(`WAVE ${progress.waves}`),
  });
  try {
    const lines = readLines(config.input);
    say('READY');
    const summary = await runtime.post(lines, 'chaos-input');
    say(`DONE ${JSON.stringify(summary)}`);
  } finally {
    runtime.close();
  }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '{}') as StallChildConfig).catch((error: unknown) => {
    process.stderr.write(`stall-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
