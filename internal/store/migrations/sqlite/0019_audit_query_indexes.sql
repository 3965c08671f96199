-- Safeguard schema 19 (SQLite): every filter of the audit log reads an index range, in one
-- organisation (org_id first) and deployment-wide, newest first by seq, so a filter that
-- matches nothing costs an index probe, not a scan of the log. Each index holds seq, so the
-- newest matching seqs are read from the index alone and only the rows shown are fetched. An action prefix ("auth.")
-- is queried as a range on action (BINARY collation: byte order).
CREATE INDEX audit_log_org_actor ON audit_log (org_id, actor, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_org_action ON audit_log (org_id, action, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_org_object ON audit_log (org_id, object, seq);
CREATE INDEX audit_log_object ON audit_log (object, seq);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at, seq);
CREATE INDEX audit_log_at ON audit_log (at, seq);

-- The last read of the audit log each session recorded, per organisation (0: the
-- deployment-wide log) and kind of read, so that repeated reads within a window are covered
-- by one entry (store.AuditRead). Sessions are named by a SHA-256 of the key the caller
-- gives, never by a token. It is a throttle, not evidence: the log holds the reads.
CREATE TABLE audit_reads (
	session BLOB NOT NULL,
	org_id  INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	at      TIMESTAMP NOT NULL,
	PRIMARY KEY (session, org_id, kind)
) WITHOUT ROWID;
CREATE INDEX audit_reads_at ON audit_reads (at);
