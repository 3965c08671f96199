-- Safeguard schema 28 (SQLite): generated reports (issue 14).
--
-- Each report generated from the reports page or the API is kept: its
-- bytes sealed under a data key like evidence, its SHA-256, what it was
-- made from, and a retention date six years on (§164.316(b)(2)(i)), before
-- which it cannot be deleted. A stored report never changes.
CREATE TABLE reports (
	id            INTEGER PRIMARY KEY,
	org_id        INTEGER NOT NULL REFERENCES orgs (id),
	name          TEXT NOT NULL,
	format        TEXT NOT NULL,
	part          TEXT NOT NULL,
	assessment_id INTEGER,
	analysis_id   INTEGER,
	draft         BOOLEAN NOT NULL,
	content_type  TEXT NOT NULL,
	size          BIGINT NOT NULL,
	sha256        TEXT NOT NULL,
	data_key_id   INTEGER NOT NULL REFERENCES data_keys (id),
	sealed        BLOB NOT NULL,
	created_by    TEXT NOT NULL,
	created_at    TIMESTAMP NOT NULL,
	retain_until  TIMESTAMP NOT NULL
);
CREATE INDEX reports_org ON reports (org_id, created_at, id);

CREATE TRIGGER reports_immutable BEFORE UPDATE ON reports
BEGIN
	SELECT RAISE(ABORT, 'a stored report cannot be changed');
END;

CREATE TRIGGER reports_retained BEFORE DELETE ON reports
WHEN julianday(OLD.retain_until) > julianday('now')
BEGIN
	SELECT RAISE(ABORT, 'a stored report is kept until its retention date');
END;
