-- Safeguard schema 18 (SQLite): emergency access is listed newest first within an
-- organisation, a page at a time.
CREATE INDEX emergency_access_org_id ON emergency_access (org_id, id);
