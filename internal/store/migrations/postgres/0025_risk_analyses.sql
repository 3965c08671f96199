-- Safeguard schema 25 (PostgreSQL): documented risk analyses (issue 13).
--
-- A risk analysis is a dated record of its scope and, once signed off, a
-- snapshot (JSON) of the inventory, flows, risks, plan and rating scale as
-- they stood then. A final analysis is immutable except for how long it is
-- kept: when a newer one is signed off, its last effective date and its
-- retention date (six years after, §164.316(b)(2)(i)) are stamped, and the
-- link to the analysis it was copied from goes when that one is deleted.
CREATE TABLE risk_analyses (
	id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id         BIGINT NOT NULL REFERENCES orgs (id),
	name           TEXT NOT NULL,
	scope          TEXT NOT NULL,
	status         TEXT NOT NULL CHECK (status IN ('draft', 'final')),
	started_at     TIMESTAMPTZ NOT NULL,
	finalised_at   TIMESTAMPTZ,
	finalised_by   TEXT NOT NULL DEFAULT '',
	attestation    TEXT NOT NULL DEFAULT '',
	last_effective TIMESTAMPTZ,
	retain_until   TIMESTAMPTZ,
	copied_from    BIGINT REFERENCES risk_analyses (id),
	snapshot       TEXT,
	created_by     TEXT NOT NULL
);
CREATE UNIQUE INDEX risk_analyses_org_name ON risk_analyses (org_id, lower(name));
CREATE INDEX risk_analyses_org ON risk_analyses (org_id, started_at, id);

CREATE FUNCTION risk_analysis_final_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- A final analysis changes only in how long it is kept.
	IF OLD.status = 'final' AND (NEW.status, NEW.name, NEW.org_id, NEW.scope, NEW.started_at, NEW.finalised_at,
		NEW.finalised_by, NEW.attestation, NEW.snapshot, NEW.created_by)
		IS DISTINCT FROM (OLD.status, OLD.name, OLD.org_id, OLD.scope, OLD.started_at, OLD.finalised_at,
		OLD.finalised_by, OLD.attestation, OLD.snapshot, OLD.created_by) THEN
		RAISE EXCEPTION 'risk analysis is final and cannot be changed';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER risk_analyses_final_immutable BEFORE UPDATE ON risk_analyses
	FOR EACH ROW EXECUTE FUNCTION risk_analysis_final_immutable();
