-- Safeguard schema 17 (PostgreSQL): keyset lists of assessments and evidence uses.
--
-- An organisation's assessments are listed newest
-- first by start, then ID; the (org_id, started_at, id) index holds that order,
-- so a page is read from an index range. It replaces the index on
-- (org_id, started_at), which it covers.
CREATE INDEX assessments_org_started ON assessments (org_id, started_at, id);
DROP INDEX assessments_org;

-- Which current responses link which evidence, one row a link, kept by the
-- store beside assess_responses.evidence_ids so that the responses using one
-- piece of evidence are read from an index instead of every response of the
-- organisation. Listed newest assessment first, then by citation.
CREATE TABLE assess_response_evidence (
	assessment_id BIGINT NOT NULL REFERENCES assessments (id),
	citation      TEXT NOT NULL,
	evidence_id   BIGINT NOT NULL REFERENCES evidence (id),
	PRIMARY KEY (assessment_id, citation, evidence_id)
);
CREATE INDEX assess_response_evidence_uses ON assess_response_evidence (evidence_id, assessment_id DESC, citation);

INSERT INTO assess_response_evidence (assessment_id, citation, evidence_id)
	SELECT DISTINCT r.assessment_id, r.citation, j.value::bigint
	FROM assess_responses r, jsonb_array_elements_text(r.evidence_ids::jsonb) j
	WHERE j.value::bigint IN (SELECT id FROM evidence);
