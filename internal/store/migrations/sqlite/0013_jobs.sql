-- Safeguard schema 13 (SQLite): background jobs whose state lives in the
-- database, so that every replica can report on a job another one runs. One
-- row per kind and scope holds the latest run; a replica claims it with a
-- conditional update and keeps its heartbeat fresh while it works.

CREATE TABLE jobs (
	kind        TEXT NOT NULL,
	scope       TEXT NOT NULL,
	run         INTEGER NOT NULL DEFAULT 0,
	state       TEXT NOT NULL,
	done        INTEGER NOT NULL DEFAULT 0,
	total       INTEGER NOT NULL DEFAULT 0,
	started_by  TEXT NOT NULL DEFAULT '',
	started_at  TIMESTAMP NOT NULL,
	heartbeat   TIMESTAMP NOT NULL,
	finished_at TIMESTAMP,
	result      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, scope)
);
