import type { ImportOutcome } from '../../src/recon/workbench/import-cases';
import { importRunDir, latestRunDir } from '../../src/recon/workbench/import-run';
import type { Clock, WorkbenchStore } from '../../src/recon/workbench/ports';

/** Imports `<outDir>/current` (the latest committed run) into `store`. */
export async function importLatestRun(outDir: string, store: WorkbenchStore, clock: Clock): Promise<ImportOutcome> {
  return importRunDir(latestRunDir(outDir), store, clock);
}
