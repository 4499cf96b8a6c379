/**
 * The `ledgerline` command as one prebuilt file (REC-PERF-1): esbuild bundles src/cli/main.ts into
 * dist/cli/ledgerline.js (CommonJS, Node 20, packages left in node_modules), so the command starts
 * without compiling TypeScript on the fly and its hot loops carry no name-keeping wrappers. The state
 * partitions' worker thread (src/runtime/partition-worker.ts) gets its own bundle,
 * dist/cli/partition-worker.js, and so does every run's helper thread (`src/**\/<name>.thread.ts` →
 * dist/cli/<name>.thread.js, started through bin/thread.js), so every worker starts without tsx
 * too. Beside each bundle,
 * `<name>.inputs.json` lists every source file it holds: bin/fresh-bundle.js lets a bundle run only
 * while none of them is newer than it, and the TypeScript sources run otherwise, so an edited
 * checkout never runs stale code.
 *
 * `__dirname`/`__filename` keep their meaning: each source file's own directory is written into the
 * bundle (the defaults beside the sources: rule sets, reference data, the partition worker).
 *
 *   npm run build:cli      (also run by `npm install` through `prepare`)
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');
export const CLI_ENTRY = join(REPO_ROOT, 'src', 'cli', 'main.ts');
export const CLI_BUNDLE_DIR = join(REPO_ROOT, 'dist', 'cli');
export const CLI_BUNDLE = join(CLI_BUNDLE_DIR, 'ledgerline.js');
export const CLI_INPUTS = join(CLI_BUNDLE_DIR, 'ledgerline.inputs.json');
export const WORKER_ENTRY = join(REPO_ROOT, 'src', 'runtime', 'partition-worker.ts');
export const WORKER_BUNDLE = join(CLI_BUNDLE_DIR, 'partition-worker.js');
export const WORKER_INPUTS = join(CLI_BUNDLE_DIR, 'partition-worker.inputs.json');

/** Every helper thread's module under src: `<name>.thread.ts`, started by bin/thread.js. */
export function threadEntries(dir = join(REPO_ROOT, 'src')): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...threadEntries(path));
    else if (entry.name.endsWith('.thread.ts')) found.push(path);
  }
  return found.sort();
}

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

/** Writes a file by renaming a complete copy over it (atomic on one file system). */
function writeWhole(path: string, contents: string | Uint8Array): void {
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}

/** How every entry point is bundled: CommonJS for Node 20, packages left in node_modules, each source's own __dirname. */
const NODE_BUNDLE = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  minify: false,
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [sourceLocations],
} as const satisfies Parameters<typeof build>[0];

/**
 * Any other Node entry point (a script a test starts as a child process many times) bundled into
 * `outFile` as the command is, without a source map: it then starts in plain node rather than
 * through tsx compiling every source module again at each start.
 */
export async function bundleEntry(entry: string, outFile: string): Promise<string> {
  await build({ ...NODE_BUNDLE, entryPoints: [entry], outfile: outFile, sourcemap: false });
  return outFile;
}

/** One entry point bundled, with the list of its source files beside it. */
async function bundleOne(entry: string, outFile: string, inputsFile: string): Promise<{ inputs: string[]; bytes: number }> {
  const result = await build({
    ...NODE_BUNDLE,
    entryPoints: [entry],
    outfile: outFile,
    sourcemap: true,
    metafile: true,
    // Written below, each file whole: a command started meanwhile (a test, another run) never
    // reads a half-written bundle.
    write: false,
  });
  for (const file of result.outputFiles) writeWhole(file.path, file.contents);
  const inputs = Object.keys(result.metafile!.inputs)
    .map((input) => resolve(REPO_ROOT, input))
    .sort();
  writeWhole(inputsFile, `${JSON.stringify({ entry, inputs }, null, 1)}\n`);
  const bytes = Object.values(result.metafile!.outputs).reduce((n, o) => n + o.bytes, 0);
  return { inputs, bytes };
}

export async function bundleCli(): Promise<{
  outFile: string;
  inputs: string[];
  bytes: number;
  worker: { outFile: string; inputs: string[] };
  threads: { entry: string; outFile: string; inputs: string[] }[];
}> {
  mkdirSync(CLI_BUNDLE_DIR, { recursive: true });
  const threadEntryFiles = threadEntries();
  const [cli, worker, ...threads] = await Promise.all([
    bundleOne(CLI_ENTRY, CLI_BUNDLE, CLI_INPUTS),
    bundleOne(WORKER_ENTRY, WORKER_BUNDLE, WORKER_INPUTS),
    ...threadEntryFiles.map((entry) => {
      const name = basename(entry, '.ts');
      return bundleOne(entry, join(CLI_BUNDLE_DIR, `${name}.js`), join(CLI_BUNDLE_DIR, `${name}.inputs.json`));
    }),
  ]);
  return {
    outFile: CLI_BUNDLE,
    inputs: cli.inputs,
    bytes: [cli, worker, ...threads].reduce((n, b) => n + b.bytes, 0),
    worker: { outFile: WORKER_BUNDLE, inputs: worker.inputs },
    threads: threads.map((thread, i) => ({ entry: threadEntryFiles[i]!, outFile: join(CLI_BUNDLE_DIR, `${basename(threadEntryFiles[i]!, '.ts')}.js`), inputs: thread.inputs })),
  };
}

if (require.main === module) {
  const started = performance.now();
  bundleCli().then(
    ({ outFile, inputs, bytes, worker, threads }) =>
      console.log(
        `ledgerline CLI: ${inputs.length} source files (worker ${worker.inputs.length}, ${threads.length} thread bundle(s)), ${(bytes / 1024).toFixed(0)} KiB, ${(performance.now() - started).toFixed(0)} ms → ${outFile}, ${worker.outFile}${threads.map((t) => `, ${t.outFile}`).join('')}`,
      ),
    (error: Error) => {
      console.error(`build:cli: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
