-- Safeguard schema 6 (PostgreSQL): emergency access (break-glass) and in-app notifications.

CREATE TABLE emergency_access (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	user_id     BIGINT NOT NULL REFERENCES users (id),
	reason      TEXT NOT NULL,
	started_at  TIMESTAMPTZ NOT NULL,
	ends_at     TIMESTAMPTZ NOT NULL,
	ended_at    TIMESTAMPTZ,
	ended_by    TEXT NOT NULL DEFAULT '',
	reviewed_at TIMESTAMPTZ,
	reviewed_by BIGINT REFERENCES users (id),
	review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX emergency_access_user ON emergency_access (org_id, user_id, ends_at);
CREATE INDEX emergency_access_review ON emergency_access (org_id, reviewed_at);

CREATE TABLE notifications (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id    BIGINT NOT NULL REFERENCES users (id),
	org_id     BIGINT REFERENCES orgs (id),
	kind       TEXT NOT NULL,
	message    TEXT NOT NULL,
	link       TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);
