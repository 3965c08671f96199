-- Safeguard schema 25 (SQLite): documented risk analyses (issue 13).
--
-- A risk analysis is a dated record of its scope and, once signed off, a
-- snapshot (JSON) of the inventory, flows, risks, plan and rating scale as
-- they stood then. A final analysis is immutable except for how long it is
-- kept: when a newer one is signed off, its last effective date and its
-- retention date (six years after, §164.316(b)(2)(i)) are stamped, and the
-- link to the analysis it was copied from goes when that one is deleted.
CREATE TABLE risk_analyses (
	id             INTEGER PRIMARY KEY,
	org_id         INTEGER NOT NULL REFERENCES orgs (id),
	name           TEXT NOT NULL,
	scope          TEXT NOT NULL,
	status         TEXT NOT NULL CHECK (status IN ('draft', 'final')),
	started_at     TIMESTAMP NOT NULL,
	finalised_at   TIMESTAMP,
	finalised_by   TEXT NOT NULL DEFAULT '',
	attestation    TEXT NOT NULL DEFAULT '',
	last_effective TIMESTAMP,
	retain_until   TIMESTAMP,
	copied_from    INTEGER REFERENCES risk_analyses (id),
	snapshot       TEXT,
	created_by     TEXT NOT NULL
);
CREATE UNIQUE INDEX risk_analyses_org_name ON risk_analyses (org_id, lower(name));
CREATE INDEX risk_analyses_org ON risk_analyses (org_id, started_at, id);

CREATE TRIGGER risk_analyses_final_immutable BEFORE UPDATE ON risk_analyses
WHEN OLD.status = 'final' AND (NEW.status IS NOT OLD.status OR NEW.name IS NOT OLD.name
	OR NEW.org_id IS NOT OLD.org_id OR NEW.scope IS NOT OLD.scope
	OR NEW.started_at IS NOT OLD.started_at OR NEW.finalised_at IS NOT OLD.finalised_at
	OR NEW.finalised_by IS NOT OLD.finalised_by OR NEW.attestation IS NOT OLD.attestation
	OR NEW.snapshot IS NOT OLD.snapshot
	OR NEW.created_by IS NOT OLD.created_by)
BEGIN
	SELECT RAISE(ABORT, 'risk analysis is final and cannot be changed');
END;
