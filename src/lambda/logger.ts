/**
 * Structured JSON logs (one line each) with PAN redaction on every line.
 * Lambda ships stdout/stderr to CloudWatch; the embedded runtime sends them to a file or nowhere.
 */
import { redactPans } from '../domain/pan';

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

function serialiseError(error: unknown): unknown {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return error;
}

export function createLogger(
  base: Record<string, unknown> = {},
  sink: LogSink = (line) => process.stdout.write(`${line}\n`),
  minimum: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
): Logger {
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[minimum]) return;
    const record: Record<string, unknown> = { level, time: new Date().toISOString(), message, ...base, ...fields };
    if ('error' in record) record.error = serialiseError(record.error);
    sink(redactPans(JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))));
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
