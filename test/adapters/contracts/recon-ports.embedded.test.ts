/** The reconciliation ports' contracts on the embedded adapters: registry.db, the quarantine folder, a ledger file. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileLedgerSource } from '../../../src/adapters/embedded/recon-ledger-source';
import { sqliteRunRegistry } from '../../../src/adapters/embedded/recon-results';
import { folderQuarantine } from '../../../src/adapters/embedded/recon-statements';
import { LEDGER_HEADER } from '../../recon/run/helpers';
import { ledgerSourceContract, quarantineContract, registryContract } from './recon-ports.contract';

const root = mkdtempSync(join(tmpdir(), 'recon-ports-embedded-'));
let opened = 0;
const fresh = (): string => join(root, `d${(opened += 1)}`);

registryContract({
  name: 'registry.db (SQLite)',
  open: async () => {
    const dir = fresh();
    return { as: async () => sqliteRunRegistry(dir) };
  },
});

quarantineContract<string>({
  name: 'quarantine folder',
  open: async () => {
    const dir = fresh();
    const inbox = fresh();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(inbox, { recursive: true });
    return {
      quarantine: folderQuarantine(join(dir, 'quarantine')),
      put: async (name, bytes) => {
        const file = join(inbox, name);
        writeFileSync(file, bytes);
        return { ref: file, file };
      },
      read: async (location) => {
        try {
          return readFileSync(location);
        } catch {
          return undefined;
        }
      },
    };
  },
});

ledgerSourceContract({
  name: 'ledger file',
  open: async (rows) => {
    const { mkdirSync } = await import('node:fs');
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'ledger.csv');
    writeFileSync(path, `${LEDGER_HEADER}\n${rows.join('\n')}\n`);
    return fileLedgerSource(path);
  },
});
