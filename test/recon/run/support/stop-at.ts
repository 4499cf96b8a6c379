/**
 * A reconcile that stops at a named point of its commit and waits there to be killed: the child
 * process of the kill -9 test (atomic.test.ts). It prints `REACHED <point>` on stdout (written
 * synchronously) and then blocks, so the parent's SIGKILL lands exactly there.
 *
 *   node -r tsx/cjs stop-at.ts '{"point":"beforeSwap","out":…,"statements":[…],"ledger":…}'
 */
import { writeSync } from 'node:fs';
import { reconcile, type ReconcileOptions } from '../../../../src/recon/run/reconcile';

interface Args {
  point: string;
  out: string;
  statements: string[];
  ledger: string;
  /** ReconcileOptions.caseThreadFrom (0: the cases on their own thread). */
  caseThreadFrom?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;

function stopHere(point: string): void {
  if (point !== args.point) return;
  writeSync(1, `REACHED ${point}\n`);
  // Block this thread until the parent kills the process (never returns normally).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  writeSync(2, `not killed at ${point}\n`);
  process.exit(3);
}

const hooks: ReconcileOptions['hooks'] = {
  afterWrite: (name) => stopHere(`afterWrite:${name}`),
  afterAnalytics: () => stopHere('afterAnalytics'),
  beforeSwap: () => stopHere('beforeSwap'),
  beforeRegistryCommit: () => stopHere('beforeRegistryCommit'),
  afterRegistryCommit: () => stopHere('afterRegistryCommit'),
};

reconcile({ statements: args.statements, ledger: { file: args.ledger }, out: args.out, hooks, now: () => new Date('2026-01-01T00:00:00Z'), caseThreadFrom: args.caseThreadFrom }).then(
  () => {
    writeSync(1, 'COMPLETED\n');
  },
  (error: unknown) => {
    writeSync(2, `${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
