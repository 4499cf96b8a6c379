/**
 * FRAUD-1 wired into the embedded runtime: `post --rules` picks the rule set; the rules always see
 * the fraud features (the card's history in the state). With card-posting.v1.json (no fraud rules,
 * named on purpose: the contrast is the point) a card hopping countries posts; with
 * card-posting.v2.json the same input holds it for review, and so does the default rule set, which
 * is v2, the one AWS runs (src/rule-sets.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../support/cli-in-process';

const V1 = resolve(__dirname, '../../config/rules/card-posting.v1.json');
const V2 = resolve(__dirname, '../../config/rules/card-posting.v2.json');

/** A known card (generated data) paying merchants of four countries (reference data) within minutes: GB, FR, DE, ES. */
function hoppingCard(): string {
  const base = {
    network: 'VISA',
    responseCode: '00',
    panToken: 'tok_El6moxE3p2DDF6DW',
    amount: { value: '29.28', currency: 'GBP' },
    authCode: '52F75F',
    terminalId: 'T0000401',
  };
  const merchants = [
    { id: 'MER-00004', name: 'Silverline Trattoria', mcc: '5812', country: 'GB' },
    { id: 'MER-00111', name: 'Velvet Tavern', mcc: '5813', country: 'FR' },
    { id: 'MER-00120', name: 'Pennant Market', mcc: '5411', country: 'DE' },
    { id: 'MER-00128', name: 'Riverside Bistro', mcc: '5812', country: 'ES' },
  ];
  return merchants
    .map((merchant, i) =>
      JSON.stringify({
        ...base,
        authorizationId: `AUTH-HOP-${i}`,
        stan: `10000${i}`,
        rrn: `63050010000${i}`,
        transmittedAt: `2026-11-01T00:0${i}:00.000Z`,
        merchant,
      }),
    )
    .join('\n');
}

describe('post --rules (FRAUD-1)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ledgerline-fraud-post-'));
    writeFileSync(join(root, 'hops.ndjson'), `${hoppingCard()}\n`);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function post(state: string, ...extra: string[]): Promise<{ posted: number; review: number }> {
    const run = await runCli(['post', '--input', join(root, 'hops.ndjson'), '--state', join(root, state), '--json', ...extra]);
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout) as { posted: number; review: number };
  }

  it('v1 posts the hopping card; v2 holds the payments after the second country hop', async () => {
    const v1 = await post('v1', '--rules', V1);
    expect(v1).toMatchObject({ posted: 4, review: 0 });
    const v2 = await post('v2', '--rules', V2);
    // More than 2 countries in the hour: the third and fourth payments are held.
    expect(v2).toMatchObject({ posted: 2, review: 2 });
  });

  it('the default rule set is v2: without --rules the hopping card is held as with --rules v2', async () => {
    // Was v1 (posted 4) before the embedded default became the rule set AWS runs (MODE-5).
    expect(await post('default')).toMatchObject({ posted: 2, review: 2 });
  });

  it('a rule set file that does not exist is refused, naming it', async () => {
    const run = await runCli(['post', '--input', join(root, 'hops.ndjson'), '--state', join(root, 'none'), '--rules', join(root, 'missing.json')]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/rule set file ".*missing\.json" does not exist/);
  });
});
