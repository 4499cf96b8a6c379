/**
 * PCI: a raw card number (PAN) must never enter storage, events or logs.
 * A PAN-like value is a run of 13-19 digits (optionally split by spaces or dashes) that passes Luhn.
 */

const CANDIDATE = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The longest run of digits, counting single spaces or dashes between digits as part of it. */
function longestDigitRun(text: string): number {
  let longest = 0;
  let run = 0;
  let separator = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      run += 1;
      separator = false;
      if (run > longest) longest = run;
    } else if ((code === 32 || code === 45) && run > 0 && !separator) {
      separator = true;
    } else {
      run = 0;
      separator = false;
    }
  }
  return longest;
}

/** True when `text` contains something that looks like a raw PAN. */
export function containsPan(text: string): boolean {
  if (longestDigitRun(text) < 13) return false;
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match; match = CANDIDATE.exec(text)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) return true;
  }
  return false;
}

/** Replaces every PAN-like run with a mask that keeps no digits. */
export function redactPans(text: string): string {
  return text.replace(CANDIDATE, (run) => {
    const digits = run.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && passesLuhn(digits) ? '[REDACTED-PAN]' : run;
  });
}

/** Cheap pre-check: a PAN needs at least 13 digits in the text. */
function hasThirteenDigits(text: string): boolean {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 && ++count >= 13) return true;
  }
  return false;
}

/**
 * Scans every string (and number) inside a parsed value. Returns the JSON path of the first
 * PAN-like field, without its value, or undefined.
 */
export function findPan(value: unknown, path = '$'): string | undefined {
  if (typeof value === 'string') return hasThirteenDigits(value) && containsPan(value) ? path : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return containsPan(String(value)) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findPan(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findPan(key, `${path}{key}`) ?? findPan(child, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
