#!/usr/bin/env node
/**
 * Keeps package-lock.json installable with `npm ci` when the registry this machine uses serves
 * only some platforms' builds of a package's optional native binaries (e.g. no darwin/win32
 * builds of @swc/core). npm then leaves those optional dependencies out of the lockfile, and
 * `npm ci` refuses the lockfile as "out of sync".
 *
 * For every optional dependency missing from the lockfile, this adds the stub entry npm itself
 * would write: version, optional, and the os / cpu / libc it is for, inferred from the package
 * name. npm skips such entries on other platforms and never downloads them. Entries that would
 * match this platform (linux x64 glibc) are never stubbed: those must come from the registry.
 *
 * Idempotent. Run after `npm install`:  node scripts/lockfile-platform-stubs.js
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const OSES = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];
const has = (name, token) => new RegExp(`(^|-)${token}(-|$)`).test(name);

function platformOf(dependency) {
  const name = dependency.split('/').pop();
  const os = OSES.find((candidate) => has(name, candidate));
  let cpu = CPUS.find((candidate) => has(name, candidate));
  if (!cpu && /gnueabihf|armv7|eabi/.test(name)) cpu = 'arm';
  const libc = name.includes('musl') ? 'musl' : os === 'linux' && name.includes('gnu') ? 'glibc' : undefined;
  return { os, cpu, libc };
}

const added = [];
for (const [key, meta] of Object.entries(packages)) {
  for (const [dependency, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${key ? `${key}/` : ''}node_modules/${dependency}`;
    if (packages[nested] || packages[`node_modules/${dependency}`]) continue;
    const { os, cpu, libc } = platformOf(dependency);
    if (!os || !cpu || (os === 'linux' && cpu === 'x64' && libc !== 'musl')) continue;
    packages[`node_modules/${dependency}`] = {
      version: String(range).replace(/^[\^~=]+/, ''),
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc ? { libc: [libc] } : {}),
    };
    added.push(dependency);
  }
}
if (added.length > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`package-lock.json: ${added.length} optional platform stub(s) added${added.length ? `: ${added.join(', ')}` : ''}`);
