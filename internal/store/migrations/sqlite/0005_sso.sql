-- Safeguard schema 5 (SQLite): single sign-on with OpenID Connect.

-- An organisation's own identity provider. The client secret is sealed
-- under a data key (data_keys) that is wrapped under the deployment's KEK.
CREATE TABLE sso_providers (
	org_id          INTEGER PRIMARY KEY REFERENCES orgs (id),
	enabled         INTEGER NOT NULL DEFAULT 1,
	issuer          TEXT NOT NULL,
	client_id       TEXT NOT NULL,
	data_key_id     INTEGER NOT NULL REFERENCES data_keys (id),
	secret_sealed   BLOB NOT NULL,
	scopes          TEXT NOT NULL DEFAULT '',
	groups_claim    TEXT NOT NULL DEFAULT '',
	role_map        TEXT NOT NULL DEFAULT '',
	default_role    TEXT NOT NULL DEFAULT '',
	jit             INTEGER NOT NULL DEFAULT 0,
	allowed_domains TEXT NOT NULL DEFAULT '',
	updated_at      TIMESTAMP NOT NULL,
	updated_by      TEXT NOT NULL
);

-- Sign-ins under way at a provider: single use, refused after ten minutes.
-- state and the browser binding are stored as hashes.
CREATE TABLE sso_logins (
	id           INTEGER PRIMARY KEY,
	state_hash   TEXT NOT NULL UNIQUE,
	browser_hash TEXT NOT NULL,
	nonce        TEXT NOT NULL,
	verifier     TEXT NOT NULL,
	org_id       INTEGER REFERENCES orgs (id),
	redirect_url TEXT NOT NULL,
	next_url     TEXT NOT NULL DEFAULT '/',
	created_at   TIMESTAMP NOT NULL,
	used_at      TIMESTAMP
);
CREATE INDEX sso_logins_created ON sso_logins (created_at);

-- A person's account at a provider (issuer + subject) and the Safeguard
-- user it signs in as.
CREATE TABLE sso_identities (
	id            INTEGER PRIMARY KEY,
	issuer        TEXT NOT NULL,
	subject       TEXT NOT NULL,
	user_id       INTEGER NOT NULL REFERENCES users (id),
	org_id        INTEGER REFERENCES orgs (id),
	email         TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMP NOT NULL,
	last_login_at TIMESTAMP,
	UNIQUE (issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);
