/**
 * Which client submitted each payment (API-3): a partner reads only the payments it submitted.
 * POST /v1/authorisations claims the payment for the token's client before it is posted (so a
 * posted payment always has its owner, whatever crashes after the claim); a read of a payment
 * another client submitted, or no client did (another mode took it in), is answered exactly as a
 * payment that does not exist: 404, never 403, so no answer confirms that it exists.
 */
export interface PaymentOwners {
  /**
   * Records `clientId` as the submitter of `paymentId` unless a client already is (first writer
   * wins, atomically: two clients racing for one payment cannot both own it). Answers the owner
   * after the call: `clientId`, or the client that claimed it first.
   */
  claim(paymentId: string, clientId: string): Promise<string>;
  /** The client that submitted `paymentId`, or undefined. */
  ownerOf(paymentId: string): Promise<string | undefined>;
}

/** What a client id and a payment id must be to be stored: non-empty, at most 256 characters, no control character. */
export function checkOwnership(paymentId: string, clientId: string): void {
  for (const [name, value] of [
    ['payment id', paymentId],
    ['client id', clientId],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 256 || [...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
      throw new RangeError(`payment owners: ${name} ${JSON.stringify(value)} must be 1..256 printable characters`);
    }
  }
}
