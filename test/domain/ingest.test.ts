import { authorisedEvent, classifyLine, isApproved } from '../../src/domain/ingest';
import { correlationIdFor } from '../../src/domain/events';
import { validateAuthorisation, validateEvent } from '../../schemas';
import { authorisation } from '../support/builders';

describe('ingest (FR1)', () => {
  const line = JSON.stringify(authorisation());

  it('accepts a valid authorisation and makes exactly one deterministic post-auth event', () => {
    const classified = classifyLine(line, validateAuthorisation);
    expect(classified.kind).toBe('valid');
    if (classified.kind !== 'valid') return;
    const a = authorisedEvent(classified.authorisation, '2026-11-01T10:00:00Z');
    const b = authorisedEvent(classified.authorisation, '2026-11-02T10:00:00Z');
    expect(a.id).toBe(b.id);
    expect(a.correlationId).toBe(correlationIdFor('AUTH-1'));
    expect(a.causationId).toBe('AUTH-1');
    validateEvent(a, 'payment.authorised');
  });

  it('only "00" is approved', () => {
    expect(isApproved(authorisation())).toBe(true);
    expect(isApproved(authorisation({ responseCode: '05' }))).toBe(false);
  });

  it.each([
    ['not JSON', '{"authorizationId":', /^not JSON/],
    ['a float amount', JSON.stringify({ ...authorisation(), amount: { value: 25.5, currency: 'GBP' } }), /\/amount\/value: must be string/],
    ['wrong precision', JSON.stringify({ ...authorisation(), amount: { value: '1.5', currency: 'JPY' } }), /JPY allows 0/],
    ['an unknown currency', JSON.stringify({ ...authorisation(), amount: { value: '1.00', currency: 'XYZ' } }), /unknown ISO 4217 currency "XYZ"/],
    ['an extra field', JSON.stringify({ ...authorisation(), cvv: '123' }), /unexpected field "cvv"/],
    ['a PAN in a field', JSON.stringify({ ...authorisation(), terminalId: '5555555555554444' }), /PAN-like/],
  ])('rejects %s with a reason naming the fault', (_name, input, reason) => {
    const classified = classifyLine(input, validateAuthorisation);
    expect(classified.kind).toBe('invalid');
    if (classified.kind === 'invalid') {
      expect(classified.reason).toMatch(reason);
      expect(classified.redactedLine).not.toContain('5555555555554444');
    }
  });
});
