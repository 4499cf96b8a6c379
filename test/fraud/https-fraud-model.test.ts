import fc from 'fast-check';
import { FraudModelError, HttpsFraudModel, type FetchLike } from '../../src/adapters/aws/fraud-model';
import type { FraudModelInput } from '../../src/ports/fraud';

const URL = 'https://runtime.sagemaker.eu-west-2.amazonaws.com/endpoints/ledgerline-fraud/invocations';
const input: FraudModelInput = {
  transactionId: 'tx-1',
  amountMinor: 123456789012345678901n,
  currency: 'GBP',
  mcc: '5411',
  merchantCountry: 'GB',
  features: { baselineCount: 3n, baselineMeanMinor: 900n, spendRatioPermille: 1111n, countriesInWindow: 1n, previousCountry: 'GB', minutesSincePrevious: 10n, merchantRiskScore: 0n },
};

function fakeFetch(status: number, body: string, seen: { url: string; body: string; headers: Record<string, string> }[] = []): FetchLike {
  return async (url, init) => {
    seen.push({ url, body: init.body, headers: init.headers });
    return { ok: status >= 200 && status < 300, status, text: async () => body };
  };
}

describe('HttpsFraudModel (SageMaker-style endpoint adapter, fake transport)', () => {
  it('posts the features as JSON (bigints exact, as strings) to the configured URL, signed', async () => {
    const seen: { url: string; body: string; headers: Record<string, string> }[] = [];
    const model = new HttpsFraudModel(URL, fakeFetch(200, '{"scorePermille":731}', seen), async (h) => ({ ...h, authorization: 'signed' }));
    await expect(model.score(input)).resolves.toBe(731);
    expect(seen[0]!.url).toBe(URL);
    expect(seen[0]!.headers.authorization).toBe('signed');
    expect(JSON.parse(seen[0]!.body).amountMinor).toBe('123456789012345678901');
    expect(Object.keys(JSON.parse(seen[0]!.body)).sort()).toEqual(['amountMinor', 'currency', 'features', 'mcc', 'merchantCountry', 'transactionId']);
  });

  it('a probability answer becomes per mille, rounded once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), async (p) => {
        await expect(new HttpsFraudModel(URL, fakeFetch(200, JSON.stringify({ score: p }))).score(input)).resolves.toBe(Math.round(p * 1000));
      }),
    );
  });

  it('names each bad answer and a non-https URL', async () => {
    expect(() => new HttpsFraudModel('http://insecure.example/x')).toThrow(/"http:\/\/insecure.example\/x" is not an https URL/);
    await expect(new HttpsFraudModel(URL, fakeFetch(500, 'boom')).score(input)).rejects.toThrow(/answered 500 for tx-1/);
    await expect(new HttpsFraudModel(URL, fakeFetch(200, 'not json')).score(input)).rejects.toThrow(/non-JSON for tx-1/);
    for (const body of ['{}', '{"score":1.5}', '{"score":-0.1}', '{"scorePermille":1001}', '{"scorePermille":1.5}', 'null', '{"score":"0.5"}']) {
      await expect(new HttpsFraudModel(URL, fakeFetch(200, body)).score(input)).rejects.toBeInstanceOf(FraudModelError);
    }
  });
});
