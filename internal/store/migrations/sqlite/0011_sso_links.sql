-- Safeguard schema 11 (SQLite): single sign-on links and trust, decided
-- explicitly.

-- The platform administrator trusts an organisation's provider's "amr"
-- claim as Safeguard's second factor; owners cannot set it.
ALTER TABLE sso_providers ADD COLUMN trust_mfa INTEGER NOT NULL DEFAULT 0;

-- How a provider account came to be linked: 'jit' (the provider created the
-- account), 'account' (its holder linked it while signed in) or 'email'
-- (matched by a verified address). Links made before this migration were
-- matched by email, unless the account has no password (made just in time).
ALTER TABLE sso_identities ADD COLUMN origin TEXT NOT NULL DEFAULT 'email';
UPDATE sso_identities SET origin = 'jit' WHERE user_id IN (SELECT id FROM users WHERE password_hash = '');

-- A sign-in at a provider started by a signed-in user to link it to their
-- own account, rather than to sign in.
ALTER TABLE sso_logins ADD COLUMN link_user_id INTEGER REFERENCES users (id);
