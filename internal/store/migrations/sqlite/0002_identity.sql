-- Safeguard schema 2 (SQLite): users, memberships, sessions, invitations, API tokens, throttling.

CREATE TABLE users (
	id                   INTEGER PRIMARY KEY,
	email                TEXT NOT NULL UNIQUE,
	name                 TEXT NOT NULL DEFAULT '',
	password_hash        TEXT NOT NULL DEFAULT '',
	password_set_at      TIMESTAMP,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	is_admin             INTEGER NOT NULL DEFAULT 0,
	disabled_at          TIMESTAMP,
	last_login_at        TIMESTAMP,
	created_at           TIMESTAMP NOT NULL
);

ALTER TABLE orgs ADD COLUMN idle_timeout_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

CREATE TABLE memberships (
	org_id     INTEGER NOT NULL REFERENCES orgs (id),
	user_id    INTEGER NOT NULL REFERENCES users (id),
	role       TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	csrf         TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL,
	expires_at   TIMESTAMP NOT NULL,
	idle_seconds INTEGER NOT NULL,
	mfa_at       TIMESTAMP,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	ended_at     TIMESTAMP,
	end_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

CREATE TABLE invitations (
	id         INTEGER PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	created_by TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at    TIMESTAMP
);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	token_hash   TEXT NOT NULL UNIQUE,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	org_id       INTEGER REFERENCES orgs (id),
	name         TEXT NOT NULL,
	scope        TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	expires_at   TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP,
	revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_throttle (
	key          TEXT PRIMARY KEY,
	failures     INTEGER NOT NULL,
	locked_until TIMESTAMP,
	updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE known_devices (
	token_hash TEXT PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL
);
