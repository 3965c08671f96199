-- Safeguard schema 1 (SQLite): instance settings, organisations, data keys, audit log.

CREATE TABLE instance_settings (
	name       TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);

CREATE TABLE orgs (
	id         INTEGER PRIMARY KEY,
	slug       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);

-- Data keys are per-object AES-256 keys, stored wrapped under a key-encryption
-- key (KEK) that never enters the database. Rotation rewrites wrapped and
-- kek_id; the objects encrypted under the data key do not change.
CREATE TABLE data_keys (
	id           INTEGER PRIMARY KEY,
	kek_id       TEXT NOT NULL,
	wrapped      BLOB NOT NULL,
	purpose      TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	rewrapped_at TIMESTAMP
);
CREATE INDEX data_keys_kek ON data_keys (kek_id);

CREATE TABLE audit_log (
	seq        INTEGER PRIMARY KEY,
	at         TIMESTAMP NOT NULL,
	org_id     INTEGER,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	object     TEXT NOT NULL,
	source     TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	summary    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
