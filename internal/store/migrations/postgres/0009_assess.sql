-- Safeguard schema 9 (PostgreSQL): compliance assessments. The organisation's
-- profile and security-official history; assessments pinned to a catalogue
-- version; responses and addressable decisions with every saved version kept;
-- category reviews. A final assessment is immutable: triggers refuse changes
-- to it and to anything recorded in it.

CREATE TABLE org_profiles (
	org_id          BIGINT PRIMARY KEY REFERENCES orgs (id),
	legal_name      TEXT NOT NULL,
	workforce       INTEGER NOT NULL DEFAULT 0,
	locations_count INTEGER NOT NULL DEFAULT 0,
	locations       TEXT NOT NULL DEFAULT '[]',
	patients        INTEGER NOT NULL DEFAULT 0,
	systems         TEXT NOT NULL DEFAULT '[]',
	catalog_profile TEXT NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	updated_by      TEXT NOT NULL
);

CREATE TABLE security_officials (
	id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id    BIGINT NOT NULL REFERENCES orgs (id),
	user_id   BIGINT REFERENCES users (id),
	name      TEXT NOT NULL,
	email     TEXT NOT NULL DEFAULT '',
	from_date TIMESTAMPTZ NOT NULL,
	to_date   TIMESTAMPTZ
);
CREATE INDEX security_officials_org ON security_officials (org_id, from_date);

CREATE TABLE assessments (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          BIGINT NOT NULL REFERENCES orgs (id),
	name            TEXT NOT NULL,
	catalog_profile TEXT NOT NULL,
	catalog_version TEXT NOT NULL,
	entries         TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'final')),
	started_at      TIMESTAMPTZ NOT NULL,
	due_at          TIMESTAMPTZ,
	finalised_at    TIMESTAMPTZ,
	finalised_by    TEXT NOT NULL DEFAULT '',
	last_effective  TIMESTAMPTZ,
	retain_until    TIMESTAMPTZ,
	copied_from     BIGINT REFERENCES assessments (id),
	scope           TEXT NOT NULL DEFAULT '{}',
	created_by      TEXT NOT NULL
);
CREATE INDEX assessments_org ON assessments (org_id, started_at);

CREATE TABLE assess_responses (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	assessment_id BIGINT NOT NULL REFERENCES assessments (id),
	citation      TEXT NOT NULL,
	status        TEXT NOT NULL,
	na_reason     TEXT NOT NULL DEFAULT '',
	narrative     TEXT NOT NULL DEFAULT '',
	owner         TEXT NOT NULL DEFAULT '',
	target_date   TIMESTAMPTZ,
	answers       TEXT NOT NULL DEFAULT '{}',
	evidence_ids  TEXT NOT NULL DEFAULT '[]',
	risk_ids      TEXT NOT NULL DEFAULT '[]',
	version       INTEGER NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	updated_by    TEXT NOT NULL,
	UNIQUE (assessment_id, citation)
);


-- Every version of every response ever saved, the current one included.
CREATE TABLE assess_response_versions (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	assessment_id BIGINT NOT NULL REFERENCES assessments (id),
	citation      TEXT NOT NULL,
	version       INTEGER NOT NULL,
	status        TEXT NOT NULL,
	na_reason     TEXT NOT NULL,
	narrative     TEXT NOT NULL,
	owner         TEXT NOT NULL,
	target_date   TIMESTAMPTZ,
	answers       TEXT NOT NULL,
	evidence_ids  TEXT NOT NULL,
	risk_ids      TEXT NOT NULL,
	saved_at      TIMESTAMPTZ NOT NULL,
	saved_by      TEXT NOT NULL,
	UNIQUE (assessment_id, citation, version)
);

CREATE TABLE assess_decisions (
	id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	assessment_id     BIGINT NOT NULL REFERENCES assessments (id),
	citation          TEXT NOT NULL,
	outcome           TEXT NOT NULL,
	alternative       TEXT NOT NULL DEFAULT '',
	rationale         TEXT NOT NULL DEFAULT '',
	factors           TEXT NOT NULL DEFAULT '{}',
	risk_analysis_ref TEXT NOT NULL DEFAULT '',
	decided_by        TEXT NOT NULL,
	decided_at        TIMESTAMPTZ NOT NULL,
	version           INTEGER NOT NULL,
	updated_at        TIMESTAMPTZ NOT NULL,
	updated_by        TEXT NOT NULL,
	UNIQUE (assessment_id, citation)
);

CREATE TABLE assess_decision_versions (
	id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	assessment_id     BIGINT NOT NULL REFERENCES assessments (id),
	citation          TEXT NOT NULL,
	version           INTEGER NOT NULL,
	outcome           TEXT NOT NULL,
	alternative       TEXT NOT NULL,
	rationale         TEXT NOT NULL,
	factors           TEXT NOT NULL,
	risk_analysis_ref TEXT NOT NULL,
	decided_by        TEXT NOT NULL,
	decided_at        TIMESTAMPTZ NOT NULL,
	saved_at          TIMESTAMPTZ NOT NULL,
	saved_by          TEXT NOT NULL,
	UNIQUE (assessment_id, citation, version)
);

CREATE TABLE assess_reviews (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	assessment_id BIGINT NOT NULL REFERENCES assessments (id),
	category      TEXT NOT NULL,
	reviewed_by   TEXT NOT NULL,
	reviewed_at   TIMESTAMPTZ NOT NULL,
	note          TEXT NOT NULL DEFAULT '',
	UNIQUE (assessment_id, category)
);

CREATE FUNCTION assessment_final_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- A final assessment changes only in how long it is kept: when a newer
	-- one replaces it, its last effective date and retention date move on.
	IF OLD.status = 'final' AND (NEW.status, NEW.name, NEW.org_id, NEW.catalog_profile, NEW.catalog_version,
		NEW.entries, NEW.started_at, NEW.due_at, NEW.finalised_at, NEW.finalised_by, NEW.scope)
		IS DISTINCT FROM (OLD.status, OLD.name, OLD.org_id, OLD.catalog_profile, OLD.catalog_version,
		OLD.entries, OLD.started_at, OLD.due_at, OLD.finalised_at, OLD.finalised_by, OLD.scope) THEN
		RAISE EXCEPTION 'assessment is final and cannot be changed';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER assessments_final_immutable BEFORE UPDATE ON assessments
	FOR EACH ROW EXECUTE FUNCTION assessment_final_immutable();

-- Nothing recorded in a final assessment may be added or changed.
CREATE FUNCTION assess_refuse_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT status FROM assessments WHERE id = NEW.assessment_id) = 'final'
		OR (TG_OP = 'UPDATE' AND (SELECT status FROM assessments WHERE id = OLD.assessment_id) = 'final') THEN
		RAISE EXCEPTION 'assessment is final and cannot be changed';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER assess_responses_final BEFORE INSERT OR UPDATE ON assess_responses
	FOR EACH ROW EXECUTE FUNCTION assess_refuse_final();
CREATE TRIGGER assess_decisions_final BEFORE INSERT OR UPDATE ON assess_decisions
	FOR EACH ROW EXECUTE FUNCTION assess_refuse_final();
CREATE TRIGGER assess_reviews_final BEFORE INSERT OR UPDATE ON assess_reviews
	FOR EACH ROW EXECUTE FUNCTION assess_refuse_final();

CREATE FUNCTION assess_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'versions are append-only';
END;
$$;
CREATE TRIGGER assess_response_versions_no_update BEFORE UPDATE ON assess_response_versions
	FOR EACH ROW EXECUTE FUNCTION assess_versions_append_only();
CREATE TRIGGER assess_decision_versions_no_update BEFORE UPDATE ON assess_decision_versions
	FOR EACH ROW EXECUTE FUNCTION assess_versions_append_only();
