-- Safeguard schema 2 (PostgreSQL): users, memberships, sessions, invitations, API tokens, throttling.

CREATE TABLE users (
	id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email                TEXT NOT NULL UNIQUE,
	name                 TEXT NOT NULL DEFAULT '',
	password_hash        TEXT NOT NULL DEFAULT '',
	password_set_at      TIMESTAMPTZ,
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	is_admin             BOOLEAN NOT NULL DEFAULT FALSE,
	disabled_at          TIMESTAMPTZ,
	last_login_at        TIMESTAMPTZ,
	created_at           TIMESTAMPTZ NOT NULL
);

ALTER TABLE orgs ADD COLUMN idle_timeout_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE memberships (
	org_id     BIGINT NOT NULL REFERENCES orgs (id),
	user_id    BIGINT NOT NULL REFERENCES users (id),
	role       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	user_id      BIGINT NOT NULL REFERENCES users (id),
	csrf         TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,
	idle_seconds INTEGER NOT NULL,
	mfa_at       TIMESTAMPTZ,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	ended_at     TIMESTAMPTZ,
	end_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

CREATE TABLE invitations (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id    BIGINT NOT NULL REFERENCES users (id),
	created_by TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ
);

CREATE TABLE api_tokens (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	user_id      BIGINT NOT NULL REFERENCES users (id),
	org_id       BIGINT REFERENCES orgs (id),
	name         TEXT NOT NULL,
	scope        TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL,
	last_used_at TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_throttle (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	locked_until TIMESTAMPTZ,
	updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE known_devices (
	token_hash TEXT PRIMARY KEY,
	user_id    BIGINT NOT NULL REFERENCES users (id),
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
