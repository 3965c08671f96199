-- Safeguard schema 24 (SQLite): the risk register and the risk management
-- plan (issue 13).
--
-- A risk is rated on one scale (scale_id) and keeps it: changing the
-- organisation's scale never rewrites it; a bulk re-rating moves it. The
-- levels (an index into the scale's levels) are stored beside the ratings
-- so that the register's level filter and sort, and the heat map's counts,
-- are answered by SQL on an index. Every version of a risk and of a task is
-- kept (append-only).
CREATE TABLE risks (
	id                   INTEGER PRIMARY KEY,
	org_id               INTEGER NOT NULL REFERENCES orgs (id),
	title                TEXT NOT NULL,
	threat               TEXT NOT NULL,
	vulnerability        TEXT NOT NULL,
	measures             TEXT NOT NULL DEFAULT '[]', -- JSON list of catalogue citations
	measures_note        TEXT NOT NULL DEFAULT '',
	scale_id             INTEGER NOT NULL REFERENCES risk_scales (id),
	inherent_likelihood  INTEGER NOT NULL CHECK (inherent_likelihood >= 1),
	inherent_impact      INTEGER NOT NULL CHECK (inherent_impact >= 1),
	inherent_level       INTEGER NOT NULL CHECK (inherent_level >= 0),
	current_likelihood   INTEGER NOT NULL CHECK (current_likelihood >= 1),
	current_impact       INTEGER NOT NULL CHECK (current_impact >= 1),
	current_level        INTEGER NOT NULL CHECK (current_level >= 0),
	target_likelihood    INTEGER NOT NULL DEFAULT 0 CHECK (target_likelihood >= 0), -- 0: no target
	target_impact        INTEGER NOT NULL DEFAULT 0 CHECK (target_impact >= 0),
	target_level         INTEGER, -- NULL: no target
	likelihood_rationale TEXT NOT NULL,
	impact_rationale     TEXT NOT NULL,
	owner_id             INTEGER REFERENCES users (id),
	status               TEXT NOT NULL CHECK (status IN ('open', 'treated', 'closed')),
	strategy             TEXT NOT NULL DEFAULT '' CHECK (strategy IN ('', 'mitigate', 'accept', 'transfer', 'avoid')),
	party                TEXT NOT NULL DEFAULT '',
	treatment_note       TEXT NOT NULL DEFAULT '',
	approver_id          INTEGER REFERENCES users (id),
	accept_reason        TEXT NOT NULL DEFAULT '',
	accept_expires       TIMESTAMP,
	approved_at          TIMESTAMP,
	suggestion           TEXT NOT NULL DEFAULT '',
	version              INTEGER NOT NULL DEFAULT 1,
	identified_at        TIMESTAMP NOT NULL,
	created_by           TEXT NOT NULL,
	updated_at           TIMESTAMP NOT NULL,
	updated_by           TEXT NOT NULL,
	CHECK ((strategy = 'accept') = (approver_id IS NOT NULL))
);
-- The register sorts by level (the default), title or last change, each
-- with the ID as the keyset's tie-break, and filters by level, owner,
-- status and threat within an organisation.
CREATE INDEX risks_org_level ON risks (org_id, current_level, id);
CREATE INDEX risks_org_title ON risks (org_id, title, id);
CREATE INDEX risks_org_updated ON risks (org_id, updated_at, id);
CREATE INDEX risks_org_owner ON risks (org_id, owner_id, current_level, id);
CREATE INDEX risks_org_status ON risks (org_id, status, current_level, id);
CREATE INDEX risks_org_threat ON risks (org_id, threat, current_level, id);
-- The heat maps count the risks of the organisation's scale by cell.
CREATE INDEX risks_org_current_cell ON risks (org_id, scale_id, current_likelihood, current_impact);
CREATE INDEX risks_org_inherent_cell ON risks (org_id, scale_id, inherent_likelihood, inherent_impact);
-- Acceptances expiring soon, for the plan's counts.
CREATE INDEX risks_org_accept_expires ON risks (org_id, accept_expires) WHERE accept_expires IS NOT NULL;
-- A suggestion is taken into the register once.
CREATE UNIQUE INDEX risks_org_suggestion ON risks (org_id, suggestion) WHERE suggestion <> '';

CREATE TABLE risk_assets (
	risk_id  INTEGER NOT NULL REFERENCES risks (id),
	asset_id INTEGER NOT NULL REFERENCES assets (id),
	PRIMARY KEY (risk_id, asset_id)
);
CREATE INDEX risk_assets_asset ON risk_assets (asset_id, risk_id);

-- The catalogue categories of a risk's measures, for the category filter.
CREATE TABLE risk_categories (
	risk_id  INTEGER NOT NULL REFERENCES risks (id),
	org_id   INTEGER NOT NULL REFERENCES orgs (id),
	category TEXT NOT NULL,
	PRIMARY KEY (risk_id, category)
);
CREATE INDEX risk_categories_org ON risk_categories (org_id, category, risk_id);

CREATE TABLE risk_versions (
	id       INTEGER PRIMARY KEY,
	risk_id  INTEGER NOT NULL REFERENCES risks (id),
	version  INTEGER NOT NULL,
	data     TEXT NOT NULL, -- JSON of risk.Risk as saved
	saved_at TIMESTAMP NOT NULL,
	saved_by TEXT NOT NULL,
	UNIQUE (risk_id, version)
);
CREATE TRIGGER risk_versions_no_update BEFORE UPDATE ON risk_versions
BEGIN
	SELECT RAISE(ABORT, 'versions are append-only');
END;
CREATE TRIGGER risk_versions_no_delete BEFORE DELETE ON risk_versions
BEGIN
	SELECT RAISE(ABORT, 'versions are append-only');
END;

CREATE TABLE risk_tasks (
	id           INTEGER PRIMARY KEY,
	org_id       INTEGER NOT NULL REFERENCES orgs (id),
	risk_id      INTEGER NOT NULL REFERENCES risks (id),
	title        TEXT NOT NULL,
	description  TEXT NOT NULL DEFAULT '',
	owner_id     INTEGER NOT NULL REFERENCES users (id),
	due          TIMESTAMP NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'done', 'dropped')),
	entries      TEXT NOT NULL DEFAULT '[]',
	evidence_ids TEXT NOT NULL DEFAULT '[]',
	done_at      TIMESTAMP,
	version      INTEGER NOT NULL DEFAULT 1,
	created_at   TIMESTAMP NOT NULL,
	created_by   TEXT NOT NULL,
	updated_at   TIMESTAMP NOT NULL,
	updated_by   TEXT NOT NULL
);
-- The plan lists by due date (keyset due, id), within an organisation, an
-- owner's tasks, a risk's tasks, or those of one status; "my tasks" reads
-- an owner's tasks across organisations.
CREATE INDEX risk_tasks_org_due ON risk_tasks (org_id, due, id);
CREATE INDEX risk_tasks_org_owner ON risk_tasks (org_id, owner_id, due, id);
CREATE INDEX risk_tasks_org_status ON risk_tasks (org_id, status, due, id);
CREATE INDEX risk_tasks_risk ON risk_tasks (risk_id, due, id);
CREATE INDEX risk_tasks_owner ON risk_tasks (owner_id, due, id);

CREATE TABLE risk_task_versions (
	id       INTEGER PRIMARY KEY,
	task_id  INTEGER NOT NULL REFERENCES risk_tasks (id),
	version  INTEGER NOT NULL,
	data     TEXT NOT NULL, -- JSON of risk.Task as saved
	saved_at TIMESTAMP NOT NULL,
	saved_by TEXT NOT NULL,
	UNIQUE (task_id, version)
);
CREATE TRIGGER risk_task_versions_no_update BEFORE UPDATE ON risk_task_versions
BEGIN
	SELECT RAISE(ABORT, 'versions are append-only');
END;
CREATE TRIGGER risk_task_versions_no_delete BEFORE DELETE ON risk_task_versions
BEGIN
	SELECT RAISE(ABORT, 'versions are append-only');
END;
