-- Safeguard schema 3 (PostgreSQL): authenticator apps (TOTP) and recovery codes.

-- One authenticator app per user. The secret is sealed under its own data key
-- (crypt envelope encryption), never stored in the clear. An enrolment is
-- pending until confirmed_at is set by a first valid code. last_counter is
-- the newest TOTP time step accepted: a code is accepted once, so any step at
-- or before it is refused.
CREATE TABLE totp_credentials (
	user_id      BIGINT PRIMARY KEY REFERENCES users (id),
	data_key_id  BIGINT NOT NULL REFERENCES data_keys (id),
	sealed       BYTEA NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	confirmed_at TIMESTAMPTZ,
	last_counter BIGINT NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as SHA-256 hashes of their canonical form.
CREATE TABLE recovery_codes (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id    BIGINT NOT NULL REFERENCES users (id),
	code_hash  TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ,
	UNIQUE (user_id, code_hash)
);
