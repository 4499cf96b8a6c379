/**
 * Lambda code for synth. Two modes:
 * - `bundle` (npm run synth, main.ts, CI): esbuild bundles every `functions/<name>/index.ts`
 *   AT SYNTH TIME (scripts/bundle-functions.ts, once per process, shared by all environments),
 *   then each bundle is zipped deterministically. A function some topology deploys (FUSE-1:
 *   `hot-path` fused, the six stage functions staged) without an entry point fails the synth; an
 *   entry point no topology deploys is bundled and warned about.
 * - `placeholder` (tests only): no esbuild; every function gets the same tiny fail-closed stub, so
 *   synth tests neither need bundles nor spend seconds building them.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BUNDLE_DIR, bundleFunctions, functionNames } from '../../scripts/bundle-functions';
import type { CatalogueFunctionName } from '../catalogue';
import { deployableFunctions } from '../catalogue';
import { zipSync } from './zip';

export type AssetMode = 'bundle' | 'placeholder';

export interface FunctionCode {
  /** Absolute path of the deployment zip. */
  zipPath: string;
  source: 'esbuild' | 'placeholder';
}

export interface FunctionAssets {
  mode: AssetMode;
  code: ReadonlyMap<CatalogueFunctionName, FunctionCode>;
  warnings: readonly string[];
}

const PLACEHOLDER_SOURCE = `'use strict';
// Placeholder Lambda code of a TEST synth (no esbuild). Never deployed by npm run synth / CI. Fails closed.
exports.handler = async () => { throw new Error('ledgerline placeholder code: deploy a synth with real bundles'); };
`;

function placeholderZip(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const zipPath = join(dir, 'placeholder.zip');
  if (!existsSync(zipPath)) writeFileSync(zipPath, zipSync([{ name: 'index.js', data: Buffer.from(PLACEHOLDER_SOURCE) }]));
  return zipPath;
}

function zipFolder(folder: string, zipPath: string): void {
  const entries = readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const absolute = join(entry.parentPath, entry.name);
      return { name: relative(folder, absolute).split('\\').join('/'), data: readFileSync(absolute) };
    });
  writeFileSync(zipPath, zipSync(entries));
}

const cache = new Map<string, FunctionAssets>();

/**
 * `bundleDir` (bundle mode): the functions are already bundled there, as scripts/bundle-functions.ts
 * lays them out (<bundleDir>/<name>/index.js, e.g. by `npm run build`); they are zipped from there
 * instead of bundled again into dist/functions.
 */
export function prepareFunctionAssets(mode: AssetMode, bundleDir?: string): FunctionAssets {
  const key = mode === 'bundle' && bundleDir ? `${mode}:${bundleDir}` : mode;
  const cached = cache.get(key);
  if (cached) return cached;
  const code = new Map<CatalogueFunctionName, FunctionCode>();
  const warnings: string[] = [];

  if (mode === 'placeholder') {
    const zipPath = placeholderZip(join(tmpdir(), 'ledgerline-infra-placeholder'));
    for (const name of deployableFunctions()) code.set(name, { zipPath, source: 'placeholder' });
  } else {
    const available = new Set(functionNames());
    const catalogued = new Set<string>(deployableFunctions());
    const uncatalogued = [...available].filter((name) => !catalogued.has(name));
    for (const name of uncatalogued) warnings.push(`functions/${name}/index.ts is bundled but no stack deploys it: add it to stacks/catalogue.ts`);
    const missing = [...catalogued].filter((name) => !available.has(name));
    if (missing.length > 0) throw new Error(`no Lambda entry point for ${missing.map((name) => `functions/${name}/index.ts`).join(', ')}`);
    const root = bundleDir ?? BUNDLE_DIR;
    if (bundleDir) {
      const unbuilt = [...available].filter((name) => !existsSync(join(bundleDir, name, 'index.js')));
      if (unbuilt.length > 0) throw new Error(`${bundleDir} holds no bundle of ${unbuilt.join(', ')} (<name>/index.js)`);
    } else {
      // One esbuild call for them all: the modules they share are parsed once.
      bundleFunctions([...available]);
    }
    for (const name of available) {
      const zipPath = join(root, `${name}.zip`);
      zipFolder(join(root, name), zipPath);
      if (catalogued.has(name)) code.set(name as CatalogueFunctionName, { zipPath, source: 'esbuild' });
    }
  }
  const assets: FunctionAssets = { mode, code, warnings };
  cache.set(key, assets);
  return assets;
}
