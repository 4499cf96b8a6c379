-- REC-2: the reconciliation schema and the COPY targets of the workflow's load step
-- (redshiftLoadSql in src/recon/run/aws/steps.ts: delete-then-COPY of the run's rows, one
-- transaction). Columns are in the order of the load files (LOAD_TABLES in steps.ts: run_id
-- first, no header), so COPY needs no column list.
--
-- Text cells come through the one formula-safe CSV writer (REC-OUT-1): a cell that would start a
-- spreadsheet formula is stored with its leading apostrophe, exactly as in matches.csv and
-- exceptions.csv (decodeCsvText reverses it). Without EMPTYASNULL an empty text cell loads as ''.
--
-- VARCHAR lengths are BYTES in Redshift (characters in PostgreSQL; the PostgreSQL rehearsal checks
-- the byte lengths itself). Each bound = the field's character bound x 3 bytes (UTF-8 of one
-- UTF-16 unit) + 1 byte for the neutralising apostrophe, rounded up:
--   statement line ids "<12 hex>:<n>:<n>"; match ids are RFC 4122-shaped (36)     -> 64 / 128
--   bank references and account ids: 140 characters (LINE_FIELDS, REC-IN-1)     -> 512
--   ledger entry ids: 1000 characters (the ledger reader's bound)               -> 4096
--   source_uri: s3:// + bucket (63) + / + key (1024 bytes)                       -> 1200
--   detail: the matcher's text naming up to two ids and two amounts            -> 16384
--   summary: summary.json of the run, up to Redshift's VARCHAR maximum            -> 65535
-- Amounts are exact: DECIMAL(38,6) from the canonical decimal strings, never floating point.
-- NOT NULL only where the writer always fills the cell (an empty optional cell is '' in Redshift
-- today, NULL once the COPY says EMPTYASNULL: the columns allow both).
-- No PRIMARY KEY / UNIQUE: Redshift would not enforce them (the analytics tests check the natural
-- keys are unique instead). Sort key run_id: the load's DELETE ... WHERE run_id and per-run
-- queries read only the run's blocks.

CREATE SCHEMA reconciliation;

CREATE TABLE reconciliation.runs (
  run_id VARCHAR(80) NOT NULL ENCODE raw,
  source_uri VARCHAR(1200) NOT NULL ENCODE zstd,
  content_hash VARCHAR(64) NOT NULL ENCODE zstd,
  as_of DATE NOT NULL ENCODE az64,
  statement_lines BIGINT NOT NULL ENCODE az64,
  ledger_entries BIGINT NOT NULL ENCODE az64,
  matched BIGINT NOT NULL ENCODE az64,
  unmatched_statement BIGINT NOT NULL ENCODE az64,
  unmatched_ledger BIGINT NOT NULL ENCODE az64,
  summary VARCHAR(65535) NOT NULL ENCODE zstd
)
DISTSTYLE ALL
SORTKEY (run_id);

CREATE TABLE reconciliation.matches (
  run_id VARCHAR(80) NOT NULL ENCODE raw,
  match_id VARCHAR(128) NOT NULL ENCODE zstd,
  statement_line_id VARCHAR(128) NOT NULL ENCODE zstd,
  bank_reference VARCHAR(512) ENCODE zstd,
  ledger_entry_id VARCHAR(4096) NOT NULL ENCODE zstd,
  rule_id VARCHAR(128) NOT NULL ENCODE zstd,
  confidence DECIMAL(5,4) NOT NULL ENCODE az64,
  status VARCHAR(16) NOT NULL ENCODE zstd
)
DISTSTYLE EVEN
COMPOUND SORTKEY (run_id, statement_line_id);

CREATE TABLE reconciliation.exceptions (
  run_id VARCHAR(80) NOT NULL ENCODE raw,
  side VARCHAR(16) NOT NULL ENCODE zstd,
  id VARCHAR(4096) NOT NULL ENCODE zstd,
  reason VARCHAR(32) NOT NULL ENCODE zstd,
  age_days INTEGER NOT NULL ENCODE az64,
  statement_line_id VARCHAR(128) ENCODE zstd,
  bank_reference VARCHAR(512) ENCODE zstd,
  ledger_entry_id VARCHAR(4096) ENCODE zstd,
  account_id VARCHAR(512) ENCODE zstd,
  currency VARCHAR(3) ENCODE zstd,
  amount DECIMAL(38,6) ENCODE az64,
  detail VARCHAR(16384) ENCODE zstd
)
DISTSTYLE EVEN
COMPOUND SORTKEY (run_id, side);
