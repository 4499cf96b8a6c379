/**
 * The kill -9 child (./batch-kill-child.ts) as one prebuilt CommonJS file, built once per test
 * file: each child then starts in plain node instead of compiling (or reading tsx's cache of)
 * every source module of a posting run again at its start. The same sources, bundled as
 * scripts/bundle-cli.ts bundles the command: packages stay in node_modules, and each source file
 * keeps its own __dirname and __filename (rule sets, reference data and the partition worker's
 * entry beside the sources).
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const sourceLocations: Plugin = {
  name: 'source-locations',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      return { contents: source.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))).replace(/\b__filename\b/g, JSON.stringify(args.path)), loader: 'ts' };
    });
  },
};

/** Bundles ./batch-kill-child.ts into `dir`; returns the bundle's path. */
export async function bundleBatchKillChild(dir: string): Promise<string> {
  const outfile = join(dir, 'batch-kill-child.js');
  await build({
    entryPoints: [join(__dirname, 'batch-kill-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: false,
    logLevel: 'warning',
    plugins: [sourceLocations],
  });
  return outfile;
}
