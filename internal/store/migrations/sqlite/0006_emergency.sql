-- Safeguard schema 6 (SQLite): emergency access (break-glass) and in-app notifications.

CREATE TABLE emergency_access (
	id          INTEGER PRIMARY KEY,
	org_id      INTEGER NOT NULL REFERENCES orgs (id),
	user_id     INTEGER NOT NULL REFERENCES users (id),
	reason      TEXT NOT NULL,
	started_at  TIMESTAMP NOT NULL,
	ends_at     TIMESTAMP NOT NULL,
	ended_at    TIMESTAMP,
	ended_by    TEXT NOT NULL DEFAULT '',
	reviewed_at TIMESTAMP,
	reviewed_by INTEGER REFERENCES users (id),
	review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX emergency_access_user ON emergency_access (org_id, user_id, ends_at);
CREATE INDEX emergency_access_review ON emergency_access (org_id, reviewed_at);

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	org_id     INTEGER REFERENCES orgs (id),
	kind       TEXT NOT NULL,
	message    TEXT NOT NULL,
	link       TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	read_at    TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);
