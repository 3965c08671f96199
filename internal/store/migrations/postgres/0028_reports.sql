-- Safeguard schema 28 (PostgreSQL): generated reports (issue 14). See the
-- SQLite migration of the same number.
CREATE TABLE reports (
	id            BIGSERIAL PRIMARY KEY,
	org_id        BIGINT NOT NULL REFERENCES orgs (id),
	name          TEXT NOT NULL,
	format        TEXT NOT NULL,
	part          TEXT NOT NULL,
	assessment_id BIGINT,
	analysis_id   BIGINT,
	draft         BOOLEAN NOT NULL,
	content_type  TEXT NOT NULL,
	size          BIGINT NOT NULL,
	sha256        TEXT NOT NULL,
	data_key_id   BIGINT NOT NULL REFERENCES data_keys (id),
	sealed        BYTEA NOT NULL,
	created_by    TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	retain_until  TIMESTAMPTZ NOT NULL
);
CREATE INDEX reports_org ON reports (org_id, created_at, id);

CREATE FUNCTION reports_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		RAISE EXCEPTION 'a stored report cannot be changed';
	END IF;
	IF OLD.retain_until > now() THEN
		RAISE EXCEPTION 'a stored report is kept until its retention date';
	END IF;
	RETURN OLD;
END;
$$;

CREATE TRIGGER reports_guard BEFORE UPDATE OR DELETE ON reports
	FOR EACH ROW EXECUTE FUNCTION reports_guard();
