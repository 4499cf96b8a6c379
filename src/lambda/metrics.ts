/** Custom CloudWatch metrics the functions emit (EMF) and the alarms in stacks/ watch: defined once here. */
export const ITERATOR_AGE_METRIC = { namespace: 'Ledgerline', metricName: 'AuthorisationStreamIteratorAge', unit: 'Milliseconds' } as const;
