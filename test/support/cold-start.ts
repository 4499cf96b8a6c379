/**
 * A built Lambda bundle's cold start, as Lambda does it: the bundle loaded by a fresh Node process
 * (this one's executable and environment, with `variables` set or, where undefined, removed), which
 * reports the type of its `handler` export or the message of the error its module load threw.
 *
 * Loading the bundle in a child rather than through the test's own `require` is also what keeps the
 * bundle tests quick: Jest's module loader transpiles each multi-megabyte minified bundle (SWC, per
 * build, nothing cached on a clean clone), which took about a second a function; Node loads it in a
 * fifth of that. And every load is fresh: no module cache to clear between two loads of one file.
 */
import { spawnSync } from 'node:child_process';

export type ColdStart = { handler: string } | { error: string };

const LOADER = `
let report;
try {
  report = { handler: typeof require(process.argv[1]).handler };
} catch (error) {
  report = { error: error && error.message ? error.message : String(error) };
}
// Reported, then gone: a handle the module left open (a timer, a socket) must not hold the process.
process.stdout.write(JSON.stringify(report), () => process.exit(0));
`;

export function coldStart(bundleFile: string, variables: Record<string, string | undefined> = {}): ColdStart {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(variables)) {
    // Assigning undefined to an environment stores the string "undefined": remove instead.
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const run = spawnSync(process.execPath, ['-e', LOADER, bundleFile], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
  if (run.status !== 0) throw new Error(`node could not load ${bundleFile} (exit ${run.status}, signal ${run.signal}):\n${run.stderr}`);
  try {
    return JSON.parse(run.stdout) as ColdStart;
  } catch {
    throw new Error(`${bundleFile}: no report from its cold start:\n${run.stdout}\n${run.stderr}`);
  }
}
