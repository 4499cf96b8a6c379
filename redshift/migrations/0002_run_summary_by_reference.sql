-- REC-2, REC-RS-1: a run's summary is referenced, not copied into the row.
--
-- reconciliation.runs.summary held summary.json in a VARCHAR(65535) cell. The summary grows with
-- the statements of a run (one statementFiles and one balanceChecks entry per statement), so a run
-- of a few hundred statements no longer fits: its COPY fails ("String length exceeds DDL length"),
-- or with TRUNCATECOLUMNS would lose the tail silently. The row now holds the S3 URI of the run's
-- summary.json (written whole next to matches.csv) and the SHA-256 of its bytes; the load file's
-- columns follow (LOAD_TABLES in src/recon/run/aws/redshift-load.ts).
--
-- Nothing already loaded is lost: the summaries of the runs loaded before this migration move to
-- reconciliation.run_summaries_v1 (run_id, summary) first; their new columns are '' (unknown).
--
--   summary_uri: s3:// + bucket (63) + / + key (matches/runs/<run id, 80>/summary.json)  -> 1200
--   summary_sha256: 64 lowercase hex digits                                            -> 64

CREATE TABLE reconciliation.run_summaries_v1 (
  run_id VARCHAR(80) NOT NULL ENCODE raw,
  summary VARCHAR(65535) NOT NULL ENCODE zstd
)
DISTSTYLE ALL
SORTKEY (run_id);

INSERT INTO reconciliation.run_summaries_v1 (run_id, summary)
SELECT run_id, summary FROM reconciliation.runs;

ALTER TABLE reconciliation.runs DROP COLUMN summary;

ALTER TABLE reconciliation.runs ADD COLUMN summary_uri VARCHAR(1200) DEFAULT '' ENCODE zstd NOT NULL;

ALTER TABLE reconciliation.runs ADD COLUMN summary_sha256 VARCHAR(64) DEFAULT '' ENCODE zstd NOT NULL;
