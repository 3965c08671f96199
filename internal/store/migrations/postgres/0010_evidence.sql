-- Safeguard schema 10 (PostgreSQL): evidence for assessments (§164.316). A piece
-- of evidence is a file, with every version kept, or a link. Each version's
-- bytes are sealed under their own data key, bound to the organisation,
-- the evidence and the version; sha256 is the digest of the plaintext,
-- checked on every download. Evidence is retired, never deleted.

CREATE TABLE evidence (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          BIGINT NOT NULL REFERENCES orgs (id),
	title           TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	kind            TEXT NOT NULL CHECK (kind IN ('file', 'link')),
	url             TEXT NOT NULL DEFAULT '',
	current_version INTEGER NOT NULL DEFAULT 0,
	retired_at      TIMESTAMPTZ,
	retired_by      TEXT NOT NULL DEFAULT '',
	created_by      TEXT NOT NULL,
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_org ON evidence (org_id, id);

CREATE TABLE evidence_versions (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	evidence_id  BIGINT NOT NULL REFERENCES evidence (id),
	version      INTEGER NOT NULL,
	filename     TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	data_key_id  BIGINT NOT NULL REFERENCES data_keys (id),
	sealed       BYTEA NOT NULL,
	uploaded_by  TEXT NOT NULL,
	uploaded_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (evidence_id, version)
);
