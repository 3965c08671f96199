-- Safeguard schema 3 (SQLite): authenticator apps (TOTP) and recovery codes.

-- One authenticator app per user. The secret is sealed under its own data key
-- (crypt envelope encryption), never stored in the clear. An enrolment is
-- pending until confirmed_at is set by a first valid code. last_counter is
-- the newest TOTP time step accepted: a code is accepted once, so any step at
-- or before it is refused.
CREATE TABLE totp_credentials (
	user_id      INTEGER PRIMARY KEY REFERENCES users (id),
	data_key_id  INTEGER NOT NULL REFERENCES data_keys (id),
	sealed       BLOB NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	confirmed_at TIMESTAMP,
	last_counter INTEGER NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as SHA-256 hashes of their canonical form.
CREATE TABLE recovery_codes (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	code_hash  TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	used_at    TIMESTAMP,
	UNIQUE (user_id, code_hash)
);
