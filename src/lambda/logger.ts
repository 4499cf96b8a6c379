/**
 * Structured JSON logs (one line each) with PAN redaction on every line (PCI-1 text evidence,
 * PCI-3: no card number reaches a log). Every string, number, member name and error (message,
 * stack, cause, aggregated errors) is redacted where it sits, so the line stays valid JSON; the
 * whole line is then checked once more, for a card number spelled across fields.
 * Lambda ships stdout/stderr to CloudWatch; the embedded runtime sends them to a file or nowhere.
 */
import { containsPan, PAN_REDACTION, redactPans } from '../domain/pan';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

function serialiseError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack !== undefined) out.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.cause !== undefined) out.cause = error.cause;
  if (error instanceof AggregateError) out.errors = error.errors;
  return out;
}

/** JSON.stringify replacer: redacts each value where it sits (strings, numbers, member names, errors). */
function redactingReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return redactPans(value);
  if (typeof value === 'bigint') return redactPans(value.toString());
  if (typeof value === 'number') return containsPan(String(value)) ? PAN_REDACTION : value;
  if (value instanceof Error) return serialiseError(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.some((key) => containsPan(key))) {
      const renamed: Record<string, unknown> = {};
      for (const key of keys) renamed[redactPans(key)] = (value as Record<string, unknown>)[key];
      return renamed;
    }
  }
  return value;
}

/** The log line for a record: redacted field by field, then as a whole. */
export function logLine(record: Record<string, unknown>): string {
  let line: string;
  try {
    line = JSON.stringify(record, redactingReplacer);
  } catch (error) {
    line = JSON.stringify({ level: record.level, time: record.time, message: record.message, logError: `fields not serialisable: ${(error as Error).message}` }, redactingReplacer);
  }
  if (!containsPan(line)) return line;
  // A card number spelled across fields (say, an array of digit groups): redact the line itself,
  // and keep only the redacted message when that leaves no valid JSON.
  const redacted = redactPans(line);
  try {
    JSON.parse(redacted);
    return redacted;
  } catch {
    return JSON.stringify({
      level: record.level,
      time: record.time,
      message: typeof record.message === 'string' ? redactPans(record.message) : PAN_REDACTION,
      logError: 'fields withheld: they spelled a card number across values',
    });
  }
}

export function createLogger(
  base: Record<string, unknown> = {},
  sink: LogSink = (line) => process.stdout.write(`${line}\n`),
  minimum: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
): Logger {
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[minimum]) return;
    sink(logLine({ level, time: new Date().toISOString(), message, ...base, ...fields }));
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, sink, minimum),
  };
}

/** A logger that drops everything (benchmarks, quiet local runs). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
