/** The audit trail's pure core (AUDIT-1, AUDIT-2): rows, the hash chain, the verifier, the records. */
export * from './row';
export * from './chain';
export * from './verify';
export * from './records';
