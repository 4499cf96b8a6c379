/**
 * Jest's module runtime (jest-runtime), plus V8's code cache: a module compiled once in a worker is
 * compiled from its cached data the next time that worker loads the same code, in a later test
 * file or a fresh registry of the same file (jest.isolateModules, as the IAM suites load each
 * deployed function the way a cold Lambda does). Jest compiles every module of every test file
 * from its source (vm.compileFunction, which V8 does not cache by itself), so the same AWS SDK
 * and source modules were parsed again for every file and every isolated registry.
 *
 * Only the compilation is cached: every module is still evaluated afresh in its own registry, from
 * the same transformed source (the cache entry is keyed by file name and a digest of that source,
 * so an edited or differently transformed file compiles anew). V8 checks cached data against the
 * source and ignores it when it does not fit (then the module compiles from source, as before).
 * Per worker process, in memory; nothing is written to disk.
 */
const { createHash } = require('node:crypto');
const { dirname } = require('node:path');
const { compileFunction } = require('node:vm');

// Jest's own runtime, resolved from jest (it is jest's dependency, not ours).
const Runtime = require(require.resolve('jest-runtime', { paths: [dirname(require.resolve('jest-config/package.json', { paths: [dirname(require.resolve('jest/package.json'))] }))] })).default;

/** file name → { digest of the source, V8's cached data for it } */
const cached = new Map();

const digest = (source) => createHash('sha1').update(source).digest('base64');

/**
 * Jest's compile (ModuleExecutor#compile of jest-runtime 30) with V8's cached data: `executor` is
 * the runtime's module executor, `original` its own compile (used for core modules, a disposed
 * environment, and to report a syntax error as Jest does).
 */
function cachingCompile(executor, original) {
  return function compile(scriptSource, filename) {
    const vmContext = executor.environment.getVmContext();
    if (vmContext == null || executor.resolution.isCoreModule(filename)) return original(scriptSource, filename);
    const hash = digest(scriptSource);
    const entry = cached.get(filename);
    const cachedData = entry && entry.hash === hash ? entry.data : undefined;
    let compiled;
    try {
      compiled = compileFunction(scriptSource, executor.injectedModuleParameters, {
        filename,
        cachedData,
        produceCachedData: cachedData === undefined,
        // As jest-runtime's compile does.
        importModuleDynamically: async (specifier, _function, importAttributes, ...rest) => executor.dynamicImport(specifier, filename, vmContext, importAttributes, rest[0]),
        parsingContext: vmContext,
      });
    } catch {
      return original(scriptSource, filename);
    }
    if (compiled.cachedDataRejected) cached.delete(filename);
    else if (cachedData === undefined && compiled.cachedData) cached.set(filename, { hash, data: compiled.cachedData });
    return compiled;
  };
}

class CodeCacheRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    // Another Jest version, without this executor: Jest's own compile, uncached.
    const executor = this.executor;
    if (executor && typeof executor.compile === 'function' && Array.isArray(executor.injectedModuleParameters)) {
      executor.compile = cachingCompile(executor, executor.compile.bind(executor));
    }
  }
}

module.exports = CodeCacheRuntime;
