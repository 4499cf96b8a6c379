import { InvalidArgumentError } from 'commander';
import { positiveInteger, wholeNumber } from '../../src/cli/options';

describe('whole-number CLI options', () => {
  it('parses base-10 whole numbers within the limits', () => {
    expect(wholeNumber('--port', { max: 65535 })('0')).toBe(0);
    expect(wholeNumber('--port', { max: 65535 })('65535')).toBe(65535);
    expect(positiveInteger('--count')('007')).toBe(7);
  });

  it('refuses anything else, naming the option, the range and the value', () => {
    expect(() => wholeNumber('--port', { max: 65535, hint: '0 = any free port' })('65536')).toThrow(
      new InvalidArgumentError('--port must be a whole number from 0 to 65535 (0 = any free port), got "65536"'),
    );
    expect(() => positiveInteger('--count')('0')).toThrow('--count must be a positive whole number, got "0"');
    for (const bad of ['', '-1', '1.5', '1e3', ' 2', '0x10', '9'.repeat(16)]) expect(() => wholeNumber('--n')(bad)).toThrow(`--n must be a whole number, got "${bad}"`);
  });
});
