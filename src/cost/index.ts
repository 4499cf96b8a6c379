/** COST-1: the bill per 1M posted payments from the synth, measured counts and one price file (pure). */
export { COUNTS_FORMAT, parseCounts, countsToJson, type MeasuredCounts } from './counts';
export { readDeploymentConfig, DeploymentConfigError, type DeploymentConfig } from './deployment-config';
export { Exact, significant, groupDigits } from './exact';
export { reportDocument, reportText, type ReportSources } from './format';
export { computeCost, CostModelError, PAYMENTS_BILLED, REPORT_FORMAT, SEED_RATE_PER_SECOND, type CostLine, type CostReport, type QuotaCheck } from './model';
export { parsePrices, PRICES_FORMAT, PRICE_KEYS, QUOTA_KEYS, type PriceList } from './prices';
export { CostFileError } from './read';
