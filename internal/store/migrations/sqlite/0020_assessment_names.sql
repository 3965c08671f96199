-- Safeguard schema 20 (SQLite): an organisation's assessments have names of their own, letter
-- case aside, so that a list, a comparison or a report never shows two of one name
-- (store.nameFree refuses a taken name; this index holds it under concurrent writers).
--
-- Assessments that already share a name are renamed, deterministically: within each group
-- the final assessments come first and then the others, each by id; the first keeps the name
-- and the others get " (2)", " (3)", ... Where that makes a name some other assessment already
-- has, the renamed one gets its id as well (" (2) (no. 17)"). A signed-off assessment is
-- renamed only when two final ones shared a name; the trigger that keeps final assessments
-- unchanged is lifted for this one rename and put back exactly as schema 9 made it. The
-- migration writes no audit entries (the audit chain is computed by Safeguard, not SQL); the
-- renamed assessments' new names show wherever they are listed.

DROP TRIGGER assessments_final_immutable;

CREATE TEMP TABLE assessment_renames AS
	SELECT id, n FROM (
		SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id, lower(name)
			ORDER BY CASE WHEN status = 'final' THEN 0 ELSE 1 END, id) AS n
		FROM assessments) AS ranked
	WHERE n > 1;
UPDATE assessments SET name = name || ' (' || (SELECT n FROM assessment_renames r WHERE r.id = assessments.id) || ')'
	WHERE id IN (SELECT id FROM assessment_renames);
DELETE FROM assessment_renames;

INSERT INTO assessment_renames (id, n)
	SELECT id, n FROM (
		SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id, lower(name)
			ORDER BY CASE WHEN status = 'final' THEN 0 ELSE 1 END, id) AS n
		FROM assessments) AS ranked
	WHERE n > 1;
UPDATE assessments SET name = name || ' (no. ' || id || ')'
	WHERE id IN (SELECT id FROM assessment_renames);
DROP TABLE assessment_renames;

CREATE UNIQUE INDEX assessments_org_name ON assessments (org_id, lower(name));

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
