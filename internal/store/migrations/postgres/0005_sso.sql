-- Safeguard schema 5 (PostgreSQL): single sign-on with OpenID Connect.

-- An organisation's own identity provider. The client secret is sealed
-- under a data key (data_keys) that is wrapped under the deployment's KEK.
CREATE TABLE sso_providers (
	org_id          BIGINT PRIMARY KEY REFERENCES orgs (id),
	enabled         BOOLEAN NOT NULL DEFAULT TRUE,
	issuer          TEXT NOT NULL,
	client_id       TEXT NOT NULL,
	data_key_id     BIGINT NOT NULL REFERENCES data_keys (id),
	secret_sealed   BYTEA NOT NULL,
	scopes          TEXT NOT NULL DEFAULT '',
	groups_claim    TEXT NOT NULL DEFAULT '',
	role_map        TEXT NOT NULL DEFAULT '',
	default_role    TEXT NOT NULL DEFAULT '',
	jit             BOOLEAN NOT NULL DEFAULT FALSE,
	allowed_domains TEXT NOT NULL DEFAULT '',
	updated_at      TIMESTAMPTZ NOT NULL,
	updated_by      TEXT NOT NULL
);

-- Sign-ins under way at a provider: single use, refused after ten minutes.
-- state and the browser binding are stored as hashes.
CREATE TABLE sso_logins (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	state_hash   TEXT NOT NULL UNIQUE,
	browser_hash TEXT NOT NULL,
	nonce        TEXT NOT NULL,
	verifier     TEXT NOT NULL,
	org_id       BIGINT REFERENCES orgs (id),
	redirect_url TEXT NOT NULL,
	next_url     TEXT NOT NULL DEFAULT '/',
	created_at   TIMESTAMPTZ NOT NULL,
	used_at      TIMESTAMPTZ
);
CREATE INDEX sso_logins_created ON sso_logins (created_at);

-- A person's account at a provider (issuer + subject) and the Safeguard
-- user it signs in as.
CREATE TABLE sso_identities (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	issuer        TEXT NOT NULL,
	subject       TEXT NOT NULL,
	user_id       BIGINT NOT NULL REFERENCES users (id),
	org_id        BIGINT REFERENCES orgs (id),
	email         TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMPTZ NOT NULL,
	last_login_at TIMESTAMPTZ,
	UNIQUE (issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);
