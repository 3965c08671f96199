-- Safeguard schema 20 (PostgreSQL): an organisation's assessments have names of their own,
-- letter case aside, so that a list, a comparison or a report never shows two of one name
-- (store.nameFree refuses a taken name; this index holds it under concurrent writers).
--
-- Assessments that already share a name are renamed, deterministically: within each group
-- the final assessments come first and then the others, each by id; the first keeps the name
-- and the others get " (2)", " (3)", ... Where that makes a name some other assessment already
-- has, the renamed one gets its id as well (" (2) (no. 17)"). A signed-off assessment is
-- renamed only when two final ones shared a name; the trigger that keeps final assessments
-- unchanged is disabled for this one rename and enabled again. The migration writes no audit
-- entries (the audit chain is computed by Safeguard, not SQL).

ALTER TABLE assessments DISABLE TRIGGER assessments_final_immutable;

UPDATE assessments SET name = assessments.name || ' (' || r.n || ')'
	FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id, lower(name)
			ORDER BY CASE WHEN status = 'final' THEN 0 ELSE 1 END, id) AS n
		FROM assessments) AS r
	WHERE r.id = assessments.id AND r.n > 1;

UPDATE assessments SET name = assessments.name || ' (no. ' || assessments.id || ')'
	FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id, lower(name)
			ORDER BY CASE WHEN status = 'final' THEN 0 ELSE 1 END, id) AS n
		FROM assessments) AS r
	WHERE r.id = assessments.id AND r.n > 1;

ALTER TABLE assessments ENABLE TRIGGER assessments_final_immutable;

CREATE UNIQUE INDEX assessments_org_name ON assessments (org_id, lower(name));
