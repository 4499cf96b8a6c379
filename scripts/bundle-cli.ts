/**
 * The `ledgerline` command as one prebuilt file (REC-PERF-1): esbuild bundles src/cli/main.ts into
 * dist/cli/ledgerline.js (CommonJS, Node 20, packages left in node_modules), so the command starts
 * without compiling TypeScript on the fly and its hot loops carry no name-keeping wrappers. Beside it,
 * dist/cli/inputs.json lists every source file the bundle holds: bin/ledgerline.js runs the bundle
 * only while none of them is newer than it, and falls back to the TypeScript sources otherwise, so an
 * edited checkout never runs stale code.
 *
 * `__dirname`/`__filename` keep their meaning: each source file's own directory is written into the
 * bundle (the defaults beside the sources: rule sets, reference data, the partition worker).
 *
 *   npm run build:cli      (also run by `npm install` through `prepare`)
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');
export const CLI_ENTRY = join(REPO_ROOT, 'src', 'cli', 'main.ts');
export const CLI_BUNDLE_DIR = join(REPO_ROOT, 'dist', 'cli');
export const CLI_BUNDLE = join(CLI_BUNDLE_DIR, 'ledgerline.js');
export const CLI_INPUTS = join(CLI_BUNDLE_DIR, 'inputs.json');

/** Each source file's __dirname / __filename, as the file's own location. */
const sourceLocations: Plugin = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      const contents = source.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))).replace(/\b__filename\b/g, JSON.stringify(args.path));
      return { contents, loader: 'ts' };
    });
  },
};

export async function bundleCli(): Promise<{ outFile: string; inputs: string[]; bytes: number }> {
  mkdirSync(CLI_BUNDLE_DIR, { recursive: true });
  const result = await build({
    entryPoints: [CLI_ENTRY],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    minify: false,
    keepNames: false,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [sourceLocations],
  });
  const inputs = Object.keys(result.metafile!.inputs)
    .map((input) => resolve(REPO_ROOT, input))
    .sort();
  writeFileSync(CLI_INPUTS, `${JSON.stringify({ entry: CLI_ENTRY, inputs }, null, 1)}\n`);
  const bytes = Object.values(result.metafile!.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outFile: CLI_BUNDLE, inputs, bytes };
}

if (require.main === module) {
  const started = performance.now();
  bundleCli().then(
    ({ outFile, inputs, bytes }) => console.log(`ledgerline CLI: ${inputs.length} source files, ${(bytes / 1024).toFixed(0)} KiB, ${(performance.now() - started).toFixed(0)} ms → ${outFile}`),
    (error: Error) => {
      console.error(`build:cli: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
