/**
 * CDKTF entry point (cdktf.json "app"): every Ledgerline stack, for dev, staging and prod (same
 * code, typed config in environments/) and the tooling account. Lambda code is bundled with
 * esbuild at synth time (stacks/lib/assets.ts). `npm run synth` does the same with timings.
 */
import { ENVIRONMENTS, synthesizeLedgerline } from './stacks/ledgerline';

// The deployable environments only (the topology variants are synthesized by the tests).
const built = synthesizeLedgerline({ assetMode: 'bundle', outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out', environments: ENVIRONMENTS });
for (const warning of built.assets.warnings) console.warn(`warning: ${warning}`);
