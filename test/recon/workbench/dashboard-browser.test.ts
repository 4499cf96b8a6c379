/**
 * REC-DASH-1 in a real browser (headless Chromium through playwright-core) on real reconcile
 * output: two committed runs imported into the embedded store; the dashboard is refused before
 * sign-in, and after signing in through the real local OIDC provider it shows its charts (SVG
 * images named by their titles and described, that render at a size) whose marks and tables
 * (behind a <details>, opened by a click) carry exactly the store's figures, with no CSP violation
 * and no request leaving the workbench. Screenshots of the dashboard, the case list and a case go
 * to docs/img/ for the guide when LEDGERLINE_SCREENSHOTS=1 (support/screenshots.ts). Skipped (with a warning) where Chromium is missing.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { reconcile } from '../../../src/recon/run/reconcile';
import { AGE_BUCKETS, dashboardData, percent } from '../../../src/recon/workbench/dashboard';
import { importNewRuns } from '../../../src/recon/workbench/import-run';
import { tempDir } from '../../support/runtime';
import { BAI2, CAMT053, LEDGER_ROWS, MT940, writeLedger } from '../run/helpers';
import { screenshotDir } from './support/screenshots';
import { describeWithChromium, type SignedInBrowser, startSignedInBrowser, watchProblems } from './support/signed-in-browser';

/** The guide's screenshots (docs/workbench.md shows them). */
const IMAGES = screenshotDir();
const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { auditors: 'viewer' },
  users: [{ sub: 'u-vera', name: 'Vera Viewer', email: 'vera@bank.example', groups: ['auditors'] }],
};

describeWithChromium(__filename)('the dashboard in a browser', () => {
  const root = tempDir('workbench-dashboard-');
  const out = join(root, 'out');
  const db = openWorkbenchDatabase(out);
  const store = new SqliteWorkbenchStore(db);
  let workbench: SignedInBrowser;

  beforeAll(async () => {
    const ledger = writeLedger(
      root,
      LEDGER_ROWS.filter((row) => row.startsWith('L-CAMT-1') || row.startsWith('L-BAI-B')),
    );
    await reconcile({ statements: [CAMT053, BAI2], ledger: { file: ledger }, out, progress: () => undefined });
    await reconcile({ statements: [MT940], ledger: { file: writeLedger(root, LEDGER_ROWS, 'ledger-2.csv') }, out, progress: () => undefined });
    // REC-RUN-1: each run raised its cases and statistics in <out>/workbench.db itself; nothing is left to import.
    expect(await importNewRuns(out, store, { now: () => new Date() })).toEqual([]);
    expect(await store.runStats()).toHaveLength(2);
    workbench = await startSignedInBrowser({ store, users: USERS, csrfSecret: 'dashboard-browser-secret' });
    mkdirSync(IMAGES, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await workbench?.close();
    db.close();
  });

  it("is refused before sign-in, then shows the store's figures in charts and tables", async () => {
    const viewport = { width: 1280, height: 900 };
    const outsider = await workbench.signedOut({ viewport });
    const refused = await outsider.goto(`${workbench.url}/dashboard`);
    expect(refused!.status()).toBe(401);
    expect(await outsider.content()).not.toContain('Match rate');
    await outsider.context().close();

    const page = await workbench.signIn('u-vera', { viewport });
    const problems = watchProblems(page, workbench.url);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(/\/dashboard$/);

    const data = dashboardData(await store.runStats(), await store.openCaseAges());
    expect(data.runs).toHaveLength(2);
    // Figures worth checking: matched and unmatched lines, open cases.
    expect(data.runs.some((run) => run.matchedLines > 0 && run.unmatchedLines > 0)).toBe(true);
    expect(AGE_BUCKETS.some((bucket) => data.ageing[bucket] > 0)).toBe(true);

    // Every chart an image named by its title that renders at a size: match rate, ageing, lines by
    // account, money in and out per currency, and volumes by rule.
    const currencies = [...new Set(data.volumes.map((volume) => volume.currency))].sort();
    expect(currencies.length).toBeGreaterThan(1);
    const titles = [
      'Match rate over time',
      'Exception ageing: open cases by age',
      'Volumes by account',
      ...currencies.map((currency) => `Money in and out by account (${currency})`),
      'Volumes by rule',
    ];
    expect(await page.locator('svg[role="img"]').evaluateAll((nodes) => nodes.map((node) => node.querySelector('title')?.textContent))).toEqual(titles);
    for (const name of titles) {
      const chart = page.getByRole('img', { name, exact: true });
      await expect(chart.count()).resolves.toBe(1);
      const box = await chart.boundingBox();
      expect(box!.width).toBeGreaterThan(200);
      expect(box!.height).toBeGreaterThan(50);
      // Described, not only named.
      expect(await chart.evaluate((node) => node.ownerDocument.getElementById(node.getAttribute('aria-describedby')!)?.textContent)).toMatch(/\w+/);
    }

    // The tables are behind a <details>: hidden until opened, then shown.
    const rateTable = page.locator('#match-rate table');
    expect(await rateTable.isVisible()).toBe(false);
    await page.locator('#match-rate summary').click();
    expect(await rateTable.isVisible()).toBe(true);

    // Match rate: one mark per run, in time order, and the table row of each run.
    const marks = page.locator('#match-rate g.point');
    expect(await marks.evaluateAll((nodes) => nodes.map((node) => [node.getAttribute('data-run'), node.getAttribute('data-rate'), node.querySelector('title')?.textContent]))).toEqual(
      data.runs.map((run) => [run.runId, percent(run.matchedLines, run.statementLines), `${run.asOf}: ${percent(run.matchedLines, run.statementLines)}%`]),
    );
    const rateRows = await page.locator('#match-rate tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
    expect(rateRows).toEqual(
      data.runs.map((run) => [
        run.asOf,
        run.runId,
        `${run.statementLines}`,
        `${run.matchedLines}`,
        `${run.proposedLines}`,
        `${run.unmatchedLines}`,
        `${run.ledgerExceptions}`,
        `${percent(run.matchedLines, run.statementLines)}%`,
      ]),
    );

    // Ageing: the bars and the table carry the open cases per bucket.
    const bars = await page.locator('#ageing g.age').evaluateAll((nodes) => nodes.map((node) => [node.getAttribute('data-bucket'), Number(node.getAttribute('data-count'))]));
    expect(bars).toEqual(AGE_BUCKETS.map((bucket) => [bucket, data.ageing[bucket]]));
    const ageRows = await page.locator('#ageing tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
    const open = AGE_BUCKETS.reduce((sum, bucket) => sum + data.ageing[bucket], 0);
    expect(ageRows).toEqual([...AGE_BUCKETS.map((bucket) => [bucket, `${data.ageing[bucket]}`]), ['All', `${open}`]]);
    expect(open).toBe((await store.list({ status: ['OPEN', 'PENDING_APPROVAL'], limit: 1000 })).length);

    // Volumes: one bar and one row per account and currency, exact decimals.
    expect(data.volumes.length).toBeGreaterThan(1);
    const volumeBars = await page
      .locator('#volumes g.volume')
      .evaluateAll((nodes) => nodes.map((node) => [node.getAttribute('data-account'), node.getAttribute('data-currency'), Number(node.getAttribute('data-lines'))]));
    expect(volumeBars).toEqual(data.volumes.map((volume) => [volume.accountId, volume.currency, volume.lines]));
    const volumeRows = await page.locator('#volumes tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
    expect(volumeRows).toEqual(data.volumes.map((volume) => [volume.accountId, volume.currency, `${volume.lines}`, volume.credits, volume.debits]));
    expect(data.runs.reduce((sum, run) => sum + run.statementLines, 0)).toBe(data.volumes.reduce((sum, volume) => sum + volume.lines, 0));

    // Money in and out: one row per account of each currency, with the exact sums.
    for (const currency of currencies) {
      const rows = await page
        .locator(`#money-${currency} g.money`)
        .evaluateAll((nodes) => nodes.map((node) => [node.getAttribute('data-account'), node.getAttribute('data-credits'), node.getAttribute('data-debits')]));
      expect(rows).toEqual(data.volumes.filter((volume) => volume.currency === currency).map((volume) => [volume.accountId, volume.credits, volume.debits]));
    }

    // Volumes by rule: the runs counted their rules; every matched and proposed line is under one.
    expect(data.rules.length).toBeGreaterThan(0);
    const ruleBars = await page
      .locator('#rules g.rule')
      .evaluateAll((nodes) => nodes.map((node) => [node.getAttribute('data-rule'), Number(node.getAttribute('data-lines')), Number(node.getAttribute('data-proposed'))]));
    expect(ruleBars).toEqual(data.rules.map((rule) => [rule.ruleId, rule.lines, rule.proposedLines]));
    expect(data.rules.reduce((sum, rule) => sum + rule.lines, 0)).toBe(data.runs.reduce((sum, run) => sum + run.matchedLines, 0));
    expect(data.rules.reduce((sum, rule) => sum + rule.proposedLines, 0)).toBe(data.runs.reduce((sum, run) => sum + run.proposedLines, 0));

    await page.screenshot({ path: join(IMAGES, 'workbench-dashboard.png'), fullPage: true });
    // The case list and one case, for the guide.
    await page.getByRole('link', { name: 'Cases', exact: true }).click();
    await page.waitForURL(/\/cases$/);
    await page.screenshot({ path: join(IMAGES, 'workbench-cases.png'), fullPage: true });
    await page.locator('td.id a').first().click();
    await page.waitForURL(/\/cases\/[^/]+$/);
    await expect(page.locator('h1').textContent()).resolves.toMatch(/^Case /);
    await page.screenshot({ path: join(IMAGES, 'workbench-case.png'), fullPage: true });
    for (const name of ['workbench-dashboard.png', 'workbench-cases.png', 'workbench-case.png']) expect(statSync(join(IMAGES, name)).size).toBeGreaterThan(10_000);

    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);
});
