-- Safeguard schema 9 (SQLite): compliance assessments. The organisation's
-- profile and security-official history; assessments pinned to a catalogue
-- version; responses and addressable decisions with every saved version kept;
-- category reviews. A final assessment is immutable: triggers refuse changes
-- to it and to anything recorded in it.

CREATE TABLE org_profiles (
	org_id          INTEGER PRIMARY KEY REFERENCES orgs (id),
	legal_name      TEXT NOT NULL,
	workforce       INTEGER NOT NULL DEFAULT 0,
	locations_count INTEGER NOT NULL DEFAULT 0,
	locations       TEXT NOT NULL DEFAULT '[]',
	patients        INTEGER NOT NULL DEFAULT 0,
	systems         TEXT NOT NULL DEFAULT '[]',
	catalog_profile TEXT NOT NULL,
	updated_at      TIMESTAMP NOT NULL,
	updated_by      TEXT NOT NULL
);

CREATE TABLE security_officials (
	id        INTEGER PRIMARY KEY,
	org_id    INTEGER NOT NULL REFERENCES orgs (id),
	user_id   INTEGER REFERENCES users (id),
	name      TEXT NOT NULL,
	email     TEXT NOT NULL DEFAULT '',
	from_date TIMESTAMP NOT NULL,
	to_date   TIMESTAMP
);
CREATE INDEX security_officials_org ON security_officials (org_id, from_date);

CREATE TABLE assessments (
	id              INTEGER PRIMARY KEY,
	org_id          INTEGER NOT NULL REFERENCES orgs (id),
	name            TEXT NOT NULL,
	catalog_profile TEXT NOT NULL,
	catalog_version TEXT NOT NULL,
	entries         TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'final')),
	started_at      TIMESTAMP NOT NULL,
	due_at          TIMESTAMP,
	finalised_at    TIMESTAMP,
	finalised_by    TEXT NOT NULL DEFAULT '',
	last_effective  TIMESTAMP,
	retain_until    TIMESTAMP,
	copied_from     INTEGER REFERENCES assessments (id),
	scope           TEXT NOT NULL DEFAULT '{}',
	created_by      TEXT NOT NULL
);
CREATE INDEX assessments_org ON assessments (org_id, started_at);

-- A final assessment changes only in how long it is kept: when a newer one
-- replaces it, its last effective date and retention date move on.
CREATE TRIGGER assessments_final_immutable BEFORE UPDATE ON assessments
WHEN OLD.status = 'final' AND (NEW.status IS NOT OLD.status OR NEW.name IS NOT OLD.name
	OR NEW.org_id IS NOT OLD.org_id OR NEW.catalog_profile IS NOT OLD.catalog_profile
	OR NEW.catalog_version IS NOT OLD.catalog_version OR NEW.entries IS NOT OLD.entries
	OR NEW.started_at IS NOT OLD.started_at OR NEW.due_at IS NOT OLD.due_at
	OR NEW.finalised_at IS NOT OLD.finalised_at OR NEW.finalised_by IS NOT OLD.finalised_by
	OR NEW.scope IS NOT OLD.scope)
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;

CREATE TABLE assess_responses (
	id            INTEGER PRIMARY KEY,
	assessment_id INTEGER NOT NULL REFERENCES assessments (id),
	citation      TEXT NOT NULL,
	status        TEXT NOT NULL,
	na_reason     TEXT NOT NULL DEFAULT '',
	narrative     TEXT NOT NULL DEFAULT '',
	owner         TEXT NOT NULL DEFAULT '',
	target_date   TIMESTAMP,
	answers       TEXT NOT NULL DEFAULT '{}',
	evidence_ids  TEXT NOT NULL DEFAULT '[]',
	risk_ids      TEXT NOT NULL DEFAULT '[]',
	version       INTEGER NOT NULL,
	updated_at    TIMESTAMP NOT NULL,
	updated_by    TEXT NOT NULL,
	UNIQUE (assessment_id, citation)
);

-- Every version of every response ever saved, the current one included.
CREATE TABLE assess_response_versions (
	id            INTEGER PRIMARY KEY,
	assessment_id INTEGER NOT NULL REFERENCES assessments (id),
	citation      TEXT NOT NULL,
	version       INTEGER NOT NULL,
	status        TEXT NOT NULL,
	na_reason     TEXT NOT NULL,
	narrative     TEXT NOT NULL,
	owner         TEXT NOT NULL,
	target_date   TIMESTAMP,
	answers       TEXT NOT NULL,
	evidence_ids  TEXT NOT NULL,
	risk_ids      TEXT NOT NULL,
	saved_at      TIMESTAMP NOT NULL,
	saved_by      TEXT NOT NULL,
	UNIQUE (assessment_id, citation, version)
);

CREATE TABLE assess_decisions (
	id                INTEGER PRIMARY KEY,
	assessment_id     INTEGER NOT NULL REFERENCES assessments (id),
	citation          TEXT NOT NULL,
	outcome           TEXT NOT NULL,
	alternative       TEXT NOT NULL DEFAULT '',
	rationale         TEXT NOT NULL DEFAULT '',
	factors           TEXT NOT NULL DEFAULT '{}',
	risk_analysis_ref TEXT NOT NULL DEFAULT '',
	decided_by        TEXT NOT NULL,
	decided_at        TIMESTAMP NOT NULL,
	version           INTEGER NOT NULL,
	updated_at        TIMESTAMP NOT NULL,
	updated_by        TEXT NOT NULL,
	UNIQUE (assessment_id, citation)
);

CREATE TABLE assess_decision_versions (
	id                INTEGER PRIMARY KEY,
	assessment_id     INTEGER NOT NULL REFERENCES assessments (id),
	citation          TEXT NOT NULL,
	version           INTEGER NOT NULL,
	outcome           TEXT NOT NULL,
	alternative       TEXT NOT NULL,
	rationale         TEXT NOT NULL,
	factors           TEXT NOT NULL,
	risk_analysis_ref TEXT NOT NULL,
	decided_by        TEXT NOT NULL,
	decided_at        TIMESTAMP NOT NULL,
	saved_at          TIMESTAMP NOT NULL,
	saved_by          TEXT NOT NULL,
	UNIQUE (assessment_id, citation, version)
);

CREATE TABLE assess_reviews (
	id            INTEGER PRIMARY KEY,
	assessment_id INTEGER NOT NULL REFERENCES assessments (id),
	category      TEXT NOT NULL,
	reviewed_by   TEXT NOT NULL,
	reviewed_at   TIMESTAMP NOT NULL,
	note          TEXT NOT NULL DEFAULT '',
	UNIQUE (assessment_id, category)
);

CREATE TRIGGER assess_responses_final_insert BEFORE INSERT ON assess_responses
WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) = 'final'
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
CREATE TRIGGER assess_responses_final_update BEFORE UPDATE ON assess_responses
WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) = 'final'
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
CREATE TRIGGER assess_decisions_final_insert BEFORE INSERT ON assess_decisions
WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) = 'final'
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
CREATE TRIGGER assess_decisions_final_update BEFORE UPDATE ON assess_decisions
WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) = 'final'
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
CREATE TRIGGER assess_reviews_final_insert BEFORE INSERT ON assess_reviews
WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) = 'final'
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
CREATE TRIGGER assess_reviews_final_update BEFORE UPDATE ON assess_reviews
WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) = 'final'
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
CREATE TRIGGER assess_response_versions_no_update BEFORE UPDATE ON assess_response_versions
BEGIN
	SELECT RAISE(ABORT, 'response versions are append-only');
END;
CREATE TRIGGER assess_decision_versions_no_update BEFORE UPDATE ON assess_decision_versions
BEGIN
	SELECT RAISE(ABORT, 'decision versions are append-only');
END;
