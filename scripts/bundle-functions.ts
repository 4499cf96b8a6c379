/**
 * esbuild bundles each Lambda entry point (functions/<name>/index.ts) separately into
 * dist/functions/<name>/index.js: CommonJS, Node 22 (Lambda nodejs22.x), minified, with a
 * source map. The infrastructure wraps each folder in a TerraformAsset.
 *
 *   npm run build            # all functions
 *   npm run build -- dedup   # one
 */
import { buildSync, type BuildResult } from 'esbuild';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');
export const FUNCTIONS_DIR = join(REPO_ROOT, 'functions');
export const BUNDLE_DIR = join(REPO_ROOT, 'dist', 'functions');
export const EMR_MATCHER_ENTRY = join(REPO_ROOT, 'src', 'recon', 'emr', 'matcher-pipe.ts');
export const EMR_BUNDLE_DIR = join(REPO_ROOT, 'dist', 'emr');
/** The name `npm run build -- <name>` takes for the EMR matcher. */
export const EMR_MATCHER = 'emr-matcher';

/** Every function folder with an AWS entry point. */
export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(FUNCTIONS_DIR, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

export function bundleFunction(name: string, outDir = join(BUNDLE_DIR, name)): BuildResult & { outFile: string } {
  const entry = join(FUNCTIONS_DIR, name, 'index.ts');
  if (!existsSync(entry)) throw new Error(`function "${name}" has no entry point ${entry}`);
  const outFile = join(outDir, 'index.js');
  const result = buildSync({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  copyDataFiles(result, outDir);
  return { ...result, outFile };
}

/**
 * Data a bundled module reads from disk at run time, copied beside the bundle (the deployment zip
 * holds the whole folder): the notification templates (NOTIFY-1), which the file template store
 * finds as config/templates above its own directory.
 */
const DATA_FILES: readonly { module: string; dir: string }[] = [{ module: 'src/adapters/embedded/notify-templates.ts', dir: 'config/templates' }];

function copyDataFiles(result: BuildResult, outDir: string): void {
  const inputs = new Set(Object.keys(result.metafile?.inputs ?? {}).map((input) => relative(REPO_ROOT, resolve(REPO_ROOT, input))));
  for (const { module, dir } of DATA_FILES) {
    const target = join(outDir, dir);
    rmSync(target, { recursive: true, force: true });
    if (inputs.has(module)) cpSync(join(REPO_ROOT, dir), target, { recursive: true });
  }
}

/**
 * The EMR matcher pipe as ONE file (no node_modules on the cluster): CommonJS for the Node runtime
 * shipped with the job (Node 22), not minified (a stack trace in the job's stderr names real
 * functions), no source map to ship. Deterministic: the same source gives the same bytes.
 */
export function bundleEmrMatcher(outDir = EMR_BUNDLE_DIR): BuildResult & { outFile: string } {
  const outFile = join(outDir, 'matcher-pipe.js');
  const result = buildSync({
    entryPoints: [EMR_MATCHER_ENTRY],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  return { ...result, outFile };
}

if (require.main === module) {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : [...functionNames(), EMR_MATCHER];
  for (const name of names) {
    const started = performance.now();
    const { metafile, outFile } = name === EMR_MATCHER ? bundleEmrMatcher() : bundleFunction(name);
    const bytes = Object.values(metafile?.outputs ?? {}).reduce((n, o) => n + (o.bytes ?? 0), 0);
    console.log(`${name.padEnd(12)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${(performance.now() - started).toFixed(0)} ms  ${outFile}`);
  }
}
