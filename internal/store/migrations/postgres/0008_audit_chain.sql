-- Safeguard schema 8 (PostgreSQL): the audit log becomes tamper-evident. Each
-- entry carries the version of its canonical encoding, the leaf hash of the
-- entry before it and its own leaf hash (RFC 6962); the Merkle tree over the
-- leaves is kept as stored hashes (golang.org/x/mod/sumdb/tlog's layout) so
-- proofs are cheap; checkpoints signed with an Ed25519 key kept outside the
-- database pin the tree's size and root. Sequence numbers are no longer an
-- identity (which leaves gaps on rollback): the writer takes them from
-- audit_head, locked FOR UPDATE inside the writing transaction, so replicas
-- sharing the database neither fork the chain nor leave gaps.

DROP TRIGGER audit_log_no_update ON audit_log;
ALTER TABLE audit_log ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE audit_log
	ADD COLUMN version SMALLINT NOT NULL DEFAULT 0,
	ADD COLUMN prev_hash BYTEA,
	ADD COLUMN hash BYTEA;

-- Close the gaps rolled-back identity values left in entries written before
-- this schema (they carry no hashes yet, so nothing that was signed moves).
UPDATE audit_log SET seq = -r.n
	FROM (SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS n FROM audit_log) r
	WHERE audit_log.seq = r.seq;
UPDATE audit_log SET seq = -seq;

-- Entries written before this schema are sealed by the store once, right
-- after migrating. That is the only update the log accepts: it fills the
-- hashes of an unsealed entry and changes nothing else.
CREATE FUNCTION audit_log_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.hash IS NULL AND NEW.hash IS NOT NULL
		AND (NEW.seq, NEW.at, NEW.org_id, NEW.actor, NEW.action, NEW.object, NEW.source, NEW.request_id, NEW.summary)
		IS NOT DISTINCT FROM (OLD.seq, OLD.at, OLD.org_id, OLD.actor, OLD.action, OLD.object, OLD.source, OLD.request_id, OLD.summary) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_seal_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The last sequence number and leaf hash: one row, locked by every append.
-- It is a convenience for the writer, never trusted by verification.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash BYTEA
);
INSERT INTO audit_head (id, seq, hash) SELECT 1, COALESCE(MAX(seq), 0), NULL FROM audit_log;

-- The Merkle tree's stored hashes, by tlog stored-hash index.
CREATE TABLE audit_tree (
	idx  BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);

CREATE TABLE audit_checkpoints (
	id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tree_size BIGINT NOT NULL,
	root_hash BYTEA NOT NULL,
	at        TIMESTAMPTZ NOT NULL,
	key_id    TEXT NOT NULL,
	signature BYTEA NOT NULL
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints (tree_size);

-- The public halves of every key that ever signed checkpoints.
CREATE TABLE audit_keys (
	key_id     TEXT PRIMARY KEY,
	public_key BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE ON audit_tree
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_keys_append_only BEFORE UPDATE OR DELETE ON audit_keys
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_keys_no_truncate BEFORE TRUNCATE ON audit_keys
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
