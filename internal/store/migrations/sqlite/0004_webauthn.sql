-- Safeguard schema 4 (SQLite): WebAuthn passkeys and security keys, and the
-- server-side state of ceremonies in progress.

-- webauthn_users gives each user a random WebAuthn user handle, which
-- authenticators store beside a passkey: it names the account without
-- revealing anything about it.
CREATE TABLE webauthn_users (
	user_id    INTEGER PRIMARY KEY REFERENCES users (id),
	handle     BLOB NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE webauthn_credentials (
	id                 INTEGER PRIMARY KEY,
	user_id            INTEGER NOT NULL REFERENCES users (id),
	credential_id      BLOB NOT NULL UNIQUE,
	public_key         BLOB NOT NULL,
	sign_count         INTEGER NOT NULL DEFAULT 0,
	aaguid             BLOB NOT NULL,
	transports         TEXT NOT NULL DEFAULT '',
	flags              INTEGER NOT NULL DEFAULT 0,
	attestation_format TEXT NOT NULL DEFAULT '',
	name               TEXT NOT NULL,
	created_at         TIMESTAMP NOT NULL,
	last_used_at       TIMESTAMP
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- A ceremony (registration or sign-in) in progress: its challenge and
-- options, bound to one session, used once, short-lived.
CREATE TABLE webauthn_ceremonies (
	id         INTEGER PRIMARY KEY,
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	kind       TEXT NOT NULL,
	data       TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	UNIQUE (session_id, kind)
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);
