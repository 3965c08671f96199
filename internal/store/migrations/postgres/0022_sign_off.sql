-- Safeguard schema 22 (PostgreSQL): signing an assessment off.
--
-- A category review records who reviewed it (the audit identity, "user:42"),
-- so that sign-off can require somebody other than the signer; reviews from
-- before this keep an empty reviewer. A final assessment keeps the statement
-- its signer confirmed, as worded then, and is as immutable as the rest of
-- the record. An organisation's profile says whether the signer may be the
-- only reviewer: '' automatic (a second person when it has more than one
-- member), 'separate' always, 'any' never.
ALTER TABLE assess_reviews ADD COLUMN reviewer TEXT NOT NULL DEFAULT '';
ALTER TABLE assessments ADD COLUMN attestation TEXT NOT NULL DEFAULT '';
ALTER TABLE org_profiles ADD COLUMN review_rule TEXT NOT NULL DEFAULT ''
	CHECK (review_rule IN ('', 'separate', 'any'));

CREATE OR REPLACE FUNCTION assessment_final_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- A final assessment changes only in how long it is kept: when a newer
	-- one replaces it, its last effective date and retention date move on.
	IF OLD.status = 'final' AND (NEW.status, NEW.name, NEW.org_id, NEW.catalog_profile, NEW.catalog_version,
		NEW.entries, NEW.started_at, NEW.due_at, NEW.finalised_at, NEW.finalised_by, NEW.scope, NEW.attestation)
		IS DISTINCT FROM (OLD.status, OLD.name, OLD.org_id, OLD.catalog_profile, OLD.catalog_version,
		OLD.entries, OLD.started_at, OLD.due_at, OLD.finalised_at, OLD.finalised_by, OLD.scope, OLD.attestation) THEN
		RAISE EXCEPTION 'assessment is final and cannot be changed';
	END IF;
	RETURN NEW;
END;
$$;
