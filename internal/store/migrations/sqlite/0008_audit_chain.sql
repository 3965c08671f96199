-- Safeguard schema 8 (SQLite): the audit log becomes tamper-evident. Each entry
-- carries the version of its canonical encoding, the leaf hash of the entry
-- before it and its own leaf hash (RFC 6962); the Merkle tree over the leaves
-- is kept as stored hashes (golang.org/x/mod/sumdb/tlog's layout) so proofs
-- are cheap; checkpoints signed with an Ed25519 key kept outside the database
-- pin the tree's size and root. Sequence numbers are assigned by the writer
-- from audit_head inside the writing transaction, so they have no gaps.

ALTER TABLE audit_log ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN prev_hash BLOB;
ALTER TABLE audit_log ADD COLUMN hash BLOB;

-- Entries written before this schema have no hash yet; the store seals them
-- once, right after migrating. That is the only update the log accepts: it
-- fills the hashes of an unsealed entry and changes nothing else.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL OR NEW.hash IS NULL
	OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.org_id IS NOT OLD.org_id
	OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action OR NEW.object IS NOT OLD.object
	OR NEW.source IS NOT OLD.source OR NEW.request_id IS NOT OLD.request_id OR NEW.summary IS NOT OLD.summary
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The last sequence number and leaf hash: one row, updated by every append.
-- It is a convenience for the writer, never trusted by verification.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB
);
INSERT INTO audit_head (id, seq, hash) SELECT 1, COALESCE(MAX(seq), 0), NULL FROM audit_log;

-- The Merkle tree's stored hashes, by tlog stored-hash index.
CREATE TABLE audit_tree (
	idx  INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);

CREATE TABLE audit_checkpoints (
	id        INTEGER PRIMARY KEY,
	tree_size INTEGER NOT NULL,
	root_hash BLOB NOT NULL,
	at        TIMESTAMP NOT NULL,
	key_id    TEXT NOT NULL,
	signature BLOB NOT NULL
);
CREATE INDEX audit_checkpoints_size ON audit_checkpoints (tree_size);

-- The public halves of every key that ever signed checkpoints.
CREATE TABLE audit_keys (
	key_id     TEXT PRIMARY KEY,
	public_key BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL
);

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN
	SELECT RAISE(ABORT, 'audit_tree is append-only');
END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN
	SELECT RAISE(ABORT, 'audit_tree is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
	SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
	SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_keys_no_update BEFORE UPDATE ON audit_keys
BEGIN
	SELECT RAISE(ABORT, 'audit_keys is append-only');
END;
CREATE TRIGGER audit_keys_no_delete BEFORE DELETE ON audit_keys
BEGIN
	SELECT RAISE(ABORT, 'audit_keys is append-only');
END;
