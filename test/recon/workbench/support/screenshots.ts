/**
 * Where the browser tests put their screenshots: docs/img/ (the guide's pictures, docs/workbench.md)
 * only when asked with LEDGERLINE_SCREENSHOTS=1, so a test run never rewrites tracked files;
 * otherwise a temporary directory the test environment removes.
 *
 *   LEDGERLINE_SCREENSHOTS=1 npx jest test/recon/workbench/dashboard-browser.test.ts test/recon/workbench/upload-browser.test.ts
 */
import { join } from 'node:path';
import { tempDir } from '../../../support/runtime';

export function screenshotDir(): string {
  return process.env.LEDGERLINE_SCREENSHOTS === '1' ? join(__dirname, '../../../../docs/img') : tempDir('workbench-screenshots');
}
