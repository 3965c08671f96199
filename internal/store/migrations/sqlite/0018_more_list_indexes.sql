-- Safeguard schema 18 (SQLite): emergency access and notifications are listed newest first,
-- a page at a time, read from an index range.
CREATE INDEX emergency_access_org_id ON emergency_access (org_id, id);
CREATE INDEX notifications_user_id ON notifications (user_id, id);
