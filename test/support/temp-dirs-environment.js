/**
 * Jest's node environment, plus: every directory made by `mkdtemp` while a test file runs (by the
 * test, its support code, or the source code it calls in this process) is removed when that file
 * ends, after its own afterAll hooks. A test file therefore leaves nothing in the temp directory
 * (tempDir() of test/support/runtime.ts, a harness's own mkdtempSync, an outbox that makes its
 * own directory) without an afterAll of its own.
 *
 * Jest runs one test file at a time in a worker, and Node's core modules are shared by the worker
 * and the test's sandbox, so `fs.mkdtempSync`, `fs.mkdtemp` and `fs.promises.mkdtemp` are wrapped
 * for the file's lifetime only and restored at teardown. Not covered: directories made by child
 * processes (a spawned `ledgerline` CLI) or worker threads: those must remove their own.
 *
 * LEDGERLINE_KEEP_TEMP=1 keeps them (to inspect a failing test's state) and names each on stderr.
 *
 * The sandbox's global is an ordinary object (vm.constants.DONT_CONTEXTIFY, Node ≥ 20.18). Jest
 * makes its context on a Proxy, so every global lookup from test and source code (`Math.imul`,
 * `Number.isInteger`, `Uint8Array`) went through V8's interceptor into the Proxy's traps: about
 * 0.4 µs each, a loop of 10M `Math.imul` 25 ms in plain Node against 3.2 s in the sandbox, and
 * 24–33% of the CPU of suites that run the parsers, the matcher or the ledger reader. What is lost
 * is Jest's deletion of globals a test file sets at teardown; the whole context is dropped instead.
 */
const fs = require('node:fs');
const vm = require('node:vm');
const { dirname } = require('node:path');

// Jest's own node environment, resolved from jest (it is jest's dependency, not ours).
const { TestEnvironment } = require(
  require.resolve('jest-environment-node', { paths: [dirname(require.resolve('jest-config/package.json', { paths: [dirname(require.resolve('jest/package.json'))] }))] }),
);

class TempDirsEnvironment extends TestEnvironment {
  constructor(config, context) {
    const createContext = vm.createContext;
    const ordinaryGlobal = vm.constants?.DONT_CONTEXTIFY;
    if (ordinaryGlobal !== undefined) vm.createContext = () => createContext(ordinaryGlobal);
    try {
      super(config, context);
    } finally {
      vm.createContext = createContext;
    }
    /** @type {string[]} */
    this.tempDirs = [];
    /** @type {(() => void) | undefined} */
    this.restoreMkdtemp = undefined;
  }

  async setup() {
    await super.setup();
    const made = this.tempDirs;
    const { mkdtempSync, mkdtemp } = fs;
    const promisesMkdtemp = fs.promises.mkdtemp;
    fs.mkdtempSync = function (...args) {
      const dir = mkdtempSync.apply(this, args);
      if (typeof dir === 'string') made.push(dir);
      return dir;
    };
    fs.mkdtemp = function (...args) {
      const callback = args[args.length - 1];
      if (typeof callback !== 'function') return mkdtemp.apply(this, args);
      args[args.length - 1] = (error, dir) => {
        if (!error && typeof dir === 'string') made.push(dir);
        callback(error, dir);
      };
      return mkdtemp.apply(this, args);
    };
    fs.promises.mkdtemp = async function (...args) {
      const dir = await promisesMkdtemp.apply(this, args);
      if (typeof dir === 'string') made.push(dir);
      return dir;
    };
    this.restoreMkdtemp = () => {
      fs.mkdtempSync = mkdtempSync;
      fs.mkdtemp = mkdtemp;
      fs.promises.mkdtemp = promisesMkdtemp;
    };
  }

  async teardown() {
    this.restoreMkdtemp?.();
    // The test file's view of the environment variables (its sandbox starts from the worker's).
    const keep = (this.global?.process?.env ?? process.env).LEDGERLINE_KEEP_TEMP === '1';
    for (const dir of this.tempDirs.splice(0)) {
      if (keep) {
        process.stderr.write(`kept temp dir ${dir}\n`);
        continue;
      }
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      } catch (error) {
        process.stderr.write(`could not remove temp dir ${dir}: ${error && error.message ? error.message : String(error)}\n`);
      }
    }
    await super.teardown();
  }
}

module.exports = TempDirsEnvironment;
