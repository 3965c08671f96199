-- Safeguard schema 12 (SQLite): invitations to join an organisation, which the
-- invited person accepts or declines; the membership exists only once accepted.

CREATE TABLE member_invitations (
	id          INTEGER PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,
	org_id      INTEGER NOT NULL REFERENCES orgs (id),
	user_id     INTEGER NOT NULL REFERENCES users (id),
	role        TEXT NOT NULL,
	new_account INTEGER NOT NULL DEFAULT 0,
	invited_by  TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	expires_at  TIMESTAMP NOT NULL,
	answered_at TIMESTAMP,
	answer      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX member_invitations_user ON member_invitations (user_id, answered_at);
CREATE INDEX member_invitations_org ON member_invitations (org_id, answered_at);
