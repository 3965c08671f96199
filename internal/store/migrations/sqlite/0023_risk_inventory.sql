-- Safeguard schema 23 (SQLite): the risk analysis's inventory (issue 13).
--
-- Rating scales of an organisation (a scale is immutable once a risk is
-- rated on it; the organisation's current one is in org_risk_settings),
-- the ePHI inventory (assets: systems, devices and places) with every
-- version kept, the data flows between assets and outside parties with
-- every version kept, and the threats and vulnerabilities an organisation
-- adds to the shipped library (their key is "org:<id>").
CREATE TABLE risk_scales (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER NOT NULL REFERENCES orgs (id),
	name       TEXT NOT NULL,
	definition TEXT NOT NULL, -- JSON of risk.Scale without its id
	created_at TIMESTAMP NOT NULL,
	created_by TEXT NOT NULL
);
CREATE INDEX risk_scales_org ON risk_scales (org_id, id);

CREATE TABLE org_risk_settings (
	org_id     INTEGER PRIMARY KEY REFERENCES orgs (id),
	scale_id   INTEGER NOT NULL REFERENCES risk_scales (id),
	updated_at TIMESTAMP NOT NULL,
	updated_by TEXT NOT NULL
);

CREATE TABLE assets (
	id            INTEGER PRIMARY KEY,
	org_id        INTEGER NOT NULL REFERENCES orgs (id),
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	class         TEXT NOT NULL CHECK (class IN ('system', 'device', 'place')),
	owner_id      INTEGER REFERENCES users (id),
	place_id      INTEGER REFERENCES assets (id),
	location      TEXT NOT NULL DEFAULT '',
	ephi          TEXT NOT NULL DEFAULT '[]', -- JSON list of the kinds of ePHI
	records       INTEGER NOT NULL DEFAULT 0 CHECK (records >= 0),
	creates       INTEGER NOT NULL DEFAULT 0 CHECK (creates IN (0, 1)),
	receives      INTEGER NOT NULL DEFAULT 0 CHECK (receives IN (0, 1)),
	maintains     INTEGER NOT NULL DEFAULT 0 CHECK (maintains IN (0, 1)),
	transmits     INTEGER NOT NULL DEFAULT 0 CHECK (transmits IN (0, 1)),
	at_rest       TEXT NOT NULL DEFAULT 'unknown' CHECK (at_rest IN ('yes', 'partial', 'no', 'unknown')),
	hosting       TEXT NOT NULL DEFAULT 'on_site' CHECK (hosting IN ('on_site', 'cloud', 'business_associate')),
	vendor        TEXT NOT NULL DEFAULT '',
	criticality   TEXT NOT NULL DEFAULT 'medium' CHECK (criticality IN ('low', 'medium', 'high')),
	lifecycle     TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle IN ('planned', 'active', 'retired')),
	notes         TEXT NOT NULL DEFAULT '',
	last_reviewed TIMESTAMP,
	version       INTEGER NOT NULL DEFAULT 1,
	created_at    TIMESTAMP NOT NULL,
	created_by    TEXT NOT NULL,
	updated_at    TIMESTAMP NOT NULL,
	updated_by    TEXT NOT NULL
);
-- The inventory lists by name (keyset name, id) and filters by kind,
-- hosting, owner and lifecycle within an organisation.
CREATE INDEX assets_org_name ON assets (org_id, name, id);
CREATE INDEX assets_org_kind ON assets (org_id, kind, name, id);
CREATE INDEX assets_org_hosting ON assets (org_id, hosting, name, id);
CREATE INDEX assets_org_owner ON assets (org_id, owner_id, name, id);
CREATE INDEX assets_place ON assets (place_id);

CREATE TABLE asset_versions (
	id         INTEGER PRIMARY KEY,
	asset_id   INTEGER NOT NULL REFERENCES assets (id),
	version    INTEGER NOT NULL,
	data       TEXT NOT NULL, -- JSON of risk.Asset as saved
	saved_at   TIMESTAMP NOT NULL,
	saved_by   TEXT NOT NULL,
	UNIQUE (asset_id, version)
);
CREATE TRIGGER asset_versions_no_update BEFORE UPDATE ON asset_versions
BEGIN
	SELECT RAISE(ABORT, 'versions are append-only');
END;

CREATE TABLE flows (
	id            INTEGER PRIMARY KEY,
	org_id        INTEGER NOT NULL REFERENCES orgs (id),
	from_asset_id INTEGER REFERENCES assets (id),
	from_party    TEXT NOT NULL DEFAULT '',
	to_asset_id   INTEGER REFERENCES assets (id),
	to_party      TEXT NOT NULL DEFAULT '',
	channel       TEXT NOT NULL,
	in_transit    TEXT NOT NULL DEFAULT 'unknown' CHECK (in_transit IN ('yes', 'partial', 'no', 'unknown')),
	frequency     TEXT NOT NULL DEFAULT '',
	volume        TEXT NOT NULL DEFAULT '',
	description   TEXT NOT NULL DEFAULT '',
	version       INTEGER NOT NULL DEFAULT 1,
	created_at    TIMESTAMP NOT NULL,
	created_by    TEXT NOT NULL,
	updated_at    TIMESTAMP NOT NULL,
	updated_by    TEXT NOT NULL,
	CHECK ((from_asset_id IS NULL) <> (from_party = '')),
	CHECK ((to_asset_id IS NULL) <> (to_party = ''))
);
CREATE INDEX flows_org ON flows (org_id, id);
CREATE INDEX flows_from ON flows (from_asset_id);
CREATE INDEX flows_to ON flows (to_asset_id);

CREATE TABLE flow_versions (
	id       INTEGER PRIMARY KEY,
	flow_id  INTEGER NOT NULL REFERENCES flows (id),
	version  INTEGER NOT NULL,
	data     TEXT NOT NULL,
	saved_at TIMESTAMP NOT NULL,
	saved_by TEXT NOT NULL,
	UNIQUE (flow_id, version)
);
CREATE TRIGGER flow_versions_no_update BEFORE UPDATE ON flow_versions
BEGIN
	SELECT RAISE(ABORT, 'versions are append-only');
END;

CREATE TABLE risk_threats (
	id          INTEGER PRIMARY KEY,
	org_id      INTEGER NOT NULL REFERENCES orgs (id),
	source      TEXT NOT NULL CHECK (source IN ('natural', 'human_intentional', 'human_unintentional', 'environmental', 'technical')),
	title       TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	entries     TEXT NOT NULL DEFAULT '[]',
	created_at  TIMESTAMP NOT NULL,
	created_by  TEXT NOT NULL
);
CREATE INDEX risk_threats_org ON risk_threats (org_id, id);

CREATE TABLE risk_vulnerabilities (
	id          INTEGER PRIMARY KEY,
	org_id      INTEGER NOT NULL REFERENCES orgs (id),
	title       TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	entries     TEXT NOT NULL DEFAULT '[]',
	created_at  TIMESTAMP NOT NULL,
	created_by  TEXT NOT NULL
);
CREATE INDEX risk_vulnerabilities_org ON risk_vulnerabilities (org_id, id);
