// Worker-thread entry of a run's case import (REC-PERF-1): TypeScript runs through tsx's CommonJS hook.
require('tsx/cjs/api').register();
require('./case-import-worker.ts');
