-- REC-CASE-1, REC-RS-1: an exception's case group.
--
-- Exceptions that belong together (a batch line and its items, lines sharing one entry) carry one
-- case group and are worked as one workbench case. exceptions.csv has it as its last column
-- (`group`, empty for an exception that stands alone); the load file's exceptions rows end with
-- it too (LOAD_TABLES in src/recon/run/aws/redshift-load.ts), so the column is added last and the
-- COPY needs no column list. Exceptions loaded before this migration stand alone (NULL).
--
--   case_group: caseGroupKey's "grp-" + 16 hex digits (20 characters) x 3 bytes + 1 apostrophe,
--   rounded up                                                                             -> 64

ALTER TABLE reconciliation.exceptions ADD COLUMN case_group VARCHAR(64) ENCODE zstd;
