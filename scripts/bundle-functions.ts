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

/** How every function is bundled (one definition for one function and for all of them at once). */
const FUNCTION_BUILD = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
} as const;

function entryOf(name: string): string {
  const entry = join(FUNCTIONS_DIR, name, 'index.ts');
  if (!existsSync(entry)) throw new Error(`function "${name}" has no entry point ${entry}`);
  return entry;
}

export function bundleFunction(name: string, outDir = join(BUNDLE_DIR, name)): BuildResult & { outFile: string } {
  const outFile = join(outDir, 'index.js');
  const result = buildSync({ ...FUNCTION_BUILD, entryPoints: [entryOf(name)], outfile: outFile });
  copyDataFiles(result.metafile?.inputs ?? {}, outDir);
  return { ...result, outFile };
}

/**
 * Every named function in one esbuild call, each into <outRoot>/<name>/index.js: the same bytes as
 * bundleFunction gives each (no code is shared between outputs), with the parsing of the modules
 * they share done once (22 functions: about 4 s instead of 11).
 */
export function bundleFunctions(names: readonly string[], outRoot = BUNDLE_DIR): Map<string, string> {
  return new Map([...bundleFunctionsWithInputs(names, outRoot)].map(([name, { outFile }]) => [name, outFile]));
}

/**
 * bundleFunctions, with each function's inputs: every file its own bundleFunction build would read
 * (the keys of that build's metafile `inputs`, as esbuild names them), found as the modules its
 * entry point reaches in the shared build's import graph.
 */
export function bundleFunctionsWithInputs(names: readonly string[], outRoot = BUNDLE_DIR): Map<string, { outFile: string; inputs: string[] }> {
  const result = buildSync({
    ...FUNCTION_BUILD,
    entryPoints: Object.fromEntries(names.map((name) => [`${name}/index`, entryOf(name)])),
    outdir: outRoot,
  });
  const bundles = new Map<string, { outFile: string; inputs: string[] }>();
  const outputs = result.metafile?.outputs ?? {};
  const graph = result.metafile?.inputs ?? {};
  for (const name of names) {
    const outFile = join(outRoot, name, 'index.js');
    const output = outputs[relative(process.cwd(), outFile)] ?? Object.entries(outputs).find(([path]) => resolve(path) === outFile)?.[1];
    if (!output?.entryPoint) throw new Error(`esbuild wrote no ${outFile}`);
    const reached = new Set<string>();
    const pending = [output.entryPoint];
    while (pending.length > 0) {
      const input = pending.pop()!;
      if (reached.has(input) || !graph[input]) continue;
      reached.add(input);
      for (const imported of graph[input].imports) if (!imported.external) pending.push(imported.path);
    }
    copyDataFiles(output.inputs, join(outRoot, name));
    bundles.set(name, { outFile, inputs: [...reached].sort() });
  }
  return bundles;
}

/**
 * Data a bundled module reads from disk at run time, copied beside the bundle (the deployment zip
 * holds the whole folder): the notification templates (NOTIFY-1), which the file template store
 * finds as config/templates above its own directory.
 */
const DATA_FILES: readonly { module: string; dir: string }[] = [{ module: 'src/adapters/embedded/notify-templates.ts', dir: 'config/templates' }];

function copyDataFiles(moduleInputs: Record<string, unknown>, outDir: string): void {
  const inputs = new Set(Object.keys(moduleInputs).map((input) => relative(REPO_ROOT, resolve(input))));
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
