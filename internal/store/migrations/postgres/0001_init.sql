-- Safeguard schema 1 (PostgreSQL): instance settings, organisations, data keys, audit log.

CREATE TABLE instance_settings (
	name       TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE orgs (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

-- Data keys are per-object AES-256 keys, stored wrapped under a key-encryption
-- key (KEK) that never enters the database. Rotation rewrites wrapped and
-- kek_id; the objects encrypted under the data key do not change.
CREATE TABLE data_keys (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kek_id       TEXT NOT NULL,
	wrapped      BYTEA NOT NULL,
	purpose      TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	rewrapped_at TIMESTAMPTZ
);
CREATE INDEX data_keys_kek ON data_keys (kek_id);

CREATE TABLE audit_log (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         TIMESTAMPTZ NOT NULL,
	org_id     BIGINT,
	actor      TEXT NOT NULL,
	action     TEXT NOT NULL,
	object     TEXT NOT NULL,
	source     TEXT NOT NULL DEFAULT '',
	request_id TEXT NOT NULL DEFAULT '',
	summary    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
