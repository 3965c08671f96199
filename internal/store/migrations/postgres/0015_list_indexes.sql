-- Safeguard schema 15 (PostgreSQL): indexes that keep paged lists in order, so a page is
-- read from an index range instead of sorting a whole table.

-- Organisations are listed by name, then ID (names need not be unique).
CREATE INDEX orgs_name ON orgs (name, id);

-- A user's API tokens are listed newest first; the (user_id, id) index
-- replaces the one on user_id alone, which it covers.
CREATE INDEX api_tokens_user_id ON api_tokens (user_id, id);
DROP INDEX api_tokens_user;
