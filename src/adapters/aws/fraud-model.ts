/**
 * FRAUD-1: the fraud model on AWS, a SageMaker-style HTTPS inference endpoint (not deployed by
 * these stacks; the URL comes from configuration). The request carries features only, never a
 * card number (PCI-3). The answer must be JSON `{ "score": <number 0..1> }` or `{ "scorePermille": <int> }`.
 */
import type { FraudModel, FraudModelInput } from '../../ports/fraud';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export class FraudModelError extends Error {
  override name = 'FraudModelError';
}

export class HttpsFraudModel implements FraudModel {
  constructor(
    private readonly endpointUrl: string,
    private readonly fetchFn: FetchLike = fetch as unknown as FetchLike,
    /** Signs the request (e.g. SigV4 for sagemaker:InvokeEndpoint); identity when absent. */
    private readonly sign: (headers: Record<string, string>, body: string) => Promise<Record<string, string>> = async (h) => h,
  ) {
    if (!/^https:\/\//.test(endpointUrl)) throw new FraudModelError(`fraud model endpoint "${endpointUrl}" is not an https URL`);
  }

  async score(input: FraudModelInput): Promise<number> {
    const body = JSON.stringify(input, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    const headers = await this.sign({ 'content-type': 'application/json', accept: 'application/json' }, body);
    const response = await this.fetchFn(this.endpointUrl, { method: 'POST', headers, body });
    const text = await response.text();
    if (!response.ok) throw new FraudModelError(`fraud model ${this.endpointUrl} answered ${response.status} for ${input.transactionId}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FraudModelError(`fraud model ${this.endpointUrl} answered non-JSON for ${input.transactionId}`);
    }
    const { score, scorePermille } = (parsed ?? {}) as { score?: unknown; scorePermille?: unknown };
    if (Number.isSafeInteger(scorePermille) && (scorePermille as number) >= 0 && (scorePermille as number) <= 1000) return scorePermille as number;
    // A probability is rounded to per mille once, at the edge; rules only see the integer.
    if (typeof score === 'number' && score >= 0 && score <= 1) return Math.round(score * 1000);
    throw new FraudModelError(`fraud model ${this.endpointUrl} answered no score in 0..1 for ${input.transactionId}`);
  }
}
