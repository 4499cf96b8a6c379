/**
 * MODE-2 under kill -9: a process posting an inbox file is killed (SIGKILL) right after its
 * `killAfter`-th chunk is committed, before the file's summary is recorded; the re-run resumes the
 * file, recognises every authorisation committed before the kill, and the state ends with the
 * ledger and posting records of an uninterrupted `post`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBatchInbox } from '../../src/modes/batch-inbox';
import { sourceNamed } from '../../src/modes/source-config';
import { IngestRegistry } from '../../src/modes/ingest-registry';
import { postPartitioned } from '../../src/runtime/partitioned-runtime';
import { summedBalances } from '../support/ledger';
import { outboxLines, sampleLines, tempDir } from '../support/runtime';
import { bundleEntry } from '../../scripts/bundle-cli';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const NODE_MODULES = join(ROOT, 'node_modules');
/** The kill -9 child (support/batch-kill-child.ts), bundled once for this file as the command is (bundleEntry, scripts/bundle-cli.ts): it starts in plain node, not through tsx; its packages from the repository's node_modules. */
let child: Promise<string> | undefined;

async function killedRun(inbox: string, state: string, chunk: number, killAfter: number, partitions: number) {
  const bundle = await (child ??= bundleEntry(join(__dirname, 'support', 'batch-kill-child.ts'), join(tempDir(), 'batch-kill-child.js')));
  return spawnSync(process.execPath, [bundle, JSON.stringify({ inbox, state, chunk, killAfter, partitions })], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NODE_PATH: NODE_MODULES } });
}

test.each([
  [1, 300, 2],
  [1, 250, 4],
  [2, 400, 1],
])('partitions %i, chunks of %i: killed after chunk %i, the re-run posts nothing twice', async (partitions, chunk, killAfter) => {
  const lines = sampleLines(1600, 89 + chunk, 0.03);
  const dir = tempDir();
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox);
  writeFileSync(join(inbox, 'f.ndjson'), `${lines.join('\n')}\n`);
  const state = join(dir, 'state');
  const killed = await killedRun(inbox, state, chunk, killAfter, partitions);
  expect({ signal: killed.signal, stderr: killed.stderr.slice(0, 500) }).toEqual({ signal: 'SIGKILL', stderr: '' });
  const registry = new IngestRegistry(state);
  expect(registry.files()).toEqual([expect.objectContaining({ status: 'posting', attempts: 1 })]);
  registry.close();

  const resumed = await runBatchInbox({ source: { ...sourceNamed('card-files'), batchSize: chunk }, inbox, stateDir: state, partitions });
  expect(resumed[0]).toMatchObject({ outcome: 'posted', attempts: 2 });
  expect(resumed[0]!.summary!.replayed).toBeGreaterThan(0);
  if (partitions === 1) expect(resumed[0]!.summary!.replayed).toBe(killAfter * chunk);

  const reference = join(tempDir(), 'reference');
  await postPartitioned(lines, 'reference', { stateDir: reference, partitions: 1, runtime: {} });
  expect(await summedBalances(state)).toEqual(await summedBalances(reference));
  expect(outboxLines(state)).toEqual(outboxLines(reference));
});
