// Worker-thread entry of one state partition: TypeScript runs through tsx's CommonJS hook.
require('tsx/cjs/api').register();
require('./partition-worker.ts');
