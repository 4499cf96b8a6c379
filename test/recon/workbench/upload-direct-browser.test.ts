/**
 * The statement upload on AWS in a real browser (headless Chromium through playwright-core),
 * signed in through the real local OIDC provider, in the workbench app itself with the AWS
 * adapter (S3StatementInbox) over s3rver behind the presigned-URL front of
 * test/support/presigned-s3.ts, which checks the signature as S3 does and answers CORS for the
 * bucket's one rule (PUT from the workbench's origin, content-type only: the rule the app stack
 * synthesizes, test/infra/workbench.test.ts). With JavaScript the page presigns and the browser
 * PUTs the file straight to storage (a cross-origin PUT, preflighted), under the page's CSP
 * (connect-src: the workbench and that storage origin only), then shows it queued, and committed
 * once the workflow's normalise step claimed it. A card number in the name is refused before
 * anything is presigned or sent. Without JavaScript the page says it needs it and the form's own
 * POST is refused; nothing lands. Skipped (with a warning) where Chromium is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { BrowserContext, Page } from 'playwright-core';
import { S3StatementInbox } from '../../../src/adapters/aws/s3-statement-inbox';
import { reconciliationExecutionName } from '../../../src/recon/run/aws/objects';
import { normaliseStep } from '../../../src/recon/run/aws/steps';
import { PRESIGNED_S3_REGION, type PresignedS3, startPresignedS3 } from '../../support/presigned-s3';
import { tempDir } from '../../support/runtime';
import { FIXTURES } from '../run/helpers';
import { memoryStore } from './helpers';
import { describeWithChromium, type SignedInBrowser, startSignedInBrowser } from './support/signed-in-browser';

const INGEST = 'ledgerline-test-ingest';
const ANALYTICS = 'ledgerline-test-analytics';
const MBANK = join(FIXTURES, 'mt940/mBank/mt940.sta');
const ACCOUNT = 'PL29114010810000267002001002';
const USERS = {
  clientId: 'ledgerline-workbench',
  groupRoles: { preparers: 'reconciler' },
  users: [{ sub: 'u-rita', name: 'Rita Reconciler', email: 'rita@bank.example', groups: ['preparers'] }],
};

describeWithChromium(__filename)('statement upload on AWS in a browser (presigned PUT)', () => {
  let s3: PresignedS3;
  let workbench: SignedInBrowser;
  /** The bucket's CORS rule names the workbench's origin, known once it listens. */
  const corsOrigins: string[] = [];

  beforeAll(async () => {
    s3 = await startPresignedS3({ buckets: [INGEST, ANALYTICS], cors: { allowedOrigins: corsOrigins, allowedMethods: ['PUT'], allowedHeaders: ['content-type'] } });
    const inbox = new S3StatementInbox({
      s3: s3.client,
      bucket: INGEST,
      region: PRESIGNED_S3_REGION,
      statementsPrefix: 'incoming/statements/',
      quarantinePrefix: 'quarantine/',
      registryPrefix: 'results/registry/',
      endpoint: { origin: s3.origin, pathStyle: true },
    });
    workbench = await startSignedInBrowser({ store: memoryStore(), users: USERS, csrfSecret: 'upload-direct-browser-secret', deps: { inbox } });
    corsOrigins.push(workbench.url);
  }, 60_000);

  afterAll(async () => {
    await workbench?.close();
    await s3?.close();
  });

  /** Signed in, from the case list to the upload page by the navigation's link; what the page asked of storage, and every CSP complaint. */
  async function open(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page; storage: string[]; problems: string[] }> {
    const page = await workbench.signIn('u-rita', { javaScriptEnabled, viewport: { width: 1100, height: 700 } });
    const storage: string[] = [];
    const problems: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to|CORS/i.test(message.text())) problems.push(message.text());
    });
    page.on('request', (request) => {
      if (request.url().startsWith(`${s3.origin}/`)) storage.push(`${request.method()} ${new URL(request.url()).pathname}`);
      else if (!request.url().startsWith(workbench.url)) problems.push(`request to ${request.url()}`);
    });
    await page.locator('nav.links').getByRole('link', { name: 'Upload', exact: true }).click();
    await page.waitForURL(`${workbench.url}/uploads`);
    return { context: page.context(), page, storage, problems };
  }

  const objectsUnder = async (prefix: string) => ((await s3.client.send(new ListObjectsV2Command({ Bucket: INGEST, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!);

  it('with JavaScript: the file goes from the browser straight to storage; the page shows it queued, then committed once the workflow claimed it', async () => {
    const { context, page, storage, problems } = await open(true);
    await page.waitForSelector('[data-dropzone].enhanced');
    await page.setInputFiles('#statement-file', MBANK);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/uploads\/\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    const id = page.url().split('/').pop()!;
    await expect(page.locator('.upload-status').textContent()).resolves.toMatch(/^Queued\. mt940\.sta is in the ingest bucket/);
    const key = `incoming/statements/${id}--mt940.sta`;
    // One PUT, to the presigned key; the bytes as chosen.
    expect(storage).toEqual([`PUT /${INGEST}/${key}`]);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: INGEST, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray())).toEqual(readFileSync(MBANK));

    // The workflow's first step, under the trigger's execution name, claims the content.
    const runId = reconciliationExecutionName({ bucket: INGEST, key, versionId: null });
    const journal = { source: 'dynamodb://ledger', postedLegs: async () => [] };
    await normaliseStep(
      { s3: s3.client, tmpDir: tempDir('upload-direct-browser-'), journal },
      { bucket: INGEST, key, versionId: null, runId, analyticsBucket: ANALYTICS, config: { ledger: { journal: true }, accounts: [ACCOUNT] } },
    );
    await page.reload();
    await expect(page.locator('.upload-status').textContent()).resolves.toContain(`Committed. mt940.sta was reconciled in run ${runId}`);
    expect(problems).toEqual([]);
    expect(s3.refusals).toEqual([]);
    await context.close();
  }, 120_000);

  it('a card number in the file name: refused before anything is presigned or sent to storage, the reason shown on the page', async () => {
    const { context, page, storage, problems } = await open(true);
    await page.waitForSelector('[data-dropzone].enhanced');
    await page.setInputFiles('#statement-file', { name: 'statement 4111111111111111.sta', mimeType: 'text/plain', buffer: readFileSync(MBANK) });
    await page.getByRole('button', { name: 'Upload' }).click();
    // A locator's wait, not waitForFunction: a predicate given as a string is evaluated in the page, which its CSP (no unsafe-eval) refuses.
    await page.locator('[data-chosen]', { hasText: 'card number' }).waitFor();
    await expect(page.locator('[data-chosen]').textContent()).resolves.toMatch(/^field "file name" contains what looks like a card number \(PAN\)/);
    expect(page.url()).toBe(`${workbench.url}/uploads`);
    await expect(page.getByRole('button', { name: 'Upload' }).isEnabled()).resolves.toBe(true);
    expect(storage).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('without JavaScript: the page says the upload needs it; the form itself is refused and nothing lands', async () => {
    const before = await objectsUnder('incoming/statements/');
    const { context, page, storage, problems } = await open(false);
    await expect(page.locator('noscript').textContent()).resolves.toContain('turn JavaScript on to upload');
    await page.setInputFiles('#statement-file', MBANK);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(`${workbench.url}/uploads`);
    await expect(page.locator('body').textContent()).resolves.toContain('turn JavaScript on and upload again. Nothing was uploaded.');
    expect(storage).toEqual([]);
    expect(await objectsUnder('incoming/statements/')).toEqual(before);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});
