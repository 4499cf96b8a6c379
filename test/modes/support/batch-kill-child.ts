/**
 * The kill -9 child of the MODE-2 kill test: posts an inbox with `runBatchInbox` and SIGKILLs its
 * own process from the progress callback right after its `killAfter`-th chunk is committed, before
 * the file's summary is recorded. Exits 3 if the run ends without the kill. Its argument: JSON
 * {inbox, state, chunk, killAfter, partitions}. Run from its bundle (bundleEntry in scripts/bundle-cli.ts).
 */
import { runBatchInbox } from '../../../src/modes/batch-inbox';
import { sourceNamed } from '../../../src/modes/source-config';

const { inbox, state, chunk, killAfter, partitions } = JSON.parse(process.argv[2]!) as { inbox: string; state: string; chunk: number; killAfter: number; partitions: number };
let committed = 0;
void runBatchInbox({
  source: { ...sourceNamed('card-files'), batchSize: chunk },
  inbox,
  stateDir: state,
  partitions,
  progress: (message) => {
    if (/chunk\(s\) of up to/.test(message) && ++committed === killAfter) process.kill(process.pid, 'SIGKILL');
  },
}).then(() => process.exit(3));
