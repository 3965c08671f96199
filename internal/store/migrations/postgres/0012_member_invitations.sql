-- Safeguard schema 12 (PostgreSQL): invitations to join an organisation, which
-- the invited person accepts or declines; the membership exists only once accepted.

CREATE TABLE member_invitations (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,
	org_id      BIGINT NOT NULL REFERENCES orgs (id),
	user_id     BIGINT NOT NULL REFERENCES users (id),
	role        TEXT NOT NULL,
	new_account BOOLEAN NOT NULL DEFAULT FALSE,
	invited_by  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	answered_at TIMESTAMPTZ,
	answer      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX member_invitations_user ON member_invitations (user_id, answered_at);
CREATE INDEX member_invitations_org ON member_invitations (org_id, answered_at);
