/**
 * The local identity provider's users file: the shipped config/workbench-users.json reads; every
 * kind of bad entry is refused naming the file and the entry; and four eyes compares `sub`, never a
 * display name (two people whose names differ only in case, one person under two names).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseIdpUsers, readIdpUsers } from '../../../src/recon/workbench/idp';
import { applyCaseAction } from '../../../src/recon/workbench/cases';
import { exceptionCase } from './helpers';

const CONFIG = join(__dirname, '../../../config/workbench-users.json');
const good = () => ({ clientId: 'wb', groupRoles: { a: 'approver' }, users: [{ sub: 'u-1', name: 'Una', email: 'una@bank.example', groups: ['a'] }] });

describe('the local identity provider users file', () => {
  it('reads the shipped file: every role has someone, subs are distinct', () => {
    const config = readIdpUsers(CONFIG);
    const roles = new Set(config.users.flatMap((user) => user.groups.map((group) => config.groupRoles[group]).filter(Boolean)));
    expect([...roles].sort()).toEqual(['approver', 'reconciler', 'viewer']);
    expect(new Set(config.users.map((user) => user.sub)).size).toBe(config.users.length);
  });

  const BREAKERS: [string, (c: ReturnType<typeof good>) => unknown, RegExp][] = [
    ['not an object', () => [], /must be a JSON object/],
    ['bad client id', (c) => ({ ...c, clientId: 'a b' }), /clientId/],
    ['unknown role', (c) => ({ ...c, groupRoles: { a: 'admin' } }), /group "a" maps to "admin"/],
    ['no users', (c) => ({ ...c, users: [] }), /non-empty/],
    ['bad sub', (c) => ({ ...c, users: [{ ...c.users[0], sub: 'a b' }] }), /users\[0\]\.sub/],
    ['card number', (c) => ({ ...c, users: [{ ...c.users[0], name: 'x 4111 1111 1111 1111' }] }), /card number/],
    ['duplicate sub', (c) => ({ ...c, users: [c.users[0], c.users[0]] }), /appears twice/],
    ['no name', (c) => ({ ...c, users: [{ ...c.users[0], name: ' ' }] }), /name is missing/],
    ['bad email', (c) => ({ ...c, users: [{ ...c.users[0], email: 'nobody' }] }), /email/],
    ['bad groups', (c) => ({ ...c, users: [{ ...c.users[0], groups: 'a' }] }), /groups/],
  ];

  it('a users file that is not there, is a directory or is not JSON is refused saying which, naming the file (no bare ENOENT / EISDIR)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerline-idp-users-'));
    const notJson = join(dir, 'users.csv');
    writeFileSync(notJson, 'sub,name\n');
    expect(() => readIdpUsers(join(dir, 'absent.json'))).toThrow(new Error(`users file "${join(dir, 'absent.json')}" does not exist`));
    expect(() => readIdpUsers(dir)).toThrow(new Error(`users file "${dir}" is a directory, expected a JSON file`));
    expect(() => readIdpUsers(notJson)).toThrow(/^users file "[^"]+users\.csv" is not JSON: /);
  });

  it.each(BREAKERS)('refuses %s, naming the file', (_name, breaker, message) => {
    expect(() => parseIdpUsers(good(), 'users.json')).not.toThrow();
    expect(() => parseIdpUsers(breaker(good()), 'users.json')).toThrow(message);
    expect(() => parseIdpUsers(breaker(good()), 'users.json')).toThrow(/^users\.json: /);
  });
});

describe('four eyes compares sub', () => {
  const name = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => n.toLowerCase() !== n.toUpperCase());
  it('two people whose names differ only in case: one proposes, the other approves', () => {
    fc.assert(
      fc.property(name, (display) => {
        const proposed = applyCaseAction(exceptionCase(), { type: 'propose-write-off', note: 'fee' }, { user: 'u-1', name: display, roles: ['reconciler', 'approver'] }, '2025-03-01T10:00:00.000Z', 1);
        const approved = applyCaseAction(
          proposed.next,
          { type: 'approve-write-off' },
          { user: 'u-2', name: display.toLowerCase() === display ? display.toUpperCase() : display.toLowerCase(), roles: ['approver'] },
          '2025-03-01T11:00:00.000Z',
          2,
        );
        expect(approved.next.status).toBe('WRITTEN_OFF');
      }),
    );
  });

  it('one person (one sub) under any display name may not approve their own proposal', () => {
    fc.assert(
      fc.property(name, name, (first, second) => {
        const proposed = applyCaseAction(exceptionCase(), { type: 'propose-write-off', note: 'fee' }, { user: 'u-1', name: first, roles: ['reconciler', 'approver'] }, '2025-03-01T10:00:00.000Z', 1);
        expect(() => applyCaseAction(proposed.next, { type: 'approve-write-off' }, { user: 'u-1', name: second, roles: ['approver'] }, '2025-03-01T11:00:00.000Z', 2)).toThrow(/four eyes/);
      }),
    );
  });
});
