-- Safeguard schema 13 (PostgreSQL): background jobs whose state lives in the
-- database, so that every replica can report on a job another one runs. One
-- row per kind and scope holds the latest run; a replica claims it with a
-- conditional update and keeps its heartbeat fresh while it works.

CREATE TABLE jobs (
	kind        TEXT NOT NULL,
	scope       TEXT NOT NULL,
	run         BIGINT NOT NULL DEFAULT 0,
	state       TEXT NOT NULL,
	done        BIGINT NOT NULL DEFAULT 0,
	total       BIGINT NOT NULL DEFAULT 0,
	started_by  TEXT NOT NULL DEFAULT '',
	started_at  TIMESTAMPTZ NOT NULL,
	heartbeat   TIMESTAMPTZ NOT NULL,
	finished_at TIMESTAMPTZ,
	result      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, scope)
);
