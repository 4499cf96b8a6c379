/**
 * The synthesized stacks the IAM tests read: LEDGERLINE_IAM_STACKS_DIR when set (an existing
 * `scripts/synth.ts --out <dir>` output, e.g. of another commit, to compare), else this checkout
 * synthesized once per test file (placeholder code, test/infra/support/synth.ts).
 */
import { synthesizeAll } from '../../support/synth';

export function stacksDir(): string {
  return process.env.LEDGERLINE_IAM_STACKS_DIR ?? synthesizeAll().outdir;
}
