-- Safeguard schema 22 (SQLite): signing an assessment off.
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

DROP TRIGGER assessments_final_immutable;
CREATE TRIGGER assessments_final_immutable BEFORE UPDATE ON assessments
WHEN OLD.status = 'final' AND (NEW.status IS NOT OLD.status OR NEW.name IS NOT OLD.name
	OR NEW.org_id IS NOT OLD.org_id OR NEW.catalog_profile IS NOT OLD.catalog_profile
	OR NEW.catalog_version IS NOT OLD.catalog_version OR NEW.entries IS NOT OLD.entries
	OR NEW.started_at IS NOT OLD.started_at OR NEW.due_at IS NOT OLD.due_at
	OR NEW.finalised_at IS NOT OLD.finalised_at OR NEW.finalised_by IS NOT OLD.finalised_by
	OR NEW.scope IS NOT OLD.scope OR NEW.attestation IS NOT OLD.attestation)
BEGIN
	SELECT RAISE(ABORT, 'assessment is final and cannot be changed');
END;
