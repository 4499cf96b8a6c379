/**
 * Quarantine: a bad input file is copied (reconcile) or moved (inbox) into a quarantine folder
 * next to `<name>.reason.txt`, which says what is wrong and where.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { redactPans } from '../../domain/pan';
import type { BadInputError } from './errors';
import { describePosition, safeMessage, safePath } from './errors';

export interface Quarantined {
  file: string;
  reasonFile: string;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** PCI-3: a card number in an uploaded file's name is masked in every name we give the file. */
export function safeFileName(source: string): string {
  return redactPans(basename(source));
}

/**
 * A name in `dir` for `source`: its own (masked) name, or prefixed with its hash when that name is
 * taken by other content (two names that mask alike included).
 */
export function freeName(dir: string, source: string, hash: string): string {
  const name = safeFileName(source);
  const target = join(dir, name);
  if (!existsSync(target) || sha256(target) === hash) return name;
  return `${hash.slice(0, 12)}-${name}`;
}

/** The reason file's text. PCI-3: what it quotes is masked (the hash is not: it is no field). */
export function reasonText(error: BadInputError, hash: string | undefined, now: Date): string {
  return [
    `file: ${safePath(error.file)}`,
    `problem: ${error.kind}`,
    `where: ${safeMessage(describePosition(error.position))}`,
    `reason: ${safeMessage(error.message)}`,
    ...(hash ? [`sha256: ${hash}`] : []),
    `quarantinedAt: ${now.toISOString()}`,
    '',
  ].join('\n');
}

/** Copies (or moves) the bad file into `dir` with its reason. Never throws for a missing source. */
export function quarantine(error: BadInputError, dir: string, options: { move?: boolean; now?: Date } = {}): Quarantined {
  mkdirSync(dir, { recursive: true });
  const source = error.file;
  const present = existsSync(source) && !isDirectory(source);
  const hash = present ? sha256(source) : undefined;
  const name = present ? freeName(dir, source, hash!) : safeFileName(source);
  const target = join(dir, name);
  if (present) {
    if (options.move) {
      try {
        renameSync(source, target);
      } catch {
        copyFileSync(source, target);
        unlinkSync(source);
      }
    } else {
      copyFileSync(source, target);
    }
  }
  const reasonFile = `${target}.reason.txt`;
  writeFileSync(reasonFile, reasonText(error, hash, options.now ?? new Date()));
  return { file: target, reasonFile };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
