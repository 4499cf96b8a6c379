-- AUDIT-1: the append-only, hash-chained audit trail (docs/audit-trail.md).
-- Applied once, in order, by src/adapters/postgres/audit-migrations.ts (`ledgerline audit migrate`).

-- One row per copied source record, chained per partition:
--   row_hash = sha256(prev_hash || canonical row)  (src/audit-trail/chain.ts)
CREATE TABLE audit_rows (
  partition_key   text        NOT NULL,
  seq             bigint      NOT NULL CHECK (seq >= 1),
  source          text        NOT NULL CHECK (source IN ('ledger', 'lifecycle', 'transaction-state', 'workbench')),
  source_id       text        NOT NULL,
  source_position text        NOT NULL,
  event_type      text        NOT NULL,
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  actor           text        NOT NULL,
  subject_ids     text[]      NOT NULL,
  payload         jsonb       NOT NULL,
  prev_hash       char(64)    NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  row_hash        char(64)    NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (partition_key, seq),
  -- Idempotency: a re-delivered source record is stored once.
  CONSTRAINT audit_rows_source_id_key UNIQUE (source_id)
);

CREATE INDEX audit_rows_by_subject ON audit_rows USING gin (subject_ids);
CREATE INDEX audit_rows_by_type_time ON audit_rows (event_type, occurred_at);
CREATE INDEX audit_rows_by_time ON audit_rows (occurred_at);

-- The head of each partition's chain: locked (SELECT ... FOR UPDATE) by every append to it.
CREATE TABLE audit_heads (
  partition_key text     PRIMARY KEY,
  last_seq      bigint   NOT NULL CHECK (last_seq >= 0),
  last_hash     char(64) NOT NULL CHECK (last_hash ~ '^[0-9a-f]{64}$')
);

-- Each feed's position in its source (an embedded state's archive sequence, ...).
CREATE TABLE audit_cursors (
  feed       text        PRIMARY KEY,
  position   text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only: no UPDATE, DELETE or TRUNCATE of a row, whoever asks.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'audit trail is append-only: % of % (partition %, seq %) refused', TG_OP, TG_TABLE_NAME, OLD.partition_key, OLD.seq
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_rows_append_only BEFORE UPDATE OR DELETE ON audit_rows
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_rows_no_truncate BEFORE TRUNCATE ON audit_rows
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- A head only moves forward, and is never deleted.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'audit trail is append-only: % of audit_heads refused', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.partition_key <> OLD.partition_key OR NEW.last_seq <= OLD.last_seq THEN
    RAISE EXCEPTION 'audit head of partition % may only move forward (seq % to %)', OLD.partition_key, OLD.last_seq, NEW.last_seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE OR DELETE ON audit_heads
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The writer role: what the feeds connect as (or SET ROLE to). It can append and read, never
-- change or remove a row. Roles are cluster-wide: created once, granted per database.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledgerline_audit_writer') THEN
    CREATE ROLE ledgerline_audit_writer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledgerline_audit_reader') THEN
    CREATE ROLE ledgerline_audit_reader NOLOGIN;
  END IF;
END;
$$;

REVOKE ALL ON audit_rows, audit_heads, audit_cursors FROM PUBLIC;
GRANT SELECT, INSERT ON audit_rows TO ledgerline_audit_writer;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO ledgerline_audit_writer;
GRANT SELECT, INSERT, UPDATE ON audit_cursors TO ledgerline_audit_writer;
GRANT SELECT ON audit_rows, audit_heads, audit_cursors TO ledgerline_audit_reader;
