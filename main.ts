/**
 * CDKTF entry point (cdktf.json "app"): every Ledgerline stack, for dev, staging and prod (same
 * code, typed config in environments/) and the tooling account. Lambda code is bundled with
 * esbuild at synth time (stacks/lib/assets.ts). `npm run synth` does the same with timings.
 */
import { synthesizeLedgerline } from './stacks/ledgerline';

const built = synthesizeLedgerline({ assetMode: 'bundle', outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
for (const warning of built.assets.warnings) console.warn(`warning: ${warning}`);
