import { containsPan, findPan, passesLuhn, redactPans } from '../../src/domain/pan';

describe('PAN guard', () => {
  const visaTest = '4111111111111111';
  it('recognises Luhn-valid 13-19 digit runs, with or without separators', () => {
    expect(passesLuhn(visaTest)).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(containsPan(`card ${visaTest} used`)).toBe(true);
    expect(containsPan('4111 1111 1111 1111')).toBe(true);
    expect(containsPan('4111-1111-1111-1111')).toBe(true);
    expect(containsPan('378282246310005')).toBe(true); // 15-digit Amex test number
  });

  it('ignores short runs, long runs and Luhn failures', () => {
    expect(containsPan('123456789012')).toBe(false);
    expect(containsPan('4111111111111112')).toBe(false);
    expect(containsPan('41111111111111111111')).toBe(false); // 20 digits
    expect(containsPan('2026-11-01T00:00:00Z stan 123456 rrn 000000123456')).toBe(false);
  });

  it('redacts without keeping any digit of the PAN', () => {
    const redacted = redactPans(`{"note":"${visaTest}","ok":"1234"}`);
    expect(redacted).toBe('{"note":"[REDACTED-PAN]","ok":"1234"}');
  });

  it('finds the path of a PAN anywhere in a parsed record', () => {
    expect(findPan({ a: { b: ['x', `pan ${visaTest}`] } })).toBe('$.a.b[1]');
    expect(findPan({ a: 4111111111111111n })).toBe('$.a');
    expect(findPan({ fine: 'tok_abcdefgh12345678' })).toBeUndefined();
  });
});

describe('deterministic ids never look like a PAN', () => {
  it('re-derives ids whose digits would pass as a PAN', async () => {
    const { deterministicId } = await import('../../src/domain/events');
    let checked = 0;
    for (let i = 0; i < 20000; i += 1) {
      const id = deterministicId('probe', String(i));
      expect(containsPan(id)).toBe(false);
      checked += 1;
    }
    expect(checked).toBe(20000);
    expect(deterministicId('a', 'b')).toBe(deterministicId('a', 'b'));
  });
});
