/**
 * Reads the expected-value .yml files next to the MT940 fixtures. They are PyYAML dumps of the
 * Python `mt940` library's objects (!!python/object:mt940.models.Transactions, Decimal, Date as
 * pickled bytes, …). js-yaml (a transitive dev dependency, tests only) does the YAML; the custom
 * tags below turn the Python objects into plain values:
 *   Decimal → decimal string; mt940 Date → "YYYY-MM-DD"; DateTime → { dateTime, offsetMinutes };
 *   Amount → { amount, currency }; Balance → { amount, currency, date, status };
 *   SumAmount → { amount, currency, number }; Transaction → its data; tags / regexes → null.
 */
import { readFileSync } from 'node:fs';

interface JsYamlModule {
  Type: new (tag: string, options: { kind: 'scalar' | 'sequence' | 'mapping'; construct: (data: never) => unknown }) => unknown;
  Schema: { create(base: unknown, types: unknown[]): unknown };
  DEFAULT_SAFE_SCHEMA: unknown;
  load(text: string, options: { schema: unknown; filename?: string }): unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- js-yaml 3 has no bundled types; tests only
const jsYaml = require('js-yaml') as JsYamlModule;

export interface PyAmount {
  amount: string;
  currency: string | null;
}

export interface PyBalance extends PyAmount {
  date: string;
  status: string;
}

export interface PyMt940Expected {
  data: Record<string, unknown>;
  transactions: Record<string, unknown>[];
}

function bytes(value: unknown): number[] {
  if (value instanceof Uint8Array) return [...value];
  throw new Error(`expected !!binary, got ${typeof value}`);
}

function ymd(b: number[]): string {
  const year = (b[0]! << 8) | b[1]!;
  return `${String(year).padStart(4, '0')}-${String(b[2]).padStart(2, '0')}-${String(b[3]).padStart(2, '0')}`;
}

function applyConstruct(name: string, args: unknown[]): unknown {
  switch (name) {
    case 'decimal.Decimal':
      return String(args[0]);
    case 'mt940.models.Date':
      return ymd(bytes(args[0]));
    case 'mt940.models.DateTime': {
      const b = bytes(args[0]);
      const time = `${String(b[4]).padStart(2, '0')}:${String(b[5]).padStart(2, '0')}:${String(b[6]).padStart(2, '0')}`;
      return { dateTime: `${ymd(b)}T${time}`, offsetMinutes: args[1] as number | undefined };
    }
    case 'datetime.timedelta': {
      const [days = 0, seconds = 0] = args as number[];
      return days * 86400 + seconds;
    }
    case 're._compile':
      return null;
    default:
      throw new Error(`unhandled python apply ${name}`);
  }
}

function objectConstruct(name: string, data: Record<string, unknown>): unknown {
  switch (name) {
    case 'mt940.models.Amount':
      return { amount: data.amount as string, currency: (data.currency as string | null) ?? null } satisfies PyAmount;
    case 'mt940.models.SumAmount':
      return { amount: data.amount as string, currency: (data.currency as string | null) ?? null, number: data.number as string };
    case 'mt940.models.Balance': {
      const amount = data.amount as PyAmount;
      return { amount: amount.amount, currency: amount.currency, date: data.date as string, status: data.status as string } satisfies PyBalance;
    }
    case 'mt940.models.Transaction':
      return data.data;
    case 'mt940.models.Transactions':
      return { data: data.data ?? {}, transactions: data.transactions ?? [] };
    default:
      if (name.startsWith('mt940.tags.')) return null;
      throw new Error(`unhandled python object ${name}`);
  }
}

const PYTHON_TAG = /!!python\/(object\/apply|object):([A-Za-z0-9_.]+)/g;

export function loadPythonMt940Yaml(path: string): PyMt940Expected {
  const text = readFileSync(path, 'utf8');
  const types: unknown[] = [];
  const seen = new Set<string>();
  for (const match of text.matchAll(PYTHON_TAG)) {
    const [tagText, kind, name] = match as unknown as [string, string, string];
    if (seen.has(tagText)) continue;
    seen.add(tagText);
    const tag = `tag:yaml.org,2002:${tagText.slice(2)}`;
    if (kind === 'object/apply') {
      types.push(new jsYaml.Type(tag, { kind: 'sequence', construct: (data: unknown[]) => applyConstruct(name, data) }));
      // FixedOffset is dumped with its state mapping: { state: { _name: '0100', _offset: timedelta } }.
      types.push(
        new jsYaml.Type(tag, {
          kind: 'mapping',
          construct: (data: { state?: { _offset?: number } }) => (name === 'mt940.models.FixedOffset' ? (data.state?._offset ?? 0) / 60 : data),
        }),
      );
    } else {
      types.push(new jsYaml.Type(tag, { kind: 'mapping', construct: (data: Record<string, unknown>) => objectConstruct(name, data) }));
    }
  }
  const schema = jsYaml.Schema.create(jsYaml.DEFAULT_SAFE_SCHEMA, types);
  return jsYaml.load(text, { schema, filename: path }) as PyMt940Expected;
}
