/**
 * npm run bench:pan (tsx bench/pan.bench.ts): the REC-PAN-1 guard on realistic statement text.
 * Generates N remittance texts (camt.053 Ustrd, MT940 :86: structured fields, counterparty names)
 * and N bank references (AcctSvcrRef, :61: references, EndToEndIds), in the mix a bank statement
 * has: nearly all hold no run of 13 digits; a few hold long Luhn-valid bank references, account
 * numbers or IBANs (the precise pass runs); one in 10,000 holds a card number. It times
 * redactPans and containsPan over all of them (best of three rounds) and prints ns per text, next to
 * the previous guard (digit count + native regular expression) on the same texts, with the
 * calibration line.
 * A benchmark, not a test: it asserts nothing.
 *
 *   npx tsx bench/pan.bench.ts                    # 1,000,000 texts + 1,000,000 references
 *   npx tsx bench/pan.bench.ts --count 100000
 */
import { cpus } from 'node:os';
import { containsPan, redactPans } from '../src/domain/pan';
import { calibrate, calibrationLine } from './calibrate';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

/** A small deterministic generator (mulberry32): the same texts on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Muller GmbH', 'ACME Ltd', 'Societe Generale SA', 'Jan de Vries', 'Stadtwerke Koeln', 'Bäckerei Schmidt', 'Øresund Logistics', 'Zoë Ltd'];
const WORDS = ['Invoice', 'Rechnung', 'Payment', 'Salary', 'Refund', 'Rent', 'Order', 'Ref', 'Facture', 'Gutschrift', 'SEPA', 'Lastschrift'];

function digits(next: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += String(Math.floor(next() * 10));
  return out;
}

function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** One remittance / :86: / counterparty text. */
function remittance(next: () => number, i: number): string {
  const roll = next();
  if (roll < 0.0001) return `${pick(next, WORDS)} card ${luhnComplete(`4${digits(next, 14)}`).replace(/(\d{4})(?=\d)/g, '$1 ')} thank you`;
  if (roll < 0.02) return `${pick(next, WORDS)} ${luhnComplete(`1518${digits(next, 12)}`)} ${pick(next, NAMES)}`; // a long bank reference
  if (roll < 0.04) return `IBAN DE${digits(next, 2)} ${digits(next, 4)} ${digits(next, 4)} ${digits(next, 4)} ${digits(next, 4)} ${digits(next, 2)} ${pick(next, NAMES)}`;
  if (roll < 0.4) return `166?00GUTSCHRIFT?20EREF+E2E-${digits(next, 6)}?21SVWZ+${pick(next, WORDS)} ${digits(next, 6)}?32${pick(next, NAMES)}?33KREF ${digits(next, 8)}`;
  if (roll < 0.7)
    return `${pick(next, WORDS)} INV-2026-${digits(next, 5)} dated 2026-11-${String(1 + (i % 28)).padStart(2, '0')} amount ${digits(next, 4)}.${digits(next, 2)} EUR ${pick(next, NAMES)}`;
  return `${pick(next, NAMES)} ${pick(next, WORDS)} ${digits(next, 4)}/${digits(next, 3)} order ${digits(next, 7)}`;
}

/** One bank reference (AcctSvcrRef, :61: bank and customer references, EndToEndId). */
function reference(next: () => number): string {
  const roll = next();
  if (roll < 0.05) return luhnComplete(`1518${digits(next, 12)}`);
  if (roll < 0.3) return `E2E-${digits(next, 10)}`;
  if (roll < 0.5) return 'NONREF';
  if (roll < 0.8) return `${digits(next, 10)}`;
  return `VISA/${digits(next, 6)}/${digits(next, 12)}`;
}

/** Best of three rounds (a loaded machine only ever adds time), after a warm-up. */
function time(label: string, texts: readonly string[], run: (text: string) => unknown): void {
  let sink = 0;
  for (let i = 0; i < Math.min(texts.length, 50_000); i += 1) if (run(texts[i] as string)) sink += 1;
  let best = Infinity;
  for (let round = 0; round < 3; round += 1) {
    sink = 0;
    const started = performance.now();
    for (const text of texts) if (run(text)) sink += 1;
    best = Math.min(best, performance.now() - started);
  }
  console.log(`${label.padEnd(40)} ${best.toFixed(0).padStart(6)} ms  ${((best * 1e6) / texts.length).toFixed(0).padStart(5)} ns/text  (${sink} truthy)`);
}

/** The guard before this fast path, for comparison in the same run: count ASCII digits, then a native regular expression for a 13-digit chain. */
const PREVIOUS_CHAIN_OF_13 = /(?<!\p{Nd})\p{Nd}(?:[\t ,\-./_\u00a0\u2000-\u200a\u2010-\u2015\u202f\u2212\u3000\uff0c-\uff0f\uff3f]{0,3}\p{Nd}){12}/u;
function previousGuard(text: string): boolean {
  let digits = 0;
  let other = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += 1;
    else if (c >= 0x660) other = true;
  }
  return (digits >= 13 || other) && PREVIOUS_CHAIN_OF_13.test(text);
}

function main(): void {
  const count = arg('count', 1_000_000);
  const next = random(arg('seed', 2026));
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; node ${process.version}`);
  const texts = Array.from({ length: count }, (_, i) => remittance(next, i));
  const references = Array.from({ length: count }, () => reference(next));
  const chars = texts.reduce((sum, text) => sum + text.length, 0);
  console.log(`${count.toLocaleString('en')} remittance texts (mean ${(chars / count).toFixed(0)} chars) + ${count.toLocaleString('en')} references`);
  time('previous guard: digit count + regex', texts, previousGuard);
  time('redactPans(text, narrative)', texts, (text) => redactPans(text, 'narrative') !== text);
  time('containsPan(text, narrative)', texts, (text) => containsPan(text, 'narrative'));
  time('containsPan(text, text)', texts, (text) => containsPan(text));
  time('redactPans(reference, identifier)', references, (text) => redactPans(text, 'identifier') !== text);
  time('containsPan(reference, identifier)', references, (text) => containsPan(text, 'identifier'));
  console.log(calibrationLine(calibrate()));
}

main();
