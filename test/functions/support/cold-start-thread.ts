/**
 * A built Lambda bundle's cold start on a worker thread of this process: a fresh V8 isolate with a
 * module registry of its own and a `process.env` of its own (this process's, with `variables` set
 * or, where undefined, removed), which reports the type of the bundle's `handler` export or the
 * message of the error its module load threw: the report of test/support/cold-start.ts, whose
 * fresh Node process costs about half as much CPU again as the load itself (a Node start per
 * bundle; measured over the 22 bundles: 12-13 s of CPU in processes, 8.5-9.5 s on threads).
 * Whatever the module leaves open (a timer, a socket) ends with the thread.
 */
import { Worker } from 'node:worker_threads';
import type { ColdStart } from '../../support/cold-start';

const LOADER = `
const { parentPort, workerData } = require('node:worker_threads');
let report;
try {
  report = { handler: typeof require(workerData).handler };
} catch (error) {
  report = { error: error && error.message ? error.message : String(error) };
}
parentPort.postMessage(report);
`;

export function coldStartOnThread(bundleFile: string, variables: Record<string, string | undefined> = {}): Promise<ColdStart> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return new Promise((resolve, reject) => {
    // Its output is the bundle's (an SDK's warning, a log line): kept for a failure's message, not printed.
    const worker = new Worker(LOADER, { eval: true, workerData: bundleFile, env, stdout: true, stderr: true });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let report: ColdStart | undefined;
    worker.once('message', (message: ColdStart) => {
      report = message;
      void worker.terminate();
    });
    worker.once('error', (error: Error) => reject(new Error(`${bundleFile}: its cold start's thread failed: ${error.message}\n${output}`)));
    worker.once('exit', (code) => (report ? resolve(report) : reject(new Error(`${bundleFile}: no report from its cold start (thread exit ${code}):\n${output}`))));
  });
}
