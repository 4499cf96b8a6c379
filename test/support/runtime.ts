import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorisationLines } from '../../src/generator/authorisations';
import { loadReferenceData, type EmbeddedReferenceData } from '../../src/adapters/embedded/reference-data';
import { partitionDirs } from '../../src/runtime/state-layout';

/** The shipped reference data, read on first use (loadReferenceData keeps it): most importers only want tempDir. */
export function referenceData(): EmbeddedReferenceData {
  return loadReferenceData();
}

export function tempDir(prefix = 'ledgerline-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function sampleLines(count: number, seed = 11, duplicateRate = 0.02): string[] {
  return [...authorisationLines({ count, seed, duplicateRate, referenceData: referenceData() })];
}

/** Every file under a directory, recursively (for PCI scans of the state directory). */
export function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

/** Every posting line in the outbox of every partition of a state, sorted. */
export function outboxLines(stateDir: string): string[] {
  return partitionDirs(stateDir)
    .map((partition) => join(partition, 'outbox'))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.txt'))
        .flatMap((f) =>
          readFileSync(join(dir, f), 'utf8')
            .split('\n')
            .filter((l) => l.length > 0),
        ),
    )
    .sort();
}
