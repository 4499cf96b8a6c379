/**
 * CHAOS-1, FRAUD-1: a parked, re-driven payment keeps its place among its batch's other failures.
 *
 * A later payment held behind an earlier payment of its card uses a receive each time it is held,
 * so it can use its last receive while the earlier one (re-driven once already, its receives
 * counted afresh) has some left. The later one is then parked and re-driven at once; it must go
 * back in front behind the earlier one, not ahead of it, or it is decided first and its velocity
 * count and card history miss the earlier payment. This is the defect that made v2's country-hop
 * rule review a payment in a clean run and approve it under store faults.
 *
 * Scripted here: a card pays merchants in GB, FR and DE within minutes, in micro-batches of two;
 * the FR merchant's reference data refuses its first lookups. Under the default rule set (v2) the
 * DE payment sees three countries and is held for review, as in a clean run, whatever the retries.
 */
import { join } from 'node:path';
import { EmbeddedRuntime } from '../../src/runtime/embedded-runtime';
import type { ReferenceData } from '../../src/ports';
import { TransientStoreError } from '../../src/ports';
import { inspectState } from '../../chaos/inspect';
import { correlationIdFor } from '../../src/domain/events';
import { referenceData, tempDir } from '../support/runtime';

const CARD = 'tok_El6moxE3p2DDF6DW';
const MERCHANTS = [
  { id: 'MER-00004', name: 'Silverline Trattoria', mcc: '5812', country: 'GB' },
  { id: 'MER-00111', name: 'Velvet Tavern', mcc: '5813', country: 'FR' },
  { id: 'MER-00120', name: 'Pennant Market', mcc: '5411', country: 'DE' },
];

/** The card's three payments, a minute apart, in event-time order. */
const lines = MERCHANTS.map((merchant, i) =>
  JSON.stringify({
    authorizationId: `AUTH-ORDER-${i}`,
    network: 'VISA',
    stan: `20000${i}`,
    rrn: `63050020000${i}`,
    transmittedAt: `2026-11-01T00:0${i}:00.000Z`,
    panToken: CARD,
    responseCode: '00',
    amount: { value: '29.28', currency: 'GBP' },
    merchant,
    authCode: '52F75F',
    terminalId: 'T0000401',
  }),
);

/** Reference data whose lookups of `merchantId` fail (a throttled store) the first `failures` times. */
function refusingMerchant(merchantId: string, failures: number): ReferenceData {
  let refused = 0;
  return {
    version: referenceData().version,
    card: (panToken) => referenceData().card(panToken),
    account: (accountId) => referenceData().account(accountId),
    merchant: (id) => {
      if (id === merchantId && refused < failures) {
        refused += 1;
        return Promise.reject(new TransientStoreError(`reference data: merchant ${id} throttled (${refused} of ${failures})`));
      }
      return referenceData().merchant(id);
    },
    product: (productType) => referenceData().product(productType),
    fxRate: (from, to) => referenceData().fxRate(from, to),
  };
}

async function decisions(stateDir: string, options: { referenceData?: ReferenceData }): Promise<string[]> {
  const runtime = new EmbeddedRuntime({ stateDir, batchSize: 2, overrides: options });
  try {
    const summary = await runtime.post(lines, 'ordering-test');
    expect(summary).toMatchObject({ received: 3, failed: 0, pending: 0 });
  } finally {
    runtime.close();
  }
  const state = inspectState(stateDir);
  return lines.map((line) => {
    const { authorizationId, transmittedAt } = JSON.parse(line) as { authorizationId: string; transmittedAt: string };
    return state.decisions.get(correlationIdFor(authorizationId, transmittedAt)) ?? 'none';
  });
}

describe('a re-driven payment keeps its batch place (CHAOS-1, FRAUD-1)', () => {
  const dir = tempDir('ledgerline-redrive-order-');

  it('clean: the third country within the hour is held for review', async () => {
    expect(await decisions(join(dir, 'clean'), {})).toEqual(['approve', 'approve', 'review']);
  });

  // 6 refusals: the FR payment is parked after its 5th receive and re-driven, and its 6th attempt
  // fails once more, exactly when the DE payment held behind it uses its 5th receive.
  it.each([1, 4, 5, 6, 7, 9, 12])('the FR merchant refused %i times: the same decisions as the clean run', async (failures) => {
    expect(await decisions(join(dir, `refused-${failures}`), { referenceData: refusingMerchant('MER-00111', failures) })).toEqual(['approve', 'approve', 'review']);
  });
});
