/**
 * `npm run synth`: writes cdktf.out/ for dev, staging, prod and the tooling account, offline.
 * Lambda code is bundled with esbuild during the synth (stacks/lib/assets.ts).
 *
 *   npm run synth                       # all environments + tooling, real bundles
 *   npm run synth -- --placeholder-code # no esbuild (fail-closed placeholder code; for quick checks)
 *   npm run synth -- --out DIR          # another output directory
 *
 * Prints per stack the resource count, and the wall time / peak RSS of the whole synth.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENVIRONMENTS, synthesizeLedgerline } from '../stacks/ledgerline';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const started = performance.now();
const outdir = resolve(argument('--out') ?? 'cdktf.out');
const assetMode = process.argv.includes('--placeholder-code') ? 'placeholder' : 'bundle';
// The deployable environments only (the topology variants are synthesized by the tests).
const built = synthesizeLedgerline({ assetMode, outdir, environments: ENVIRONMENTS });
const elapsedMs = performance.now() - started;

interface SynthesizedStack {
  resource?: Record<string, Record<string, unknown>>;
  data?: Record<string, Record<string, unknown>>;
}

const counts: Record<string, number> = {};
for (const stack of built.stacks) {
  const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8')) as SynthesizedStack;
  const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
  counts[stack.node.id] = resources;
}
const perEnvironment = new Map<string, number>();
for (const [stack, resources] of Object.entries(counts)) {
  const env = stack.split('-')[1]!;
  perEnvironment.set(env, (perEnvironment.get(env) ?? 0) + resources);
}

for (const [stack, resources] of Object.entries(counts)) console.log(`${stack.padEnd(36)} ${String(resources).padStart(4)} resources`);
console.log('');
for (const [env, resources] of perEnvironment) console.log(`${env.padEnd(10)} ${String(resources).padStart(4)} resources`);
for (const warning of built.assets.warnings) console.warn(`warning: ${warning}`);
console.log(`\nsynthesized ${built.stacks.length} stacks into ${outdir} in ${(elapsedMs / 1000).toFixed(2)} s (code: ${assetMode}); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
