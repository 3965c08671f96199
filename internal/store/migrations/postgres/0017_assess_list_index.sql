-- Safeguard schema 17 (PostgreSQL): an organisation's assessments are listed newest
-- first by start, then ID; the (org_id, started_at, id) index holds that order,
-- so a page is read from an index range. It replaces the index on
-- (org_id, started_at), which it covers.
CREATE INDEX assessments_org_started ON assessments (org_id, started_at, id);
DROP INDEX assessments_org;
